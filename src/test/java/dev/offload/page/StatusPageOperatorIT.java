package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The operator's panel (charts of the last hour, figures per type, Cancel all pending…) and the
 * Retry action, for each role, signed in with BASIC against the container's realm.
 */
class StatusPageOperatorIT extends BrowserTestBase {
  private static final String PASSWORD = "secret-pw";
  private static final String[] COUNTS =
      {"submitted", "running", "succeeded", "failed", "canceled", "retried"};

  private final List<String[]> cleanup = new ArrayList<>(); // {owner, id}

  @Override
  protected void configure(EmbeddedOffload.Builder builder) {
    builder.user("alice", PASSWORD, "offload-user")
        .user("bob", PASSWORD, "offload-user")
        .user("vera", PASSWORD, "offload-viewer")
        .user("ada", PASSWORD, "offload-admin");
  }

  @AfterEach
  void cancelLeftovers() {
    cleanup.forEach(c -> as(c[0]).delete("/api/tasks/" + c[1]));
    cleanup.clear();
  }

  @Test
  void adminSeesTheLastHourAndEveryTypeExactlyAsApiStatsCountsThem() {
    for (int i = 0; i < 3; i++) {
      finished("alice", "{\"type\":\"noop\",\"input\":{\"n\":" + i + "}}");
    }
    for (int i = 0; i < 2; i++) {
      finished("bob", "{\"type\":\"sleep\",\"input\":{\"millis\":" + (40 + 60 * i)
          + ",\"failTimes\":1},\"maxAttempts\":1}");
    }
    String canceled = submit("bob", "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":3600}");
    as("bob").delete("/api/tasks/" + canceled);
    // The figures follow the tasks' ends a moment later.
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonObject stats = stats();
      return count(stats, "noop", "succeeded") >= 3 && count(stats, "sleep", "failed") >= 2
          && count(stats, "noop", "canceled") >= 1;
    });

    signIn("ada", PASSWORD);
    page.open();
    page.waiting().until(d -> page.find("ops").isDisplayed() && typesShown().containsKey("sleep"));
    // The page shows what api/stats says (read again until both saw the same moment).
    page.waiting().until(d -> typesShown().equals(typesExpected(stats())));
    JsonObject stats = stats();
    assertThat(typesShown()).isEqualTo(typesExpected(stats));
    assertThat(Long.parseLong(typesShown().get("sleep").get(3))).as("sleep failed")
        .isGreaterThanOrEqualTo(2);
    assertThat(typesShown().get("noop").get(6)).as("noop success rate").isEqualTo("100.0 %");

    // Both charts: drawn as SVG, named and described, their figures in a table beside them.
    page.waiting().until(d -> minutesShown().equals(minutesExpected(stats())));
    Map<String, List<String>> minutes = minutesShown();
    assertThat(minutes).isEqualTo(minutesExpected(stats()));
    assertThat(minutes).isNotEmpty();
    WebElement finishedChart = page.find("chart-finished");
    assertThat(finishedChart.getAttribute("role")).isEqualTo("img");
    assertThat(finishedChart.findElement(By.tagName("title")).getAttribute("textContent"))
        .contains("finished per minute");
    assertThat(finishedChart.findElements(By.cssSelector("g[data-minute]"))).as("bars")
        .hasSize(minutes.size());
    assertThat(finishedChart.findElements(By.cssSelector("rect.bar-failed"))).isNotEmpty();
    long succeeded = sum(stats(), "succeeded");
    assertThat(page.find("total-succeeded").getText()).isEqualTo(String.valueOf(succeeded));
    assertThat(page.find("chart-finished-desc").getAttribute("textContent"))
        .contains(succeeded + " tasks succeeded", sum(stats(), "failed") + " failed");
    WebElement runTimes = page.find("chart-runtime");
    assertThat(runTimes.findElement(By.cssSelector("path.line-p50")).getAttribute("d"))
        .startsWith("M");
    assertThat(runTimes.findElements(By.cssSelector("g.line-p95 circle")))
        .hasSize(page.find("chart-runtime-table").findElements(By.cssSelector("tbody tr")).size());
    assertThat(page.find("chart-runtime-desc").getAttribute("textContent"))
        .contains("median run time");

    // An admin's actions: the bulk cancel form, Retry on anyone's failed task.
    assertThat(page.find("bulk-form").isDisplayed()).isTrue();
    assertThat(new Select(page.find("bulk-type")).getOptions()).extracting(WebElement::getText)
        .contains("noop", "sleep");
    screenshot("operator-admin-figures");

    // The panel folds away, keeps the hour's totals in its heading, and stays folded.
    page.find("ops-toggle").click();
    page.waiting().until(d -> !page.find("chart-finished").isDisplayed());
    assertThat(page.find("ops-toggle").getAttribute("aria-expanded")).isEqualTo("false");
    assertThat(page.find("ops-glance").getText())
        .startsWith("last hour: " + succeeded + " succeeded");
    page.open();
    page.waiting().until(d -> page.find("ops-glance").getText().startsWith("last hour:"));
    assertThat(page.find("chart-finished").isDisplayed()).isFalse();
    page.find("ops-toggle").click();
    page.waiting().until(d -> page.find("chart-finished").isDisplayed()
        && !page.find("chart-finished").findElements(By.cssSelector("g[data-minute]")).isEmpty());
    assertNoConsoleErrors();
  }

  @Test
  void viewerSeesTheFiguresButNoAction() {
    String failed = finished("alice",
        "{\"type\":\"sleep\",\"input\":{\"millis\":1,\"failTimes\":1},\"maxAttempts\":1}");
    signIn("vera", PASSWORD);
    page.open();

    page.waiting().until(d -> page.find("ops").isDisplayed() && typesShown().containsKey("sleep"));
    assertThat(page.findAll("bulk-form")).as("bulk cancel for a viewer").isEmpty();
    assertThat(page.find("chart-finished").findElements(By.cssSelector("rect"))).isNotEmpty();

    page.waitForRowStatus(failed, "failed");
    page.openRow(failed);
    page.waitForDetailStatus("failed");
    assertThat(page.findAll("detail-retry")).as("Retry for a viewer").isEmpty();
    assertThat(page.findAll("detail-cancel")).isEmpty();
    screenshot("operator-viewer");
    assertNoConsoleErrors();
  }

  @Test
  void userGetsNoOperatorPanelAndNeverAsksForTheFigures() {
    String own = finished("alice", "{\"type\":\"noop\",\"input\":{}}");
    signIn("alice", PASSWORD);
    page.open();
    page.waitForRowStatus(own, "success");
    page.waiting().until(d -> page.requests("/api/tasks\\?.*") >= 2);

    assertThat(page.findAll("ops")).as("operator panel for a user").isEmpty();
    assertThat(page.findAll("bulk-form")).isEmpty();
    assertThat(page.requests("/api/stats")).isZero();
    assertThat(page.find("search-form").isDisplayed()).isTrue();
    screenshot("operator-user");

    // The task's link, loaded afresh by someone signed in, opens it.
    driver.get("about:blank");
    page.open("#task=" + own);
    page.waitForDetail(own);
    page.waitForDetailStatus("success");
    assertThat(page.find("detail-owner").getText()).isEqualTo("alice");
    assertNoConsoleErrors();
  }

  @Test
  void retryFromTheDetailPanelOpensTheNewTaskLinkedToTheFailedOne() {
    String failed = finished("alice",
        "{\"type\":\"sleep\",\"input\":{\"millis\":1,\"failTimes\":1},\"maxAttempts\":1}");
    String succeeded = finished("alice", "{\"type\":\"noop\",\"input\":2}");
    signIn("alice", PASSWORD);
    page.open();
    page.waitForRowStatus(succeeded, "success");
    page.openRow(succeeded);
    page.waitForDetailStatus("success");
    assertThat(page.find("detail-retry").isDisplayed()).as("Retry on a success").isFalse();

    page.waitForRowStatus(failed, "failed");
    page.openRow(failed);
    page.waitForDetailStatus("failed");
    page.waiting().until(d -> page.find("detail-retry").isDisplayed());
    page.find("detail-retry").click();

    page.waiting().until(d -> !failed.equals(page.find("detail").getAttribute("data-id")));
    String retry = page.find("detail").getAttribute("data-id");
    cleanup.add(new String[] {"alice", retry});
    page.waitForDetail(retry);
    JsonObject created = as("alice").get("/api/tasks/" + retry).json();
    assertThat(created.getString("retryOf")).isEqualTo(failed);
    assertThat(created.getString("owner")).isEqualTo("alice");
    WebElement link = page.find("detail-retry-of");
    page.waiting().until(d -> link.isDisplayed());
    assertThat(link.getText()).isEqualTo(failed.substring(0, 8));
    assertThat(page.find("detail-message").getText())
        .contains("retry of " + failed.substring(0, 8));
    assertThat((String) page.script("return location.hash;")).isEqualTo("#task=" + retry);
    page.waitForRowStatus(retry, "failed"); // failTimes 1 fails the first attempt of every task
    screenshot("operator-retry");

    // The link goes back to the original; so does the browser's Back from there.
    link.click();
    page.waitForDetail(failed);
    driver.navigate().back();
    page.waitForDetail(retry);
    assertNoConsoleErrors();
  }

  @Test
  void adminCancelsAllPendingTasksOfATypeAfterConfirmingTheCount() {
    List<String> bobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      bobs.add(submit("bob", "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\","
          + "\"iterations\":1},\"delaySeconds\":3600}"));
    }
    String alices = submit("alice", "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\","
        + "\"iterations\":1},\"delaySeconds\":3600}");
    String bobsNoop = submit("bob", "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":3600}");
    signIn("ada", PASSWORD);
    page.open();
    page.waiting().until(d -> page.find("bulk-type").findElements(By.tagName("option")).size() > 1);

    new Select(page.find("bulk-type")).selectByValue("pbkdf2");
    page.find("bulk-owner").sendKeys("bob");
    page.find("bulk-ask").click();
    WebElement confirm = page.waiting().until(d -> page.find("bulk-confirm").isDisplayed()
        ? page.find("bulk-confirm") : null);
    long counted = as("ada").postJson("/api/tasks/cancel",
        "{\"type\":\"pbkdf2\",\"owner\":\"bob\",\"dryRun\":true}").json().getInt("matched");
    assertThat(counted).isEqualTo(3);
    assertThat(page.find("bulk-question").getText()).isEqualTo("Cancel 3 pending tasks?");
    assertThat(confirm.getAttribute("data-count")).isEqualTo(String.valueOf(counted));
    assertThat(confirm.getText()).contains("pbkdf2", "bob");
    assertThat(driver.switchTo().activeElement().getAttribute("data-testid"))
        .as("the focus is on the safe choice").isEqualTo("bulk-keep");
    screenshot("operator-bulk-confirm");

    // Keep: nothing happens.
    page.find("bulk-keep").click();
    page.waiting().until(d -> !page.find("bulk-confirm").isDisplayed());
    assertThat(page.find("bulk-result").getText()).contains("Nothing was canceled");
    bobs.forEach(id -> assertThat(status("bob", id)).isEqualTo("pending"));

    // Ask again and confirm: exactly those three are canceled.
    page.find("bulk-ask").click();
    page.waiting().until(d -> page.find("bulk-confirm").isDisplayed());
    page.find("bulk-yes").click();
    WebElement done = page.waiting().until(d -> page.findAll("bulk-done").stream().findFirst()
        .orElse(null));
    assertThat(done.getAttribute("data-canceled")).isEqualTo("3");
    assertThat(done.getText()).isEqualTo("Canceled 3 pending tasks.");
    bobs.forEach(id -> assertThat(status("bob", id)).isEqualTo("canceled"));
    assertThat(status("alice", alices)).isEqualTo("pending");
    assertThat(status("bob", bobsNoop)).isEqualTo("pending");
    bobs.forEach(id -> page.waitForRowStatus(id, "canceled"));
    page.waitForRowStatus(alices, "pending");
    screenshot("operator-bulk-done");
    assertNoConsoleErrors();
  }

  /** Per type on the page: the counts, the success rate as shown, p50 and p95 in seconds. */
  private Map<String, List<String>> typesShown() {
    return readAgainIfRedrawn(this::readTypes);
  }

  /**
   * The live page redraws its tables every few seconds; a read that met a redraw (a row it held
   * was replaced) is made again on the new table, a few times at most.
   */
  private static <T> T readAgainIfRedrawn(java.util.function.Supplier<T> read) {
    for (int tries = 1; ; tries++) {
      try {
        return read.get();
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (tries == 5) {
          throw e;
        }
      }
    }
  }

  private Map<String, List<String>> readTypes() {
    Map<String, List<String>> shown = new LinkedHashMap<>();
    for (WebElement row : page.find("type-rows").findElements(By.tagName("tr"))) {
      List<String> values = new ArrayList<>();
      for (String count : COUNTS) {
        values.add(text(row, "type-" + count));
      }
      values.add(text(row, "type-successRate"));
      values.add(seconds(row.findElement(StatusPage.testId("type-p50"))
          .getAttribute("data-value")));
      values.add(seconds(row.findElement(StatusPage.testId("type-p95"))
          .getAttribute("data-value")));
      shown.put(row.getAttribute("data-type"), values);
    }
    return shown;
  }

  private static Map<String, List<String>> typesExpected(JsonObject stats) {
    Map<String, List<String>> expected = new LinkedHashMap<>();
    for (JsonValue v : stats.getJsonArray("types")) {
      JsonObject t = v.asJsonObject();
      List<String> values = new ArrayList<>();
      for (String count : COUNTS) {
        values.add(String.valueOf(t.getJsonNumber(count).longValue()));
      }
      values.add(t.isNull("successRate") ? "—"
          : String.format(Locale.ROOT, "%.1f %%",
              t.getJsonNumber("successRate").doubleValue() * 100));
      values.add(seconds(t.get("runTimeP50Seconds")));
      values.add(seconds(t.get("runTimeP95Seconds")));
      expected.put(t.getString("type"), values);
    }
    return expected;
  }

  /** Every minute with a task in the charts' tables: finished by status, p50 and p95. */
  private Map<String, List<String>> minutesShown() {
    return readAgainIfRedrawn(this::readMinutes);
  }

  private Map<String, List<String>> readMinutes() {
    Map<String, List<String>> shown = new LinkedHashMap<>();
    for (WebElement row : page.find("chart-finished-table").findElements(
        By.cssSelector("tbody tr"))) {
      shown.put(row.getAttribute("data-minute"), new ArrayList<>(List.of(
          text(row, "minute-succeeded"), text(row, "minute-failed"),
          text(row, "minute-canceled"))));
    }
    for (WebElement row : page.find("chart-runtime-table").findElements(
        By.cssSelector("tbody tr"))) {
      shown.computeIfAbsent(row.getAttribute("data-minute"), k -> new ArrayList<>(
          List.of("0", "0", "0"))).addAll(List.of(
          seconds(row.findElement(StatusPage.testId("minute-p50")).getAttribute("data-value")),
          seconds(row.findElement(StatusPage.testId("minute-p95")).getAttribute("data-value"))));
    }
    return shown;
  }

  private static Map<String, List<String>> minutesExpected(JsonObject stats) {
    Map<String, List<String>> expected = new LinkedHashMap<>();
    for (JsonValue v : stats.getJsonArray("minutes")) {
      JsonObject m = v.asJsonObject();
      long ok = m.getJsonNumber("succeeded").longValue();
      long bad = m.getJsonNumber("failed").longValue();
      long gone = m.getJsonNumber("canceled").longValue();
      boolean timed = !m.isNull("runTimeP50Seconds");
      if (ok + bad + gone == 0 && !timed) {
        continue;
      }
      List<String> values = new ArrayList<>(List.of(
          String.valueOf(ok), String.valueOf(bad), String.valueOf(gone)));
      if (timed) {
        values.add(seconds(m.get("runTimeP50Seconds")));
        values.add(seconds(m.get("runTimeP95Seconds")));
      }
      expected.put(m.getString("minute"), values);
    }
    return expected;
  }

  /** A number of seconds as the page and the API both mean it, whatever their spelling. */
  private static String seconds(String value) {
    return value == null || value.isEmpty() ? "null" : String.valueOf(Double.parseDouble(value));
  }

  private static String seconds(JsonValue value) {
    return value == null || value.getValueType() == JsonValue.ValueType.NULL ? "null"
        : String.valueOf(((JsonNumber) value).doubleValue());
  }

  private static String text(WebElement row, String testId) {
    return row.findElement(StatusPage.testId(testId)).getAttribute("textContent");
  }

  private JsonObject stats() {
    Http.Response r = as("ada").get("/api/stats");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  private static long count(JsonObject stats, String type, String field) {
    return stats.getJsonArray("types").stream().map(JsonValue::asJsonObject)
        .filter(t -> t.getString("type").equals(type))
        .mapToLong(t -> t.getJsonNumber(field).longValue()).sum();
  }

  private static long sum(JsonObject stats, String field) {
    return stats.getJsonArray("minutes").stream()
        .mapToLong(m -> m.asJsonObject().getJsonNumber(field).longValue()).sum();
  }

  private String status(String owner, String id) {
    return as(owner).get("/api/tasks/" + id).json().getString("status");
  }

  private Http as(String owner) {
    return http.withBasic(owner, PASSWORD);
  }

  /** Submits as {@code owner}; canceled after the test if still pending or running. */
  private String submit(String owner, String body) {
    Http.Response r = as(owner).postJson("/api/tasks", body);
    assertThat(r.status()).as("submit as %s: %s", owner, r).isEqualTo(202);
    String id = r.json().getString("id");
    cleanup.add(new String[] {owner, id});
    return id;
  }

  /** Submits as {@code owner} and waits for the task to end. */
  private String finished(String owner, String body) {
    Http.Response r = as(owner).postJson("/api/tasks", body, Map.of("Prefer", "wait=20"));
    assertThat(r.status()).as("submit as %s: %s", owner, r).isEqualTo(200);
    return r.json().getString("id");
  }
}
