package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/** How the page keeps up: streams where they help, one list refresh per interval, polling. */
class StatusPageLiveIT extends BrowserTestBase {
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @Test
  void withServerSentEventsBlockedThePageStillFollowsTheTaskByPolling() {
    // Really block the streams in the browser's network stack, not by a flag the page reads.
    driver.executeCdpCommand("Network.enable", Map.of());
    driver.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/events*")));
    page.open();
    page.recordDetailStates();

    String id = page.submit("sleep", "{\"millis\": 5000}", Map.of());

    page.waitForDetailStatus("success");
    assertThat(page.liveMode()).isEqualTo("polling");
    assertThat(page.find("live-mode").getText()).contains("Polling");
    List<String> statuses = page.recordedStates().stream()
        .map(s -> (String) s.get("status")).distinct().toList();
    assertThat(statuses).as("a poll saw it running before it ended").contains("running");
    assertThat(statuses.get(statuses.size() - 1)).isEqualTo("success");
    page.waitForRowStatus(id, "success");
  }

  @Test
  void manyLiveTasksCostOneListRequestPerIntervalAndAFewStreams() {
    List<String> ids = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        ids.add(http.postJson("/api/tasks", "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}")
            .json().getString("id"));
      }
      page.open();
      page.waiting().until(d -> ids.stream().allMatch(id -> !d.findElements(
          By.cssSelector("[data-testid='task-row'][data-id='" + id + "']")).isEmpty()));
      // Watch at least three refresh intervals.
      page.waiting().until(d -> page.requests("/api/tasks\\?.*") >= 4);

      double elapsedMs = ((Number) page.script("return performance.now();")).doubleValue();
      long lists = page.requests("/api/tasks\\?.*");
      assertThat(lists).as("list refreshes in %.0f ms", elapsedMs)
          .isLessThanOrEqualTo((long) (elapsedMs / 2000) + 2);
      assertThat(page.requests("/api/tasks/" + UUID)).as("requests per row").isZero();
      int streams = Integer.parseInt(page.find("live-mode").getAttribute("data-streams"));
      assertThat(streams).as("open event streams").isBetween(1, 4);
      assertThat(page.liveMode()).isEqualTo("live");

      new Select(page.find("filter-status")).selectByValue("running");
      page.waiting().until(d -> page.findAll("task-row").size() == 2);
      assertThat(page.findAll("task-status")).allSatisfy(
          s -> assertThat(s.getText()).isEqualTo("running"));
      screenshot("many-live-tasks-running-filter");
    } finally {
      ids.forEach(id -> http.delete("/api/tasks/" + id));
    }
  }

  @Test
  void listPagesNewestFirstAndFiltersByType() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"i\":" + i + "}}")
          .json().getString("id"));
    }
    page.open();
    new Select(page.find("filter-type")).selectByValue("noop");
    new Select(page.find("page-size")).selectByValue("10");
    page.waiting().until(d -> page.findAll("task-row").size() == 10);
    assertThat(page.findAll("task-row").get(0).getAttribute("data-id")).isEqualTo(ids.get(11));
    assertThat(page.findAll("task-type")).allSatisfy(t -> assertThat(t.getText()).isEqualTo("noop"));
    assertThat(page.find("page-newer").isEnabled()).isFalse();

    page.find("page-older").click();
    page.waiting().until(d -> page.findAll("task-row").size() == 2);
    assertThat(page.find("page-label").getText()).isEqualTo("Page 2");
    assertThat(page.findAll("task-row").get(1).getAttribute("data-id")).isEqualTo(ids.get(0));
    page.waiting().until(d -> !page.find("page-older").isEnabled());

    page.find("page-newer").click();
    page.waiting().until(d -> page.findAll("task-row").size() == 10);
    assertThat(page.find("page-label").getText()).isEqualTo("Page 1");
    assertNoConsoleErrors();
  }
}
