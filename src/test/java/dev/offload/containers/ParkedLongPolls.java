package dev.offload.containers;

import static dev.offload.containers.OffloadInContainerContract.awaitStatus;
import static dev.offload.containers.OffloadInContainerContract.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the undeploy tests put a container through: long tasks running, and a client parked on a
 * long-poll of each, each waiting for an answer the undeploy (or the stop) must give it.
 */
final class ParkedLongPolls {
  private final List<String> ids;
  private final List<CompletableFuture<HttpResponse<String>>> parked;

  private ParkedLongPolls(List<String> ids, List<CompletableFuture<HttpResponse<String>>> parked) {
    this.ids = ids;
    this.parked = parked;
  }

  /** Submits {@code n} sleep tasks of a minute, waits until they run and parks one on each. */
  static ParkedLongPolls onRunningTasks(Http http, int n, String step) {
    List<String> ids = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      ids.add(submit(http, "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}"));
    }
    for (String id : ids) {
      awaitStatus(http, id, "running");
    }
    List<CompletableFuture<HttpResponse<String>>> parked = new ArrayList<>();
    for (String id : ids) {
      HttpRequest longPoll = http.request("/api/tasks/" + id + "?wait=55")
          .timeout(Duration.ofSeconds(90))
          .GET()
          .build();
      parked.add(http.client().sendAsync(longPoll, HttpResponse.BodyHandlers.ofString()));
    }
    await(step + ": long-polls parked").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> http.get("/api/health").json().getInt("watchers") >= n);
    return new ParkedLongPolls(List.copyOf(ids), parked);
  }

  /** Whether a parked client has had its answer (or lost its connection) already. */
  boolean anyAnswered() {
    return parked.stream().anyMatch(CompletableFuture::isDone);
  }

  List<String> taskIds() {
    return ids;
  }

  /**
   * Every parked client got an HTTP answer within 30 s (the current view of its task, or 503)
   * rather than a connection that hangs or breaks.
   */
  void assertAnswered(String step) throws InterruptedException, TimeoutException {
    for (CompletableFuture<HttpResponse<String>> f : parked) {
      HttpResponse<String> r;
      try {
        r = f.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError(step + ": a parked long-poll got no HTTP answer", e.getCause());
      }
      assertThat(r.statusCode()).as("%s: answer to a parked long-poll: %s", step, r.body())
          .isIn(200, 503);
      if (r.statusCode() == 200) {
        JsonObject view = OffloadInContainerContract.object(r.body());
        assertThat(view.getString("id")).isIn(ids);
        OffloadInContainerContract.assertLinksUnderContext(view);
      }
    }
  }
}
