package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A redeploy: tasks accepted before an instance stops (some running, some still queued) are
 * handed back, not failed, and complete after it starts again.
 */
@ExtendWith(PostgresExtension.class)
class PostgresRestartIT {

  private static Map<String, Long> countByStatus(TestDatabase db) throws SQLException {
    Map<String, Long> counts = new java.util.TreeMap<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT status, count(*) FROM offload_task GROUP BY status")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    return counts;
  }

  private static long handedBack(TestDatabase db) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM offload_task"
            + " WHERE status = 'pending' AND started_at IS NOT NULL")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void tasksAcceptedBeforeAStopCompleteAfterTheRestart(TestDatabase db) throws Exception {
    Map<String, String> settings = new java.util.HashMap<>(OffloadProcess.postgres(db, 2));
    settings.put("offload.shutdown.grace.seconds", "0"); // interrupt what runs at the stop
    int total = 12;
    List<String> ids = new ArrayList<>();
    try (OffloadProcess first = OffloadProcess.start("restart-1", settings)) {
      Http http = new Http(first.baseUri());
      for (int i = 0; i < total; i++) {
        ids.add(PostgresCrashIT.submit(http, 1_500));
      }
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> PostgresCrashIT.health(http).getJsonObject("workers").getInt("busy") == 4);

      assertThat(first.stop()).as("a graceful stop").isZero();
    }

    Map<String, Long> whileStopped = countByStatus(db);
    long back = handedBack(db);
    assertThat(whileStopped.keySet()).as("nothing failed, nothing left running")
        .isSubsetOf("pending", "success");
    assertThat(whileStopped.values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(total);
    // The 4 running, and those claimed ahead for busy workers (half the workers' worth).
    assertThat(back).as("the interrupted and the claimed tasks were handed back")
        .isBetween(1L, 6L);

    try (OffloadProcess second = OffloadProcess.start("restart-2", settings)) {
      Http http = new Http(second.baseUri());
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .until(() -> PostgresCrashIT.drained(http));
      for (String id : ids) {
        JsonObject t = http.get("/api/tasks/" + id).json();
        assertThat(t.getString("status")).as("task %s", id).isEqualTo("success");
        assertThat(t.getInt("attempts")).as("a hand-back does not count an attempt")
            .isEqualTo(1);
      }
    }
    System.out.printf("restart test: %d tasks accepted before a graceful stop, %d of them were "
        + "interrupted and handed back; all %d succeeded after the restart%n", total, back,
        total);
  }
}
