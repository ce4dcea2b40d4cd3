package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import dev.offload.testing.Promtool;
import dev.offload.testing.Scrape;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} over real HTTP: who may read it, that Prometheus's own parser accepts it, and
 * that the counters move as tasks go through every state.
 */
class MetricsIT {
  private static final String METRICS_TOKEN = "m3tr1cs-" + UUID.randomUUID();
  private static final String USER_TOKEN = "us3r-" + UUID.randomUUID();

  @TempDir
  static Path dir;

  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() throws IOException {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, String.join("\n",
        Tokens.line(METRICS_TOKEN, "scraper", "offload-metrics"),
        Tokens.line(USER_TOKEN, "ci-bot", "offload-user"), ""), StandardCharsets.UTF_8);
    app = EmbeddedOffload.builder()
        .contextPath("/offload")
        .param("offload.workers", "1")
        .param("offload.auth.tokens", tokens.toString())
        .user("alice", "alice-pw", "offload-user")
        .user("vera", "vera-pw", "offload-viewer")
        .user("adam", "adam-pw", "offload-admin")
        .user("prometheus", "prometheus-pw", "offload-metrics")
        .user("nobody", "nobody-pw", "some-other-role")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  static Map<String, String> basic(String user) {
    return Map.of("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8)));
  }

  static Response send(Http http, String method, String path, Map<String, String> headers,
      String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url(path));
    headers.forEach(b::header);
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(json));
    return http.send(b);
  }

  static Scrape scrape(Http http, Map<String, String> as) {
    Response r = send(http, "GET", "/metrics", as, null);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return new Scrape(r.body());
  }

  // ---------------------------------------------------------------- who reads the metrics

  @Test
  void theMetricsRoleAndAdminsReadTheMetricsAndNobodyElse() {
    Response anonymous = send(http, "GET", "/metrics", Map.of(), null);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.header("WWW-Authenticate")).startsWith("Basic");
    assertThat(anonymous.body()).doesNotContain("offload_");

    for (String user : new String[] {"alice", "vera", "nobody"}) {
      Response r = send(http, "GET", "/metrics", basic(user), null);
      assertThat(r.status()).as(user).isEqualTo(403);
      assertThat(r.header("Content-Type")).startsWith("application/problem+json");
      assertThat(r.body()).as(user).doesNotContain("offload_tasks");
    }
    assertThat(send(http, "GET", "/metrics", basic("alice"), null).json().getString("detail"))
        .contains("offload-metrics");
    assertThat(send(http, "GET", "/metrics", Map.of("Authorization", "Bearer " + USER_TOKEN),
        null).status()).isEqualTo(403);

    for (Map<String, String> as : java.util.List.of(basic("prometheus"), basic("adam"),
        Map.of("Authorization", "Bearer " + METRICS_TOKEN))) {
      Response r = send(http, "GET", "/metrics", as, null);
      assertThat(r.status()).as(as.toString()).isEqualTo(200);
      assertThat(r.header("Content-Type")).startsWith("text/plain; version=0.0.4");
      assertThat(r.header("Cache-Control")).isEqualTo("no-store");
      assertThat(r.body()).contains("# TYPE offload_tasks_submitted_total counter");
    }
    // The metrics role is a scraper's: it reads no task.
    assertThat(send(http, "GET", "/api/tasks", basic("prometheus"), null).status())
        .isEqualTo(403);
  }

  @Test
  void headAndOptionsAsEverywhere() {
    Response head = send(http, "HEAD", "/metrics", basic("prometheus"), null);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(Long.parseLong(head.header("Content-Length"))).isPositive();
    assertThat(send(http, "HEAD", "/metrics", basic("alice"), null).status()).isEqualTo(403);
    Response options = send(http, "OPTIONS", "/metrics", Map.of(), null);
    assertThat(options.status()).isEqualTo(204);
    assertThat(options.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    Response post = send(http, "POST", "/metrics", basic("prometheus"), "{}");
    assertThat(post.status()).isEqualTo(405);
  }

  @Test
  void withAuthNoneTheMetricsAreOpen() {
    try (EmbeddedOffload open = EmbeddedOffload.builder().param("offload.workers", "1")
        .start()) {
      Response r = new Http(open.baseUri()).get("/metrics");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).contains("offload_queue_capacity 10000.0");
    }
  }

  // ---------------------------------------------------------------- what the counters say

  @Test
  void theCountersFollowTasksThroughEveryStateAndPromtoolReadsTheScrape() {
    try (EmbeddedOffload one = EmbeddedOffload.builder()
        .param("offload.workers", "1")
        .param("offload.queue.capacity", "3")
        .param("offload.owner.pending.max", "2")
        .param("offload.retry.base.millis", "10")
        .param("offload.retry.max.millis", "20")
        .param("offload.shutdown.grace.seconds", "0")
        .user("alice", "alice-pw", "offload-user")
        .user("bob", "bob-pw", "offload-user")
        .user("prometheus", "prometheus-pw", "offload-metrics")
        .start()) {
      Http h = new Http(one.baseUri());
      Map<String, String> alice = basic("alice");
      Map<String, String> aliceWaits = Map.of("Authorization", alice.get("Authorization"),
          "Prefer", "wait=30");
      Map<String, String> bob = basic("bob");

      // A success, a failure retried into a success, a failure with no attempt left, a timeout.
      assertThat(status(send(h, "POST", "/api/tasks", aliceWaits,
          "{\"type\":\"sleep\",\"input\":{\"millis\":1}}"))).isEqualTo("success");
      assertThat(status(send(h, "POST", "/api/tasks", aliceWaits,
          "{\"type\":\"sleep\",\"input\":{\"millis\":1,\"failTimes\":1},\"maxAttempts\":2}")))
          .isEqualTo("success");
      assertThat(status(send(h, "POST", "/api/tasks", aliceWaits,
          "{\"type\":\"sleep\",\"input\":{\"millis\":1,\"failTimes\":1}}"))).isEqualTo("failed");
      Response timedOut = send(h, "POST", "/api/tasks", aliceWaits,
          "{\"type\":\"sleep\",\"input\":{\"millis\":60000},\"timeoutSeconds\":1}");
      assertThat(timedOut.json().getJsonObject("error").getString("type")).isEqualTo("timeout");

      // The one worker held: alice's share (2) fills, then the queue (3).
      String held = send(h, "POST", "/api/tasks", alice,
          "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}").json().getString("id");
      await().atMost(Duration.ofSeconds(10)).until(() -> status(
          send(h, "GET", "/api/tasks/" + held, alice, null)).equals("running"));
      String pending = accepted(send(h, "POST", "/api/tasks", alice, noop()));
      accepted(send(h, "POST", "/api/tasks", alice, noop()));
      assertThat(send(h, "POST", "/api/tasks", alice, noop()).status()).isEqualTo(429);
      accepted(send(h, "POST", "/api/tasks", bob, noop()));
      assertThat(send(h, "POST", "/api/tasks", bob, noop()).status()).isEqualTo(503);
      // Invalid: a type nobody offers (one "unknown" label, whatever it is called), and a body
      // that is not a submission at all.
      assertThat(send(h, "POST", "/api/tasks", alice,
          "{\"type\":\"no-such-type-" + UUID.randomUUID() + "\",\"input\":1}").status())
          .isEqualTo(422);
      assertThat(send(h, "POST", "/api/tasks", alice, "{").status()).isEqualTo(400);
      // Cancel one pending and the running one; the other two noops then run.
      assertThat(send(h, "DELETE", "/api/tasks/" + pending, alice, null).status())
          .isEqualTo(200);
      assertThat(send(h, "DELETE", "/api/tasks/" + held, alice, null).status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> scrape(h, basic("prometheus"))
          .value("offload_tasks_finished_total", "type", "noop", "status", "success") == 2);
      // Refused while the server stops.
      ((Offload) one.attribute(Offload.ATTRIBUTE)).engine().shutdown();
      assertThat(send(h, "POST", "/api/tasks", alice, noop()).status()).isEqualTo(503);

      Scrape s = scrape(h, basic("prometheus"));
      assertThat(s.value("offload_tasks_submitted_total", "type", "sleep")).isEqualTo(5);
      assertThat(s.value("offload_tasks_submitted_total", "type", "noop")).isEqualTo(3);
      assertThat(s.value("offload_tasks_started_total", "type", "sleep")).isEqualTo(6);
      assertThat(s.value("offload_tasks_started_total", "type", "noop")).isEqualTo(2);
      assertThat(s.value("offload_task_retries_total", "type", "sleep")).isEqualTo(1);
      assertThat(s.value("offload_task_timeouts_total", "type", "sleep")).isEqualTo(1);
      assertThat(finished(s, "sleep", "success")).isEqualTo(2);
      assertThat(finished(s, "sleep", "failed")).isEqualTo(2);
      assertThat(finished(s, "sleep", "canceled")).isEqualTo(1);
      assertThat(finished(s, "noop", "success")).isEqualTo(2);
      assertThat(finished(s, "noop", "canceled")).isEqualTo(1);
      assertThat(refused(s, "noop", "owner_quota")).isEqualTo(1);
      assertThat(refused(s, "noop", "queue_full")).isEqualTo(1);
      assertThat(refused(s, "unknown", "invalid")).isEqualTo(2);
      assertThat(refused(s, "noop", "shutting_down")).isEqualTo(1);
      assertThat(refused(s, "noop", "store_unavailable")).isZero();
      assertThat(s.labelValues("offload_", "type")).containsExactlyInAnyOrderElementsOf(
          java.util.List.of("noop", "sleep", "pbkdf2", "http", "unknown"));
      // Attempts that ended here (a canceled one is ended by its cancel, not by the worker).
      assertThat(s.value("offload_attempt_duration_seconds_count", "type", "sleep"))
          .isEqualTo(5);
      assertThat(s.value("offload_attempt_duration_seconds_bucket", "type", "sleep", "le",
          "0.5")).isEqualTo(4);
      assertThat(s.value("offload_queue_wait_seconds_count", "type", "noop")).isEqualTo(2);
      assertThat(s.value("offload_store_call_duration_seconds_count", "operation", "insert"))
          .isGreaterThanOrEqualTo(8);
      assertThat(s.value("offload_store_errors_total", "operation", "insert")).isZero();
      assertThat(s.value("offload_queue_depth")).isZero();
      assertThat(s.value("offload_queue_capacity")).isEqualTo(3);
      assertThat(s.value("offload_workers")).isEqualTo(1);
      assertThat(s.value("offload_waits_open", "kind", "poll")).isZero();
      assertThat(s.value("offload_tasks_retained")).isEqualTo(8);

      Promtool.require();
      Promtool.Result lint = Promtool.checkMetrics(s.text());
      assertThat(lint.exitCode()).as(lint.output()).isZero();
      assertThat(lint.output()).isBlank();
    }
  }

  private static String noop() {
    return "{\"type\":\"noop\",\"input\":1}";
  }

  private static String status(Response r) {
    return r.json().getString("status");
  }

  private static String accepted(Response r) {
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static double finished(Scrape s, String type, String status) {
    return s.value("offload_tasks_finished_total", "type", type, "status", status);
  }

  private static double refused(Scrape s, String type, String reason) {
    return s.value("offload_tasks_refused_total", "type", type, "reason", reason);
  }
}
