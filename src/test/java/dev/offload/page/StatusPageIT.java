package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/** A task's life as the people who run Offload watch it on the status page. */
class StatusPageIT extends BrowserTestBase {

  @Override
  protected Map<String, String> params() {
    // A failed attempt waits up to half an hour for the next (full jitter): time to watch it.
    return Map.of("offload.workers", "2",
        "offload.retry.base.millis", "1800000", "offload.retry.max.millis", "1800000");
  }

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
  void aTaskWaitingToRetryShowsItsNextAttemptTheLastErrorAndACountdown() {
    page.open();
    String id = page.submit("sleep", "{\"millis\": 100, \"failTimes\": 3}",
        Map.of("submit-attempts", "4"));
    try {
      // The back-off is random: wait for a next attempt at least 10 s away (every failed
      // attempt draws again), so the page can be watched while it waits.
      JsonObject waiting = page.waiting(Duration.ofSeconds(30)).until(d -> {
        JsonObject t = http.get("/api/tasks/" + id).json();
        boolean far = "pending".equals(t.getString("status")) && t.getInt("attempts") >= 1
            && Instant.parse(t.getString("nextAttemptAt")).isAfter(Instant.now().plusSeconds(10));
        return far ? t : null;
      });
      int failed = waiting.getInt("attempts");
      String next = "attempt " + (failed + 1) + " of 4 in ";
      page.waiting().until(d -> "retrying".equals(page.find("detail-status").getText())
          && page.find("detail-progress-message").getText().startsWith(next));

      assertThat(page.detailStatus()).isEqualTo("pending");
      assertThat(page.find("detail-progress").getAttribute("aria-valuenow"))
          .as("no stale bar of the failed attempt").isEqualTo("0");
      assertThat(page.find("detail-error-heading").getAttribute("textContent"))
          .isEqualTo("Last error (attempt " + failed + ")");
      assertThat(page.find("detail-error-message").getText())
          .isEqualTo("failing attempt " + failed + " of the first 3 as asked");
      assertThat(page.find("detail-attempts").getText()).isEqualTo(failed + " of at most 4");
      assertThat(page.find("detail-duration").getText()).as("no growing duration").isEqualTo("—");
      page.waitForRowStatus(id, "pending");
      WebElement row = page.row(id);
      assertThat(row.findElement(StatusPage.testId("task-status")).getText())
          .isEqualTo("retrying");
      assertThat(row.findElement(StatusPage.testId("task-progress"))
          .getAttribute("aria-valuenow")).isEqualTo("0");
      assertThat(row.findElement(StatusPage.testId("task-duration")).getText()).isEqualTo("—");
      assertThat(row.findElement(StatusPage.testId("task-progress-message")).getText())
          .startsWith(next);

      // The countdown counts down, second by second, without asking the server.
      String before = page.find("detail-progress-message").getText();
      String after = page.waiting(Duration.ofSeconds(5)).until(d -> {
        String now = page.find("detail-progress-message").getText();
        return now.equals(before) ? null : now;
      });
      assertThat(countdown(after, next)).isLessThan(countdown(before, next));
      long untilNext = Duration.between(Instant.now(),
          Instant.parse(waiting.getString("nextAttemptAt"))).toSeconds();
      assertThat(countdown(after, next)).isBetween(untilNext - 2, untilNext + 2);
      screenshot("retrying-countdown");
      assertNoConsoleErrors();
    } finally {
      http.delete("/api/tasks/" + id);
    }
  }

  /** The seconds a countdown shows: "9 s", "4m 05s" or "1h 02m". */
  private static long countdown(String message, String prefix) {
    String text = message.substring(prefix.length());
    Matcher m = Pattern.compile("(\\d+) s|(\\d+)m (\\d+)s|(\\d+)h (\\d+)m").matcher(text);
    assertThat(m.matches()).as("countdown '%s'", text).isTrue();
    if (m.group(1) != null) {
      return Long.parseLong(m.group(1));
    }
    if (m.group(2) != null) {
      return Long.parseLong(m.group(2)) * 60 + Long.parseLong(m.group(3));
    }
    return Long.parseLong(m.group(4)) * 3600 + Long.parseLong(m.group(5)) * 60;
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
