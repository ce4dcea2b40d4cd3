package dev.offload.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Event streams that the server ends before their task does ({@code offload.sse.max.seconds}):
 * the page follows the task to its end anyway, never shows an older state after a newer one,
 * and never holds more than four streams while they reconnect.
 */
class StatusPageResumeIT extends BrowserTestBase {

  /**
   * Counts, in the page, every EventSource: created, opened (per URL) and not yet closed, so the
   * test sees what the browser really holds rather than what the page says it holds.
   */
  private static final String COUNT_EVENT_SOURCES = """
      (() => {
        const Native = window.EventSource;
        const stats = { created: 0, live: 0, maxLive: 0, opens: {} };
        window.__sse = stats;
        window.EventSource = class extends Native {
          constructor(url, init) {
            super(url, init);
            stats.created++;
            stats.live++;
            stats.maxLive = Math.max(stats.maxLive, stats.live);
            this.addEventListener('open', () => {
              const path = new URL(this.url).pathname;
              stats.opens[path] = (stats.opens[path] || 0) + 1;
            });
            this.addEventListener('error', () => {
              if (this.readyState === Native.CLOSED) this.__ended();
            });
          }
          __ended() {
            if (!this.__done) {
              this.__done = true;
              stats.live--;
            }
          }
          close() {
            super.close();
            this.__ended();
          }
        };
      })();
      """;

  @Override
  protected Map<String, String> params() {
    // Four workers: the followed task runs beside three others that want streams too.
    return Map.of("offload.workers", "4", "offload.sse.max.seconds", "1");
  }

  @Test
  void aTaskIsFollowedToItsEndAcrossStreamsTheServerEnds() {
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
        Map.of("source", COUNT_EVENT_SOURCES));
    List<String> others = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        others.add(http.postJson("/api/tasks", "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}")
            .json().getString("id"));
      }
      page.open();
      page.recordDetailStates();

      String id = page.submit("sleep", "{\"millis\": 6000}", Map.of());

      page.waitForDetailStatus("success");
      List<Map<String, Object>> states = page.recordedStates();
      List<String> statuses = states.stream().map(s -> (String) s.get("status")).toList();
      assertThat(statuses).as("states shown: %s", states).contains("running")
          .endsWith("success").containsOnlyOnce("success");
      assertThat(statuses.subList(statuses.indexOf("running"), statuses.size() - 1))
          .as("never back to pending once running: %s", states).containsOnly("running");
      List<Long> percents = states.stream().filter(s -> "running".equals(s.get("status")))
          .map(s -> ((Number) s.get("percent")).longValue()).toList();
      assertThat(percents).as("progress never goes back: %s", states).isSorted();
      assertThat(percents.stream().distinct().count()).as("progress moved: %s", states)
          .isGreaterThanOrEqualTo(3);
      page.waiting().until(d -> page.find("detail-result").getText()
          .contains("\"sleptMillis\": 6000"));

      long opens = ((Number) page.script("return window.__sse.opens[arguments[0]] || 0;",
          "/offload/api/tasks/" + id + "/events")).longValue();
      assertThat(opens).as("the task's stream was reopened after the server ended it")
          .isGreaterThanOrEqualTo(2);
      // The followed task is done: only the three others still stream.
      page.waiting().until(d -> "3".equals(page.find("live-mode").getAttribute("data-streams")));
      page.waiting().until(d -> ((Number) page.script("return window.__sse.live;")).longValue()
          == 3);
      assertThat(((Number) page.script("return window.__sse.maxLive;")).longValue())
          .as("event sources open at once").isLessThanOrEqualTo(4);
      page.waitForRowStatus(id, "success");
      assertThat(page.liveMode()).isEqualTo("live");
      assertNoConsoleErrors();
    } finally {
      screenshot("resumed-stream-success");
      others.forEach(other -> http.delete("/api/tasks/" + other));
    }
  }
}
