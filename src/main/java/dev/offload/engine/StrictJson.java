package dev.offload.engine;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonException;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads JSON text as I-JSON (RFC 7493) in one linear pass of JSON-P's streaming parser, building
 * the tree as it goes. Refused, each with a {@link Violation} whose message is written for a
 * client (what is wrong, where, what was expected; never a library's words or class names):
 *
 * <ul>
 *   <li>anything that is not one JSON text (RFC 8259), including content after the value;
 *   <li>a member name that occurs twice in one object, at any depth;
 *   <li>a name or string holding an unpaired surrogate ({@code "\ud800"}) or a Unicode
 *       noncharacter (U+FFFE, U+FDD0, ...), both forbidden by RFC 7493 section 2.1;
 *   <li>nesting deeper than the configured depth, found when the bracket is read: the tree is
 *       built with an explicit stack, so no depth can exhaust the Java stack here;
 *   <li>a number of more than {@link #MAX_NUMBER_LENGTH} characters, or whose exponent a
 *       {@link java.math.BigDecimal} cannot hold.
 * </ul>
 *
 * <p>Numbers are kept exactly as written, as {@code BigDecimal}s (small integers as ints and
 * longs, which are exact too); nothing is rounded. Deciding whether a number fits a Java type is
 * {@link InputShape}'s business. Instances are immutable and thread-safe.
 */
public final class StrictJson {

  /**
   * The longest number accepted, in characters. Parsing a {@code BigDecimal} costs more than
   * linear time in its digits, so a megabyte of digits would be a cheap way to burn CPU; this is
   * also Parsson's own default limit, kept here so the message is ours.
   */
  public static final int MAX_NUMBER_LENGTH = 1100;

  /** The depth JSON text gets when the caller names none (a Java caller of the engine). */
  public static final int DEFAULT_MAX_DEPTH = 1000;

  private static final Pattern INVALID_TOKEN =
      Pattern.compile("Invalid token=(\\w+) at .*Expected tokens are: \\[([\\w, ]*)\\]",
          Pattern.DOTALL);
  // The char code is formatted with the default locale's grouping: "65,279" or "65.279".
  private static final Pattern UNEXPECTED_CHAR = Pattern.compile(
      "Unexpected char (-?[\\d,.'\\s\\u00a0\\u202f]+) at \\(.*?\\)(?:, expecting '(.)')?",
      Pattern.DOTALL);
  private static final Set<String> VALUE_TOKENS =
      Set.of("CURLYOPEN", "SQUAREOPEN", "STRING", "NUMBER", "TRUE", "FALSE", "NULL");

  private final int maxDepth;
  private final JsonProvider provider;
  private final JsonParserFactory parsers;
  private final JsonBuilderFactory builders;

  /** @param maxDepth the deepest nesting accepted; {@code [1]} and {@code {}} are depth 1 */
  public StrictJson(int maxDepth) {
    if (maxDepth < 1) {
      throw new IllegalArgumentException("maxDepth must be at least 1, got " + maxDepth);
    }
    this.maxDepth = maxDepth;
    this.provider = JsonProvider.provider();
    // Parsson's own limits sit just above ours, so ours always speak first with our message
    // (its depth limit throws a bare RuntimeException). Its count of characters read (15
    // million by default) is lifted: the body size limit is what bounds the text.
    int aboveOurs = maxDepth > Integer.MAX_VALUE - 2 ? Integer.MAX_VALUE : maxDepth + 2;
    this.parsers = provider.createParserFactory(Map.of(
        "org.eclipse.parsson.maxDepth", aboveOurs,
        "org.eclipse.parsson.maxBigDecimalLength", MAX_NUMBER_LENGTH,
        "org.eclipse.parsson.maxParsingLimit", Integer.MAX_VALUE));
    this.builders = provider.createBuilderFactory(Map.of());
  }

  public int maxDepth() {
    return maxDepth;
  }

  /**
   * The tree of a JSON text.
   *
   * @throws Violation when the text is not one I-JSON value within the limits
   */
  public JsonValue parse(String text) {
    return read(text, true);
  }

  /**
   * Checks a text by the same rules as {@link #parse} without building the tree: no values are
   * created, only member names are kept (per object, to find duplicates).
   *
   * @throws Violation when the text is not one I-JSON value within the limits
   */
  public void check(String text) {
    read(text, false);
  }

  private JsonValue read(String text, boolean keep) {
    try (JsonParser p = parsers.createParser(new StringReader(text))) {
      Frame top = null;
      int depth = 0;
      JsonValue root = null;
      do {
        JsonParser.Event event;
        try {
          event = p.next();
        } catch (JsonParsingException e) {
          throw syntax(text, e, top);
        } catch (JsonException e) {
          throw malformed(text, text.length());
        }
        JsonValue value = null;
        switch (event) {
          case START_OBJECT, START_ARRAY -> {
            if (++depth > maxDepth) {
              throw new Violation("nested deeper than " + maxDepth + " levels", text,
                  offset(p) - 1);
            }
            top = new Frame(top, event == JsonParser.Event.START_OBJECT, keep, builders);
            continue;
          }
          case END_OBJECT, END_ARRAY -> {
            depth--;
            value = keep ? top.build() : null;
            top = top.parent;
          }
          case KEY_NAME -> {
            String name = p.getString();
            checkCodePoints(name, "a member name", text, p);
            if (!top.name(name)) {
              throw new Violation("duplicate member name '" + Describe.text(name) + "'", text,
                  stringStart(text, offset(p)));
            }
            continue;
          }
          case VALUE_STRING -> {
            String s = p.getString();
            checkCodePoints(s, "a string", text, p);
            value = keep ? provider.createValue(s) : null;
          }
          case VALUE_NUMBER -> value = number(p, text, keep);
          case VALUE_TRUE -> value = JsonValue.TRUE;
          case VALUE_FALSE -> value = JsonValue.FALSE;
          case VALUE_NULL -> value = JsonValue.NULL;
          default -> throw malformed(text, offset(p));
        }
        if (top == null) {
          root = value;
        } else if (keep) {
          top.add(value);
        }
      } while (top != null);
      checkEnd(text, p);
      return root;
    }
  }

  /** After the value only whitespace may follow: RFC 8259 has one value per text. */
  private static void checkEnd(String text, JsonParser p) {
    long end = offset(p);
    try {
      if (!p.hasNext()) {
        return;
      }
    } catch (JsonException e) {
      // Parsson found a token or a character that is not the end: reported below
    }
    // Our own position: the first character after the value that is not JSON whitespace.
    int at = (int) clamp(end, text);
    while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    throw new Violation("unexpected content after the JSON value", text, at);
  }

  private static JsonValue number(JsonParser p, String text, boolean keep) {
    try {
      // Parsson makes small integers ints and longs, everything else an exact BigDecimal.
      JsonValue n = p.getValue();
      return keep ? n : null;
    } catch (NumberFormatException | ArithmeticException | UnsupportedOperationException e) {
      String literal = p.getString();
      int start = (int) Math.max(0, offset(p) - literal.length());
      throw new Violation(literal.length() > MAX_NUMBER_LENGTH
          ? "a number longer than " + MAX_NUMBER_LENGTH + " characters"
          : "a number whose exponent is out of range", text, start);
    }
  }

  /**
   * RFC 7493 section 2.1: no surrogate code points (only whole pairs) and no noncharacters.
   * Strings decoded from valid UTF-8 can only get a lone surrogate from a {@code \\u} escape,
   * but a caller may hand any Java string in, so every char is looked at.
   */
  private static void checkCodePoints(String s, String what, String text, JsonParser p) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < '\ud800') {
        continue; // the common case: nothing below U+D800 is a surrogate or a noncharacter
      }
      int cp = c;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          cp = Character.toCodePoint(c, s.charAt(++i));
        } else {
          throw badCodePoint("an unpaired surrogate " + Describe.codeUnit(c), what, text, p);
        }
      } else if (Character.isLowSurrogate(c)) {
        throw badCodePoint("an unpaired surrogate " + Describe.codeUnit(c), what, text, p);
      }
      if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) {
        throw badCodePoint("the noncharacter " + Describe.codePoint(cp), what, text, p);
      }
    }
  }

  private static Violation badCodePoint(String found, String what, String text, JsonParser p) {
    return new Violation(what + " holds " + found, text, stringStart(text, offset(p)));
  }

  /** Parsson's messages, said again in the client's terms with our own position. */
  private static Violation syntax(String text, JsonParsingException e, Frame top) {
    long at = e.getLocation() == null ? -1 : e.getLocation().getStreamOffset();
    String m = e.getMessage() == null ? "" : e.getMessage();
    Matcher token = INVALID_TOKEN.matcher(m);
    if (token.matches()) {
      String expected = expected(List.of(token.group(2).split(",\\s*")), top);
      if (token.group(1).equals("EOF")) {
        return new Violation("unexpected end of input", expected, text, text.length());
      }
      return new Violation("unexpected " + found(token.group(1)), expected, text,
          clamp(at, text));
    }
    Matcher ch = UNEXPECTED_CHAR.matcher(m);
    if (ch.matches()) {
      String digits = ch.group(1).replaceAll("[^\\d-]", "");
      int c = digits.isEmpty() || digits.length() > 7 ? 0 : Integer.parseInt(digits);
      String expected = ch.group(2) == null ? null : "'" + ch.group(2) + "'";
      if (c < 0) {
        return new Violation("unexpected end of input", expected, text, text.length());
      }
      if (c == 0xfeff && at == 0) {
        return new Violation("a byte order mark (U+FEFF) is not allowed", text, 0);
      }
      return new Violation("unexpected character " + Describe.character(c), expected, text,
          clamp(at, text));
    }
    return malformed(text, clamp(at, text));
  }

  private static Violation malformed(String text, long offset) {
    return new Violation("malformed JSON", text, clamp(offset, text));
  }

  /**
   * What the parser wanted, from its list of tokens. After a value Parsson lists only ','
   * (or ',' and '}' at the end of the text, inside arrays too), so the closing bracket is taken
   * from the container we are in.
   */
  private static String expected(List<String> tokens, Frame top) {
    if (tokens.contains("COMMA")) {
      return top == null ? null : top.isObject ? "',' or '}'" : "',' or ']'";
    }
    boolean value = tokens.containsAll(VALUE_TOKENS);
    boolean name = !value && tokens.contains("STRING");
    List<String> what = new java.util.ArrayList<>();
    if (value) {
      what.add("a value");
    } else if (name) {
      what.add("a member name");
    }
    for (String t : tokens) {
      if (!VALUE_TOKENS.contains(t) && !t.isBlank() && !(name && t.equals("STRING"))) {
        what.add(tokenName(t));
      }
    }
    if (what.isEmpty()) {
      return null;
    }
    return what.size() == 1 ? what.get(0)
        : String.join(", ", what.subList(0, what.size() - 1)) + " or " + what.get(what.size() - 1);
  }

  /** A token as the thing that was found ("unexpected string"). */
  private static String found(String token) {
    return switch (token) {
      case "STRING" -> "string";
      case "NUMBER" -> "number";
      default -> tokenName(token);
    };
  }

  private static String tokenName(String token) {
    return switch (token) {
      case "CURLYOPEN" -> "'{'";
      case "CURLYCLOSE" -> "'}'";
      case "SQUAREOPEN" -> "'['";
      case "SQUARECLOSE" -> "']'";
      case "COLON" -> "':'";
      case "COMMA" -> "','";
      case "STRING" -> "a string";
      case "NUMBER" -> "a number";
      case "TRUE" -> "true";
      case "FALSE" -> "false";
      case "NULL" -> "null";
      case "EOF" -> "the end of the text";
      default -> "a token";
    };
  }

  /** Where the parser stands: just after the last token it returned. */
  private static long offset(JsonParser p) {
    return p.getLocation().getStreamOffset();
  }

  private static long clamp(long offset, String text) {
    return Math.max(0, Math.min(offset, text.length()));
  }

  /**
   * The opening quote of the string token that ends just before {@code end}: the nearest quote
   * going back that is not escaped (preceded by an even number of backslashes).
   */
  private static long stringStart(String text, long end) {
    for (int i = (int) Math.min(end, text.length()) - 2; i >= 0; i--) {
      if (text.charAt(i) == '"') {
        int backslashes = 0;
        for (int j = i - 1; j >= 0 && text.charAt(j) == '\\'; j--) {
          backslashes++;
        }
        if (backslashes % 2 == 0) {
          return i;
        }
      }
    }
    return clamp(end, text);
  }

  /** One open object or array: its builder (when the tree is kept) and its member names. */
  private static final class Frame {
    private static final int SMALL = 8;

    final Frame parent;
    private final JsonObjectBuilder object;
    private final JsonArrayBuilder array;
    private final boolean isObject;
    private String name;
    // Member names seen: a short array scanned linearly (most objects are small), a hash set
    // once there are more.
    private String[] names;
    private int count;
    private Set<String> many;

    Frame(Frame parent, boolean isObject, boolean keep, JsonBuilderFactory builders) {
      this.parent = parent;
      this.isObject = isObject;
      this.object = keep && isObject ? builders.createObjectBuilder() : null;
      this.array = keep && !isObject ? builders.createArrayBuilder() : null;
    }

    /** Records the next member name; false when the object already has it. */
    boolean name(String n) {
      name = n;
      if (many != null) {
        return many.add(n);
      }
      if (names == null) {
        names = new String[SMALL];
      }
      for (int i = 0; i < count; i++) {
        if (names[i].equals(n)) {
          return false;
        }
      }
      if (count < SMALL) {
        names[count++] = n;
        return true;
      }
      many = new HashSet<>(List.of(names));
      names = null;
      return many.add(n);
    }

    void add(JsonValue v) {
      if (isObject) {
        object.add(name, v);
      } else {
        array.add(v);
      }
    }

    JsonValue build() {
      return isObject ? object.build() : array.build();
    }
  }

  /**
   * Why a text was refused, written for a client: what was found, at which line and column
   * (both from 1; columns count UTF-16 code units), and what was expected where that is known.
   */
  public static final class Violation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long offset;
    private final long line;
    private final long column;

    Violation(String what, String text, long offset) {
      this(what, null, text, offset);
    }

    Violation(String what, String expected, String text, long offset) {
      this(what, expected, offset, Position.of(text, (int) offset));
    }

    private Violation(String what, String expected, long offset, Position at) {
      // No stack trace: this is an answer to a client, not a fault to debug.
      super(what + " at line " + at.line + ", column " + at.column
          + (expected == null ? "" : "; expected " + expected), null, false, false);
      this.offset = offset;
      this.line = at.line;
      this.column = at.column;
    }

    /** Where the problem is, in UTF-16 code units from the start of the text. */
    public long offset() {
      return offset;
    }

    public long line() {
      return line;
    }

    public long column() {
      return column;
    }
  }

  /** Line and column of an offset; counted only when a violation is reported. */
  private record Position(long line, long column) {
    static Position of(String text, int offset) {
      long line = 1;
      int lineStart = 0;
      for (int i = 0; i < offset && i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
          line++;
          lineStart = i + 1;
        }
      }
      return new Position(line, offset - lineStart + 1L);
    }
  }

  /** Client-safe renderings of what was found: printable ASCII as is, the rest as U+XXXX. */
  static final class Describe {
    private static final int MAX_TEXT = 64;

    private Describe() {}

    static String character(int c) {
      return c >= 0x21 && c <= 0x7e ? "'" + (char) c + "'" : codePoint(c);
    }

    static String codeUnit(char c) {
      return "\\u" + String.format(Locale.ROOT, "%04X", (int) c);
    }

    static String codePoint(int cp) {
      return String.format(Locale.ROOT, "U+%04X", cp);
    }

    /** A name or string from the request, shortened and with unprintable characters escaped. */
    static String text(String s) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < s.length(); i++) {
        if (b.length() >= MAX_TEXT) {
          return b.append("...").toString();
        }
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          b.append(c).append(s.charAt(++i)); // a whole pair: an emoji, say
        } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028'
            || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
            || (c >= '\u2066' && c <= '\u2069')) {
          // Control, lone surrogate, line separators and bidirectional overrides: a message
          // must not be able to reorder or break the text around it.
          b.append(codeUnit(c));
        } else {
          b.append(c);
        }
      }
      return b.toString();
    }

    /** A number as JSON-P prints it, shortened when it is long. */
    static String number(Object n) {
      String s = String.valueOf(n);
      return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "...";
    }
  }
}
