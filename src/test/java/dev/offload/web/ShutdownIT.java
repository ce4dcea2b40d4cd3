package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.TaskEngine;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Overload and shutdown: say 503 instead of growing, and answer everyone on the way out. */
class ShutdownIT {

  @Test
  void aFullQueueAnswers503WithRetryAfterAndAcceptsNothing() {
    try (EmbeddedOffload app = EmbeddedOffload.builder()
        .param("offload.workers", "1")
        .param("offload.queue.capacity", "2")
        .param("offload.shutdown.grace.seconds", "0")
        .start()) {
      Http http = new Http(app.baseUri());
      String running = http.postJson("/api/tasks",
          "{\"type\":\"sleep\",\"input\":{\"millis\":30000}}").json().getString("id");
      await().atMost(Duration.ofSeconds(10)).until(() ->
          http.get("/api/tasks/" + running).json().getString("status").equals("running"));
      assertThat(http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1}").status())
          .isEqualTo(202);
      assertThat(http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":2}").status())
          .isEqualTo(202);
      Response full = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":3}");
      assertThat(full.status()).isEqualTo(503);
      assertThat(full.header("Retry-After")).isEqualTo("1");
      assertThat(full.header("Content-Type")).startsWith("application/problem+json");
      assertThat(full.json().getString("detail")).contains("queue is full");
      Response list = http.get("/api/tasks?limit=100");
      assertThat(list.json().getJsonArray("items")).hasSize(3);
      assertThat(http.get("/api/health").json().getJsonObject("queue").getInt("depth"))
          .isEqualTo(2);
    }
  }

  @Test
  void shutdownAnswersParkedClientsRefusesNewWorkAndFailsWhatOutlastsTheGrace()
      throws Exception {
    List<String> logLines = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        logLines.add(r.getMessage() == null ? "" : r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger engineLog = Logger.getLogger(TaskEngine.class.getName());
    engineLog.addHandler(capture);
    EmbeddedOffload app = EmbeddedOffload.builder()
        .contextPath("/app")
        .param("offload.workers", "2")
        .param("offload.shutdown.grace.seconds", "6")
        .start();
    try {
      Http http = new Http(app.baseUri());
      TaskEngine engine = ((Offload) app.attribute(Offload.ATTRIBUTE)).engine();
      String quick = http.postJson("/api/tasks",
          "{\"type\":\"sleep\",\"input\":{\"millis\":4000}}").json().getString("id");
      String slow = http.postJson("/api/tasks",
          "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}").json().getString("id");
      await().atMost(Duration.ofSeconds(10)).until(() ->
          http.get("/api/tasks/" + slow).json().getString("status").equals("running"));

      CompletableFuture<HttpResponse<String>> longPoll = http.client().sendAsync(
          HttpRequest.newBuilder(http.url("/api/tasks/" + slow + "?wait=60")).build(),
          HttpResponse.BodyHandlers.ofString());
      CompletableFuture<HttpResponse<String>> stream = http.client().sendAsync(
          HttpRequest.newBuilder(http.url("/api/tasks/" + slow + "/events")).build(),
          HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.watcherCount() == 2);

      // contextDestroyed starts with this call; Jetty stops routing to a stopping context, so
      // the engine is stopped directly here to watch the window in which a container (Tomcat
      // during an undeploy, for one) still delivers requests to it.
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(engine::shutdown);
      // While the grace period runs: parked clients are answered, new work is refused.
      HttpResponse<String> polled = longPoll.get(10, TimeUnit.SECONDS);
      assertThat(polled.statusCode()).isEqualTo(200);
      assertThat(Http.parse(polled.body()).getString("status")).isEqualTo("running");
      HttpResponse<String> streamed = stream.get(10, TimeUnit.SECONDS);
      assertThat(streamed.body()).contains("event: status").contains("\"running\"");
      Response refused = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1}");
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.header("Retry-After")).isNotNull();
      assertThat(refused.json().getString("detail")).contains("shutting down");

      Response health = http.get("/api/health");
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().getString("status")).isEqualTo("shutting_down");

      stopping.get(30, TimeUnit.SECONDS);
      app.stopContext(); // the rest of contextDestroyed: the heartbeat thread
      Task q = engine.get(UUID.fromString(quick)).orElseThrow();
      Task s = engine.get(UUID.fromString(slow)).orElseThrow();
      assertThat(q.status()).isEqualTo(TaskStatus.SUCCESS);
      assertThat(s.status()).isEqualTo(TaskStatus.FAILED);
      assertThat(s.error().type()).isEqualTo("shutdown");
      assertThat(logLines).anySatisfy(l -> assertThat(l)
          .contains("2 tasks were running")
          .contains("1 finished within the grace period of 6s")
          .contains("1 were interrupted and failed with error type shutdown"));
      assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive()
          && t.getName().startsWith("offload-"));
    } finally {
      engineLog.removeHandler(capture);
      app.close();
    }
  }

  @Test
  void waitingHoldsNoThread() throws Exception {
    int clients = 2_000;
    int tasks = 20;
    try (EmbeddedOffload app = EmbeddedOffload.builder()
        .maxThreads(20)
        .param("offload.workers", String.valueOf(tasks))
        .param("offload.wait.max.seconds", "120")
        .start()) {
      Http http = new Http(app.baseUri());
      TaskEngine engine = ((Offload) app.attribute(Offload.ATTRIBUTE)).engine();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        ids.add(http.postJson("/api/tasks",
            "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}").json().getString("id"));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.health().workersBusy() == tasks);

      List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        polls.add(http.client().sendAsync(
            HttpRequest.newBuilder(http.url("/api/tasks/" + ids.get(i % tasks) + "?wait=120"))
                .timeout(Duration.ofSeconds(150)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      // All 2,000 are parked at once on 20 container threads: none holds one.
      await().atMost(Duration.ofSeconds(90)).until(() -> engine.watcherCount() == clients);
      assertThat(polls).noneMatch(CompletableFuture::isDone);
      assertThat(app.server().getThreadPool().getThreads()).isLessThanOrEqualTo(20);
      assertThat(http.get("/api/health").status()).isEqualTo(200); // still serving

      for (String id : ids) {
        assertThat(http.delete("/api/tasks/" + id).status()).isEqualTo(200); // the tasks end
      }
      CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      for (CompletableFuture<HttpResponse<String>> p : polls) {
        assertThat(p.get().statusCode()).isEqualTo(200);
        assertThat(Http.parse(p.get().body()).getString("status")).isEqualTo("canceled");
      }
      assertThat(engine.watcherCount()).isZero();
    }
  }
}
