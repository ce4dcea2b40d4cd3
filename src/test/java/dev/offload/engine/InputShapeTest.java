package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbCreator;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbTransient;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputShapeTest {
  private final InputShape shape = new InputShape();
  private final StrictJson json = new StrictJson(64);

  public record Ints(byte b, short s, int i, long l, Byte bb, Short bs, Integer bi, Long bl,
      BigInteger big, OptionalInt oi) {}

  public record Floats(float f, double d, Float bf, Double bd, BigDecimal dec, Number num) {}

  public enum Priority { HIGH, NORMAL, LOW }

  public record Scalars(boolean flag, Boolean maybe, String name, char c, Character bc,
      Priority priority, java.util.UUID id, java.time.Instant at) {}

  public record Renamed(@JsonbProperty("full-name") String name, @JsonbTransient String secret,
      int plain) {}

  public record Inner(int n) {}

  public record Outer(Inner inner, List<Inner> inners) {}

  public record Containers(List<Integer> list, Set<String> set, Collection<Long> coll,
      int[] ints, String[] strings, Map<String, Integer> map, Optional<Integer> opt,
      @SuppressWarnings("rawtypes") List raw, List<List<Integer>> nested) {}

  public record Trees(JsonValue any, JsonObject obj, JsonArray arr, JsonString str,
      JsonNumber num, Object object) {}

  public record Node(String name, List<Node> children) {}

  public record Box<T>(T value) {}

  public record Boxes(Box<Integer> ints, List<Box<String>> strings) {}

  /** A plain class: public fields and setters, with JSON-B's annotations. */
  public static class Bean {
    public int count;
    public static int ignoredStatic;
    public final int ignoredFinal = 1;
    public transient int ignoredTransient;
    @JsonbTransient public String hidden;
    private String label;
    private long size;

    public void setLabel(String label) {
      this.label = label;
    }

    public String getLabel() {
      return label;
    }

    @JsonbProperty("byte-size")
    public void setSize(long size) {
      this.size = size;
    }

    public long getSize() {
      return size;
    }
  }

  /** A class bound through its creator. */
  public static final class Made {
    final String a;
    final Integer b;

    @JsonbCreator
    public Made(@JsonbProperty("a") String a, @JsonbProperty("b") Integer b) {
      this.a = a;
      this.b = b;
    }
  }

  private InputShape.Mismatch refused(Type type, String text) {
    InputShape.Mismatch m = catchThrowableOfType(InputShape.Mismatch.class,
        () -> shape.check(type, json.parse(text), "input"));
    assertThat(m).as("%s refused for %s", text, type).isNotNull();
    return m;
  }

  private void accepted(Type type, String text) {
    assertThatCode(() -> shape.check(type, json.parse(text), "input"))
        .as("%s accepted for %s", text, type).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"i\":4294967297}   | 'input.i' must be a whole number between -2147483648 and 2147483647, got 4294967297",
      "{\"i\":1.9}          | 'input.i' must be a whole number, got 1.9",
      "{\"i\":1.0}          | 'input.i' must be a whole number written without a fraction or exponent, got 1.0",
      "{\"i\":1e2}          | 'input.i' must be a whole number written without a fraction or exponent, got 1E+2",
      "{\"i\":\"12\"}       | 'input.i' must be a whole number between -2147483648 and 2147483647, got a string",
      "{\"i\":null}         | 'input.i' must be a whole number between -2147483648 and 2147483647, got null",
      "{\"b\":128}          | 'input.b' must be a whole number between -128 and 127, got 128",
      "{\"bb\":-129}        | 'input.bb' must be a whole number between -128 and 127, got -129",
      "{\"s\":32768}        | 'input.s' must be a whole number between -32768 and 32767, got 32768",
      "{\"l\":1e999999999}  | 'input.l' must be a whole number between -9223372036854775808 and 9223372036854775807, got 1E+999999999",
      "{\"bl\":-9223372036854775809} | got -9223372036854775809",
      "{\"l\":1e-999999999} | 'input.l' must be a whole number, got 1E-999999999",
      "{\"big\":1e5}        | 'input.big' must be a whole number written without a fraction or exponent, got 1E+5",
      "{\"big\":0.5}        | 'input.big' must be a whole number, got 0.5",
      "{\"big\":true}       | 'input.big' must be a whole number, got true",
      "{\"oi\":2147483648}  | 'input.oi' must be a whole number between -2147483648 and 2147483647",
  })
  void wholeNumbersAreExactAndInRange(String text, String message) {
    assertThat(refused(Ints.class, text).getMessage()).contains(message.trim());
  }

  @Test
  void wholeNumbersThatFitAreAcceptedAndNullIsFineForBoxes() {
    accepted(Ints.class, "{\"b\":-128,\"s\":32767,\"i\":-2147483648,\"l\":9223372036854775807,"
        + "\"bb\":null,\"bs\":null,\"bi\":null,\"bl\":-0,\"big\":" + "9".repeat(1000)
        + ",\"oi\":null}");
    accepted(Ints.class, "{}"); // absent members: the handler's validate decides
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"d\":1e999999999}  | 'input.d' must be a finite number within the range of a double, got 1E+999999999",
      "{\"bd\":-1.8e308}    | 'input.bd' must be a finite number within the range of a double, got -1.8E+308",
      "{\"f\":1e39}         | 'input.f' must be a finite number within the range of a float, got 1E+39",
      "{\"d\":1e-400}       | 'input.d' must be 0 or a number of at least 4.9E-324 in magnitude (a double would make it 0), got 1E-400",
      "{\"bf\":1e-50}       | 'input.bf' must be 0 or a number of at least 1.4E-45 in magnitude (a float would make it 0), got 1E-50",
      "{\"d\":\"NaN\"}      | 'input.d' must be a number, got a string",
      "{\"f\":null}         | 'input.f' must be a finite number within the range of a float, got null",
      "{\"dec\":\"1\"}      | 'input.dec' must be a number, got a string",
      "{\"num\":[1]}        | 'input.num' must be a number, got an array",
  })
  void floatingNumbersAreFiniteAndDoNotVanish(String text, String message) {
    assertThat(refused(Floats.class, text).getMessage()).isEqualTo(message.trim());
  }

  @Test
  void floatingNumbersInRangeAndDecimalsOfAnySizeAreAccepted() {
    accepted(Floats.class, "{\"f\":3.4e38,\"d\":1.7976931348623157e308,\"bf\":-0,\"bd\":0.0,"
        + "\"dec\":1e999999999,\"num\":-1e-999999999}");
    accepted(Floats.class, "{\"d\":4.9e-324,\"f\":0.1,\"bd\":null,\"dec\":null}");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"flag\":\"true\"}  | 'input.flag' must be true or false, got a string",
      "{\"flag\":null}      | 'input.flag' must be true or false, got null",
      "{\"maybe\":1}        | 'input.maybe' must be true or false, got a number",
      "{\"name\":12}        | 'input.name' must be a string, got a number",
      "{\"name\":{}}        | 'input.name' must be a string, got an object",
      "{\"c\":\"ab\"}       | 'input.c' must be a string of one character, got a string of 2 characters",
      "{\"bc\":\"\"}        | 'input.bc' must be a string of one character, got a string of 0 characters",
      "{\"c\":null}         | 'input.c' must be a string of one character, got null",
      "{\"priority\":\"high\"} | 'input.priority' must be one of HIGH, NORMAL, LOW, got 'high'",
      "{\"priority\":1}     | 'input.priority' must be one of HIGH, NORMAL, LOW, got a number",
      "{\"id\":1}           | 'input.id' must be a string, got a number",
      "{\"at\":false}       | 'input.at' must be a string, got false",
  })
  void scalarsMustBeOfTheirKind(String text, String message) {
    assertThat(refused(Scalars.class, text).getMessage()).isEqualTo(message.trim());
  }

  @Test
  void scalarsOfTheirKindAreAccepted() {
    accepted(Scalars.class, "{\"flag\":false,\"maybe\":null,\"name\":\"\",\"c\":\"x\","
        + "\"bc\":null,\"priority\":\"LOW\",\"id\":\"7b6e4c1e-0000-4000-8000-000000000000\","
        + "\"at\":\"2026-01-01T00:00:00Z\"}");
  }

  @Test
  void recordMembersAreTheirJsonbNames() {
    accepted(Renamed.class, "{\"full-name\":\"Ada\",\"plain\":1}");
    InputShape.Mismatch m = refused(Renamed.class, "{\"full-name\":\"Ada\",\"name\":\"x\"}");
    assertThat(m.getMessage())
        .isEqualTo("unknown field 'input.name'; known fields: full-name, plain");
    assertThat(m.path()).isEqualTo("input.name");
    assertThat(refused(Renamed.class, "{\"secret\":\"s\"}").getMessage())
        .as("a transient component is not a field").startsWith("unknown field 'input.secret'");
    assertThat(refused(Renamed.class, "{\"full-name\":1}").getMessage())
        .isEqualTo("'input[\"full-name\"]' must be a string, got a number");
  }

  @Test
  void pathsNameNestedMembersElementsAndMapKeys() {
    assertThat(refused(Outer.class, "{\"inner\":{\"n\":1.5}}").getMessage())
        .isEqualTo("'input.inner.n' must be a whole number, got 1.5");
    assertThat(refused(Outer.class, "{\"inners\":[{\"n\":1},{\"m\":1}]}").getMessage())
        .isEqualTo("unknown field 'input.inners[1].m'; known fields: n");
    assertThat(refused(Outer.class, "{\"inner\":[]}").getMessage())
        .isEqualTo("'input.inner' must be an object, got an array");
    assertThat(refused(Outer.class, "[]").getMessage())
        .isEqualTo("'input' must be an object, got an array");
    assertThat(refused(Containers.class, "{\"map\":{\"ok\":1,\"a \\\"b\\\"\":\"x\"}}").path())
        .isEqualTo("input.map[\"a \\\"b\\\"\"]");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"list\":[1,2.5]}      | 'input.list[1]' must be a whole number, got 2.5",
      "{\"list\":{}}           | 'input.list' must be an array, got an object",
      "{\"set\":[\"a\",1]}     | 'input.set[1]' must be a string, got a number",
      "{\"coll\":[1e30]}       | 'input.coll[0]' must be a whole number between",
      "{\"ints\":[1,null]}     | 'input.ints[1]' must be a whole number between -2147483648 and 2147483647, got null",
      "{\"strings\":[\"a\",[]]} | 'input.strings[1]' must be a string, got an array",
      "{\"map\":{\"k\":\"v\"}} | 'input.map.k' must be a whole number between",
      "{\"map\":[]}            | 'input.map' must be an object, got an array",
      "{\"opt\":\"x\"}         | 'input.opt' must be a whole number between",
      "{\"raw\":{}}            | 'input.raw' must be an array, got an object",
      "{\"nested\":[[1],[1,\"2\"]]} | 'input.nested[1][1]' must be a whole number",
  })
  void containersCheckEveryElement(String text, String message) {
    assertThat(refused(Containers.class, text).getMessage()).startsWith(message.trim());
  }

  @Test
  void containersOfTheRightElementsAreAccepted() {
    accepted(Containers.class, "{\"list\":[1,null],\"set\":[],\"coll\":[9223372036854775807],"
        + "\"ints\":[0],\"strings\":[null,\"s\"],\"map\":{\"a\":1,\"\":null},\"opt\":null,"
        + "\"raw\":[1,\"x\",{}],\"nested\":[[],[1]]}");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"obj\":[]}  | 'input.obj' must be an object, got an array",
      "{\"arr\":{}}  | 'input.arr' must be an array, got an object",
      "{\"str\":1}   | 'input.str' must be a string, got a number",
      "{\"num\":\"1\"} | 'input.num' must be a number, got a string",
  })
  void jsonTreesAreCheckedForTheirKindOnly(String text, String message) {
    assertThat(refused(Trees.class, text).getMessage()).isEqualTo(message.trim());
  }

  @Test
  void jsonValueAndObjectTakeAnything() {
    accepted(Trees.class, "{\"any\":[1,{\"x\":null}],\"obj\":{\"a\":[]},\"arr\":[{}],"
        + "\"str\":\"s\",\"num\":1e999999999,\"object\":{\"deep\":[[[\"x\"]]]}}");
    accepted(Trees.class, "{\"any\":null,\"obj\":null,\"arr\":null,\"str\":null,\"num\":null}");
    accepted(JsonValue.class, "[1,\"x\",null]");
    accepted(Object.class, "\"anything\"");
    assertThat(refused(JsonObject.class, "[1]").getMessage())
        .isEqualTo("'input' must be an object, got an array");
  }

  @Test
  void recursiveRecordsAreFollowedAsDeepAsTheJsonGoes() {
    accepted(Node.class, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[]}]}");
    assertThat(refused(Node.class, "{\"name\":\"a\",\"children\":[{\"children\":"
        + "[{\"name\":\"c\"},{\"name\":7}]}]}").getMessage())
        .isEqualTo("'input.children[0].children[1].name' must be a string, got a number");
  }

  @Test
  void typeArgumentsAreResolvedThroughGenericRecords() {
    accepted(Boxes.class, "{\"ints\":{\"value\":1},\"strings\":[{\"value\":\"s\"}]}");
    assertThat(refused(Boxes.class, "{\"ints\":{\"value\":\"1\"}}").getMessage())
        .startsWith("'input.ints.value' must be a whole number between");
    assertThat(refused(Boxes.class, "{\"strings\":[{\"value\":1}]}").getMessage())
        .isEqualTo("'input.strings[0].value' must be a string, got a number");
    accepted(Box.class, "{\"value\":[\"unbound: anything\"]}");
  }

  @Test
  void plainClassesTakeTheirPublicFieldsSettersAndCreatorParameters() {
    accepted(Bean.class, "{\"count\":1,\"label\":\"x\",\"byte-size\":5}");
    assertThat(refused(Bean.class, "{\"count\":1.5}").getMessage())
        .isEqualTo("'input.count' must be a whole number, got 1.5");
    assertThat(refused(Bean.class, "{\"size\":1}").getMessage())
        .isEqualTo("unknown field 'input.size'; known fields: byte-size, count, label");
    for (String ignored : List.of("hidden", "ignoredStatic", "ignoredFinal", "ignoredTransient")) {
      assertThat(refused(Bean.class, "{\"" + ignored + "\":1}").getMessage())
          .startsWith("unknown field 'input." + ignored + "'");
    }
    accepted(Made.class, "{\"a\":\"x\",\"b\":2}");
    assertThat(refused(Made.class, "{\"b\":\"2\"}").getMessage())
        .startsWith("'input.b' must be a whole number between");
    assertThat(refused(Made.class, "{\"c\":1}").getMessage())
        .isEqualTo("unknown field 'input.c'; known fields: a, b");
  }

  @Test
  void absentIsFineAndNamesFromTheRequestAreMadeSafe() {
    assertThatCode(() -> shape.check(Ints.class, null, "input")).doesNotThrowAnyException();
    InputShape.Mismatch m = refused(Inner.class, "{\"a\\u0000\\u202eb\":1}");
    assertThat(m.getMessage()).isEqualTo(
        "unknown field 'input[\"a\\u0000\\u202Eb\"]'; known fields: n");
    assertThat(m.getStackTrace()).isEmpty();
  }

  @Test
  void whatTheShapeAcceptsJsonbBindsExactly() {
    // The check's names and rules agree with what Yasson binds: no narrowing is left to it.
    try (JsonCodec codec = new JsonCodec()) {
      String text = "{\"b\":-128,\"s\":32767,\"i\":-2147483648,\"l\":9223372036854775807,"
          + "\"bb\":1,\"bs\":2,\"bi\":3,\"bl\":4,\"big\":123456789012345678901234567890,"
          + "\"oi\":5}";
      Ints ints = codec.bindInput(Ints.class, text, json.parse(text), "input");
      assertThat(ints).isEqualTo(new Ints((byte) -128, (short) 32767, Integer.MIN_VALUE,
          Long.MAX_VALUE, (byte) 1, (short) 2, 3, 4L,
          new BigInteger("123456789012345678901234567890"), OptionalInt.of(5)));
      String renamed = "{\"full-name\":\"Ada\",\"plain\":7}";
      assertThat(codec.bindInput(Renamed.class, renamed, null, "input"))
          .isEqualTo(new Renamed("Ada", null, 7));
      Bean bean = codec.bindInput(Bean.class, "{\"count\":2,\"label\":\"l\",\"byte-size\":9}",
          null, "input");
      assertThat(bean.count).isEqualTo(2);
      assertThat(bean.getLabel()).isEqualTo("l");
      assertThat(bean.getSize()).isEqualTo(9);
      Made made = codec.bindInput(Made.class, "{\"a\":\"x\",\"b\":2}", null, "input");
      assertThat(made.a).isEqualTo("x");
      assertThat(made.b).isEqualTo(2);
      Floats floats = codec.bindInput(Floats.class, "{\"dec\":1e999999999,\"d\":0.1}", null,
          "input");
      assertThat(floats.dec()).isEqualTo(new BigDecimal("1e999999999"));
      assertThat(floats.d()).isEqualTo(0.1);
    }
  }

  @Test
  void theCodecRefusesBeforeJsonbAndHandsTreesOverAsTheyAre() {
    try (JsonCodec codec = new JsonCodec()) {
      JsonValue tree = json.parse("{\"a\":[1]}");
      assertThat(codec.bindInput(JsonValue.class, "{\"a\":[1]}", tree, "input")).isSameAs(tree);
      assertThat(codec.bindInput(JsonValue.class, null, null, "input")).isNull();
      // JSON null is a JSON value (JSON-B binds it as JsonValue.NULL too); to a record: none.
      assertThat(codec.bindInput(JsonValue.class, "null", JsonValue.NULL, "input"))
          .isSameAs(JsonValue.NULL);
      assertThat(codec.bindInput(Inner.class, "null", JsonValue.NULL, "input")).isNull();
      InputShape.Mismatch m = catchThrowableOfType(InputShape.Mismatch.class,
          () -> codec.bindInput(Ints.class, "{\"i\":4294967297}", null, "input"));
      assertThat(m.getMessage()).contains("'input.i'", "4294967297");
      StrictJson.Violation v = catchThrowableOfType(StrictJson.Violation.class,
          () -> codec.bindInput(Ints.class, "{\"i\":1,\"i\":2}", null, "input"));
      assertThat(v.getMessage()).startsWith("duplicate member name 'i'");
    }
  }
}
