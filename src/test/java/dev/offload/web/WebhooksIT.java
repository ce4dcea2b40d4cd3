package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import dev.offload.testing.WebhookReceiver;
import dev.offload.testing.WebhookReceiver.Received;
import dev.offload.testing.openapi.OpenApiContract;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Callbacks through the web application as the WAR lays it out: submitted with the task,
 * delivered by the listener's deliverer to a receiver that checks every signature with its own
 * HMAC, shown in views and lists (never the secret), counted in /metrics. Every answer the
 * server gives is checked against the OpenAPI document, and every body delivered against its
 * {@code webhooks.taskEnded}.
 */
class WebhooksIT {
  private static final String SECRET = WebhookReceiver.newSecret();
  private static final String KEY = SECRET.substring("whsec_".length());

  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final Logger offloadLog = Logger.getLogger("dev.offload");
  private Level levelBefore;
  private WebhookReceiver receiver;

  @BeforeEach
  void start() {
    levelBefore = offloadLog.getLevel();
    offloadLog.setLevel(Level.ALL);
    offloadLog.addHandler(capture);
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void stop() {
    receiver.close();
    offloadLog.removeHandler(capture);
    offloadLog.setLevel(levelBefore);
    SimpleFormatter f = new SimpleFormatter();
    assertThat(logged).as("Offload logged something").isNotEmpty();
    for (LogRecord r : logged) {
      assertThat(f.format(r)).as("a log line").doesNotContain(SECRET).doesNotContain(KEY);
    }
  }

  private static EmbeddedOffload.Builder app() {
    return EmbeddedOffload.builder()
        .param("offload.http.allow", "127.0.0.1")
        .param("offload.workers", "2")
        .param("offload.webhook.retry.base.millis", "50")
        .param("offload.webhook.retry.ceiling.seconds", "1");
  }

  private static String submission(String type, JsonValue input, String url, String secret) {
    JsonObjectBuilder callback = Json.createObjectBuilder().add("url", url);
    if (secret != null) {
      callback.add("secret", secret);
    }
    return Json.createObjectBuilder().add("type", type).add("input", input)
        .add("callback", callback).build().toString();
  }

  private static JsonObject delivery(Http http, String id) {
    return http.get("/api/tasks/" + id).json().getJsonObject("callback")
        .getJsonObject("delivery");
  }

  @Test
  void aTaskEndIsDeliveredSignedAfterTwoRefusalsAndTheViewsShowItButNeverTheSecret()
      throws Exception {
    receiver.route("/hooks/orders", SECRET,
        (ex, call) -> WebhookReceiver.status(ex, call < 3 ? 500 : 200));
    String url = receiver.url("/hooks/orders?token=t-123&kind=order");
    try (EmbeddedOffload app = app().start()) {
      Http http = new Http(app.baseUri());
      Response r = http.postJson("/api/tasks", submission("noop",
          Json.createObjectBuilder().add("order", 42).build(), url, SECRET),
          Map.of("Prefer", "wait=10"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      String id = r.json().getString("id");
      JsonObject callback = r.json().getJsonObject("callback");
      assertThat(callback.getString("url")).as("secret-looking query values masked")
          .isEqualTo(receiver.url("/hooks/orders?token=***&kind=order"));

      await().atMost(Duration.ofSeconds(20))
          .until(() -> delivery(http, id).getString("state").equals("delivered"));

      JsonObject view = http.get("/api/tasks/" + id).json();
      JsonObject d = view.getJsonObject("callback").getJsonObject("delivery");
      assertThat(d.getInt("attempts")).isEqualTo(3);
      assertThat(d.isNull("lastError")).isTrue();
      assertThat(d.isNull("nextAttemptAt")).isTrue();
      assertThat(d.getString("deliveredAt")).isNotEmpty();

      List<Received> got = receiver.received("/hooks/orders");
      assertThat(got).hasSize(3).allSatisfy(g -> assertThat(g.problems()).isEmpty());
      assertThat(got).extracting(Received::id).containsOnly("msg_" + id);
      assertThat(got).extracting(Received::body).containsOnly(got.get(0).body());
      JsonObject body = got.get(0).json();
      assertThat(OpenApiContract.shared().checkWebhookBody("taskEnded", got.get(0).body()))
          .as("the body is the documented task view").isEmpty();
      assertThat(body.getString("id")).isEqualTo(id);
      assertThat(body.getString("status")).isEqualTo("success");
      assertThat(body.getJsonObject("result").getInt("order")).isEqualTo(42);
      assertThat(body.getJsonObject("callback").getJsonObject("delivery").getString("state"))
          .as("as it stood when the task ended").isEqualTo("pending");
      assertThat(body.getJsonObject("links").getString("self")).isEqualTo("/api/tasks/" + id);

      // The secret appears nowhere a client can read: view, summaries, full lists, events.
      String summaries = http.get("/api/tasks").body();
      assertThat(Http.parse(summaries).getJsonArray("items").getJsonObject(0)
          .getJsonObject("callback").getJsonObject("delivery").getString("state"))
          .isEqualTo("delivered");
      HttpResponse<String> events = http.client().send(
          HttpRequest.newBuilder(http.url("/api/tasks/" + id + "/events"))
              .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      for (String text : List.of(view.toString(), summaries,
          http.get("/api/tasks?view=full").body(), events.body(), got.get(0).body())) {
        assertThat(text).contains("callback").doesNotContain(SECRET).doesNotContain(KEY)
            .doesNotContain("t-123");
      }

      // The README's verification script accepts what Offload sent, and nothing else.
      Received first = got.get(0);
      assertThat(verifyScript(first.id(), first.timestamp(), first.signature(), first.body()))
          .isZero();
      assertThat(verifyScript(first.id(), first.timestamp(), first.signature(),
          first.body().replace("success", "failed"))).isEqualTo(1);

      String metrics = http.get("/metrics").body();
      assertThat(metrics)
          .contains("offload_webhook_deliveries_total{outcome=\"delivered\"} 1.0")
          .contains("offload_webhook_deliveries_total{outcome=\"retry\"} 2.0")
          .contains("offload_webhook_deliveries_total{outcome=\"failed\"} 0.0");
    }
  }

  /** Runs docs/webhooks/verify-signature.sh (the README shows it) on one delivery. */
  private static int verifyScript(String id, String timestamp, String signature, String body)
      throws Exception {
    if (!onPath("openssl")) {
      // As the other tests of external tools: skipped on a laptop without it, failed in CI.
      assertThat(System.getenv("CI")).as("openssl is required when CI is set").isNull();
      Assumptions.abort("openssl is not installed");
    }
    Path script = Path.of("docs", "webhooks", "verify-signature.sh");
    assertThat(Files.readString(Path.of("README.md"))).as("the README shows the script")
        .contains(Files.readString(script));
    Process p = new ProcessBuilder("sh", script.toString(), SECRET, id, timestamp, signature)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (var in = p.getOutputStream()) {
      in.write(body.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  private static boolean onPath(String command) {
    return Stream.of(System.getenv("PATH").split(java.io.File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }

  @Test
  void aCallbackOffloadWouldNotCallIsRefusedAtSubmission() {
    try (EmbeddedOffload app = app().start()) {
      Http http = new Http(app.baseUri());
      JsonValue input = Json.createObjectBuilder().build();
      for (String url : List.of("http://10.0.0.1/hook", "http://169.254.169.254/latest",
          "http://[::1]/", "http://127.0.0.2/", "http://metadata.google.internal/",
          "file:///etc/passwd")) {
        Response refused = http.postJson("/api/tasks", submission("noop", input, url, null));
        assertThat(refused.status()).as(url).isEqualTo(422);
        assertThat(refused.json().getString("detail")).contains("callback.url")
            .doesNotContain("Exception");
      }
      Response badSecret = http.postJson("/api/tasks",
          submission("noop", input, receiver.url("/x"), "whsec_short"));
      assertThat(badSecret.status()).isEqualTo(422);
      assertThat(badSecret.json().getString("detail")).contains("callback.secret")
          .doesNotContain("whsec_short");
      Response unknown = http.postJson("/api/tasks", Json.createObjectBuilder()
          .add("type", "noop").add("input", input)
          .add("callback", Json.createObjectBuilder().add("url", receiver.url("/x"))
              .add("headers", Json.createObjectBuilder()))
          .build().toString());
      assertThat(unknown.status()).isEqualTo(400);
      assertThat(unknown.json().getString("detail")).contains("callback.headers");
      Response notAnObject = http.postJson("/api/tasks", Json.createObjectBuilder()
          .add("type", "noop").add("input", input).add("callback", receiver.url("/x"))
          .build().toString());
      assertThat(notAnObject.status()).isEqualTo(422);
      Response noUrl = http.postJson("/api/tasks", Json.createObjectBuilder()
          .add("type", "noop").add("input", input)
          .add("callback", Json.createObjectBuilder().add("secret", SECRET))
          .build().toString());
      assertThat(noUrl.status()).isEqualTo(422);
      assertThat(noUrl.body()).doesNotContain(KEY);
      assertThat(receiver.received()).isEmpty();
      assertThat(http.get("/api/health").json().getJsonObject("queue").getInt("depth"))
          .isZero();
    }
  }

  @Test
  void aNameThatResolvesToAForbiddenAddressFailsItsDelivery() {
    // No offload.http.allow: localhost passes the check at submission (a name), and resolves
    // to loopback when the delivery runs.
    try (EmbeddedOffload app = EmbeddedOffload.builder().start()) {
      Http http = new Http(app.baseUri());
      Response r = http.postJson("/api/tasks", submission("noop",
          Json.createObjectBuilder().build(), "http://localhost:9/hook", SECRET),
          Map.of("Prefer", "wait=10"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      String id = r.json().getString("id");

      await().atMost(Duration.ofSeconds(20))
          .until(() -> delivery(http, id).getString("state").equals("failed"));

      JsonObject d = delivery(http, id);
      assertThat(d.getInt("attempts")).isEqualTo(1);
      assertThat(d.getJsonObject("lastError").getString("type")).isEqualTo("forbidden-address");
      assertThat(d.getJsonObject("lastError").getString("message"))
          .contains("localhost resolves to a loopback address");
      assertThat(http.get("/metrics").body())
          .contains("offload_webhook_deliveries_total{outcome=\"failed\"} 1.0");
    }
  }

  @Test
  void anInstanceWithCallbacksOffRefusesThemAndRunsNoDeliverer() {
    try (EmbeddedOffload app = app().param("offload.webhook.enabled", "false").start()) {
      Http http = new Http(app.baseUri());
      Response refused = http.postJson("/api/tasks", submission("noop",
          Json.createObjectBuilder().build(), receiver.url("/x"), null));
      assertThat(refused.status()).isEqualTo(422);
      assertThat(refused.json().getString("detail")).contains("offload.webhook.enabled");
      assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
          .noneMatch(n -> n.startsWith("offload-webhook"));
    }
  }
}
