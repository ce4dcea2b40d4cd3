package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.offload.testing.JsonCorpus;
import dev.offload.testing.JsonCorpus.Case;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every case of the JSON corpus through StrictJson, alone and as a noop task's input. */
class StrictJsonCorpusTest {
  private static final JsonCorpus CORPUS = JsonCorpus.load();
  private static final int DEPTH =
      Integer.parseInt(CORPUS.setting("offload.json.depth.max"));
  private static final long LIMIT = Long.parseLong(CORPUS.setting("offload.body.max.bytes"));
  private final StrictJson strict = new StrictJson(DEPTH);

  @Test
  void theCorpusIsLargeAndCoversEveryCategory() {
    Map<String, Long> perCategory = CORPUS.cases().stream()
        .collect(Collectors.groupingBy(Case::category, TreeMap::new, Collectors.counting()));
    assertThat(CORPUS.cases()).hasSizeGreaterThanOrEqualTo(150);
    assertThat(perCategory).containsKeys("structure", "number", "string", "control",
        "surrogate", "nonchar", "encoding", "whitespace", "depth", "duplicate", "size", "task");
    assertThat(CORPUS.cases()).filteredOn(Case::json).isNotEmpty();
    assertThat(CORPUS.cases()).filteredOn(c -> !c.json()).isNotEmpty();
  }

  @TestFactory
  Stream<DynamicTest> eachCaseAloneGetsTheManifestsVerdict() {
    return CORPUS.cases().stream().map(c -> DynamicTest.dynamicTest(c.file(), () -> {
      String text = JsonCorpus.utf8(c.bytes());
      assertThat(verdict(text)).as("%s: StrictJson.parse accepts it", c).isEqualTo(c.json());
      if (text != null) {
        assertThat(checks(text)).as("%s: check agrees with parse", c).isEqualTo(c.json());
      }
      // The manifest agrees with itself: a body that is not JSON can only be a 400 (or 413).
      if (!c.json()) {
        assertThat(c.body()).as("%s: body status", c).isIn(400, 413);
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> eachCaseAsAnInputGetsTheManifestsVerdict() {
    return CORPUS.cases().stream().filter(c -> c.input() != 413).map(c ->
        DynamicTest.dynamicTest(c.file(), () -> {
          assertThat((long) c.asInput().length).as("%s: fits the limit", c)
              .isLessThanOrEqualTo(LIMIT);
          // Within the size limit a noop input is refused with 400 exactly when it is not
          // strict JSON: noop takes any value (and JSON null as no input: 422).
          boolean accepted = verdict(JsonCorpus.utf8(c.asInput()));
          assertThat(accepted).as("%s wrapped: StrictJson accepts it", c)
              .isEqualTo(c.input() != 400);
        }));
  }

  @TestFactory
  Stream<DynamicTest> everyRefusalIsWrittenForAClient() {
    return CORPUS.cases().stream().filter(c -> !c.json() && JsonCorpus.utf8(c.bytes()) != null)
        .map(c -> DynamicTest.dynamicTest(c.file(), () -> {
          StrictJson.Violation v = catchThrowableOfType(StrictJson.Violation.class,
              () -> strict.parse(JsonCorpus.utf8(c.bytes())));
          assertThat(v.getMessage()).as(c.toString())
              .matches("(?s).+ at line \\d+, column \\d+.*")
              .doesNotContainIgnoringCase("exception")
              .doesNotContain("token=", "CURLY", "SQUARE", "org.", "jakarta", "java.",
                  "parsson", "\tat ");
          assertThat(v.getStackTrace()).as("no stack trace is even made").isEmpty();
          assertThat(v.line()).isPositive();
          assertThat(v.column()).isPositive();
          assertThat(v.offset()).isBetween(0L, (long) JsonCorpus.utf8(c.bytes()).length());
        }));
  }

  private boolean verdict(String text) {
    if (text == null) {
      return false; // not UTF-8: the reader refuses it before any JSON is parsed
    }
    try {
      strict.parse(text);
      return true;
    } catch (StrictJson.Violation e) {
      return false;
    }
  }

  private boolean checks(String text) {
    try {
      strict.check(text);
      return true;
    } catch (StrictJson.Violation e) {
      return false;
    }
  }
}
