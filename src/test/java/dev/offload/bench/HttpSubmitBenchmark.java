package dev.offload.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmark 1, HTTP submit: {@code POST /api/tasks} with a noop task on the memory store, driven
 * by wrk on loopback, against {@link BaselineSubmitServlet} in the same container and run. Both
 * are warmed up first, then measured back to back for the same duration.
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
    Map<String, String> params = Map.of(
        "offload.workers", "2",
        // Deep enough that a burst never answers 503: the benchmark measures accepting work.
        "offload.queue.capacity", "1000000");
    try (BenchServer server = BenchServer.start(200, params)) {
      var offload = server.url("/api/tasks");
      var baseline = server.url("/baseline/tasks");
      Wrk.post(offload, BODY, s.threads(), s.connections(), s.warmupSeconds());
      Wrk.post(baseline, BODY, s.threads(), s.connections(), s.warmupSeconds());
      Wrk.Result b = Wrk.post(baseline, BODY, s.threads(), s.connections(), s.seconds());
      Wrk.Result o = Wrk.post(offload, BODY, s.threads(), s.connections(), s.seconds());
      for (Wrk.Result r : new Wrk.Result[] {b, o}) {
        if (r.errors() > 0) {
          throw new IllegalStateException(r.errors() + " of " + r.requests()
              + " requests failed or were not answered 2xx");
        }
      }
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("offload_rps", o.requestsPerSecond());
      m.put("baseline_rps", b.requestsPerSecond());
      m.put("ratio", o.requestsPerSecond() / b.requestsPerSecond());
      m.put("offload_p50_ms", o.p50Millis());
      m.put("offload_p99_ms", o.p99Millis());
      m.put("baseline_p50_ms", b.p50Millis());
      m.put("baseline_p99_ms", b.p99Millis());
      m.put("p99_ratio", o.p99Millis() / b.p99Millis());
      return m;
    }
  }
}
