package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import dev.offload.testing.openapi.ContractRecorder;
import dev.offload.testing.openapi.OpenApiContract;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document over HTTP: served open at {@code /api/openapi.json} with this
 * deployment's context path as its server, with the API's HEAD, OPTIONS and refusals; and the
 * corners of the API the other tests do not reach (HEAD and OPTIONS of every resource, 405s,
 * unknown parameters, full list pages), each answer checked against the document by the
 * embedded server. Last, a drift is caught end to end: a server checked against a document
 * that lacks a field of the task view fails when it closes, for a plain answer, a long-poll and
 * an event stream alike.
 */
class OpenApiIT {
  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .contextPath("/ctx")
        .param("offload.workers", "2")
        .param("offload.cors.origins", "https://dashboard.example")
        .user("alice", "alice-pw", "offload-user")
        .user("nobody", "nobody-pw", "some-other-role")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    long before = app.contract().checked();
    app.close(); // fails if any answer of this class broke the document
    assertThat(before).as("answers checked").isPositive();
  }

  private static Map<String, String> as(String user) {
    return Map.of("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8)));
  }

  private static Response send(String method, String path, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url(path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return http.send(b);
  }

  private static JsonObject read(String json) {
    try (JsonReader r = Json.createReader(new StringReader(json))) {
      return r.readObject();
    }
  }

  private static String submit() {
    Response r = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"n\":1}}",
        Map.of("Authorization", as("alice").get("Authorization"), "Prefer", "wait=10"));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json().getString("id");
  }

  @Test
  void theDocumentIsServedToAnyoneWithThisDeploymentsContextPath() throws IOException {
    Response r = http.get("/api/openapi.json");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    JsonObject served = read(r.body());
    assertThat(served.getJsonArray("servers").getJsonObject(0).getString("url"))
        .isEqualTo("/ctx");
    JsonObject file = read(Files.readString(OpenApiContract.DOCUMENT));
    assertThat(Json.createObjectBuilder(served).remove("servers").build())
        .as("the file, but for servers")
        .isEqualTo(Json.createObjectBuilder(file).remove("servers").build());

    assertThat(send("GET", "/api/openapi.json", as("nobody")).status())
        .as("a caller without a role may read it too").isEqualTo(200);
    Response wrong = send("GET", "/api/openapi.json", Map.of("Authorization", "Basic "
        + Base64.getEncoder().encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8))));
    assertThat(wrong.status()).as("credentials that are sent are checked").isEqualTo(401);
  }

  @Test
  void theDocumentAnswersLikeEveryApiResource() {
    Response head = send("HEAD", "/api/openapi.json", Map.of());
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.header("Content-Length")).isNotNull();
    Response options = send("OPTIONS", "/api/openapi.json", Map.of());
    assertThat(options.status()).isEqualTo(204);
    assertThat(options.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    Response post = http.postJson("/api/openapi.json", "{}");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
    assertThat(http.get("/api/openapi.json?format=yaml").status()).isEqualTo(400);
  }

  @Test
  void everyResourceAnswersHeadAndOptions() {
    String id = submit();
    for (String path : List.of("/api/tasks", "/api/tasks/" + id, "/api/tasks/" + id + "/events",
        "/api/types", "/api/me", "/api/health")) {
      Response options = send("OPTIONS", path, Map.of());
      assertThat(options.status()).as(path).isEqualTo(204);
      assertThat(options.header("Allow")).as(path).contains("GET", "HEAD", "OPTIONS");
      Response head = send("HEAD", path, as("alice"));
      assertThat(head.status()).as(path).isEqualTo(200);
      assertThat(head.body()).as(path).isEmpty();
    }
    assertThat(send("HEAD", "/api/tasks/" + id + "/events", as("alice")).header("Content-Type"))
        .startsWith("text/event-stream");
    Response preflight = send("OPTIONS", "/api/tasks/" + id, Map.of(
        "Origin", "https://dashboard.example", "Access-Control-Request-Method", "DELETE"));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.header("Allow")).isEqualTo("GET, HEAD, DELETE, OPTIONS");
    assertThat(preflight.header("Access-Control-Allow-Methods")).contains("DELETE");
  }

  @Test
  void theOperatorsResourcesAnswerOptionsAnd405() {
    String id = submit();
    for (String path : List.of("/api/tasks/" + id + "/retry", "/api/tasks/cancel")) {
      Response options = send("OPTIONS", path, Map.of());
      assertThat(options.status()).as(path).isEqualTo(204);
      assertThat(options.header("Allow")).as(path).isEqualTo("POST, OPTIONS");
      Response get = send("GET", path, as("alice"));
      assertThat(get.status()).as(path).isEqualTo(405);
    }
    assertThat(send("OPTIONS", "/api/stats", Map.of()).header("Allow"))
        .isEqualTo("GET, HEAD, OPTIONS");
    assertThat(send("HEAD", "/api/stats", as("alice")).status())
        .as("the figures of everyone's tasks are for viewers and admins").isEqualTo(403);
    Response retry = send("POST", "/api/tasks/" + id + "/retry", as("alice"));
    assertThat(retry.status()).as("a task that succeeded is not retried").isEqualTo(409);
    assertThat(retry.json().getString("taskStatus")).isEqualTo("success");
  }

  @Test
  void methodsAResourceDoesNotAllowAre405WithAllow() {
    String id = submit();
    for (String[] call : List.of(new String[] {"DELETE", "/api/types"},
        new String[] {"PUT", "/api/tasks/" + id}, new String[] {"POST", "/api/me"},
        new String[] {"DELETE", "/api/health"}, new String[] {"POST", "/api/tasks/" + id
            + "/events"})) {
      Response r = send(call[0], call[1], as("alice"));
      assertThat(r.status()).as("%s %s", call[0], call[1]).isEqualTo(405);
      assertThat(r.header("Allow")).as("%s %s", call[0], call[1]).endsWith("OPTIONS");
    }
  }

  @Test
  void unknownQueryParametersAreRefusedEverywhere() {
    String id = submit();
    for (String path : List.of("/api/types?x=1", "/api/me?x=1", "/api/health?verbose=1",
        "/api/tasks/" + id + "?colour=red", "/api/tasks/" + id + "/events?from=3",
        "/api/tasks?status=success&status=failed", "/api/tasks?view=everything")) {
      Response r = send("GET", path, as("alice"));
      assertThat(r.status()).as(path).isEqualTo(400);
      assertThat(r.header("Content-Type")).as(path).startsWith("application/problem+json");
    }
    assertThat(send("DELETE", "/api/tasks/" + UUID.randomUUID() + "?force=1", as("alice"))
        .status()).isEqualTo(400);
  }

  @Test
  void listsInFullAndTheCallerWithoutARole() {
    submit();
    Response full = send("GET", "/api/tasks?view=full&limit=5", as("alice"));
    assertThat(full.status()).isEqualTo(200);
    assertThat(full.json().getJsonArray("items").getJsonObject(0).containsKey("input"))
        .isTrue();
    Response summary = send("GET", "/api/tasks?view=summary&limit=5", as("alice"));
    assertThat(summary.json().getJsonArray("items").getJsonObject(0).containsKey("input"))
        .isFalse();
    assertThat(send("GET", "/api/me", as("nobody")).status())
        .as("no Offload role: refused, and the status page says so").isEqualTo(403);
    Response health = send("GET", "/api/health", as("nobody"));
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().keySet()).containsExactly("status");
  }

  @Test
  void aDriftIsCaughtForPlainAnswersLongPollsAndStreams() throws Exception {
    JsonObject doc = read(Files.readString(OpenApiContract.DOCUMENT));
    JsonObject taskView = doc.getJsonObject("components").getJsonObject("schemas")
        .getJsonObject("TaskView");
    JsonObject withoutOwner = Json.createObjectBuilder(taskView)
        .add("properties", Json.createObjectBuilder(taskView.getJsonObject("properties"))
            .remove("owner"))
        .add("required", Json.createArrayBuilder(taskView.getJsonArray("required").stream()
            .filter(v -> !v.toString().equals("\"owner\"")).toList()))
        .build();
    String drifted = Json.createPointer("/components/schemas/TaskView")
        .replace(doc, withoutOwner).toString();
    EmbeddedOffload old = EmbeddedOffload.builder()
        .checkedAgainst(OpenApiContract.of(drifted))
        .start();
    Http h = new Http(old.baseUri());
    // A long-poll parked until its task ends, answered later on another thread ...
    String sleep = "{\"type\":\"sleep\",\"input\":{\"millis\":300}}";
    String polled = h.postJson("/api/tasks", sleep).json().getString("id");
    Response answer = h.get("/api/tasks/" + polled + "?wait=10");
    assertThat(answer.json().getString("status")).isEqualTo("success");
    // ... and a stream written event by event until its task ends.
    String streamed = h.postJson("/api/tasks", sleep).json().getString("id");
    HttpResponse<String> stream = h.client().send(HttpRequest.newBuilder(
            h.url("/api/tasks/" + streamed + "/events")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()); // returns when the server ends the stream
    assertThat(stream.body()).contains("\"status\":\"success\"");

    // A request marked as deliberately unchecked is left alone, and counted.
    assertThat(h.send(HttpRequest.newBuilder(h.url("/api/tasks/" + polled))
        .header(ContractRecorder.SKIP_HEADER, "this test's own example").GET()).status())
        .isEqualTo(200);

    assertThatThrownBy(old::close).isInstanceOf(AssertionError.class)
        .hasMessageContaining("POST /api/tasks -> 202: body:")
        .hasMessageContaining("GET /api/tasks/" + polled + "?wait=10 -> 200: body:")
        .hasMessageContaining("GET /api/tasks/" + streamed + "/events -> 200: event 1 (status): "
            + "data:")
        .hasMessageContaining("owner")
        .hasMessageNotContaining("GET /api/tasks/" + polled + " -> 200");
    assertThat(old.contract().summary()).contains("1 skipped on request");
    assertThat(old.contract().events()).as("events checked").isPositive();
  }
}
