package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The operator's actions over HTTP: retry, bulk cancel, search by key, and the figures. */
class OperatorIT {
  private static EmbeddedOffload app;
  private static Http anna;
  private static Http boris;
  private static Http vera;
  private static Http adam;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .param("offload.workers", "2")
        .param("offload.retry.base.millis", "10")
        .param("offload.retry.max.millis", "20")
        .param("offload.wait.max.seconds", "20")
        .user("anna", "anna-pw", "offload-user")
        .user("boris", "boris-pw", "offload-user")
        .user("vera", "vera-pw", "offload-viewer")
        .user("adam", "adam-pw", "offload-admin")
        .start();
    Http http = new Http(app.baseUri());
    anna = http.withBasic("anna", "anna-pw");
    boris = http.withBasic("boris", "boris-pw");
    vera = http.withBasic("vera", "vera-pw");
    adam = http.withBasic("adam", "adam-pw");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static JsonObject finished(Http as, String json) {
    Response r = as.postJson("/api/tasks", json, java.util.Map.of("Prefer", "wait=20"));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  private static JsonObject problem(Response r, int status) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    return r.json();
  }

  @Test
  void aFailedTaskIsRetriedAsANewTaskOfItsOwnerLinkedToIt() {
    JsonObject failed = finished(anna,
        "{\"type\":\"sleep\",\"input\":{\"millis\":1,\"failTimes\":1},\"priority\":\"high\","
            + "\"timeoutSeconds\":30,\"resultTtlSeconds\":600}");
    assertThat(failed.getString("status")).isEqualTo("failed");
    String id = failed.getString("id");

    Response retried = anna.postJson("/api/tasks/" + id + "/retry", "");
    assertThat(retried.status()).as(retried.toString()).isEqualTo(202);
    JsonObject again = retried.json();
    assertThat(retried.header("Location")).endsWith("/api/tasks/" + again.getString("id"));
    assertThat(again.getString("id")).isNotEqualTo(id);
    assertThat(again.getString("retryOf")).isEqualTo(id);
    assertThat(again.getString("owner")).isEqualTo("anna");
    assertThat(again.getString("priority")).isEqualTo("high");
    assertThat(again.getJsonNumber("timeoutSeconds").longValue()).isEqualTo(30);
    assertThat(again.getJsonObject("input")).isEqualTo(failed.getJsonObject("input"));
    // failTimes 1 fails the first attempt of each task: the retry is a new task.
    assertThat(anna.get("/api/tasks/" + again.getString("id") + "?wait=20").json()
        .getString("status")).isEqualTo("failed");

    String adamsRetry = adam.postJson("/api/tasks/" + id + "/retry", "").json().getString("id");
    assertThat(adam.get("/api/tasks/" + adamsRetry).json().getString("owner"))
        .as("an admin's retry is still the owner's task").isEqualTo("anna");
    problem(boris.postJson("/api/tasks/" + id + "/retry", ""), 404);
    problem(vera.postJson("/api/tasks/" + id + "/retry", ""), 403);
  }

  @Test
  void onlyFailedAndCanceledTasksCanBeRetried() {
    String ok = finished(anna, "{\"type\":\"noop\",\"input\":1}").getString("id");
    assertThat(problem(anna.postJson("/api/tasks/" + ok + "/retry", ""), 409)
        .getString("taskStatus")).isEqualTo("success");
    String canceled = anna.postJson("/api/tasks",
        "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":3600}").json().getString("id");
    anna.delete("/api/tasks/" + canceled);
    assertThat(anna.postJson("/api/tasks/" + canceled + "/retry", "").status()).isEqualTo(202);
    problem(anna.postJson("/api/tasks/" + UUID.randomUUID() + "/retry", ""), 404);
    problem(anna.get("/api/tasks/" + canceled + "/retry"), 405);
  }

  @Test
  void anAdminCancelsEveryPendingTaskOfATypeAndOwnerAfterSeeingHowMany() {
    for (int i = 0; i < 3; i++) {
      boris.postJson("/api/tasks", "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\","
          + "\"iterations\":1},\"delaySeconds\":3600}");
    }
    String annas = anna.postJson("/api/tasks", "{\"type\":\"pbkdf2\",\"input\":{\"password\":"
        + "\"p\",\"iterations\":1},\"delaySeconds\":3600}").json().getString("id");
    String borisNoop = boris.postJson("/api/tasks",
        "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":3600}").json().getString("id");

    String filter = "{\"type\":\"pbkdf2\",\"owner\":\"boris\"";
    JsonObject dry = adam.postJson("/api/tasks/cancel", filter + ",\"dryRun\":true}").json();
    assertThat(dry.getInt("matched")).isEqualTo(3);
    assertThat(dry.getInt("canceled")).isZero();
    problem(anna.postJson("/api/tasks/cancel", filter + "}"), 403);
    problem(vera.postJson("/api/tasks/cancel", filter + "}"), 403);
    problem(adam.postJson("/api/tasks/cancel", "{\"status\":\"running\"}"), 400);

    JsonObject done = adam.postJson("/api/tasks/cancel", filter + "}").json();
    assertThat(done.getInt("matched")).isEqualTo(3);
    assertThat(done.getInt("canceled")).isEqualTo(3);
    assertThat(anna.get("/api/tasks/" + annas).json().getString("status")).isEqualTo("pending");
    assertThat(boris.get("/api/tasks/" + borisNoop).json().getString("status"))
        .isEqualTo("pending");
    assertThat(boris.get("/api/tasks?status=canceled&type=pbkdf2&limit=100").json()
        .getJsonArray("items")).hasSizeGreaterThanOrEqualTo(3);
    anna.delete("/api/tasks/" + annas);
    boris.delete("/api/tasks/" + borisNoop);
  }

  @Test
  void aTaskIsFoundByItsIdempotencyKeyWithinItsOwner() {
    String key = "order-" + UUID.randomUUID();
    String id = anna.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1}",
        java.util.Map.of("Idempotency-Key", key)).json().getString("id");
    List<String> found = anna.get("/api/tasks?idempotencyKey=" + key).json().getJsonArray("items")
        .stream().map(v -> v.asJsonObject().getString("id")).toList();
    assertThat(found).containsExactly(id);
    assertThat(boris.get("/api/tasks?idempotencyKey=" + key).json().getJsonArray("items"))
        .isEmpty();
    assertThat(adam.get("/api/tasks?idempotencyKey=" + key + "&owner=anna").json()
        .getJsonArray("items")).hasSize(1);
  }

  @Test
  void theFiguresPerTypeAndMinuteFollowTheTasks() {
    JsonObject before = vera.get("/api/stats").json();
    long doneBefore = count(before, "noop", "succeeded");
    finished(anna, "{\"type\":\"noop\",\"input\":1}");
    finished(boris, "{\"type\":\"noop\",\"input\":2}");

    await().atMost(Duration.ofSeconds(10))
        .until(() -> count(vera.get("/api/stats").json(), "noop", "succeeded") == doneBefore + 2);
    JsonObject stats = adam.get("/api/stats").json();
    JsonObject noop = type(stats, "noop");
    assertThat(noop.getJsonNumber("submitted").longValue()).isGreaterThanOrEqualTo(2);
    assertThat(noop.getJsonNumber("runTimeP50Seconds").doubleValue()).isPositive();
    assertThat(stats.getJsonArray("minutes")).hasSize(60);
    JsonObject now = stats.getJsonArray("minutes").getJsonObject(59);
    assertThat(now.getJsonNumber("succeeded").longValue()).isGreaterThanOrEqualTo(2);
    problem(anna.get("/api/stats"), 403);
  }

  private static JsonObject type(JsonObject stats, String type) {
    return stats.getJsonArray("types").stream().map(v -> v.asJsonObject())
        .filter(t -> t.getString("type").equals(type)).findFirst().orElse(null);
  }

  private static long count(JsonObject stats, String type, String field) {
    JsonObject t = type(stats, type);
    return t == null ? 0 : t.getJsonNumber(field).longValue();
  }
}
