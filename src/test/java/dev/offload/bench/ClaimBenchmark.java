package dev.offload.bench;

import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.store.postgres.PostgresSettings;
import dev.offload.store.postgres.PostgresTaskStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How long one claim statement of the PostgreSQL store takes with 1, 100 and 10,000 owners
 * having pending tasks (20,000 pending tasks spread evenly over them), with fair dispatch and,
 * for comparison, in strict queue order. Not one of the five benchmarks of bench.sh: its figures
 * are written by hand into BENCHMARKS.md. Run with
 * {@code java -cp <test class path> dev.offload.bench.ClaimBenchmark [claims] [batch] [durable]}
 * (durable: fsync and synchronous commit on, so each claim also waits for its commit to reach
 * the disk; by default off, so the figures are the statement's own).
 */
public final class ClaimBenchmark {
  private static final String FILL = "INSERT INTO offload_task (id, type, owner, priority, input,"
      + " input_bytes, max_attempts, timeout_seconds, result_ttl_seconds, status, attempts,"
      + " created_at, next_attempt_at) SELECT gen_random_uuid(), 'noop', 'owner-' || (i % ?),"
      + " 1, '{}', 2, 1, 60, 3600, 'pending', 0, now(), ?::timestamptz + i * interval '1 ms'"
      + " FROM generate_series(1, ?) i";

  private ClaimBenchmark() {}

  public static void main(String[] args) throws Exception {
    int claims = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    boolean durable = args.length > 2 && Boolean.parseBoolean(args[2]);
    int pending = 20_000;
    Map<String, double[]> results = new LinkedHashMap<>();
    try (Postgres pg = Postgres.start(durable)) {
      int db = 0;
      for (boolean fair : new boolean[] {true, false}) {
        for (int owners : new int[] {1, 100, 10_000}) {
          String name = "claims_" + ProcessHandle.current().pid() + "_" + db++;
          pg.createDatabase(name);
          results.put((fair ? "fair" : "in order") + ", " + owners + " owners",
              measure(pg, name, fair, owners, pending, claims, batch));
        }
      }
    }
    System.out.printf(Locale.ROOT, "%n%,d pending tasks, %,d claims of up to %d tasks each, %s%n",
        pending, claims, batch, durable ? "fsync on" : "fsync off");
    System.out.println("| claim | median | p99 | tasks per claim |");
    System.out.println("|---|---:|---:|---:|");
    results.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %.2f ms | %.2f ms | %.2f |%n",
        k, v[0], v[1], v[2]));
  }

  private static double[] measure(Postgres pg, String db, boolean fair, int owners, int pending,
      int claims, int batch) throws Exception {
    StoreLimits limits = StoreLimits.of(1_000_000, Long.MAX_VALUE).withFair(fair);
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(3_600);
    try (TaskStore store = PostgresTaskStore.open(new PostgresSettings(pg.jdbcUrl(db), pg.user(),
        null, 2, limits))) {
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), null);
          PreparedStatement ps = c.prepareStatement(FILL)) {
        ps.setInt(1, owners);
        ps.setString(2, start.toString());
        ps.setInt(3, pending);
        ps.executeUpdate();
        c.createStatement().execute("VACUUM ANALYZE");
      }
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      Set<String> types = Set.of("noop");
      // Warm-up: plans cached by the connection (the driver prepares on the server after 5).
      for (int i = 0; i < 50; i++) {
        store.claim("bench", types, now, now.plusSeconds(60), batch);
      }
      List<Long> nanos = new ArrayList<>(claims);
      long tasks = 0;
      for (int i = 0; i < claims; i++) {
        long t0 = System.nanoTime();
        tasks += store.claim("bench", types, now, now.plusSeconds(60), batch).size();
        nanos.add(System.nanoTime() - t0);
      }
      nanos.sort(null);
      return new double[] {nanos.get(nanos.size() / 2) / 1e6,
          nanos.get((int) Math.min(nanos.size() - 1, Math.ceil(nanos.size() * 0.99) - 1)) / 1e6,
          (double) tasks / claims};
    }
  }
}
