package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import jakarta.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fair share over real HTTP: every per-owner limit and every global cap is reached, refused
 * with the right status, problem and Retry-After, freed again, and per owner (one owner's limit
 * never touches another).
 */
class QuotaIT {
  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .param("offload.workers", "1")
        .param("offload.queue.capacity", "8")
        .param("offload.owner.pending.max", "3")
        .param("offload.owner.pending.bytes.max", "200")
        .param("offload.owner.waits.max", "2")
        .param("offload.waits.max", "3")
        .param("offload.wait.max.seconds", "30")
        .param("offload.shutdown.grace.seconds", "0")
        .user("anna", "anna-pw", "offload-user")
        .user("boris", "boris-pw", "offload-user")
        .user("clara", "clara-pw", "offload-user")
        .user("adam", "adam-pw", "offload-admin")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static Map<String, String> as(String user) {
    return Map.of("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8)));
  }

  private static Response submit(String user, String json) {
    return http.postJson("/api/tasks", json, as(user));
  }

  private static Response get(String user, String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url(path));
    as(user).forEach(b::header);
    return http.send(b.GET());
  }

  private static void cancel(String user, String id) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url("/api/tasks/" + id));
    as(user).forEach(b::header);
    http.send(b.DELETE());
  }

  private static String delayed(String user) {
    Response r = submit(user, "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":3600}");
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static JsonObject refused(Response r, int status, String limit, long max) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    assertThat(r.header("Retry-After")).isNotBlank();
    JsonObject p = r.json();
    assertThat(p.getString("limit")).isEqualTo(limit);
    assertThat(p.getJsonNumber("max").longValue()).isEqualTo(max);
    assertThat(p.getString("detail")).contains(limit, Long.toString(max));
    return p;
  }

  @Test
  void anOwnersPendingTasksAreLimitedWith429AndFreedWhenTheyLeaveTheQueue() {
    List<String> annas = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      annas.add(delayed("anna"));
    }
    refused(submit("anna", "{\"type\":\"noop\",\"input\":1}"), 429,
        "offload.owner.pending.max", 3);
    String boris = delayed("boris");
    assertThat(boris).as("another owner is unaffected").isNotBlank();

    cancel("anna", annas.remove(0));
    annas.add(delayed("anna"));
    annas.forEach(id -> cancel("anna", id));
    cancel("boris", boris);
  }

  @Test
  void anOwnersPendingBytesAreLimitedWith429() {
    String text = "x".repeat(150);
    Response first = submit("clara", "{\"type\":\"noop\",\"delaySeconds\":3600,\"input\":\""
        + text + "\"}");
    assertThat(first.status()).isEqualTo(202);
    refused(submit("clara", "{\"type\":\"noop\",\"delaySeconds\":3600,\"input\":\"" + text
        + "\"}"), 429, "offload.owner.pending.bytes.max", 200);
    Response small = submit("boris", "{\"type\":\"noop\",\"delaySeconds\":3600,\"input\":\""
        + text + "\"}");
    assertThat(small.status()).as("boris has his own budget").isEqualTo(202);
    cancel("clara", first.json().getString("id"));
    cancel("boris", small.json().getString("id"));
  }

  @Test
  void theWholeQueueFullIs503ForEveryone() {
    List<String[]> ids = new ArrayList<>();
    for (String user : List.of("anna", "boris", "clara")) {
      for (int i = 0; i < (user.equals("clara") ? 2 : 3); i++) {
        ids.add(new String[] {user, delayed(user)});
      }
    }
    refused(submit("adam", "{\"type\":\"noop\",\"input\":1}"), 503, "offload.queue.capacity", 8);
    ids.forEach(p -> cancel(p[0], p[1]));
    assertThat(submit("adam", "{\"type\":\"noop\",\"input\":1}").status()).isEqualTo(202);
  }

  @Test
  void waitsAreLimitedPerOwnerWith429AndOverallWith503AndFreedWhenTheyEnd() throws Exception {
    String annaTask = delayed("anna");
    String borisTask = delayed("boris");
    List<CompletableFuture<HttpResponse<InputStream>>> open = new ArrayList<>();
    try {
      open.add(stream("anna", annaTask));
      open.add(longPoll("anna", annaTask));
      await().atMost(Duration.ofSeconds(10)).until(() -> waits() == 2);
      refused(get("anna", "/api/tasks/" + annaTask + "?wait=20"), 429,
          "offload.owner.waits.max", 2);
      refused(get("anna", "/api/tasks/" + annaTask + "/events"), 429,
          "offload.owner.waits.max", 2);
      Response prefer = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1,"
          + "\"delaySeconds\":3600}", Map.of("Authorization", as("anna").get("Authorization"),
          "Prefer", "wait=20"));
      refused(prefer, 429, "offload.owner.waits.max", 2);
      assertThat(get("anna", "/api/tasks?status=pending&limit=100").json()
          .getJsonArray("items")).as("the refused submission queued nothing").hasSize(1);

      open.add(longPoll("boris", borisTask));
      await().atMost(Duration.ofSeconds(10)).until(() -> waits() == 3);
      String clara = delayed("clara");
      refused(get("clara", "/api/tasks/" + clara + "?wait=20"), 503, "offload.waits.max", 3);
      cancel("clara", clara);
    } finally {
      cancel("anna", annaTask);
      cancel("boris", borisTask);
    }
    for (CompletableFuture<HttpResponse<InputStream>> f : open) {
      try (InputStream in = f.get(20, TimeUnit.SECONDS).body()) {
        in.readAllBytes(); // each ends once its task is canceled
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> waits() == 0);
    assertThat(get("anna", "/api/tasks/" + annaTask + "?wait=1").status()).isEqualTo(200);
  }

  private static int waits() {
    return get("adam", "/api/health").json().getJsonObject("waits").getInt("open");
  }

  private static CompletableFuture<HttpResponse<InputStream>> longPoll(String user, String id) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url("/api/tasks/" + id + "?wait=20"));
    as(user).forEach(b::header);
    return http.client().sendAsync(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private static CompletableFuture<HttpResponse<InputStream>> stream(String user, String id) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url("/api/tasks/" + id + "/events"));
    as(user).forEach(b::header);
    return http.client().sendAsync(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  @Test
  void aStreamEndsAfterItsMaximumDurationAndAReconnectWithLastEventIdStartsWithTheState()
      throws IOException {
    try (EmbeddedOffload shortStreams = EmbeddedOffload.builder()
        .param("offload.sse.max.seconds", "1")
        .param("offload.sse.heartbeat.seconds", "60")
        .start()) {
      Http h = new Http(shortStreams.baseUri());
      String id = h.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1,"
          + "\"delaySeconds\":3600}").json().getString("id");
      long started = System.nanoTime();
      List<String> first = events(h, id, null);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("the stream ended by itself").isLessThan(Duration.ofSeconds(10));
      assertThat(first).hasSize(1);
      assertThat(first.get(0)).contains("id: 1", "event: status", "\"status\":\"pending\"");

      List<String> resumed = events(h, id, "1");
      assertThat(resumed.get(0)).as("the current state first, as on a fresh stream")
          .contains("event: status", "\"status\":\"pending\"");
      h.delete("/api/tasks/" + id);
    }
  }

  /** The events of one stream, read until the server ends it. */
  private static List<String> events(Http h, String id, String lastEventId) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.url("/api/tasks/" + id + "/events"));
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    try {
      HttpResponse<InputStream> r = h.client().send(b.GET().timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      List<String> events = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.isEmpty()) {
            if (current.length() > 0 && !current.toString().startsWith(":")) {
              events.add(current.toString());
            }
            current.setLength(0);
          } else {
            current.append(line).append('\n');
          }
        }
      }
      return events;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
