package dev.offload.engine;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbCreator;
import jakarta.json.bind.annotation.JsonbNumberFormat;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbTransient;
import jakarta.json.bind.annotation.JsonbTypeAdapter;
import jakarta.json.bind.annotation.JsonbTypeDeserializer;
import jakarta.json.bind.annotation.JsonbTypeInfo;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks a JSON tree against the Java type JSON-B is about to bind it to, so that binding is
 * exact or refused with a message that names the field. JSON-B (Yasson) is lenient where a task
 * input must not be: it narrows {@code 4294967297} into an {@code int} as 1, {@code 1.9} as 1 and
 * {@code 1e999999999} into a {@code long} as 0, reads {@code "12"} as a number and {@code 12} as
 * a string, takes the first character of {@code "abc"} for a {@code char}, and its own failures
 * name Java classes.
 *
 * <p>The rules, by Java type:
 *
 * <ul>
 *   <li>{@code byte}, {@code short}, {@code int}, {@code long}, their boxes and {@code
 *       BigInteger}: a number written as a whole number (no fraction, no exponent: Yasson binds
 *       {@code 1.0} into an {@code int} but fails on it for a {@code short} or a {@code
 *       BigInteger}), within the type's range;
 *   <li>{@code float}, {@code double} and boxes: a number that stays finite, and does not
 *       become 0 unless it is 0; {@code BigDecimal} and {@code Number}: any number (exact);
 *   <li>{@code boolean}: true or false; {@code String} (and the types Yasson reads from a
 *       string: UUID, URI, java.time, ...): a string; {@code char}: a string of one character;
 *   <li>enums: a string that is a constant's name (JSON-B's default);
 *   <li>records: an object whose members are component names (or their {@code @JsonbProperty}
 *       names; {@code @JsonbTransient} ones are not members); other classes, best effort: public
 *       fields, setters and {@code @JsonbCreator} parameters, named the same way;
 *   <li>collections and arrays: an array of the element type; {@code Map<String, T>}: an object
 *       of T; {@code Optional<T>}: null or T; JSON-P types: the matching kind; {@code Object}:
 *       anything.
 * </ul>
 *
 * <p>An absent member is fine, and so is null for a reference type: the handler's {@code
 * validate} decides what is required. Null is refused for a primitive. Members the type does not
 * have are refused. Types this cannot see into (interfaces, custom deserializers, maps with
 * other keys) are left to JSON-B. Names follow JSON-B's default naming (the Java name).
 *
 * <p>The analysis of a type is made once and cached; handler input types never change.
 */
public final class InputShape {

  private final Map<Type, Rule> rules = new ConcurrentHashMap<>();

  /**
   * Checks {@code value} against {@code type}.
   *
   * @param value the JSON value, or null when it is absent
   * @param name what the value is called in messages, e.g. {@code input}
   * @throws Mismatch when the value does not fit the type
   */
  public void check(Type type, JsonValue value, String name) {
    if (value == null) {
      return;
    }
    rules.computeIfAbsent(type, t -> new Analysis().rule(t, Map.of()))
        .check(value, new Path(null, name, -1));
  }

  /** Why a value does not fit, written for a client: the path of the field and what it needs. */
  public static final class Mismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String path;

    Mismatch(String path, String message) {
      super(message, null, false, false); // an answer to a client: no stack trace to fill
      this.path = path;
    }

    /** Where it is, e.g. {@code input.items[2].name}. */
    public String path() {
      return path;
    }
  }

  // ------------------------------------------------------------------ paths and messages

  /** A place in the tree, rendered only when something is wrong there. */
  private record Path(Path parent, String name, int index) {
    Path member(String member) {
      return new Path(this, member, -1);
    }

    Path element(int i) {
      return new Path(this, null, i);
    }

    @Override
    public String toString() {
      StringBuilder b = parent == null ? new StringBuilder() : new StringBuilder(parent.toString());
      if (parent == null) {
        b.append(name);
      } else if (name == null) {
        b.append('[').append(index).append(']');
      } else if (isIdentifier(name)) {
        b.append('.').append(name);
      } else {
        b.append("[\"").append(StrictJson.Describe.text(name.replace("\\", "\\\\")
            .replace("\"", "\\\""))).append("\"]");
      }
      return b.toString();
    }

    /** Plain ASCII names read as {@code .name}; anything else is quoted and escaped. */
    private static boolean isIdentifier(String s) {
      if (s.isEmpty() || s.length() > 64 || Character.isDigit(s.charAt(0))) {
        return false;
      }
      return s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '_' || c == '$');
    }
  }

  private static Mismatch mismatch(Path at, String expected, String got) {
    String path = at.toString();
    return new Mismatch(path, "'" + path + "' must be " + expected + ", got " + got);
  }

  /** What a value is, for "got ...": its kind, or for a number its value. */
  private static String kind(JsonValue v) {
    return switch (v.getValueType()) {
      case OBJECT -> "an object";
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case TRUE -> "true";
      case FALSE -> "false";
      case NULL -> "null";
    };
  }

  private static String number(JsonValue v) {
    return v instanceof JsonNumber ? StrictJson.Describe.number(v) : kind(v);
  }

  // ------------------------------------------------------------------ rules

  /** What one Java type accepts. {@link #expected} says it in a message. */
  private abstract static class Rule {
    final String expected;

    Rule(String expected) {
      this.expected = expected;
    }

    /** Null is fine unless overridden (by a primitive's rule). */
    void check(JsonValue v, Path at) {
      if (v != JsonValue.NULL) {
        checkValue(v, at);
      }
    }

    abstract void checkValue(JsonValue v, Path at);
  }

  private static final Rule ANYTHING = new Rule("anything") {
    @Override
    void checkValue(JsonValue v, Path at) {}
  };

  /** A JSON-P type: the kind only. */
  private static final class Kind extends Rule {
    private final Set<JsonValue.ValueType> kinds;

    Kind(String expected, JsonValue.ValueType... kinds) {
      super(expected);
      this.kinds = Set.of(kinds);
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!kinds.contains(v.getValueType())) {
        throw mismatch(at, expected, kind(v));
      }
    }
  }

  private static final Rule STRING = new Kind("a string", JsonValue.ValueType.STRING);
  private static final Rule BOOLEAN =
      new Kind("true or false", JsonValue.ValueType.TRUE, JsonValue.ValueType.FALSE);
  private static final Rule DECIMAL = new Kind("a number", JsonValue.ValueType.NUMBER);

  private static final Rule CHAR = new Rule("a string of one character") {
    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonString s)) {
        throw mismatch(at, expected, kind(v));
      }
      if (s.getString().length() != 1) {
        throw mismatch(at, expected, "a string of " + s.getString().length() + " characters");
      }
    }
  };

  /** A whole number, optionally within bounds. */
  private static final class Whole extends Rule {
    private final BigDecimal min;
    private final BigDecimal max;

    Whole(long min, long max) {
      super("a whole number between " + min + " and " + max);
      this.min = BigDecimal.valueOf(min);
      this.max = BigDecimal.valueOf(max);
    }

    /** BigInteger: no bounds; the parser already caps a number's length. */
    Whole() {
      super("a whole number");
      this.min = null;
      this.max = null;
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonNumber n)) {
        throw mismatch(at, expected, kind(v));
      }
      BigDecimal d = n.bigDecimalValue();
      // compareTo looks at the exponents first: 1e999999999 is refused without expanding it.
      if (min != null && (d.compareTo(min) < 0 || d.compareTo(max) > 0)) {
        throw mismatch(at, expected, number(v));
      }
      if (d.scale() != 0) {
        boolean whole = d.signum() == 0 || d.scale() < 0 || d.stripTrailingZeros().scale() <= 0;
        throw mismatch(at, whole ? "a whole number written without a fraction or exponent"
            : "a whole number", number(v));
      }
    }
  }

  /** float or double: finite, and not a non-zero number that would become 0. */
  private static final class Floating extends Rule {
    private final boolean isFloat;

    Floating(boolean isFloat) {
      super("a finite number within the range of a " + (isFloat ? "float" : "double"));
      this.isFloat = isFloat;
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonNumber n)) {
        throw mismatch(at, "a number", kind(v));
      }
      BigDecimal d = n.bigDecimalValue();
      // Both conversions go through the decimal text for large exponents: cheap, no expansion.
      double x = isFloat ? d.floatValue() : d.doubleValue();
      if (Double.isInfinite(x)) {
        throw mismatch(at, expected, number(v));
      }
      if (x == 0 && d.signum() != 0) {
        String least = isFloat ? Float.toString(Float.MIN_VALUE)
            : Double.toString(Double.MIN_VALUE);
        throw mismatch(at, "0 or a number of at least " + least + " in magnitude (a "
            + (isFloat ? "float" : "double") + " would make it 0)", number(v));
      }
    }
  }

  /** A primitive: everything its box takes, but not null. */
  private static final class NotNull extends Rule {
    private final Rule inner;

    NotNull(Rule inner) {
      super(inner.expected);
      this.inner = inner;
    }

    @Override
    void check(JsonValue v, Path at) {
      if (v == JsonValue.NULL) {
        throw mismatch(at, expected, "null");
      }
      inner.checkValue(v, at);
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      inner.checkValue(v, at);
    }
  }

  private static final class EnumRule extends Rule {
    private final Set<String> names;

    EnumRule(Class<?> type) {
      this(Arrays.stream(type.getEnumConstants()).map(c -> ((Enum<?>) c).name()).toList());
    }

    private EnumRule(List<String> names) {
      super("one of " + String.join(", ", names));
      this.names = Set.copyOf(names);
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonString s)) {
        throw mismatch(at, expected, kind(v));
      }
      if (!names.contains(s.getString())) {
        throw mismatch(at, expected, "'" + StrictJson.Describe.text(s.getString()) + "'");
      }
    }
  }

  private static final class ArrayOf extends Rule {
    private final Rule element;

    ArrayOf(Rule element) {
      super("an array");
      this.element = element;
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonArray a)) {
        throw mismatch(at, expected, kind(v));
      }
      if (element == ANYTHING) {
        return;
      }
      for (int i = 0; i < a.size(); i++) {
        element.check(a.get(i), at.element(i));
      }
    }
  }

  /** {@code Map<String, T>}: an object whose members are all T. */
  private static final class MapOf extends Rule {
    private final Rule value;

    MapOf(Rule value) {
      super("an object");
      this.value = value;
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonObject o)) {
        throw mismatch(at, expected, kind(v));
      }
      if (value == ANYTHING) {
        return;
      }
      for (Map.Entry<String, JsonValue> e : o.entrySet()) {
        value.check(e.getValue(), at.member(e.getKey()));
      }
    }
  }

  /** A record or a class: an object with known members only. */
  private static final class ObjectOf extends Rule {
    private final Map<String, Rule> members;
    private final String known;

    ObjectOf(Map<String, Rule> members) {
      super("an object");
      this.members = Map.copyOf(members);
      this.known = members.isEmpty() ? "none" : String.join(", ", new TreeMap<>(members).keySet());
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      if (!(v instanceof JsonObject o)) {
        throw mismatch(at, expected, kind(v));
      }
      for (Map.Entry<String, JsonValue> e : o.entrySet()) {
        Rule member = members.get(e.getKey());
        if (member == null) {
          String path = at.member(e.getKey()).toString();
          throw new Mismatch(path, "unknown field '" + path + "'; known fields: " + known);
        }
        member.check(e.getValue(), at.member(e.getKey()));
      }
    }
  }

  /** A type met again while it is being analysed (a recursive record): filled in at the end. */
  private static final class Deferred extends Rule {
    private Rule target;

    Deferred() {
      super("an object");
    }

    @Override
    void check(JsonValue v, Path at) {
      target.check(v, at);
    }

    @Override
    void checkValue(JsonValue v, Path at) {
      target.checkValue(v, at);
    }
  }

  // ------------------------------------------------------------------ analysis

  /** Types Yasson reads from a JSON string. */
  private static final Set<Class<?>> STRING_TYPES = Set.of(
      String.class, java.util.UUID.class, java.net.URI.class, java.net.URL.class,
      java.util.Date.class, java.util.Calendar.class, java.util.GregorianCalendar.class,
      java.util.TimeZone.class, java.util.SimpleTimeZone.class, java.time.Instant.class,
      java.time.Duration.class, java.time.Period.class, java.time.LocalDate.class,
      java.time.LocalTime.class, java.time.LocalDateTime.class, java.time.ZonedDateTime.class,
      java.time.OffsetDateTime.class, java.time.OffsetTime.class, java.time.ZoneId.class,
      java.time.ZoneOffset.class, java.nio.file.Path.class);

  /** The fixed rules of plain Java types. */
  private static final Map<Class<?>, Rule> SIMPLE = simpleRules();

  private static Map<Class<?>, Rule> simpleRules() {
    Map<Class<?>, Rule> m = new HashMap<>();
    Rule b = new Whole(Byte.MIN_VALUE, Byte.MAX_VALUE);
    Rule s = new Whole(Short.MIN_VALUE, Short.MAX_VALUE);
    Rule i = new Whole(Integer.MIN_VALUE, Integer.MAX_VALUE);
    Rule l = new Whole(Long.MIN_VALUE, Long.MAX_VALUE);
    Rule f = new Floating(true);
    Rule d = new Floating(false);
    m.put(Byte.class, b);
    m.put(byte.class, new NotNull(b));
    m.put(Short.class, s);
    m.put(short.class, new NotNull(s));
    m.put(Integer.class, i);
    m.put(int.class, new NotNull(i));
    m.put(OptionalInt.class, i);
    m.put(Long.class, l);
    m.put(long.class, new NotNull(l));
    m.put(OptionalLong.class, l);
    m.put(BigInteger.class, new Whole());
    m.put(Float.class, f);
    m.put(float.class, new NotNull(f));
    m.put(Double.class, d);
    m.put(double.class, new NotNull(d));
    m.put(OptionalDouble.class, d);
    m.put(BigDecimal.class, DECIMAL);
    m.put(Number.class, DECIMAL);
    m.put(Boolean.class, BOOLEAN);
    m.put(boolean.class, new NotNull(BOOLEAN));
    m.put(Character.class, CHAR);
    m.put(char.class, new NotNull(CHAR));
    STRING_TYPES.forEach(t -> m.put(t, STRING));
    m.put(Object.class, ANYTHING);
    m.put(JsonValue.class, ANYTHING);
    m.put(JsonObject.class, new Kind("an object", JsonValue.ValueType.OBJECT));
    m.put(JsonArray.class, new Kind("an array", JsonValue.ValueType.ARRAY));
    m.put(JsonStructure.class, new Kind("an object or an array",
        JsonValue.ValueType.OBJECT, JsonValue.ValueType.ARRAY));
    m.put(JsonString.class, new Kind("a string", JsonValue.ValueType.STRING));
    m.put(JsonNumber.class, new Kind("a number", JsonValue.ValueType.NUMBER));
    return Map.copyOf(m);
  }

  /** Annotations that hand a value to code of its own: its shape is theirs to know. */
  private static final List<Class<? extends Annotation>> CUSTOM = List.of(
      JsonbTypeDeserializer.class, JsonbTypeAdapter.class, JsonbNumberFormat.class);

  /** One analysis of a top-level type; recursion through its own types is resolved here. */
  private static final class Analysis {
    private final Map<Type, Deferred> inProgress = new HashMap<>();

    Rule rule(Type type, Map<TypeVariable<?>, Type> bindings) {
      if (type instanceof Class<?> c) {
        return classRule(c, c, Map.of());
      }
      if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
        Type[] args = p.getActualTypeArguments();
        for (int i = 0; i < args.length; i++) {
          args[i] = resolve(args[i], bindings);
        }
        if (Optional.class.equals(raw)) {
          return rule(args[0], bindings);
        }
        if (Collection.class.isAssignableFrom(raw) || Iterable.class.equals(raw)) {
          return new ArrayOf(rule(args[0], bindings));
        }
        if (Map.class.isAssignableFrom(raw)) {
          return args.length == 2 && (args[0] == String.class || args[0] == Object.class
              || args[0] == CharSequence.class) ? new MapOf(rule(args[1], bindings)) : ANYTHING;
        }
        Map<TypeVariable<?>, Type> own = new HashMap<>();
        TypeVariable<?>[] vars = raw.getTypeParameters();
        for (int i = 0; i < vars.length && i < args.length; i++) {
          own.put(vars[i], args[i]);
        }
        return classRule(raw, p, own);
      }
      if (type instanceof GenericArrayType g) {
        return new ArrayOf(rule(resolve(g.getGenericComponentType(), bindings), bindings));
      }
      if (type instanceof TypeVariable<?> || type instanceof WildcardType) {
        Type resolved = resolve(type, bindings);
        return resolved == type ? ANYTHING : rule(resolved, bindings);
      }
      return ANYTHING;
    }

    /** A type variable to what it is bound to (or its bound); a wildcard to its upper bound. */
    private static Type resolve(Type t, Map<TypeVariable<?>, Type> bindings) {
      if (t instanceof TypeVariable<?> v) {
        Type bound = bindings.get(v);
        return bound != null ? bound : v.getBounds().length > 0 ? v.getBounds()[0] : Object.class;
      }
      if (t instanceof WildcardType w) {
        return w.getUpperBounds().length > 0 ? w.getUpperBounds()[0] : Object.class;
      }
      return t;
    }

    private Rule classRule(Class<?> c, Type key, Map<TypeVariable<?>, Type> bindings) {
      Rule simple = SIMPLE.get(c);
      if (simple != null) {
        return simple;
      }
      if (c.isArray()) {
        return new ArrayOf(rule(c.getComponentType(), bindings));
      }
      if (c.isEnum()) {
        return hasAny(c, CUSTOM) ? ANYTHING : new EnumRule(c);
      }
      if (Optional.class.equals(c)) {
        return ANYTHING;
      }
      if (Collection.class.isAssignableFrom(c) || Iterable.class.equals(c)) {
        return new ArrayOf(ANYTHING);
      }
      if (Map.class.isAssignableFrom(c)) {
        return new MapOf(ANYTHING);
      }
      if (c.isInterface() || Modifier.isAbstract(c.getModifiers()) || c.isPrimitive()
          || c.getName().startsWith("java.") || hasAny(c, CUSTOM)
          || c.isAnnotationPresent(JsonbTypeInfo.class)) {
        return ANYTHING; // nothing here can say what JSON-B or a custom deserializer will take
      }
      Deferred seen = inProgress.get(key);
      if (seen != null) {
        return seen;
      }
      Deferred self = new Deferred();
      inProgress.put(key, self);
      Map<String, Type> props = c.isRecord() ? recordMembers(c) : classMembers(c);
      Map<String, Rule> members = new LinkedHashMap<>();
      for (Map.Entry<String, Type> e : props.entrySet()) {
        members.put(e.getKey(), e.getValue() == null ? ANYTHING
            : rule(resolve(e.getValue(), bindings), bindings));
      }
      self.target = new ObjectOf(members);
      inProgress.remove(key);
      return self.target;
    }

    /** Components by JSON name; a null type means a custom deserializer decides. */
    private static Map<String, Type> recordMembers(Class<?> c) {
      Map<String, Type> out = new LinkedHashMap<>();
      for (RecordComponent rc : c.getRecordComponents()) {
        // JSON-B's annotations cannot target a record component; Java copies them to the
        // accessor, the field and the canonical constructor's parameter.
        List<AnnotatedElement> places = new ArrayList<>(List.of(rc.getAccessor()));
        field(c, rc.getName()).ifPresent(places::add);
        if (places.stream().anyMatch(p -> p.isAnnotationPresent(JsonbTransient.class))) {
          continue;
        }
        String name = places.stream().map(p -> p.getAnnotation(JsonbProperty.class))
            .filter(a -> a != null && !a.value().isEmpty()).map(JsonbProperty::value)
            .findFirst().orElse(rc.getName());
        boolean custom = places.stream().anyMatch(p -> hasAny(p, CUSTOM));
        out.put(name, custom ? null : rc.getGenericType());
      }
      return out;
    }

    /**
     * Public fields, setters and {@code @JsonbCreator} parameters, by JSON name: best effort at
     * what Yasson writes into a plain class.
     */
    private static Map<String, Type> classMembers(Class<?> c) {
      Map<String, Type> out = new LinkedHashMap<>();
      Map<String, Field> fields = new HashMap<>();
      for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
        for (Field f : k.getDeclaredFields()) {
          fields.putIfAbsent(f.getName(), f);
        }
      }
      Map<String, Method> getters = new HashMap<>();
      Map<String, Method> setters = new HashMap<>();
      for (Method m : c.getMethods()) {
        if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
          continue;
        }
        String n = m.getName();
        if (n.length() > 3 && n.startsWith("set") && m.getParameterCount() == 1) {
          setters.put(decapitalize(n.substring(3)), m);
        } else if (m.getParameterCount() == 0 && n.length() > 3 && n.startsWith("get")) {
          getters.put(decapitalize(n.substring(3)), m);
        } else if (m.getParameterCount() == 0 && n.length() > 2 && n.startsWith("is")) {
          getters.put(decapitalize(n.substring(2)), m);
        }
      }
      Map<String, Type> writable = new LinkedHashMap<>();
      for (Field f : c.getFields()) {
        int mod = f.getModifiers();
        if (!Modifier.isStatic(mod) && !Modifier.isTransient(mod) && !Modifier.isFinal(mod)) {
          writable.put(f.getName(), f.getGenericType());
        }
      }
      setters.forEach((n, m) -> writable.put(n, m.getGenericParameterTypes()[0]));
      for (Map.Entry<String, Type> e : writable.entrySet()) {
        List<AnnotatedElement> places = new ArrayList<>();
        if (setters.containsKey(e.getKey())) {
          places.add(setters.get(e.getKey()));
        }
        if (fields.containsKey(e.getKey())) {
          places.add(fields.get(e.getKey()));
        }
        if (getters.containsKey(e.getKey())) {
          places.add(getters.get(e.getKey()));
        }
        if (places.stream().anyMatch(p -> p.isAnnotationPresent(JsonbTransient.class))) {
          continue;
        }
        String name = places.stream().map(p -> p.getAnnotation(JsonbProperty.class))
            .filter(a -> a != null && !a.value().isEmpty()).map(JsonbProperty::value)
            .findFirst().orElse(e.getKey());
        out.put(name, places.stream().anyMatch(p -> hasAny(p, CUSTOM)) ? null : e.getValue());
      }
      creator(c).ifPresent(creator -> {
        for (Parameter p : creator.getParameters()) {
          JsonbProperty named = p.getAnnotation(JsonbProperty.class);
          String name = named != null && !named.value().isEmpty() ? named.value()
              : p.isNamePresent() ? p.getName() : null;
          if (name != null) {
            out.putIfAbsent(name, hasAny(p, CUSTOM) ? null : p.getParameterizedType());
          }
        }
      });
      return out;
    }

    private static Optional<Executable> creator(Class<?> c) {
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (k.isAnnotationPresent(JsonbCreator.class)) {
          return Optional.of(k);
        }
      }
      for (Method m : c.getDeclaredMethods()) {
        if (Modifier.isStatic(m.getModifiers()) && m.isAnnotationPresent(JsonbCreator.class)) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    }

    private static Optional<Field> field(Class<?> c, String name) {
      try {
        return Optional.of(c.getDeclaredField(name));
      } catch (NoSuchFieldException e) {
        return Optional.empty();
      }
    }

    private static boolean hasAny(AnnotatedElement e, List<Class<? extends Annotation>> types) {
      for (Class<? extends Annotation> t : types) {
        if (e.isAnnotationPresent(t)) {
          return true;
        }
      }
      return false;
    }

    /** JavaBeans' rule: {@code Name} -> {@code name}, but {@code URL} stays {@code URL}. */
    private static String decapitalize(String s) {
      if (s.length() > 1 && Character.isUpperCase(s.charAt(0))
          && Character.isUpperCase(s.charAt(1))) {
        return s;
      }
      return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
  }
}
