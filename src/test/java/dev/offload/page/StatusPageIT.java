package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/** A task's life as the people who run Offload watch it on the status page. */
class StatusPageIT extends BrowserTestBase {

  @Test
  void sleepTaskIsWatchedFromPendingThroughRunningToSuccessWithMovingProgress() {
    page.open();
    page.recordDetailStates();

    // A one-second delay keeps it pending long enough to be seen as such.
    String id = page.submit("sleep", "{\"millis\": 3000}", Map.of("submit-delay", "1"));

    page.waitForDetailStatus("success");
    List<Map<String, Object>> states = page.recordedStates();
    assertThat(distinct(states.stream().map(s -> (String) s.get("status")).toList()))
        .as("statuses shown, in order: %s", states)
        .containsExactly("pending", "running", "success");
    List<Long> runningPercents = states.stream()
        .filter(s -> "running".equals(s.get("status")))
        .map(s -> ((Number) s.get("percent")).longValue())
        .toList();
    assertThat(runningPercents).as("progress while running: %s", states).isSorted();
    assertThat(runningPercents.stream().distinct().count())
        .as("the bar moves step by step (streamed), not once: %s", states)
        .isGreaterThanOrEqualTo(5);
    assertThat(page.find("detail-progress").getAttribute("aria-valuenow")).isEqualTo("100");
    assertThat(page.find("detail-result").getText()).contains("\"sleptMillis\": 3000");
    assertThat(page.find("detail-finished").getText()).matches("\\d{4}-\\d\\d-\\d\\d .*");
    assertThat(page.find("detail-cancel").isDisplayed()).isFalse();

    page.waitForRowStatus(id, "success");
    WebElement row = page.row(id);
    assertThat(row.getText()).contains(id.substring(0, 8), "sleep", "success", "1 / ");
    assertThat(page.liveMode()).isEqualTo("live");
    assertNoConsoleErrors();
  }

  @Test
  void runningTaskIsCanceledFromItsDetailPanel() {
    page.open();
    String id = page.submit("sleep", "{\"millis\": 60000}", Map.of());
    page.waitForDetailStatus("running");
    page.waiting().until(d -> page.find("detail-cancel").isDisplayed());
    screenshot("cancel-before");

    page.find("detail-cancel").click();

    page.waitForDetailStatus("canceled");
    assertThat(page.find("detail-message").getText()).contains("canceled");
    assertThat(page.find("detail-cancel").isDisplayed()).isFalse();
    page.waitForRowStatus(id, "canceled");
    assertThat(page.row(id).findElement(StatusPage.testId("task-status")).getText())
        .isEqualTo("canceled");
    assertThat(http.get("/api/tasks/" + id).json().getString("status")).isEqualTo("canceled");
    assertNoConsoleErrors();
  }

  @Test
  void failedTaskShowsItsErrorText() {
    page.open();
    String id = page.submit("sleep", "{\"millis\": 100, \"failTimes\": 1}",
        Map.of("submit-attempts", "1"));

    page.waitForDetailStatus("failed");
    assertThat(page.find("detail-error-type").getText()).isEqualTo("planned-failure");
    assertThat(page.find("detail-error-message").getText())
        .isEqualTo("failing attempt 1 of the first 1 as asked");
    assertThat(page.find("detail-attempts").getText()).isEqualTo("1 of at most 1");
    page.waitForRowStatus(id, "failed");
    assertNoConsoleErrors();
  }

  @Test
  void refusedSubmissionShowsTheServersProblemDetail() {
    page.open();
    page.fill("sleep", "{\"millis\": -5}", Map.of());
    page.find("submit-button").click();

    WebElement problem = page.waiting().until(d -> page.find("submit-result")
        .findElements(StatusPage.testId("problem")).stream().findFirst().orElse(null));
    String detail = http.postJson("/api/tasks", "{\"type\":\"sleep\",\"input\":{\"millis\":-5}}")
        .json().getString("detail");
    assertThat(problem.getText()).contains("(422)", detail);
    assertThat(page.find("detail").isDisplayed()).isFalse();

    // Not JSON at all: refused in the page before anything is sent.
    page.fill("noop", "{not json", Map.of());
    page.find("submit-button").click();
    page.waiting().until(d -> page.find("submit-result").getText().contains("not valid JSON"));
    assertThat(page.find("submit-input").getAttribute("aria-invalid")).isEqualTo("true");
  }

  private static List<String> distinct(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      if (out.isEmpty() || !out.get(out.size() - 1).equals(v)) {
        out.add(v);
      }
    }
    return out;
  }
}
