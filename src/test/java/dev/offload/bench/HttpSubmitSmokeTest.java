package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Benchmark 1 in miniature: the baseline servlet, wrk's output, and a one-second wrk run. */
class HttpSubmitSmokeTest {

  @Test
  void baselineAndOffloadBothAnswer202InTheSameContainer() throws Exception {
    try (BenchServer server = BenchServer.start(20, Map.of())) {
      HttpClient client = HttpClient.newHttpClient();
      for (String path : new String[] {"/api/tasks", "/baseline/tasks"}) {
        HttpResponse<String> r = client.send(post(server.url(path)),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(202);
        assertThat(r.headers().firstValue("Content-Type")).get().asString()
            .startsWith("application/json");
        // Both pass the webapp's filters: the baseline pays for them too.
        assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
      }
    }
  }

  @Test
  void readsWrkFigures() {
    Wrk.Result r = Wrk.parse("""
        Running 10s test @ http://127.0.0.1:1/api/tasks
          2 threads and 32 connections
          Latency Distribution
             50%  812.00us
             75%    1.20ms
             90%    2.00ms
             99%    5.31ms
          123456 requests in 10.00s, 12.34MB read
          Non-2xx or 3xx responses: 3
        Requests/sec:  12345.60
        Transfer/sec:      1.23MB
        """);
    assertThat(r.requestsPerSecond()).isEqualTo(12345.6);
    assertThat(r.p50Millis()).isEqualTo(0.812);
    assertThat(r.p99Millis()).isEqualTo(5.31);
    assertThat(r.requests()).isEqualTo(123456);
    assertThat(r.errors()).isEqualTo(3);
  }

  @Test
  void oneSecondOfWrkOnBoth() throws Exception {
    assumeTrue(Wrk.installed(), "wrk is not installed (apt-get install wrk)");
    Map<String, Double> m = HttpSubmitBenchmark.run(HttpSubmitBenchmark.Settings.smoke());
    assertThat(m.get("offload_rps")).isPositive();
    assertThat(m.get("baseline_rps")).isPositive();
    assertThat(m.get("ratio")).isEqualTo(m.get("offload_rps") / m.get("baseline_rps"));
    assertThat(m.get("offload_p99_ms")).isGreaterThanOrEqualTo(m.get("offload_p50_ms"));
    assertThat(m.get("pg_offload_rps")).as("the same through the PostgreSQL store").isPositive();
    assertThat(m.get("pg_ratio")).isEqualTo(m.get("pg_offload_rps") / m.get("pg_baseline_rps"));
  }

  private static HttpRequest post(URI uri) {
    return HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(HttpSubmitBenchmark.BODY)).build();
  }
}
