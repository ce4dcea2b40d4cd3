package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StrictJsonTest {
  private final StrictJson strict = new StrictJson(8);

  private StrictJson.Violation refused(String text) {
    StrictJson.Violation v =
        catchThrowableOfType(StrictJson.Violation.class, () -> strict.parse(text));
    assertThat(v).as("refused: %s", text).isNotNull();
    assertThatThrownBy(() -> strict.check(text)).as("check refuses it too")
        .isInstanceOf(StrictJson.Violation.class).hasMessage(v.getMessage());
    return v;
  }

  @Test
  void buildsTheTreeWithNumbersExactlyAsWritten() {
    JsonObject o = strict.parse("{\"a\": [1, 2.50, 1e999999999, -0, 12345678901234567890123,"
        + " 9007199254740993, 1e-400], \"b\": {\"c\": \"d\", \"e\": null, \"f\": true}}")
        .asJsonObject();
    JsonArray a = o.getJsonArray("a");
    assertThat(a.getJsonNumber(0).bigDecimalValue()).isEqualTo(BigDecimal.ONE);
    assertThat(a.getJsonNumber(1).bigDecimalValue()).isEqualTo(new BigDecimal("2.50"));
    assertThat(a.getJsonNumber(2).bigDecimalValue()).isEqualTo(new BigDecimal("1e999999999"));
    assertThat(a.getJsonNumber(3).bigDecimalValue()).isEqualByComparingTo("0");
    assertThat(a.getJsonNumber(4).bigDecimalValue())
        .isEqualTo(new BigDecimal("12345678901234567890123"));
    assertThat(a.getJsonNumber(5).bigDecimalValue()).isEqualTo(new BigDecimal("9007199254740993"));
    assertThat(a.getJsonNumber(6).bigDecimalValue()).isEqualTo(new BigDecimal("1e-400"));
    assertThat(o.getJsonObject("b").getString("c")).isEqualTo("d");
    assertThat(o.getJsonObject("b").get("e")).isEqualTo(JsonValue.NULL);
    assertThat(o.getJsonObject("b").get("f")).isEqualTo(JsonValue.TRUE);
    assertThat(o.keySet()).containsExactly("a", "b");
  }

  @Test
  void topLevelScalarsAreValues() {
    assertThat(strict.parse("  \"x\"\n")).hasToString("\"x\"");
    assertThat(strict.parse("null")).isEqualTo(JsonValue.NULL);
    assertThat(((JsonNumber) strict.parse("7")).intValue()).isEqualTo(7);
  }

  @Test
  void onlyWhitespaceMayFollowTheValue() {
    assertThat(refused("{\"type\":\"noop\",\"input\":{}}}").getMessage())
        .isEqualTo("unexpected content after the JSON value at line 1, column 27");
    assertThat(refused("{\"type\":\"noop\",\"input\":{}} xyz").getMessage())
        .isEqualTo("unexpected content after the JSON value at line 1, column 28");
    assertThat(refused("[1]\n\n  ,").getMessage())
        .isEqualTo("unexpected content after the JSON value at line 3, column 3");
    assertThat(refused("1 2").column()).isEqualTo(3);
    assertThat(strict.parse("[1] \t\r\n")).isInstanceOf(JsonArray.class);
  }

  @Test
  void duplicateNamesAreRefusedAtAnyDepthAndPointAtTheSecond() {
    StrictJson.Violation v = refused("{\"a\":1,\"a\":2}");
    assertThat(v.getMessage()).isEqualTo("duplicate member name 'a' at line 1, column 8");
    assertThat(v.offset()).isEqualTo(7);
    assertThat(refused("[{\"x\":{\"b\":[{\"c\":1,\"c\":1}]}}]").getMessage())
        .startsWith("duplicate member name 'c'");
    // Escapes are undone before names are compared.
    assertThat(refused("{\"a\":1,\"\\u0061\":2}").getMessage()).contains("'a'", "column 8");
    // A name with an escaped quote: the position is its opening quote.
    assertThat(refused("{\"x\\\"y\":1,\n \"x\\\"y\":2}").getMessage())
        .isEqualTo("duplicate member name 'x\"y' at line 2, column 2");
    // Past the short list of names, the hash set takes over.
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 50; i++) {
      many.append("\"k").append(i).append("\":").append(i).append(',');
    }
    assertThat(strict.parse(many.substring(0, many.length() - 1) + "}").asJsonObject())
        .hasSize(50);
    assertThat(refused(many + "\"k49\":0}").getMessage()).contains("'k49'");
    assertThat(refused(many + "\"k3\":0}").getMessage()).contains("'k3'");
  }

  @Test
  void theSameNameInDifferentObjectsIsFine() {
    assertThat(strict.parse("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}"))
        .isInstanceOf(JsonObject.class);
    assertThat(strict.parse("{\"a\":1,\"A\":2}").asJsonObject()).hasSize(2);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"\\ud800\"                 | a string holds an unpaired surrogate \\uD800 at line 1, column 1",
      "[0, \"ok\\udc00\"]          | a string holds an unpaired surrogate \\uDC00 at line 1, column 5",
      "\"\\ude00\\ud83d\"          | an unpaired surrogate \\uDE00",
      "\"\\ud83d\\ud83d\"          | an unpaired surrogate \\uD83D",
      "{\"\\udbff\":1}             | a member name holds an unpaired surrogate \\uDBFF at line 1, column 2",
      "\"\\ufffe\"                 | a string holds the noncharacter U+FFFE",
      "\"\\ufdd0\"                 | the noncharacter U+FDD0",
      "\"\\udbff\\udfff\"          | the noncharacter U+10FFFF",
  })
  void unpairedSurrogatesAndNoncharactersAreRefused(String text, String message) {
    assertThat(refused(text.trim()).getMessage()).contains(message.trim());
  }

  @Test
  void wholeSurrogatePairsAndTheCharactersAroundTheForbiddenOnesAreFine() {
    assertThat(strict.parse("\"\\ud83d\\ude00 \uD83D\uDE00\"").toString()).contains("😀 😀");
    assertThat(strict.parse("[\"\\ufdcf\", \"\\ufdf0\", \"\\ufffd\", \"\\udbff\\udffd\", "
        + "\"\\u0000\"]").asJsonArray()).hasSize(5);
  }

  @Test
  void aJavaStringWithARawLoneSurrogateIsRefusedToo() {
    // Not from a request body (UTF-8 cannot hold one), but from a Java caller of the engine.
    assertThat(refused("\"a\uD800b\"").getMessage()).contains("unpaired surrogate \\uD800");
  }

  @Test
  void depthIsCountedAtTheBracketAndOnlyOutsideStrings() {
    assertThat(strict.parse("[".repeat(8) + "]".repeat(8))).isInstanceOf(JsonArray.class);
    StrictJson.Violation v = refused("{\"a\":" + "[".repeat(8) + "]".repeat(8) + "}");
    assertThat(v.getMessage()).isEqualTo("nested deeper than 8 levels at line 1, column 13");
    assertThat(strict.parse("[\"" + "[{".repeat(50) + "\"]")).isInstanceOf(JsonArray.class);
  }

  @Test
  void aHostileDepthIsRefusedWithoutRecursion() {
    // A million brackets: refused at level 9, whatever follows.
    StrictJson.Violation v = refused("[".repeat(1_000_000));
    assertThat(v.getMessage()).startsWith("nested deeper than 8 levels");
    assertThat(v.offset()).isEqualTo(8);
    // With a high limit the tree is still built by a loop, not by recursion.
    StrictJson deep = new StrictJson(100_000);
    JsonValue tree = deep.parse("[".repeat(100_000) + "]".repeat(100_000));
    assertThat(tree).isInstanceOf(JsonArray.class);
  }

  @Test
  void theTextsLengthIsTheCallersToLimit() {
    // Parsson stops after 15 million characters of strings and numbers by default ("malformed
    // JSON" it would be here); the body limit is what bounds a text.
    String text = "\"" + "a".repeat(16_000_000) + "\"";
    strict.check(text);
    assertThat(strict.parse("[" + text + "]").asJsonArray().getString(0)).hasSize(16_000_000);
  }

  @Test
  void numbersAreCappedInLengthAndExponent() {
    assertThat(strict.parse("9".repeat(StrictJson.MAX_NUMBER_LENGTH)))
        .isInstanceOf(JsonNumber.class);
    assertThat(refused("[1, " + "9".repeat(StrictJson.MAX_NUMBER_LENGTH + 1) + "]").getMessage())
        .isEqualTo("a number longer than 1100 characters at line 1, column 5");
    assertThat(refused("{\"n\": 1e9999999999}").getMessage())
        .isEqualTo("a number whose exponent is out of range at line 1, column 7");
    assertThat(refused("-1e-99999999999").getMessage()).contains("exponent is out of range");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                  | unexpected end of input at line 1, column 1; expected a value",
      "'{\"a\":1'          | unexpected end of input at line 1, column 7; expected ',' or '}'",
      "'[1,2'              | unexpected end of input at line 1, column 5; expected ',' or ']'",
      "'[1 2]'             | unexpected number at line 1, column 4; expected ',' or ']'",
      "'{\"a\":1 \"b\":2}' | unexpected string at line 1, column 10; expected ',' or '}'",
      "'{\"a\" 1}'         | unexpected number at line 1, column 6; expected ':'",
      "'{\"a\":1,}'        | unexpected '}' at line 1, column 8; expected a member name",
      "'{'                 | unexpected end of input at line 1, column 2; expected a member name or '}'",
      "'[1,]'              | unexpected ']' at line 1, column 4; expected a value",
      "'tru'               | unexpected end of input at line 1, column 4; expected 'e'",
      "'\"a\\x\"'          | unexpected character 'x' at line 1, column 4",
      "'NaN'               | unexpected character 'N' at line 1, column 1",
      "'{''a'':1}'         | unexpected character ''' at line 1, column 2",
      "'01'                | unexpected content after the JSON value at line 1, column 2",
  })
  void syntaxErrorsSayWhatWasFoundWhereAndWhatWasExpected(String text, String message) {
    assertThat(refused(text).getMessage()).isEqualTo(message.trim());
  }

  @Test
  void positionsCountLinesAndColumnsFromOne() {
    StrictJson.Violation v = refused("{\r\n  \"a\": [1,\n   2,,]}");
    assertThat(v.getMessage()).isEqualTo("unexpected ',' at line 3, column 6; expected a value");
    assertThat(v.line()).isEqualTo(3);
    assertThat(v.column()).isEqualTo(6);
    assertThat(v.offset()).isEqualTo(19);
  }

  @Test
  void unprintableCharactersAreNamedNotShown() {
    assertThat(refused("\"a\tb\"").getMessage())
        .isEqualTo("unexpected character U+0009 at line 1, column 3");
    assertThat(refused("\uFEFF{}").getMessage())
        .isEqualTo("a byte order mark (U+FEFF) is not allowed at line 1, column 1");
    assertThat(refused("[1,\u00a02]").getMessage()).contains("U+00A0");
    assertThat(refused("{\"a\u202eb\":1,\"a\u202eb\":2}").getMessage())
        .contains("'a\\u202Eb'");
  }

  @Test
  void messagesDoNotDependOnTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try {
      Locale.setDefault(Locale.GERMANY); // Parsson formats char codes with grouping: 65.279
      assertThat(refused("[1,\uFEFF2]").getMessage())
          .isEqualTo("unexpected character U+FEFF at line 1, column 4");
      Locale.setDefault(Locale.US);
      assertThat(refused("[1,\u30002]").getMessage())
          .isEqualTo("unexpected character U+3000 at line 1, column 4");
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void checkAcceptsWhatParseAcceptsWithoutBuildingIt() {
    strict.check("{\"a\":[1,2.5,{\"b\":\"\\ud83d\\ude00\"}],\"c\":null}");
  }

  @Test
  void aDepthBelowOneIsAProgrammingError() {
    assertThatThrownBy(() -> new StrictJson(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
