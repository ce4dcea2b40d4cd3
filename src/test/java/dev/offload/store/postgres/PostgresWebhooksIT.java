package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import dev.offload.testing.WebhookReceiver;
import dev.offload.testing.WebhookReceiver.Received;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Callbacks of WAR instances in separate JVMs on one database: deliveries owed when their
 * instance stops (the receiver answered 503 until then) are made after the restart, and one in flight when its instance is killed with
 * SIGKILL is made by another instance once the dead one's lease has run out. The receiver, in
 * this JVM, checks every signature with its own HMAC.
 */
@ExtendWith(PostgresExtension.class)
class PostgresWebhooksIT {
  private static final int LEASE_SECONDS = 2;
  private static final int TIMEOUT_SECONDS = 1;
  private static final String SECRET = WebhookReceiver.newSecret();

  private static Map<String, String> settings(TestDatabase db) {
    Map<String, String> s = new HashMap<>(OffloadProcess.postgres(db, LEASE_SECONDS));
    s.put("offload.http.allow", "127.0.0.1");
    s.put("offload.webhook.retry.base.millis", "100");
    s.put("offload.webhook.retry.ceiling.seconds", "1");
    s.put("offload.webhook.timeout.seconds", Integer.toString(TIMEOUT_SECONDS));
    return s;
  }

  private static String submit(Http http, String url) {
    Http.Response r = http.postJson("/api/tasks", Json.createObjectBuilder()
        .add("type", "noop").add("input", Json.createObjectBuilder().add("n", 1))
        .add("callback", Json.createObjectBuilder().add("url", url).add("secret", SECRET))
        .build().toString(), Map.of("Prefer", "wait=20"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getString("id");
  }

  private static JsonObject delivery(Http http, String id) {
    return http.get("/api/tasks/" + id).json().getJsonObject("callback")
        .getJsonObject("delivery");
  }

  @Test
  void deliveriesOwedWhenTheirInstanceStopsAreMadeAfterTheRestart(TestDatabase db)
      throws Exception {
    int tasks = 4;
    AtomicBoolean up = new AtomicBoolean(false);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      // 503 until the restart, then 2xx: every attempt before it fails and is retried.
      receiver.route("/restart", SECRET,
          (ex, call) -> WebhookReceiver.status(ex, up.get() ? 200 : 503));
      List<String> ids = new ArrayList<>();
      try (OffloadProcess first = OffloadProcess.start("webhooks-1", settings(db))) {
        Http http = new Http(first.baseUri());
        for (int i = 0; i < tasks; i++) {
          ids.add(submit(http, receiver.url("/restart")));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream()
            .allMatch(id -> delivery(http, id).getInt("attempts") >= 2));
        assertThat(first.stop()).as("a graceful stop").isZero();
      }
      Map<String, Long> beforeRestart = byId(receiver.received("/restart"));
      assertThat(beforeRestart.keySet()).as("each one was tried and refused before the stop")
          .containsExactlyInAnyOrderElementsOf(ids.stream().map(id -> "msg_" + id).toList());
      up.set(true);

      try (OffloadProcess second = OffloadProcess.start("webhooks-2", settings(db))) {
        Http http = new Http(second.baseUri());
        await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream()
            .allMatch(id -> delivery(http, id).getString("state").equals("delivered")));
        List<Received> got = receiver.received("/restart");
        assertThat(got).as("every signature verifies (the receiver's own HMAC)")
            .allSatisfy(r -> assertThat(r.problems()).isEmpty());
        Map<String, Long> all = byId(got);
        for (String id : ids) {
          JsonObject d = delivery(http, id);
          // At least once: an attempt the stop interrupted after it was sent is not counted.
          assertThat(all.get("msg_" + id)).as("deliveries of " + id)
              .isGreaterThan(beforeRestart.get("msg_" + id))
              .isGreaterThanOrEqualTo(d.getInt("attempts"));
        }
        System.out.printf("webhooks restart: %s attempts per task before the stop, %s in all%n",
            beforeRestart.values(), all.values());
      }
    }
  }

  /** How many deliveries the receiver saw of each message. */
  private static Map<String, Long> byId(List<Received> received) {
    return received.stream().collect(Collectors.groupingBy(Received::id, Collectors.counting()));
  }

  @Test
  void aDeliveryInFlightOnAKilledInstanceIsTakenOverAfterItsLease(TestDatabase db)
      throws Exception {
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      receiver.route("/crash", SECRET, (ex, call) -> {
        if (call == 1) {
          inFlight.countDown();
          try {
            letGo.await(30, TimeUnit.SECONDS); // the killed sender never hears this answer
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        WebhookReceiver.status(ex, 200);
      });
      String id;
      Instant killedAt;
      try (OffloadProcess doomed = OffloadProcess.start("webhooks-doomed", settings(db))) {
        id = submit(new Http(doomed.baseUri()), receiver.url("/crash"));
        assertThat(inFlight.await(20, TimeUnit.SECONDS)).isTrue();
        doomed.kill();
        killedAt = Instant.now();
      }
      letGo.countDown();

      try (OffloadProcess survivor = OffloadProcess.start("webhooks-survivor", settings(db))) {
        Http http = new Http(survivor.baseUri());
        await().atMost(Duration.ofSeconds(30))
            .until(() -> delivery(http, id).getString("state").equals("delivered"));
        Duration after = Duration.between(killedAt, Instant.now());
        JsonObject d = delivery(http, id);
        assertThat(d.getInt("attempts")).as("the killed attempt counted").isEqualTo(2);
        List<Received> got = receiver.received("/crash");
        assertThat(got).hasSize(2).allSatisfy(r -> assertThat(r.problems()).isEmpty());
        assertThat(got).extracting(Received::id).containsOnly("msg_" + id);
        System.out.printf("webhooks crash: the killed instance's delivery was made by another "
            + "%d ms after the kill (lease %d s + timeout %d s)%n", after.toMillis(),
            LEASE_SECONDS, TIMEOUT_SECONDS);
      }
    }
  }
}
