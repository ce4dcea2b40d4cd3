package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad request gets a clear 4xx problem+json, never a 5xx or a stack trace, and
 * loses nothing already accepted.
 */
class BadInputIT {
  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .contextPath("/ctx")
        .param("offload.body.max.bytes", "4096")
        .param("offload.json.depth.max", "8")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static JsonObject problem(Response r, int status) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    JsonObject p = r.json();
    assertThat(p.getInt("status")).isEqualTo(status);
    assertThat(p.getString("type")).isNotBlank();
    assertThat(p.getString("title")).isNotBlank();
    assertThat(p.getString("detail")).isNotBlank();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    return p;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"noop\",                              | 400 | not valid JSON",
      "[1,2,3]                                          | 400 | must be a JSON object",
      "\"noop\"                                         | 400 | must be a JSON object",
      "{\"type\":\"noop\",\"input\":1,\"colour\":\"red\"} | 400 | unknown field 'colour'",
      "{\"input\":1}                                    | 422 | 'type' is required",
      "{\"type\":\"nope\",\"input\":1}                  | 422 | unknown task type 'nope'",
      "{\"type\":7,\"input\":1}                         | 422 | 'type' must be a string",
      "{\"type\":\"sleep\",\"input\":{\"millis\":-1}}   | 422 | 'millis' must be between",
      "{\"type\":\"sleep\",\"input\":{\"mills\":5}}     | 422 | does not fit type 'sleep'",
      "{\"type\":\"sleep\",\"input\":{\"millis\":\"x\"}} | 422 | does not fit type 'sleep'",
      "{\"type\":\"sleep\",\"input\":[1]}               | 422 | does not fit type 'sleep'",
      "{\"type\":\"sleep\"}                             | 422 | 'input' is required",
      "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\",\"iterations\":999999999}} | 422 | 'iterations'",
      "{\"type\":\"noop\",\"input\":1,\"timeoutSeconds\":0}       | 422 | 'timeoutSeconds' must be between",
      "{\"type\":\"noop\",\"input\":1,\"timeoutSeconds\":99999999} | 422 | 'timeoutSeconds' must be between",
      "{\"type\":\"noop\",\"input\":1,\"timeoutSeconds\":1.5}     | 422 | must be a whole number",
      "{\"type\":\"noop\",\"input\":1,\"maxAttempts\":100000000000} | 422 | 'maxAttempts' must be between",
      "{\"type\":\"noop\",\"input\":1,\"maxAttempts\":1e400}      | 422 | out of range",
      "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":-5}        | 422 | 'delaySeconds'",
      "{\"type\":\"noop\",\"input\":1,\"resultTtlSeconds\":\"1\"} | 422 | must be a whole number",
      "{\"type\":\"noop\",\"input\":1,\"priority\":\"urgent\"}    | 422 | 'priority' must be one of",
      "{\"type\":\"noop\",\"input\":[[[[[[[[[1]]]]]]]]]}          | 400 | nested deeper than 8",
      "{\"type\":\"noop\",\"input\":{}}}                 | 400 | unexpected content after the JSON value at line 1, column 27",
      "{\"type\":\"noop\",\"input\":{}} xyz              | 400 | unexpected content after the JSON value at line 1, column 28",
      "{\"type\":\"noop\",\"type\":\"sleep\",\"input\":1} | 400 | duplicate member name 'type'",
      "{\"type\":\"noop\",\"input\":\"\\ud800\"}        | 400 | unpaired surrogate \\uD800",
      "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\",\"iterations\":4294967297}} | 422 | 'input.iterations' must be a whole number between -2147483648 and 2147483647, got 4294967297",
      "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"p\",\"iterations\":1.9}} | 422 | 'input.iterations' must be a whole number, got 1.9",
      "{\"type\":\"sleep\",\"input\":{\"millis\":1e999999999}} | 422 | 'input.millis' must be a whole number between",
      "{\"type\":\"sleep\",\"input\":{\"mills\":5}}     | 422 | unknown field 'input.mills'; known fields: failTimes, millis",
      "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":1e999999999} | 422 | 'delaySeconds' is out of range, got 1E+999999999",
      "{\"type\":\"noop\",\"input\":1,\"delaySeconds\":0.5} | 422 | 'delaySeconds' must be a whole number, got 0.5",
      "''                                               | 400 | empty",
  })
  void aBadSubmissionIsAProblem(String body, int status, String detail) {
    Response r = http.postJson("/api/tasks", body);
    JsonObject p = problem(r, status);
    assertThat(p.getString("detail")).contains(detail.trim());
  }

  @Test
  void anUnknownTypeListsTheKnownOnes() {
    JsonObject p = problem(http.postJson("/api/tasks", "{\"type\":\"nope\",\"input\":1}"), 422);
    assertThat(p.getString("detail")).contains("noop", "sleep", "pbkdf2");
    assertThat(p.getJsonArray("knownTypes").toString()).contains("noop", "sleep", "pbkdf2");
  }

  @Test
  void theWrongContentTypeIs415() {
    Response r = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"noop\",\"input\":1}")));
    assertThat(problem(r, 415).getString("detail")).contains("application/json");
    Response none = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"noop\",\"input\":1}")));
    problem(none, 415);
  }

  @Test
  void aBodyOverTheLimitIs413() {
    String big = "{\"type\":\"noop\",\"input\":\"" + "x".repeat(5000) + "\"}";
    assertThat(problem(http.postJson("/api/tasks", big), 413).getString("detail"))
        .contains("4096");
    // Without a Content-Length (chunked), the limit holds while reading.
    Response chunked = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(big.getBytes()))));
    problem(chunked, 413);
  }

  @Test
  void wrongMethodsAre405WithAllow() {
    Response put = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
        .PUT(HttpRequest.BodyPublishers.ofString("{}")));
    problem(put, 405);
    assertThat(put.header("Allow")).isEqualTo("GET, HEAD, POST, OPTIONS");
    Response post = http.postJson("/api/types", "{}");
    problem(post, 405);
    assertThat(post.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    Response patch = http.send(HttpRequest.newBuilder(
        http.url("/api/tasks/" + java.util.UUID.randomUUID()))
        .method("PATCH", HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(problem(patch, 405).getString("detail")).contains("PATCH");
    assertThat(patch.header("Allow")).isEqualTo("GET, HEAD, DELETE, OPTIONS");
  }

  @Test
  void unknownIdsAndPathsAre404() {
    problem(http.get("/api/tasks/not-a-uuid"), 404);
    problem(http.get("/api/tasks/" + java.util.UUID.randomUUID()), 404);
    problem(http.get("/api/tasks/" + java.util.UUID.randomUUID() + "/events"), 404);
    problem(http.get("/api/tasks/" + java.util.UUID.randomUUID() + "/other"), 404);
    problem(http.get("/api/nothing-here"), 404);
  }

  @Test
  void badQueryParametersAre400() {
    assertThat(problem(http.get("/api/tasks?status=done"), 400).getString("detail"))
        .contains("'status'");
    problem(http.get("/api/tasks?limit=0"), 400);
    problem(http.get("/api/tasks?limit=101"), 400);
    problem(http.get("/api/tasks?limit=ten"), 400);
    problem(http.get("/api/tasks?after=zzz"), 400);
    String id = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1}").json()
        .getString("id");
    problem(http.get("/api/tasks/" + id + "?wait=soon"), 400);
    problem(http.get("/api/tasks/" + id + "?wait=-1"), 400);
  }

  @Test
  void aBadIdempotencyKeyIs400() {
    problem(http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":1}",
        Map.of("Idempotency-Key", "x".repeat(300))), 400);
  }

  @Test
  void badRequestsLoseNothingAlreadyAccepted() {
    Response ok = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":\"kept\"}",
        Map.of("Prefer", "wait=5"));
    String id = ok.json().getString("id");
    for (int i = 0; i < 20; i++) {
      http.postJson("/api/tasks", "{\"type\":");
      http.postJson("/api/tasks", "{\"type\":\"nope\"}");
    }
    Response still = http.get("/api/tasks/" + id);
    assertThat(still.status()).isEqualTo(200);
    assertThat(still.json().getString("input")).isEqualTo("kept");
    assertThat(http.get("/api/health").status()).isEqualTo(200);
  }
}
