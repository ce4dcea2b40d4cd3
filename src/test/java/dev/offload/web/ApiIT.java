package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API over real HTTP against the webapp in embedded Jetty, under a context path. */
class ApiIT {
  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .contextPath("/offload")
        .param("offload.workers", "4")
        .param("offload.retry.base.millis", "10")
        .param("offload.retry.max.millis", "20")
        .param("offload.sweep.interval.seconds", "1")
        .param("offload.wait.max.seconds", "20")
        .param("offload.sse.heartbeat.seconds", "1")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  static Response submit(String json) {
    return http.postJson("/api/tasks", json);
  }

  static String sleep(long millis) {
    return "{\"type\":\"sleep\",\"input\":{\"millis\":" + millis + "}}";
  }

  static String idOf(Response r) {
    return r.json().getString("id");
  }

  @Test
  void typesListsTheBuiltInsWithExamples() {
    Response r = http.get("/api/types");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    List<JsonValue> types = r.as(jakarta.json.JsonArray.class);
    Set<String> names = types.stream().map(v -> v.asJsonObject().getString("type"))
        .collect(Collectors.toSet());
    assertThat(names).contains("noop", "sleep", "pbkdf2");
    for (JsonValue v : types) {
      assertThat(v.asJsonObject().getString("description")).isNotBlank();
      assertThat(v.asJsonObject().get("example")).isNotNull();
    }
  }

  @Test
  void submitThenPollToSuccess() {
    Response accepted = submit(sleep(200));
    assertThat(accepted.status()).isEqualTo(202);
    String id = idOf(accepted);
    assertThat(accepted.header("Location")).isEqualTo("/offload/api/tasks/" + id);
    assertThat(accepted.header("Retry-After")).isEqualTo("1");
    JsonObject view = accepted.json();
    assertThat(view.getString("status")).isIn("pending", "running");
    assertThat(view.getString("priority")).isEqualTo("normal");
    assertThat(view.getJsonObject("input").getInt("millis")).isEqualTo(200);
    assertThat(view.getJsonObject("links").getString("self"))
        .isEqualTo("/offload/api/tasks/" + id);
    assertThat(view.getJsonObject("links").getString("events"))
        .isEqualTo("/offload/api/tasks/" + id + "/events");
    assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> http.get("/api/tasks/" + id).json().getString("status").equals("success"));
    JsonObject done = http.get("/api/tasks/" + id).json();
    assertThat(done.getJsonObject("result").getInt("sleptMillis")).isEqualTo(200);
    assertThat(done.getJsonObject("progress").getInt("percent")).isEqualTo(100);
    assertThat(done.getInt("attempts")).isEqualTo(1);
    Instant created = Instant.parse(done.getString("createdAt"));
    Instant started = Instant.parse(done.getString("startedAt"));
    Instant finished = Instant.parse(done.getString("finishedAt"));
    Instant expires = Instant.parse(done.getString("expiresAt"));
    assertThat(started).isAfterOrEqualTo(created);
    assertThat(finished).isAfterOrEqualTo(started);
    assertThat(expires).isEqualTo(finished.plusSeconds(3600));
    assertThat(done.getString("finishedAt")).endsWith("Z");
    assertThat(done.get("error")).isEqualTo(JsonValue.NULL);
  }

  @Test
  void preferWaitAnswersWithTheFinishedTask() {
    Response r = http.postJson("/api/tasks",
        "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"pw\",\"iterations\":1000}}",
        Map.of("Prefer", "wait=10"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Preference-Applied")).isEqualTo("wait=10");
    assertThat(r.json().getString("status")).isEqualTo("success");
    assertThat(r.json().getString("result")).hasSize(64);
  }

  @Test
  void preferWaitFallsBackTo202WhenTheTaskOutlastsIt() {
    Response r = http.postJson("/api/tasks", sleep(5_000), Map.of("Prefer", "wait=1"));
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.header("Preference-Applied")).isEqualTo("wait=1");
    assertThat(r.header("Location")).startsWith("/offload/api/tasks/");
    assertThat(r.json().getString("status")).isIn("pending", "running");
    http.delete("/api/tasks/" + idOf(r));
  }

  @Test
  void longPollIsAnsweredWhenTheTaskEnds() {
    String id = idOf(submit(sleep(300)));
    Response r = http.get("/api/tasks/" + id + "?wait=15");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("success");
  }

  @Test
  void longPollIsAnsweredWithTheCurrentStateWhenTheWaitRunsOut() {
    String id = idOf(submit(sleep(10_000)));
    long start = System.nanoTime();
    Response r = http.get("/api/tasks/" + id + "?wait=1");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(900));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isIn("pending", "running");
    http.delete("/api/tasks/" + id);
  }

  @Test
  void eventStreamSendsTheStateThenEachChangeAndEndsAfterTheFinalOne() throws Exception {
    String id = idOf(submit(sleep(600)));
    HttpResponse<Stream<String>> resp = http.client().send(
        HttpRequest.newBuilder(http.url("/api/tasks/" + id + "/events"))
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.headers().firstValue("Content-Type").orElse("")).startsWith(
        "text/event-stream");
    List<String> lines;
    try (Stream<String> s = resp.body()) {
      lines = s.toList(); // returns only because the server ends the stream
    }
    List<String> events = lines.stream().filter(l -> l.startsWith("event: ")).toList();
    List<String> data = lines.stream().filter(l -> l.startsWith("data: ")).toList();
    List<Long> ids = lines.stream().filter(l -> l.startsWith("id: "))
        .map(l -> Long.parseLong(l.substring(4))).toList();
    assertThat(events.get(0)).isEqualTo("event: status");
    assertThat(events).contains("event: progress");
    assertThat(ids).isSorted().doesNotHaveDuplicates().hasSize(events.size());
    JsonObject last = Http.parse(data.get(data.size() - 1).substring("data: ".length()));
    assertThat(last.getString("status")).isEqualTo("success");
    assertThat(events.get(events.size() - 1)).isEqualTo("event: status");
  }

  @Test
  void eventStreamOfAFinishedTaskSendsOneEventAndEnds() throws Exception {
    Response done = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":[1,2]}",
        Map.of("Prefer", "wait=10"));
    assertThat(done.json().getString("status")).isEqualTo("success");
    HttpResponse<String> resp = http.client().send(
        HttpRequest.newBuilder(http.url("/api/tasks/" + idOf(done) + "/events"))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(resp.body()).startsWith("id: 1\nevent: status\ndata: {");
    assertThat(resp.body().split("\n\n")).hasSize(1);
  }

  @Test
  void eventStreamSendsHeartbeatsWhileIdle() throws Exception {
    String id = idOf(submit(sleep(10_000)));
    HttpResponse<Stream<String>> resp = http.client().send(
        HttpRequest.newBuilder(http.url("/api/tasks/" + id + "/events"))
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> s = resp.body()) {
      assertThat(s.filter(l -> l.equals(": heartbeat")).findFirst()).isPresent();
    }
    http.delete("/api/tasks/" + id);
  }

  @Test
  void cancelARunningTask() {
    String id = idOf(submit("{\"type\":\"sleep\",\"input\":{\"millis\":20000},\"maxAttempts\":3}"));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> http.get("/api/tasks/" + id).json().getString("status").equals("running"));
    Response r = http.delete("/api/tasks/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("canceled");
    assertThat(r.json().getString("finishedAt")).isNotNull();
    Response again = http.delete("/api/tasks/" + id);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.header("Content-Type")).startsWith("application/problem+json");
    assertThat(http.get("/api/tasks/" + id + "?wait=1").json().getInt("attempts")).isEqualTo(1);
    assertThat(http.get("/api/tasks/" + id).json().getString("status")).isEqualTo("canceled");
  }

  @Test
  void cancelAPendingTask() {
    String id = idOf(submit(
        "{\"type\":\"sleep\",\"input\":{\"millis\":10},\"delaySeconds\":3600}"));
    Response r = http.delete("/api/tasks/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("canceled");
    assertThat(r.json().get("startedAt")).isEqualTo(JsonValue.NULL);
    assertThat(r.json().getInt("attempts")).isZero();
  }

  @Test
  void cancelOfAnUnknownTaskIs404() {
    assertThat(http.delete("/api/tasks/" + java.util.UUID.randomUUID()).status()).isEqualTo(404);
  }

  @Test
  void aTimeoutFailsTheTask() {
    String id = idOf(submit(
        "{\"type\":\"sleep\",\"input\":{\"millis\":20000},\"timeoutSeconds\":1}"));
    JsonObject done = http.get("/api/tasks/" + id + "?wait=15").json();
    assertThat(done.getString("status")).isEqualTo("failed");
    assertThat(done.getJsonObject("error").getString("type")).isEqualTo("timeout");
    assertThat(done.getJsonObject("error").getString("message")).contains("1s");
  }

  @Test
  void retriesLeadToSuccess() {
    String id = idOf(submit(
        "{\"type\":\"sleep\",\"input\":{\"millis\":5,\"failTimes\":2},\"maxAttempts\":3}"));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> http.get("/api/tasks/" + id).json().getString("status").equals("success"));
    JsonObject done = http.get("/api/tasks/" + id).json();
    assertThat(done.getInt("attempts")).isEqualTo(3);
    assertThat(done.getJsonObject("result").getInt("attempt")).isEqualTo(3);
  }

  @Test
  void retriesRunOutToFailure() {
    String id = idOf(submit(
        "{\"type\":\"sleep\",\"input\":{\"millis\":5,\"failTimes\":9},\"maxAttempts\":2}"));
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> http.get("/api/tasks/" + id).json().getString("status").equals("failed"));
    JsonObject done = http.get("/api/tasks/" + id).json();
    assertThat(done.getInt("attempts")).isEqualTo(2);
    assertThat(done.getJsonObject("error").getString("type")).isEqualTo("planned-failure");
    assertThat(done.getJsonObject("error").getString("message")).doesNotContain("at dev.");
  }

  @Test
  void anExpiredResultIs404() {
    Response r = http.postJson("/api/tasks",
        "{\"type\":\"noop\",\"input\":1,\"resultTtlSeconds\":1}", Map.of("Prefer", "wait=10"));
    String id = idOf(r);
    assertThat(r.json().getString("status")).isEqualTo("success");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> http.get("/api/tasks/" + id).status() == 404);
    Response gone = http.get("/api/tasks/" + id);
    assertThat(gone.header("Content-Type")).startsWith("application/problem+json");
    assertThat(gone.json().getString("detail")).as("the same for every id: names none")
        .doesNotContain(id).contains("no such task");
  }

  @Test
  void theSameIdempotencyKeyReturnsTheExistingTask() {
    String key = "order-" + java.util.UUID.randomUUID();
    Response first = http.postJson("/api/tasks", sleep(50), Map.of("Idempotency-Key", key));
    Response again = http.postJson("/api/tasks", sleep(50), Map.of("Idempotency-Key", key));
    assertThat(first.status()).isEqualTo(202);
    assertThat(again.status()).isEqualTo(200);
    assertThat(idOf(again)).isEqualTo(idOf(first));
    Response other = http.postJson("/api/tasks", sleep(60), Map.of("Idempotency-Key", key));
    assertThat(other.status()).isEqualTo(422);
    assertThat(other.json().getString("detail")).contains(key);
  }

  @Test
  void listIsNewestFirstFilteredAndPaged() {
    String type = "noop";
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(idOf(http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":" + i + "}",
          Map.of("Prefer", "wait=10"))));
    }
    Response page1 = http.get("/api/tasks?type=" + type + "&status=success&limit=3");
    assertThat(page1.status()).isEqualTo(200);
    List<String> first = page1.json().getJsonArray("items").stream()
        .map(v -> v.asJsonObject().getString("id")).toList();
    assertThat(first).containsExactly(ids.get(4), ids.get(3), ids.get(2));
    String next = page1.json().getString("next");
    Response page2 = http.get("/api/tasks?type=noop&status=success&limit=3&after=" + next);
    List<String> second = page2.json().getJsonArray("items").stream()
        .map(v -> v.asJsonObject().getString("id")).toList();
    assertThat(second).startsWith(ids.get(1), ids.get(0));
    Set<String> all = new HashSet<>(first);
    all.addAll(second);
    assertThat(all).hasSize(first.size() + second.size());
    assertThat(http.get("/api/tasks?status=canceled&type=nothing-like-this").json()
        .getJsonArray("items")).isEmpty();
    assertThat(http.get("/api/tasks?status=canceled&type=nothing-like-this").json()
        .get("next")).isEqualTo(JsonValue.NULL);
  }

  @Test
  void healthReportsWorkersAndQueue() {
    Response r = http.get("/api/health");
    assertThat(r.status()).isEqualTo(200);
    JsonObject h = r.json();
    assertThat(h.getString("status")).isEqualTo("up");
    assertThat(h.getString("store")).isEqualTo("memory");
    assertThat(h.getJsonObject("workers").getInt("total")).isEqualTo(4);
    assertThat(h.getJsonObject("queue").getInt("capacity")).isEqualTo(10_000);
    assertThat(h.getJsonNumber("retained")).isNotNull();
  }

  @Test
  void everyResponseCarriesTheSecurityHeaders() {
    for (String path : List.of("/api/health", "/api/nope", "/")) {
      Response r = http.get(path);
      assertThat(r.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
      assertThat(r.header("Content-Security-Policy")).as(path).contains("script-src 'self'");
    }
  }
}
