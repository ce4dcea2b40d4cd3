package dev.offload.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.InvalidTaskException;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.InvalidInputException;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.LocalHttpServer;
import dev.offload.testing.SettableClock;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The http task type driven through the engine (clock set by the test, jitter pinned to half
 * the backoff ceiling) against a real HTTP server on 127.0.0.1, the only address its allow
 * list trusts. No request ever leaves the loopback interface: forbidden destinations are
 * refused before anything connects.
 */
class HttpHandlerTest {

  private final SettableClock clock = new SettableClock();
  private final CountDownLatch releaseSlow = new CountDownLatch(1);
  private final Map<String, List<InetAddress>> dns = new LinkedHashMap<>();
  private final AtomicInteger lookups = new AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private LocalHttpServer server;
  private TaskEngine engine;

  @BeforeEach
  void start() {
    server = LocalHttpServer.start();
    toClose.add(server);
  }

  @AfterEach
  void stop() throws Exception {
    releaseSlow.countDown();
    if (engine != null) {
      engine.shutdown();
    }
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  /** Names resolve as the test's map says, then (when not there) as the system says. */
  private List<InetAddress> resolve(String host) throws UnknownHostException {
    lookups.incrementAndGet();
    List<InetAddress> answer = dns.get(host);
    return answer != null ? answer : Arrays.asList(InetAddress.getAllByName(host));
  }

  private HttpHandler handler(HttpHandler.Settings settings) {
    HttpHandler h = new HttpHandler(settings, this::resolve, clock, null);
    toClose.add(h);
    return h;
  }

  private HttpHandler.Settings settings(String... allow) {
    return HttpHandler.Settings.defaults().withAllow(List.of(allow));
  }

  private TaskEngine engine(HttpHandler handler) {
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(2, 100, d.defaultTimeout(), d.maxTimeout(), 5,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofSeconds(1),
        Duration.ofSeconds(8), Duration.ofHours(1), Duration.ofMillis(300),
        Duration.ofMillis(300), d.lease());
    engine = TaskEngine.builder(config, new MemoryTaskStore(100, 1000),
        new HandlerRegistry(List.of(handler))).clock(clock).random(() -> 0.5).build();
    engine.start();
    return engine;
  }

  private TaskEngine engine() {
    return engine(handler(settings("127.0.0.1")));
  }

  private Task submit(String input, long maxAttempts) {
    return engine.submit(new SubmitRequest("http", input, null, null, maxAttempts, null, null,
        null)).task();
  }

  private Task submit(String input) {
    return submit(input, 3);
  }

  private Task awaitStatus(UUID id, TaskStatus status) {
    await().atMost(Duration.ofSeconds(20))
        .until(() -> engine.get(id).map(Task::status).orElse(null) == status);
    return engine.get(id).orElseThrow();
  }

  private Task awaitRetry(UUID id, int attempts) {
    await().atMost(Duration.ofSeconds(20)).until(() -> engine.get(id).orElseThrow().attempts()
        == attempts && engine.get(id).orElseThrow().status() == TaskStatus.PENDING);
    return engine.get(id).orElseThrow();
  }

  private static JsonObject result(Task t) {
    return Json.createReader(new java.io.StringReader(t.result())).readObject();
  }

  private static String get(String url) {
    return "{\"url\":\"" + url + "\"}";
  }

  // ---------------------------------------------------------------- answers

  @Test
  void aJsonAnswerIsTheResultAndTheRequestIsSentAsAsked() {
    server.route("/orders", (ex, n) -> {
      ex.getResponseHeaders().set("ETag", "\"v1\"");
      ex.getResponseHeaders().set("Set-Cookie", "session=abc");
      ex.getResponseHeaders().set("X-Internal", "not kept");
      LocalHttpServer.send(ex, 201, "application/json", "{\"id\":7,\"ok\":true}");
    });
    engine();
    Task t = submit("{\"method\":\"post\",\"url\":\"" + server.url("/orders?x=1")
        + "\",\"headers\":{\"Authorization\":\"Bearer s3cret\",\"X-Trace\":\"t1\"},"
        + "\"json\":{\"order\":42}}");
    JsonObject r = result(awaitStatus(t.id(), TaskStatus.SUCCESS));

    assertThat(r.getInt("status")).isEqualTo(201);
    assertThat(r.getString("url")).isEqualTo(server.url("/orders?x=1"));
    assertThat(r.getJsonObject("json")).isEqualTo(
        Json.createObjectBuilder().add("id", 7).add("ok", true).build());
    assertThat(r.get("text")).isEqualTo(jakarta.json.JsonValue.NULL);
    assertThat(r.getBoolean("truncated")).isFalse();
    assertThat(r.getJsonObject("headers").keySet())
        .containsExactlyInAnyOrder("content-type", "content-length", "etag", "date");
    assertThat(r.getJsonObject("headers").getString("etag")).isEqualTo("\"v1\"");

    LocalHttpServer.Seen seen = server.seen().get(0);
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo("/orders?x=1");
    assertThat(seen.body()).isEqualTo("{\"order\":42}");
    assertThat(seen.header("Content-Type")).isEqualTo("application/json");
    assertThat(seen.header("Authorization")).isEqualTo("Bearer s3cret");
    assertThat(seen.header("X-Trace")).isEqualTo("t1");
    assertThat(seen.header("User-Agent")).isEqualTo("Offload");
    assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + server.port());
  }

  @Test
  void aTextAnswerIsKeptAsTextInItsCharset() {
    server.route("/hello", (ex, n) -> {
      byte[] latin1 = "héllo wörld".getBytes(StandardCharsets.ISO_8859_1);
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=ISO-8859-1");
      ex.sendResponseHeaders(200, latin1.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(latin1);
      }
    });
    engine();
    Task t = submit("{\"method\":\"PUT\",\"url\":\"" + server.url("/hello")
        + "\",\"text\":\"a=1\",\"contentType\":\"application/x-www-form-urlencoded\"}");
    JsonObject r = result(awaitStatus(t.id(), TaskStatus.SUCCESS));
    assertThat(r.getString("text")).isEqualTo("héllo wörld");
    assertThat(r.get("json")).isEqualTo(jakarta.json.JsonValue.NULL);
    assertThat(server.seen().get(0).header("Content-Type"))
        .isEqualTo("application/x-www-form-urlencoded");
    assertThat(server.seen().get(0).body()).isEqualTo("a=1");
  }

  @Test
  void aBinaryAnswerIsBase64AndHeadHasNoBody() {
    server.route("/bin", (ex, n) -> {
      ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
      if (ex.getRequestMethod().equals("HEAD")) {
        ex.sendResponseHeaders(200, -1);
        return;
      }
      ex.sendResponseHeaders(200, 3);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(new byte[] {0, 1, (byte) 0xff});
      }
    });
    engine();
    JsonObject get = result(awaitStatus(submit(get(server.url("/bin"))).id(),
        TaskStatus.SUCCESS));
    assertThat(get.getString("base64")).isEqualTo("AAH/");
    JsonObject head = result(awaitStatus(submit("{\"method\":\"HEAD\",\"url\":\""
        + server.url("/bin") + "\"}").id(), TaskStatus.SUCCESS));
    assertThat(head.get("base64")).isEqualTo(jakarta.json.JsonValue.NULL);
    assertThat(head.getInt("status")).isEqualTo(200);
  }

  @Test
  void aTooManyRequestsAnswerIsRetriedNoSoonerThanItsRetryAfterSeconds() {
    server.route("/busy", (ex, n) -> {
      ex.getResponseHeaders().set("Retry-After", "120");
      LocalHttpServer.send(ex, 429, "text/plain", "slow down");
    });
    engine();
    Instant t0 = clock.instant();
    Task t = submit(get(server.url("/busy")));
    Task retry = awaitRetry(t.id(), 1);
    assertThat(retry.error().type()).isEqualTo("http-429");
    assertThat(retry.error().message())
        .isEqualTo("GET http://127.0.0.1:" + server.port() + " answered 429");
    // The backoff alone would be 500 ms.
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusSeconds(120));
  }

  @Test
  void aRetryAfterDateIsHonouredToo() {
    Instant t0 = clock.instant();
    String at = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        t0.plusSeconds(90).atOffset(ZoneOffset.UTC));
    server.route("/maintenance", (ex, n) -> {
      ex.getResponseHeaders().set("Retry-After", at);
      LocalHttpServer.send(ex, 503, "text/plain", "down for maintenance");
    });
    engine();
    Task retry = awaitRetry(submit(get(server.url("/maintenance"))).id(), 1);
    assertThat(retry.error().type()).isEqualTo("http-503");
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusSeconds(90));
  }

  @Test
  void aServerErrorIsRetriedWithBackoffAndTheSecondAttemptSucceeds() {
    server.route("/flaky", (ex, n) -> {
      if (n == 1) {
        LocalHttpServer.send(ex, 503, "text/plain", "try again");
      } else {
        LocalHttpServer.send(ex, 200, "application/json", "{\"attempt\":" + n + "}");
      }
    });
    engine();
    Instant t0 = clock.instant();
    Task t = submit(get(server.url("/flaky")));
    Task retry = awaitRetry(t.id(), 1);
    assertThat(retry.error().type()).isEqualTo("http-503");
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusMillis(500));
    clock.advance(Duration.ofMillis(500));
    engine.wakeUp();
    Task done = awaitStatus(t.id(), TaskStatus.SUCCESS);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(result(done).getJsonObject("json").getInt("attempt")).isEqualTo(2);
    assertThat(server.calls("/flaky")).isEqualTo(2);
  }

  @Test
  void aClientErrorFailsForGoodWithItsStatus() {
    engine();
    Task t = submit(get(server.url("/missing")), 3);
    Task failed = awaitStatus(t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error().type()).isEqualTo("http-404");
    assertThat(server.calls("/missing")).isEqualTo(1);
  }

  @Test
  void aSlowServerTimesOutAndIsRetried() {
    server.route("/slow", (ex, n) -> {
      try {
        releaseSlow.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    engine();
    Task t = submit("{\"url\":\"" + server.url("/slow") + "\",\"timeoutSeconds\":1}");
    Task retry = awaitRetry(t.id(), 1);
    assertThat(retry.error().type()).isEqualTo("timeout");
    assertThat(retry.error().message()).contains("within 1 s");
  }

  @Test
  void aConnectionRefusedIsAConnectErrorAndRetried() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    engine();
    Task retry = awaitRetry(submit(get("http://127.0.0.1:" + closedPort + "/")).id(), 1);
    assertThat(retry.error().type()).isEqualTo("connect-error");
    assertThat(retry.error().message()).contains("127.0.0.1:" + closedPort);
  }

  @Test
  void aHugeBodyIsCutAtTheCapAndNeverReadToItsEnd() throws Exception {
    AtomicLong written = new AtomicLong();
    CountDownLatch serverStopped = new CountDownLatch(1);
    long endless = 1L << 30; // a safety stop; the client must hang up long before
    server.route("/huge", (ex, n) -> {
      ex.getResponseHeaders().set("Content-Type", "text/plain");
      ex.sendResponseHeaders(200, 0);
      byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
      try (OutputStream out = ex.getResponseBody()) {
        while (written.get() < endless) {
          out.write(chunk);
          written.addAndGet(chunk.length);
        }
      } catch (IOException e) {
        // The client hung up: what the test expects.
      } finally {
        serverStopped.countDown();
      }
    });
    HttpHandler.Settings d = HttpHandler.Settings.defaults();
    engine(handler(new HttpHandler.Settings(List.of("127.0.0.1"), d.timeoutDefaultSeconds(),
        d.timeoutMaxSeconds(), d.connectTimeoutSeconds(), 1000, d.redirectsMax(),
        d.connectionsMax())));
    Task t = submit(get(server.url("/huge")));
    JsonObject r = result(awaitStatus(t.id(), TaskStatus.SUCCESS));
    assertThat(r.getBoolean("truncated")).isTrue();
    assertThat(r.getString("text")).isEqualTo("x".repeat(1000));
    assertThat(serverStopped.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(written.get()).as("bytes the server got out before the client hung up")
        .isLessThan(256L * 1024 * 1024);
  }

  // ---------------------------------------------------------------- redirects

  @Test
  void aRedirectIsNotFollowedUnlessAsked() {
    server.route("/old", (ex, n) -> {
      ex.getResponseHeaders().set("Location", "/new");
      LocalHttpServer.send(ex, 302, "text/plain", "moved");
    });
    server.route("/new", (ex, n) -> LocalHttpServer.send(ex, 200, "application/json", "[1]"));
    engine();
    JsonObject notFollowed = result(awaitStatus(submit(get(server.url("/old"))).id(),
        TaskStatus.SUCCESS));
    assertThat(notFollowed.getInt("status")).isEqualTo(302);
    assertThat(notFollowed.getJsonObject("headers").getString("location")).isEqualTo("/new");
    assertThat(notFollowed.getString("text")).isEqualTo("moved");
    assertThat(server.calls("/new")).isZero();

    JsonObject followed = result(awaitStatus(submit("{\"url\":\"" + server.url("/old")
        + "\",\"followRedirects\":true}").id(), TaskStatus.SUCCESS));
    assertThat(followed.getInt("status")).isEqualTo(200);
    assertThat(followed.getInt("redirects")).isEqualTo(1);
    assertThat(followed.getString("url")).isEqualTo(server.url("/new"));
    assertThat(followed.getJsonArray("json")).hasSize(1);
  }

  @Test
  void aFollowedRedirectToAnotherOriginDropsTheCredentialsAndA303BecomesAGet() {
    LocalHttpServer other = LocalHttpServer.start();
    toClose.add(other);
    other.route("/landing", (ex, n) -> LocalHttpServer.send(ex, 200, "text/plain", "ok"));
    server.route("/submit", (ex, n) -> {
      ex.getResponseHeaders().set("Location", other.url("/landing"));
      LocalHttpServer.send(ex, 303, null, "");
    });
    engine();
    Task t = submit("{\"method\":\"POST\",\"url\":\"" + server.url("/submit")
        + "\",\"followRedirects\":true,\"json\":{\"a\":1},"
        + "\"headers\":{\"Authorization\":\"Bearer s3cret\",\"X-Trace\":\"t1\"}}");
    awaitStatus(t.id(), TaskStatus.SUCCESS);
    LocalHttpServer.Seen first = server.seen().get(0);
    LocalHttpServer.Seen second = other.seen().get(0);
    assertThat(first.header("Authorization")).isEqualTo("Bearer s3cret");
    assertThat(second.method()).isEqualTo("GET");
    assertThat(second.body()).isEmpty();
    assertThat(second.header("Authorization")).isNull();
    assertThat(second.header("Content-Type")).isNull();
    assertThat(second.header("X-Trace")).isEqualTo("t1");
  }

  @Test
  void aRedirectToAForbiddenAddressIsRefused() {
    server.route("/evil", (ex, n) -> {
      ex.getResponseHeaders().set("Location", "http://127.0.0.2:" + server.port() + "/admin");
      LocalHttpServer.send(ex, 307, null, "");
    });
    engine();
    Task t = submit("{\"url\":\"" + server.url("/evil") + "\",\"followRedirects\":true}", 3);
    Task failed = awaitStatus(t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error().type()).isEqualTo("forbidden-address");
    assertThat(failed.error().message()).contains("127.0.0.2", "a loopback address");
    assertThat(server.seen()).extracting(LocalHttpServer.Seen::path).containsExactly("/evil");
  }

  @Test
  void endlessRedirectsStop() {
    server.route("/loop", (ex, n) -> {
      ex.getResponseHeaders().set("Location", "/loop?n=" + n);
      LocalHttpServer.send(ex, 302, null, "");
    });
    engine();
    Task failed = awaitStatus(submit("{\"url\":\"" + server.url("/loop")
        + "\",\"followRedirects\":true}").id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo("too-many-redirects");
    assertThat(server.calls("/loop")).isEqualTo(6);
  }

  // ---------------------------------------------------------------- forbidden destinations

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1/", "http://[::1]:8080/", "http://10.1.2.3/",
      "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/",
      "https://[fd00:ec2::254]/", "http://metadata.google.internal/computeMetadata/v1/",
      "http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://192.168.0.1/", "http://100.64.0.1/",
      "http://0.0.0.0/", "http://[fe80::1]/", "http://224.0.0.1/"})
  void aForbiddenLiteralOrMetadataNameIsRefusedAtSubmission(String url) {
    engine(handler(settings()));
    assertThatThrownBy(() -> submit(get(url)))
        .isInstanceOf(InvalidTaskException.class)
        // java.net.URI finds no host in some numeric forms (0x7f000001): refused all the same.
        .hasMessageMatching(".*(Offload does not call|'url' has no valid host name).*");
    assertThat(engine.health().queueDepth()).isZero();
  }

  @Test
  void aNameResolvingToLoopbackIsRefusedWhenItRuns() {
    // The system resolver: localhost is loopback on every machine.
    engine(handler(settings()));
    Task t = submit(get("http://localhost:" + server.port() + "/"), 3);
    Task failed = awaitStatus(t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error().type()).isEqualTo("forbidden-address");
    assertThat(failed.error().message()).contains("localhost", "resolves to a loopback address");
    assertThat(server.seen()).isEmpty();
  }

  @Test
  void aNameIsCheckedAtTheAddressConnectedToSoRebindingIsRefused() throws Exception {
    server.route("/ok", (ex, n) -> LocalHttpServer.send(ex, 200, "text/plain", "ok"));
    // Public at submission, as far as anyone could tell: the name is not looked up then.
    dns.put("rebind.test", List.of(InetAddress.getByName("127.0.0.1")));
    HttpHandler h = handler(settings("127.0.0.1"));
    String url = "http://rebind.test:" + server.port() + "/ok";
    h.validate(new HttpHandler.Input(null, url, null, null, null, null, null, null));
    assertThat(lookups.get()).as("no lookup at submission").isZero();
    engine(h);
    Task first = submit(get(url));
    awaitStatus(first.id(), TaskStatus.SUCCESS);
    assertThat(lookups.get()).as("one lookup, the one checked and connected to").isEqualTo(1);
    assertThat(server.seen().get(0).header("Host")).isEqualTo("rebind.test:" + server.port());

    // Then the name points at the metadata service: the next task is refused, for good.
    dns.put("rebind.test", List.of(InetAddress.getByName("169.254.169.254")));
    Task second = submit(get(url));
    Task failed = awaitStatus(second.id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo("forbidden-address");
    assertThat(failed.error().message()).contains("a cloud metadata address");
    assertThat(server.calls("/ok")).isEqualTo(1);
  }

  @Test
  void everyAddressOfANameIsChecked() throws Exception {
    dns.put("mixed.test", List.of(InetAddress.getByName("127.0.0.1"),
        InetAddress.getByName("10.0.0.1")));
    engine();
    Task failed = awaitStatus(submit(get("http://mixed.test:" + server.port() + "/")).id(),
        TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo("forbidden-address");
    assertThat(failed.error().message()).contains("a private address");
    assertThat(server.seen()).isEmpty();
  }

  @Test
  void anAllowedNameIsTrustedWhateverItResolvesTo() throws Exception {
    server.route("/ok", (ex, n) -> LocalHttpServer.send(ex, 200, "text/plain", "ok"));
    dns.put("internal.test", List.of(InetAddress.getByName("127.0.0.1")));
    engine(handler(settings("internal.test")));
    awaitStatus(submit(get("http://internal.test:" + server.port() + "/ok")).id(),
        TaskStatus.SUCCESS);
    assertThat(server.calls("/ok")).isEqualTo(1);
  }

  @Test
  void anUnknownNameIsADnsErrorAndRetried() {
    engine();
    Task retry = awaitRetry(submit(get("http://no-such-host.invalid/")).id(), 1);
    assertThat(retry.error().type()).isEqualTo("dns-error");
  }

  // ---------------------------------------------------------------- input checks and redact

  @Test
  void badInputsAreRefusedAtSubmissionWithoutEchoingHeaderValues() {
    HttpHandler h = handler(settings());
    assertRefused(h, new HttpHandler.Input("GET", "https://example.com/",
        Map.of("X-Token", "abc\r\nX-Injected: 1"), null, null, null, null, null),
        "the value of header 'X-Token'");
    assertRefused(h, new HttpHandler.Input("GET", "https://example.com/",
        Map.of("Host", "other.example"), null, null, null, null, null), "'Host' is set by");
    assertRefused(h, new HttpHandler.Input("GET", "https://example.com/",
        Map.of("Proxy-Authorization", "Basic x"), null, null, null, null, null), "is set by");
    assertRefused(h, new HttpHandler.Input("GET", "https://example.com/",
        Map.of("Bad Name", "x"), null, null, null, null, null), "HTTP tokens");
    assertRefused(h, new HttpHandler.Input("GET", "https://example.com/", null, null, "body",
        null, null, null), "a GET request has no body");
    assertRefused(h, new HttpHandler.Input("POST", "https://example.com/", null,
        Json.createValue(1), "body", null, null, null), "not both");
    assertRefused(h, new HttpHandler.Input("TRACE", "https://example.com/", null, null, null,
        null, null, null), "'method'");
    assertRefused(h, new HttpHandler.Input(null, "ftp://example.com/", null, null, null, null,
        null, null), "http or https");
    assertRefused(h, new HttpHandler.Input(null, "https://user:pw@example.com/", null, null,
        null, null, null, null), "credentials");
    assertRefused(h, new HttpHandler.Input(null, "https://example.com/", null, null, null,
        null, null, 121), "'timeoutSeconds' must be between 1 and 120");
    assertRefused(h, new HttpHandler.Input(null, null, null, null, null, null, null, null),
        "'url' is required");
  }

  private static void assertRefused(HttpHandler h, HttpHandler.Input in, String message) {
    assertThatThrownBy(() -> h.validate(in)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("abc", "Basic x"));
  }

  @Test
  void redactMasksSecretHeadersAndQueryParametersOnly() {
    HttpHandler h = handler(settings());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", "Bearer s3cret");
    headers.put("Cookie", "a=b");
    headers.put("X-Api-Key", "k1");
    headers.put("x-auth-token", "t1");
    headers.put("My-Secret", "s1");
    headers.put("DB-PASSWORD", "p1");
    headers.put("Accept", "application/json");
    HttpHandler.Input in = new HttpHandler.Input("POST",
        "https://example.com/x?api_key=k2&page=2&Signature=abc#top", headers,
        Json.createValue("body"), null, null, true, 10);
    HttpHandler.Input shown = h.redact(in);
    assertThat(shown.headers()).containsExactly(
        Map.entry("Authorization", "***"), Map.entry("Cookie", "***"),
        Map.entry("X-Api-Key", "***"), Map.entry("x-auth-token", "***"),
        Map.entry("My-Secret", "***"), Map.entry("DB-PASSWORD", "***"),
        Map.entry("Accept", "application/json"));
    assertThat(shown.url()).isEqualTo("https://example.com/x?api_key=***&page=2&Signature=***#top");
    assertThat(shown.json()).isEqualTo(in.json());
    assertThat(shown.timeoutSeconds()).isEqualTo(10);
    assertThat(in.headers().get("Authorization")).as("the input itself is untouched")
        .isEqualTo("Bearer s3cret");
  }

  @Test
  void messagesForClientsCarryNoClassNames() {
    assertThat(HttpHandler.describe(new IOException(
        "java.net.ConnectException: Connection refused"), "x")).isEqualTo("Connection refused");
    assertThat(HttpHandler.describe(new IOException(
        "failed: javax.net.ssl.SSLHandshakeException: bad\r\ncert"), "x"))
        .isEqualTo("failed: bad cert");
    assertThat(HttpHandler.describe(new IOException(), "the connection failed"))
        .isEqualTo("the connection failed");
  }

  @Test
  void retryAfterReadsSecondsAndDates() {
    assertThat(HttpHandler.retryAfter("120", clock)).contains(Duration.ofSeconds(120));
    assertThat(HttpHandler.retryAfter(" 0 ", clock)).contains(Duration.ZERO);
    assertThat(HttpHandler.retryAfter("Thu, 01 Jan 2026 00:01:00 GMT", clock))
        .contains(Duration.ofMinutes(1));
    assertThat(HttpHandler.retryAfter("Wed, 31 Dec 2025 00:00:00 GMT", clock))
        .contains(Duration.ZERO);
    assertThat(HttpHandler.retryAfter("soon", clock)).isEmpty();
    assertThat(HttpHandler.retryAfter("-5", clock)).isEmpty();
  }

  @Test
  void closingStopsEveryThreadTheHandlerStarted() {
    server.route("/ok", (ex, n) -> LocalHttpServer.send(ex, 200, "text/plain", "ok"));
    HttpHandler h = handler(settings("127.0.0.1"));
    engine(h);
    awaitStatus(submit(get(server.url("/ok"))).id(), TaskStatus.SUCCESS);
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .contains("offload-http-proxy");
    engine.shutdown();
    h.close();
    h.close(); // twice is fine
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive()
        && t.getName().startsWith("offload-http-"));
  }
}
