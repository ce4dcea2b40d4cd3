package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Rectangle;

/** A wide screen keeps the task list in view beside the detail panel. */
class StatusPageWideIT extends BrowserTestBase {

  @Override
  protected int[] windowSize() {
    return new int[] {1600, 1000};
  }

  @Test
  void wideWindowShowsTheListBesideTheOpenPanel() {
    List<String> ids = new ArrayList<>();
    try {
      for (String body : List.of(
          "{\"type\":\"noop\",\"input\":{\"hello\":\"world\"}}",
          "{\"type\":\"sleep\",\"input\":{\"millis\":100,\"failTimes\":1},\"maxAttempts\":1}",
          "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"secret\",\"iterations\":1000}}",
          "{\"type\":\"sleep\",\"input\":{\"millis\":60000},\"delaySeconds\":600}",
          "{\"type\":\"sleep\",\"input\":{\"millis\":60000},\"priority\":\"low\"}")) {
        ids.add(http.postJson("/api/tasks", body).json().getString("id"));
      }
      page.open();
      String id = page.submit("sleep", "{\"millis\": 60000}", Map.of("submit-priority", "high"));
      ids.add(id);
      page.waitForDetailStatus("running");
      page.waiting().until(d -> !"0".equals(
          page.find("detail-progress").getAttribute("aria-valuenow")));
      page.waitForRowStatus(ids.get(1), "failed");

      Rectangle panel = page.find("detail").getRect();
      Rectangle card = page.find("tasks-card").getRect();
      Rectangle table = page.find("task-table").getRect();
      assertThat(card.getX() + card.getWidth()).as("task list right edge")
          .isLessThanOrEqualTo(panel.getX());
      assertThat(table.getX() + table.getWidth()).as("table right edge, no sideways scrolling")
          .isLessThanOrEqualTo(card.getX() + card.getWidth());
      assertNoConsoleErrors();
    } finally {
      screenshot("wide-list-and-panel");
      ids.forEach(i -> http.delete("/api/tasks/" + i));
    }
  }
}
