package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.offload.testing.Http;
import dev.offload.testing.Promtool;
import dev.offload.testing.Scrape;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The database is stopped and started again while two instances are under load: submissions
 * get 503 with Retry-After and a problem detail meanwhile, health says so, and afterwards the
 * instances resume by themselves. Every accepted task still ends, none is lost, no task is
 * reported finished that did not finish, and tasks that ran twice are counted.
 */
class PostgresOutageIT {

  @Test
  void aDatabaseOutageUnderLoadLosesNothing() throws Exception {
    assumeFalse(PostgresExtension.externalServer(),
        "needs a server it may stop; OFFLOAD_TEST_JDBC_URL names one it must not");
    ExecutorService clients = Executors.newFixedThreadPool(2);
    try (EmbeddedPg pg = EmbeddedPg.start()) {
      TestDatabase db = new TestDatabase(pg.jdbcUrl("postgres"), pg.user(), "");
      Map<String, String> settings = OffloadProcess.postgres(db, 2);
      try (OffloadProcess a = OffloadProcess.start("outage-a", settings);
          OffloadProcess b = OffloadProcess.start("outage-b", settings)) {
        List<Http> instances = List.of(new Http(a.baseUri()), new Http(b.baseUri()));
        List<String> accepted = new CopyOnWriteArrayList<>();
        AtomicInteger refused = new AtomicInteger();
        AtomicReference<String> badRefusal = new AtomicReference<>();
        AtomicBoolean load = new AtomicBoolean(true);
        List<Future<?>> loops = new CopyOnWriteArrayList<>();
        for (Http http : instances) {
          loops.add(clients.submit(() -> {
            // Bounded: at most 2,000 requests per client, and only while the test wants load.
            for (int i = 0; i < 2_000 && load.get(); i++) {
              Http.Response r = http.postJson("/api/tasks",
                  "{\"type\":\"sleep\",\"input\":{\"millis\":100},\"maxAttempts\":3}");
              if (r.status() == 202) {
                accepted.add(r.json().getString("id"));
              } else if (r.status() == 503 && r.header("Retry-After") != null
                  && r.header("Content-Type").startsWith("application/problem+json")
                  && r.json().getString("detail").contains("unavailable")) {
                refused.incrementAndGet();
              } else {
                badRefusal.compareAndSet(null, r.status() + " " + r.body());
              }
            }
            return null;
          }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= 40);

        pg.stopServer();
        int acceptedBefore = accepted.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() >= 2);
        for (Http http : instances) {
          Http.Response health = http.get("/api/health");
          assertThat(health.status()).isEqualTo(503);
          assertThat(health.json().getString("status")).isEqualTo("store_unavailable");
          // An orchestrator takes the instance out of rotation but must not restart it: a
          // restart would not bring the database back.
          Http.Response ready = http.get("/api/health/ready");
          assertThat(ready.status()).isEqualTo(503);
          assertThat(ready.header("Retry-After")).isNotNull();
          assertThat(ready.json().getString("status")).isEqualTo("store_unavailable");
          Http.Response live = http.get("/api/health/live");
          assertThat(live.status()).isEqualTo(200);
          assertThat(live.json().getString("status")).isEqualTo("up");
        }
        Instant restarted = Instant.now();
        pg.startServer();

        int acceptedDuring = accepted.size();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
            .until(() -> accepted.size() > acceptedDuring);
        Duration backAfter = Duration.between(restarted, Instant.now());
        await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= acceptedDuring + 40);
        load.set(false);
        for (Future<?> f : loops) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertThat(badRefusal.get()).as("every refusal is a clear 503").isNull();

        Http survivor = instances.get(1);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
            .until(() -> PostgresCrashIT.drained(survivor));
        int ranTwice = 0;
        for (String id : accepted) {
          Http.Response r = survivor.get("/api/tasks/" + id);
          assertThat(r.status()).as("task %s: %s", id, r.body()).isEqualTo(200);
          JsonObject t = r.json();
          assertThat(t.getString("status")).as("task %s", id).isEqualTo("success");
          assertThat(t.getJsonObject("result").getInt("sleptMillis"))
              .as("a success is reported only for a run that finished").isEqualTo(100);
          if (t.getInt("attempts") > 1) {
            ranTwice++;
          }
        }
        for (Http http : instances) {
          assertThat(http.get("/api/health").json().getString("status")).isEqualTo("up");
          assertThat(http.get("/api/health/ready").status()).isEqualTo(200);
        }
        // What an operator sees of the outage in /metrics (the instances run with auth=none).
        double refusedSeen = 0;
        double insertErrors = 0;
        for (Http http : instances) {
          // The listener reconnects on its own back-off (up to 2 s) once the database is back.
          await("the listener reconnected").atMost(Duration.ofSeconds(30))
              .until(() -> new Scrape(http.get("/metrics").body())
                  .value("offload_pg_listener_reconnects_total") > 0);
          Http.Response r = http.get("/metrics");
          assertThat(r.status()).isEqualTo(200);
          Scrape m = new Scrape(r.body());
          refusedSeen += m.value("offload_tasks_refused_total", "type", "sleep", "reason",
              "store_unavailable");
          insertErrors += m.value("offload_store_errors_total", "operation", "insert");
          assertThat(m.value("offload_pg_listener_reconnects_total"))
              .as("each instance's listener lost its connection and came back").isPositive();
          assertThat(m.value("hikaricp_connections_max", "pool", "offload-pg")).isEqualTo(6);
          assertThat(m.value("offload_queue_depth")).isZero();
          Promtool.Result lint = Promtool.checkMetrics(r.body());
          assertThat(lint.exitCode()).as(lint.output()).isZero();
        }
        assertThat(refusedSeen).as("every 503 is counted, by one instance")
            .isEqualTo(refused.get());
        assertThat(insertErrors).isGreaterThanOrEqualTo(refused.get());
        System.out.printf("outage test: %d tasks accepted (%d before the outage), %d "
            + "submissions refused with 503 while the database was down, 0 lost, %d ran "
            + "twice; submissions were accepted again %d ms after the database came back%n",
            accepted.size(), acceptedBefore, refused.get(), ranTwice, backAfter.toMillis());
      }
    } finally {
      clients.shutdownNow();
      clients.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
