package dev.offload.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.InvalidTaskException;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.outbound.AddressRules;
import dev.offload.outbound.OutboundHttp;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.Callback;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.TestHandlers;
import dev.offload.testing.WebhookReceiver;
import dev.offload.testing.WebhookReceiver.Received;
import jakarta.json.Json;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deliverer with a real engine (memory store) and a real receiver on 127.0.0.1, the only
 * address its rules trust; the receiver checks every signature with its own implementation.
 * Retries are fast (50 ms backoff, jitter pinned to half) so nothing here waits long.
 */
class WebhookDelivererTest {
  private static final String SECRET = WebhookReceiver.newSecret();

  private final TestHandlers.Gate gate = new TestHandlers.Gate();
  private final Map<String, List<InetAddress>> dns = new ConcurrentHashMap<>();
  private final List<Delivery> attempted = new CopyOnWriteArrayList<>();
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
  private TaskEngine engine;
  private WebhookDeliverer deliverer;

  @BeforeEach
  void start() {
    levelBefore = offloadLog.getLevel();
    offloadLog.setLevel(Level.ALL); // the FINE lines too: none may name the secret
    offloadLog.addHandler(capture);
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void stop() {
    if (deliverer != null) {
      deliverer.close();
    }
    if (engine != null) {
      engine.shutdown();
    }
    receiver.close();
    offloadLog.removeHandler(capture);
    offloadLog.setLevel(levelBefore);
    String key = SECRET.substring("whsec_".length());
    for (LogRecord r : logged) {
      String line = new java.util.logging.SimpleFormatter().format(r);
      assertThat(line).as("a log line").doesNotContain(SECRET).doesNotContain(key);
    }
  }

  private void start(Duration window) {
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(4, 100, d.defaultTimeout(), d.maxTimeout(), 5,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofMillis(20),
        Duration.ofMillis(40), Duration.ofHours(1), Duration.ofMillis(200),
        Duration.ofMillis(500), d.lease());
    AddressRules rules = AddressRules.allowing(List.of("127.0.0.1"));
    engine = TaskEngine.builder(config, new MemoryTaskStore(100, 1000), new HandlerRegistry(
            List.of(gate,
                new TestHandlers.Simple("ok", k -> "done " + k.key()),
                new TestHandlers.Simple("fail", k -> {
                  throw new IllegalStateException("always fails");
                }))))
        .callbackRules(rules)
        .build();
    OutboundHttp http = new OutboundHttp("offload-webhook", rules, this::resolve,
        Duration.ofSeconds(2), Duration.ofSeconds(10), 8, null);
    deliverer = new WebhookDeliverer(new WebhookDeliverer.Settings(2, window,
        Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofMillis(200)),
        engine.deliveries(), http, WebhookDelivererTest::view, () -> 0.5,
        new WebhookDeliverer.Events() {
          @Override
          public void attempted(Task task, Delivery next) {
            attempted.add(next);
          }
        });
    engine.start();
    deliverer.start();
  }

  /** A stand-in for the task view: the engine does not know the web layer's. */
  private static String view(Task t) {
    return Json.createObjectBuilder()
        .add("id", t.id().toString())
        .add("status", t.status().wire())
        .add("delivery", t.delivery().state().wire())
        .add("attempts", t.delivery().attempts())
        .build().toString();
  }

  private List<InetAddress> resolve(String host) throws UnknownHostException {
    List<InetAddress> answer = dns.get(host);
    return answer != null ? answer : Arrays.asList(InetAddress.getAllByName(host));
  }

  private Task submit(String type, String key, String path, String secret) {
    return engine.submit(new SubmitRequest(type, "{\"key\":\"" + key + "\"}", null, null, null,
        null, null, null).withCallback(new Callback(receiver.url(path), secret))).task();
  }

  private Task awaitDelivery(UUID id, DeliveryState state) {
    await().atMost(Duration.ofSeconds(20)).until(
        () -> engine.get(id).orElseThrow().delivery().state() == state);
    return engine.get(id).orElseThrow();
  }

  @Test
  void refusedTwiceThenAcceptedIsDeliveredOnTheThirdAttemptAsTheSameSignedMessage() {
    receiver.route("/hook", SECRET, (ex, call) -> WebhookReceiver.status(ex, call < 3 ? 500 : 204));
    start(Duration.ofMinutes(1));

    Task t = submit("ok", "a", "/hook", SECRET);
    Task done = awaitDelivery(t.id(), DeliveryState.DELIVERED);

    List<Received> got = receiver.received("/hook");
    assertThat(got).hasSize(3);
    assertThat(got).allSatisfy(r -> assertThat(r.problems()).isEmpty());
    assertThat(got).extracting(Received::id).containsOnly("msg_" + t.id());
    assertThat(got).extracting(Received::body).as("one message, the same bytes each time")
        .containsOnly(got.get(0).body());
    assertThat(got.get(0).json().getString("status")).isEqualTo("success");
    assertThat(got.get(0).json().getInt("attempts")).as("the view as the task ended").isZero();
    assertThat(got.get(0).contentType()).isEqualTo("application/json");
    Delivery d = done.delivery();
    assertThat(d.attempts()).isEqualTo(3);
    assertThat(d.lastError()).isNull();
    assertThat(d.deliveredAt()).isNotNull();
    assertThat(done.deliveryDueAtMillis()).isEqualTo(Task.NO_TIME);
    assertThat(attempted).extracting(Delivery::state).containsExactly(DeliveryState.PENDING,
        DeliveryState.PENDING, DeliveryState.DELIVERED);
    assertThat(attempted.get(0).lastError().type()).isEqualTo("http-500");
  }

  @Test
  void withoutASecretTheDeliveryIsUnsigned() {
    receiver.route("/plain", null, (ex, call) -> WebhookReceiver.status(ex, 200));
    start(Duration.ofMinutes(1));

    Task t = submit("ok", "p", "/plain", null);
    awaitDelivery(t.id(), DeliveryState.DELIVERED);

    assertThat(receiver.received("/plain")).singleElement().satisfies(r -> {
      assertThat(r.problems()).isEmpty();
      assertThat(r.signature()).isNull();
      assertThat(r.id()).isEqualTo("msg_" + t.id());
    });
  }

  @Test
  void aReceiverThatNeverAcceptsFailsTheDeliveryWhenTheWindowCloses() {
    receiver.route("/down", SECRET, (ex, call) -> WebhookReceiver.status(ex, 503));
    start(Duration.ofMillis(600));

    Task t = submit("ok", "d", "/down", SECRET);
    Task failed = awaitDelivery(t.id(), DeliveryState.FAILED);

    Delivery d = failed.delivery();
    assertThat(d.attempts()).as("retried within the window").isGreaterThan(1);
    assertThat(d.lastError().type()).isEqualTo("http-503");
    assertThat(d.lastError().message()).isEqualTo("POST " + receiver.url("") + " answered 503");
    assertThat(d.nextAttemptAt()).isNull();
    assertThat(d.deliveredAt()).isNull();
    assertThat(receiver.received("/down")).as("one request per attempt, none after")
        .hasSize(d.attempts()).allSatisfy(r -> assertThat(r.problems()).isEmpty());
    // The last attempt began within the window; the one after it would not have.
    assertThat(attempted).last().extracting(Delivery::state).isEqualTo(DeliveryState.FAILED);
  }

  @Test
  void aRetryWaitsForTheReceiversRetryAfter() {
    receiver.route("/busy", SECRET, (ex, call) -> {
      if (call == 1) {
        ex.getResponseHeaders().set("Retry-After", "2");
        WebhookReceiver.status(ex, 503);
      } else {
        WebhookReceiver.status(ex, 200);
      }
    });
    start(Duration.ofMinutes(1));

    Task t = submit("ok", "b", "/busy", SECRET);
    await().atMost(Duration.ofSeconds(10)).until(() -> !attempted.isEmpty());

    Delivery retry = attempted.get(0);
    Instant sent = Instant.ofEpochSecond(Long.parseLong(receiver.received("/busy").get(0)
        .timestamp()));
    // The backoff alone is at most 200 ms: only the Retry-After explains two seconds.
    assertThat(retry.nextAttemptAt()).isAfterOrEqualTo(sent.plusSeconds(2));
    Task done = awaitDelivery(t.id(), DeliveryState.DELIVERED);
    assertThat(done.delivery().attempts()).isEqualTo(2);
  }

  @Test
  void aNameThatResolvesToAForbiddenAddressFailsTheDeliveryAtOnce() {
    dns.put("hooks.internal.test", List.of(InetAddress.getLoopbackAddress(),
        ipv4(10, 1, 2, 3)));
    receiver.route("/hook", SECRET, (ex, call) -> WebhookReceiver.status(ex, 200));
    start(Duration.ofMinutes(1));

    Task t = engine.submit(new SubmitRequest("ok", "{\"key\":\"f\"}", null, null, null, null,
        null, null).withCallback(new Callback("http://hooks.internal.test:"
            + receiver.url("").replaceAll(".*:", "") + "/hook", SECRET))).task();
    Task failed = awaitDelivery(t.id(), DeliveryState.FAILED);

    assertThat(failed.delivery().attempts()).isEqualTo(1);
    assertThat(failed.delivery().lastError().type()).isEqualTo("forbidden-address");
    assertThat(failed.delivery().lastError().message())
        .contains("hooks.internal.test resolves to a private address");
    assertThat(receiver.received()).as("nothing was sent anywhere").isEmpty();
  }

  @Test
  void aCallbackOffloadWouldNotCallIsRefusedAtSubmission() {
    start(Duration.ofMinutes(1));
    for (String url : List.of("http://10.0.0.1/hook", "http://169.254.169.254/latest",
        "http://[::1]:8080/", "http://metadata.google.internal/", "http://2130706433/",
        "ftp://example.com/", "https://user:pw@example.com/", "not a url")) {
      assertThatThrownBy(() -> engine.submit(new SubmitRequest("ok", "{\"key\":\"x\"}", null,
          null, null, null, null, null).withCallback(new Callback(url, null))))
          .as(url).isInstanceOf(InvalidTaskException.class)
          .hasMessageContaining("callback.url");
    }
    for (String secret : List.of("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!",
        "whsec_c2hvcnQ=", "whsec_")) {
      assertThatThrownBy(() -> engine.submit(new SubmitRequest("ok", "{\"key\":\"x\"}", null,
          null, null, null, null, null).withCallback(
              new Callback("https://hooks.example/", secret))))
          .as(secret).isInstanceOf(InvalidTaskException.class)
          .hasMessageContaining("callback.secret")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
    }
    assertThat(engine.health().queueDepth()).as("nothing was queued").isZero();
  }

  @Test
  void everyWayATaskEndsSendsExactlyOneDelivery() throws Exception {
    for (String path : List.of("/success", "/failure", "/timeout", "/cancel-pending",
        "/cancel-running")) {
      receiver.route(path, SECRET, (ex, call) -> WebhookReceiver.status(ex, 200));
    }
    start(Duration.ofMinutes(1));

    Task success = submit("ok", "s", "/success", SECRET);
    Task failure = engine.submit(new SubmitRequest("fail", "{\"key\":\"f\"}", null, null, 2L,
        null, null, null).withCallback(new Callback(receiver.url("/failure"), SECRET))).task();
    Task timeout = engine.submit(new SubmitRequest("gate", "{\"key\":\"t\"}", null, 1L, null,
        null, null, null).withCallback(new Callback(receiver.url("/timeout"), SECRET))).task();
    Task pending = engine.submit(new SubmitRequest("ok", "{\"key\":\"p\"}", null, null, null,
        3600L, null, null).withCallback(new Callback(receiver.url("/cancel-pending"), SECRET)))
        .task();
    Task running = submit("gate", "r", "/cancel-running", SECRET);
    assertThat(gate.awaitStarted("r")).isTrue();
    engine.cancel(pending.id());
    engine.cancel(running.id());

    Map<String, Task> byPath = Map.of("/success", success, "/failure", failure,
        "/timeout", timeout, "/cancel-pending", pending, "/cancel-running", running);
    Map<String, String> status = Map.of("/success", "success", "/failure", "failed",
        "/timeout", "failed", "/cancel-pending", "canceled", "/cancel-running", "canceled");
    for (Task t : byPath.values()) {
      awaitDelivery(t.id(), DeliveryState.DELIVERED);
    }
    for (Map.Entry<String, Task> e : byPath.entrySet()) {
      List<Received> got = receiver.received(e.getKey());
      assertThat(got).as(e.getKey()).singleElement().satisfies(r -> {
        assertThat(r.problems()).isEmpty();
        assertThat(r.id()).isEqualTo("msg_" + e.getValue().id());
        assertThat(r.json().getString("status")).isEqualTo(status.get(e.getKey()));
      });
    }
    assertThat(engine.get(failure.id()).orElseThrow().attempts()).as("after its retries")
        .isEqualTo(2);
    assertThat(engine.get(timeout.id()).orElseThrow().error().type()).isEqualTo("timeout");
    assertThat(receiver.received()).hasSize(5);
  }

  @Test
  void aDeliveryInFlightWhenTheDelivererStopsIsLeftOwed() throws Exception {
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    receiver.route("/slow", SECRET, (ex, call) -> {
      inFlight.countDown();
      try {
        letGo.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      WebhookReceiver.status(ex, 200);
    });
    start(Duration.ofMinutes(1));
    Task t = submit("ok", "slow", "/slow", SECRET);
    assertThat(inFlight.await(10, TimeUnit.SECONDS)).isTrue();

    deliverer.close();
    letGo.countDown();

    Task after = engine.get(t.id()).orElseThrow();
    assertThat(after.delivery()).as("handed back, as if never claimed").isEqualTo(Delivery.OWED);
    assertThat(after.deliveryDueAtMillis()).isEqualTo(after.finishedAt().toEpochMilli());
    assertThat(attempted).isEmpty();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(th -> th.isAlive()
        && th.getName().startsWith("offload-webhook-"));
  }

  private static InetAddress ipv4(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
