package dev.offload.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmark 1, HTTP submit: {@code POST /api/tasks} with a noop task on the memory store, driven
 * by wrk on loopback, against {@link BaselineSubmitServlet} in the same container and run. Both
 * are warmed up first, then measured in the order baseline, Offload, Offload, baseline, each for
 * half the time; the figures are the means of the two halves. Then the same again with
 * Offload's PostgreSQL store, in a container of its own.
 */
final class HttpSubmitBenchmark {
  static final String BODY = "{\"type\":\"noop\",\"input\":{\"hello\":\"world\"}}";

  private HttpSubmitBenchmark() {}

  /** Load settings: wrk threads and connections, warm-up and measured seconds. */
  record Settings(int threads, int connections, int warmupSeconds, int seconds) {
    static Settings benchmark() {
      return new Settings(2, 32, 5, 10);
    }

    static Settings smoke() {
      return new Settings(1, 4, 1, 1);
    }
  }

  static Map<String, Double> run(Settings s) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>(measure(s, Map.of(), ""));
    // The same through the PostgreSQL store (durable: every 202 waits for its commit), on a
    // server with PostgreSQL's durability defaults, against the baseline in that container.
    try (Postgres pg = Postgres.start()) {
      String db = "http_" + ProcessHandle.current().pid();
      pg.createDatabase(db);
      m.putAll(measure(s, Map.of("offload.store", "postgres",
          "offload.jdbc.url", pg.jdbcUrl(db), "offload.jdbc.user", pg.user()), "pg_"));
    }
    return m;
  }

  /** One A-B-B-A measurement; figures' names start with {@code prefix}. */
  private static Map<String, Double> measure(Settings s, Map<String, String> store, String prefix)
      throws Exception {
    Map<String, String> params = new java.util.HashMap<>(Map.of(
        "offload.workers", "2",
        // Deep enough that a burst never answers 503: the benchmark measures accepting work.
        "offload.queue.capacity", "1000000"));
    params.putAll(store);
    try (BenchServer server = BenchServer.start(200, params)) {
      var offload = server.url("/api/tasks");
      var baseline = server.url("/baseline/tasks");
      Wrk.post(offload, BODY, s.threads(), s.connections(), s.warmupSeconds());
      Wrk.post(baseline, BODY, s.threads(), s.connections(), s.warmupSeconds());
      // A-B-B-A: the load of the shared machine drifts; this order cancels a steady drift.
      int half = Math.max(1, s.seconds() / 2);
      Wrk.Result b1 = Wrk.post(baseline, BODY, s.threads(), s.connections(), half);
      Wrk.Result o1 = Wrk.post(offload, BODY, s.threads(), s.connections(), half);
      Wrk.Result o2 = Wrk.post(offload, BODY, s.threads(), s.connections(), half);
      Wrk.Result b2 = Wrk.post(baseline, BODY, s.threads(), s.connections(), half);
      for (Wrk.Result r : new Wrk.Result[] {b1, o1, o2, b2}) {
        if (r.errors() > 0) {
          throw new IllegalStateException(r.errors() + " of " + r.requests()
              + " requests failed or were not answered 2xx");
        }
      }
      Wrk.Result b = Wrk.Result.mean(b1, b2);
      Wrk.Result o = Wrk.Result.mean(o1, o2);
      Map<String, Double> m = new LinkedHashMap<>();
      m.put(prefix + "offload_rps", o.requestsPerSecond());
      m.put(prefix + "baseline_rps", b.requestsPerSecond());
      m.put(prefix + "ratio", o.requestsPerSecond() / b.requestsPerSecond());
      m.put(prefix + "offload_p50_ms", o.p50Millis());
      m.put(prefix + "offload_p99_ms", o.p99Millis());
      m.put(prefix + "baseline_p50_ms", b.p50Millis());
      m.put(prefix + "baseline_p99_ms", b.p99Millis());
      m.put(prefix + "p99_ratio", o.p99Millis() / b.p99Millis());
      return m;
    }
  }
}
