package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import jakarta.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two WAR instances in separate JVMs share one database; one is killed with SIGKILL while it
 * holds running tasks. Every accepted task must still end on the survivor. Tasks that ran twice
 * (at-least-once delivery) are counted and reported, never lost. Before that, long-polls and event
 * streams on both instances follow one task, wherever it runs.
 */
@ExtendWith(PostgresExtension.class)
class PostgresCrashIT {
  static final int LEASE_SECONDS = 2;

  static String submit(Http http, long millis) {
    Http.Response r = http.postJson("/api/tasks",
        "{\"type\":\"sleep\",\"input\":{\"millis\":" + millis + "},\"maxAttempts\":3}");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  static JsonObject health(Http http) {
    return http.get("/api/health").json();
  }

  /** No task pending or running anywhere: the shared queue has drained. */
  static boolean drained(Http http) {
    JsonObject h = health(http);
    return h.getJsonObject("queue").getInt("depth") == 0 && h.getInt("running") == 0;
  }

  /** Running attempts as {@code id/attempt -> owner}, read straight from the database. */
  static Map<String, String> running(TestDatabase db) throws SQLException {
    Map<String, String> held = new HashMap<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, attempts, lease_owner FROM offload_task"
            + " WHERE status = 'running'")) {
      while (rs.next()) {
        held.put(rs.getString(1) + "/" + rs.getInt(2), rs.getString(3));
      }
    }
    return held;
  }

  /** What every backend of the test database is doing, for a diagnosis. */
  static String activity(TestDatabase db) {
    StringBuilder out = new StringBuilder();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pid, application_name, state, wait_event_type,"
            + " wait_event, now() - xact_start, left(query, 200) FROM pg_stat_activity"
            + " WHERE datname = current_database() ORDER BY xact_start")) {
      while (rs.next()) {
        for (int i = 1; i <= 7; i++) {
          out.append(rs.getString(i)).append(i < 7 ? " | " : "\n");
        }
      }
    } catch (SQLException e) {
      out.append("no activity: ").append(e);
    }
    return out.toString();
  }

  /** How many of {@code before} are still running the same attempt for the same owner. */
  static long stillHeld(TestDatabase db, Map<String, String> before) throws SQLException {
    Map<String, String> now = running(db);
    return before.entrySet().stream()
        .filter(e -> e.getValue().equals(now.get(e.getKey())))
        .count();
  }

  /**
   * A long-poll and an event stream parked on each instance all end with the task's success,
   * wherever it ran: the instance that did not run it hears of the end through NOTIFY.
   */
  private static void eitherInstanceAnswersForATaskRunningOnTheOther(Http toA, Http toB,
      TestDatabase db, OffloadProcess a, OffloadProcess b) throws Exception {
    String id = submit(toA, 500);
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (Http http : List.of(toA, toB)) {
      answers.add(http.client().sendAsync(
          HttpRequest.newBuilder(http.url("/api/tasks/" + id + "?wait=30")).build(),
          HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body));
      answers.add(http.client().sendAsync(
          HttpRequest.newBuilder(http.url("/api/tasks/" + id + "/events")).build(),
          HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
            List<String> data = r.body().filter(l -> l.startsWith("data: ")).toList();
            return data.get(data.size() - 1).substring("data: ".length());
          }));
    }
    List<String> labels = List.of("long-poll on a", "events on a", "long-poll on b",
        "events on b");
    for (int i = 0; i < answers.size(); i++) {
      String body;
      try {
        body = answers.get(i).get(20, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        String diagnosis = "database activity:\n" + activity(db)
            + "\nthreads of a:\n" + a.threadDump() + "\nthreads of b:\n" + b.threadDump();
        java.nio.file.Files.writeString(Path.of("target", "crash-it-hang.txt"), diagnosis);
        throw new AssertionError(labels.get(i) + " did not end; task now: "
            + toB.get("/api/tasks/" + id).body() + "; see target/crash-it-hang.txt", e);
      }
      assertThat(body).as(labels.get(i)).contains("\"status\":\"success\"");
    }
  }

  @Test
  void killingAnInstanceMidTaskLosesNothing(TestDatabase db) throws Exception {
    int total = 120;
    try (OffloadProcess a = OffloadProcess.start("crash-a", OffloadProcess.postgres(db, LEASE_SECONDS));
        OffloadProcess b = OffloadProcess.start("crash-b", OffloadProcess.postgres(db, LEASE_SECONDS))) {
      Http toA = new Http(a.baseUri());
      Http toB = new Http(b.baseUri());
      for (int round = 0; round < 3; round++) {
        eitherInstanceAnswersForATaskRunningOnTheOther(toA, toB, db, a, b);
      }
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        ids.add(submit(i % 2 == 0 ? toA : toB, 300));
      }
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> health(toA).getJsonObject("workers").getInt("busy") >= 2);

      Map<String, String> runningAtKill = running(db);
      Instant killedAt = Instant.now();
      a.kill();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> stillHeld(db, runningAtKill) == 0);
      Duration reclaimedAfter = Duration.between(killedAt, Instant.now());

      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .until(() -> drained(toB));
      Duration drainedAfter = Duration.between(killedAt, Instant.now());
      int ranTwice = 0;
      Instant lastRestart = killedAt;
      for (String id : ids) {
        Http.Response r = toB.get("/api/tasks/" + id);
        assertThat(r.status()).as("task %s: %s", id, r.body()).isEqualTo(200);
        JsonObject t = r.json();
        assertThat(t.getString("status")).as("task %s", id).isEqualTo("success");
        if (t.getInt("attempts") > 1) {
          ranTwice++;
          Instant started = Instant.parse(t.getString("startedAt"));
          if (started.isAfter(lastRestart)) {
            lastRestart = started;
          }
        }
      }
      Duration resumedAfter = Duration.between(killedAt, lastRestart);
      System.out.printf("crash test: %d tasks accepted, 0 lost, %d ran twice; the killed "
          + "instance's tasks were back in the queue %d ms after the kill (lease %d s) and all "
          + "restarted within %d ms; all done %d ms after the kill%n", total, ranTwice,
          reclaimedAfter.toMillis(), LEASE_SECONDS, resumedAfter.toMillis(),
          drainedAfter.toMillis());
      assertThat(ranTwice).as("the killed instance held running tasks").isBetween(1, 8);
      assertThat(reclaimedAfter).as("work of a dead instance resumes within seconds")
          .isLessThan(Duration.ofSeconds(2L * LEASE_SECONDS + 5));
    }
  }
}
