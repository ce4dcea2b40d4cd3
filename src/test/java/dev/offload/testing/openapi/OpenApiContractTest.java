package dev.offload.testing.openapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.openapi.OpenApiContract.Answer;
import dev.offload.testing.openapi.OpenApiContract.Verdict;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker is strict enough to notice drift: each answer here breaks the document in one way
 * and must be caught, and the same answer put right must pass, so a rule that catches
 * everything (or nothing) fails too.
 */
class OpenApiContractTest {
  private static final OpenApiContract CONTRACT = OpenApiContract.shared();
  private static final String ID = "6f1c0b7e-8a3d-4c55-9a41-2f0e6d1b9c30";
  private static final String TASK = "/api/tasks/" + ID;
  private static final Map<String, String> JSON = Map.of("Content-Type",
      "application/json;charset=UTF-8");
  private static final Map<String, String> PROBLEM = Map.of("Content-Type",
      "application/problem+json;charset=UTF-8");

  /** A complete task view, as the server writes it; {@code extra} goes in before links. */
  private static String view(String status, String createdAt, String extra) {
    return "{\"id\":\"" + ID + "\",\"type\":\"sleep\",\"owner\":\"alice\",\"status\":\"" + status
        + "\",\"priority\":\"normal\",\"input\":{\"millis\":3000},"
        + "\"progress\":{\"percent\":40,\"message\":\"1200 of 3000 ms\"},\"attempts\":1,"
        + "\"maxAttempts\":1,\"timeoutSeconds\":300,\"resultTtlSeconds\":3600,"
        + "\"createdAt\":\"" + createdAt + "\",\"startedAt\":\"2026-11-27T08:00:00.004Z\","
        + "\"finishedAt\":null,\"nextAttemptAt\":null,\"expiresAt\":null,\"result\":null,"
        + "\"error\":null,\"retryOf\":null,\"callback\":null," + extra + "\"links\":{\"self\":\"" + TASK
        + "\",\"events\":\"" + TASK + "/events\"}}";
  }

  private static String view() {
    return view("running", "2026-11-27T08:00:00Z", "");
  }

  private static String problem(int status) {
    return "{\"type\":\"about:blank\",\"title\":\"T\",\"status\":" + status
        + ",\"detail\":\"what was wrong\"}";
  }

  private static Map<String, String> with(Map<String, String> base, String... pairs) {
    Map<String, String> m = new java.util.LinkedHashMap<>(base);
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  private static Verdict check(String method, String path, String query, int status,
      Map<String, String> headers, String body) {
    return CONTRACT.check(Answer.of(method, path, query, status, headers, body));
  }

  @Test
  void aRightAnswerKeepsTheDocument() {
    Verdict v = check("POST", "/api/tasks", null, 202,
        with(JSON, "Location", TASK, "Retry-After", "1"), view());
    assertThat(v.operation()).isEqualTo("POST /api/tasks");
    assertThat(v.violations()).isEmpty();
    assertThat(check("GET", TASK, "wait=5", 200, JSON, view()).violations()).isEmpty();
  }

  @Test
  void anUndocumentedStatusIsCaught() {
    assertThat(check("GET", TASK, null, 418, PROBLEM, problem(418)).violations())
        .singleElement().asString().contains("status 418 is not documented for GET "
            + "/api/tasks/{id}");
    assertThat(check("DELETE", TASK, null, 202, JSON, view()).violations()).isNotEmpty();
  }

  @Test
  void anUndocumentedFieldInATaskViewIsCaught() {
    assertThat(check("GET", TASK, null, 200, JSON,
        view("running", "2026-11-27T08:00:00Z", "\"notifyUrl\":null,")).violations())
        .singleElement().asString().contains("notifyUrl");
  }

  @Test
  void aFieldOfTheWrongShapeIsCaught() {
    assertThat(check("GET", TASK, null, 200, JSON, view("done", "2026-11-27T08:00:00Z", ""))
        .violations()).singleElement().asString().contains("status");
    assertThat(check("GET", TASK, null, 200, JSON,
        view("running", "2026-11-27T09:00:00+01:00", "")).violations())
        .as("times are UTC, written with Z").isNotEmpty();
    assertThat(check("GET", TASK, null, 200, JSON, view().replace(ID, "not-a-uuid"))
        .violations()).as("the uuid format is asserted").isNotEmpty();
    assertThat(check("GET", TASK, null, 200, JSON, view().replace("\"owner\":\"alice\",", ""))
        .violations()).singleElement().asString().contains("owner");
  }

  @Test
  void aSummaryInPlaceOfAViewIsCaught() {
    String summary = view().replace("\"input\":{\"millis\":3000},", "")
        .replace("\"result\":null,", "");
    assertThat(check("GET", TASK, null, 200, JSON, summary).violations()).isNotEmpty();
    assertThat(check("GET", "/api/tasks", null, 200, JSON,
        "{\"items\":[" + summary + "," + view() + "],\"next\":null}").violations()).isEmpty();
    String half = view().replace("\"result\":null,", "");
    assertThat(check("GET", "/api/tasks", null, 200, JSON,
        "{\"items\":[" + half + "],\"next\":null}").violations())
        .as("an item that is neither a summary nor a full view").isNotEmpty();
  }

  @Test
  void aMissingLocationOn202IsCaught() {
    assertThat(check("POST", "/api/tasks", null, 202, with(JSON, "Retry-After", "1"), view())
        .violations()).singleElement().asString().contains("Location is required");
  }

  @Test
  void aMissingAllowOn405IsCaught() {
    assertThat(check("PUT", "/api/tasks", null, 405, PROBLEM, problem(405)).violations())
        .singleElement().asString().contains("Allow is required");
    assertThat(check("PUT", "/api/tasks", null, 405, with(PROBLEM, "Allow", "GET, HEAD, POST, "
        + "OPTIONS"), problem(405)).violations()).isEmpty();
    assertThat(check("PUT", "/api/tasks", null, 200, JSON, "{}").violations())
        .as("a method the path does not list is answered 405").isNotEmpty();
    assertThat(check("OPTIONS", "/api/tasks", null, 204, Map.of(), "").violations())
        .singleElement().asString().contains("Allow is required");
  }

  @Test
  void aMissingRetryAfterOn429And503IsCaught() {
    String limit = "{\"type\":\"about:blank\",\"title\":\"Too Many Requests\",\"status\":429,"
        + "\"detail\":\"d\",\"limit\":\"offload.owner.pending.max\",\"max\":3}";
    assertThat(check("POST", "/api/tasks", null, 429, PROBLEM, limit).violations())
        .singleElement().asString().contains("Retry-After is required");
    assertThat(check("POST", "/api/tasks", null, 429, with(PROBLEM, "Retry-After", "5"), limit)
        .violations()).isEmpty();
    assertThat(check("POST", "/api/tasks", null, 429, with(PROBLEM, "Retry-After", "soon"),
        limit).violations()).as("Retry-After is a number of seconds").isNotEmpty();
    assertThat(check("POST", "/api/tasks", null, 429, with(PROBLEM, "Retry-After", "5"),
        problem(429)).violations()).as("a 429 names its limit").isNotEmpty();
    assertThat(check("GET", "/api/health", null, 503, JSON, "{\"status\":\"shutting_down\"}")
        .violations()).singleElement().asString().contains("Retry-After is required");
  }

  @Test
  void aMissingChallengeOn401IsCaught() {
    assertThat(check("GET", "/api/me", null, 401, PROBLEM, problem(401)).violations())
        .singleElement().asString().contains("WWW-Authenticate is required");
    assertThat(check("GET", "/api/me", null, 401,
        Map.of("WWW-Authenticate", "Basic realm=\"Offload\""), "").violations())
        .as("the container's challenge may come without a body").isEmpty();
  }

  @Test
  void aProblemThatIsNotOneIsCaught() {
    assertThat(check("GET", TASK, null, 404, PROBLEM, problem(400)).violations())
        .as("the body's status is the answer's").isNotEmpty();
    assertThat(check("GET", TASK, null, 404, JSON, problem(404)).violations())
        .singleElement().asString().contains("media type");
    assertThat(check("GET", TASK, null, 404, PROBLEM,
        problem(404).replace("}", ",\"trace\":\"at dev.offload\"}")).violations())
        .singleElement().asString().contains("trace");
    assertThat(check("GET", TASK, null, 404, PROBLEM, "<html>Not Found</html>").violations())
        .isNotEmpty();
    assertThat(check("GET", TASK, null, 200, JSON, "").violations())
        .singleElement().asString().contains("empty");
  }

  @Test
  void aServedUnknownOrRepeatedQueryParameterIsCaught() {
    assertThat(check("GET", TASK, "colour=red", 200, JSON, view()).violations())
        .singleElement().asString().contains("'colour' is not a parameter");
    assertThat(check("GET", "/api/tasks", "limit=1&limit=2", 200, JSON,
        "{\"items\":[],\"next\":null}").violations()).singleElement().asString()
        .contains("given twice");
    assertThat(check("GET", "/api/tasks", "limit=0", 200, JSON, "{\"items\":[],\"next\":null}")
        .violations()).as("below the documented minimum").isNotEmpty();
    assertThat(check("GET", TASK, "colour=red", 400, PROBLEM, problem(400)).violations())
        .as("refused, as documented").isEmpty();
  }

  @Test
  void anEventStreamIsCheckedEventByEvent() {
    Map<String, String> sse = Map.of("Content-Type", "text/event-stream;charset=UTF-8");
    String good = "id: 1\nevent: status\ndata: " + view() + "\n\n: heartbeat\n\n"
        + "id: 2\nevent: progress\ndata: " + view() + "\n\n";
    Verdict ok = check("GET", TASK + "/events", null, 200, sse, good);
    assertThat(ok.violations()).isEmpty();
    assertThat(ok.events()).isEqualTo(2);
    assertThat(check("GET", TASK + "/events", null, 200, sse,
        "id: 1\nevent: finished\ndata: " + view() + "\n\n").violations())
        .singleElement().asString().contains("finished");
    assertThat(check("GET", TASK + "/events", null, 200, sse,
        "id: 1\nevent: status\ndata: {\"id\":\"x\"}\n\n").violations()).isNotEmpty();
    assertThat(check("GET", TASK + "/events", null, 200, sse,
        "id: 2\nevent: status\ndata: " + view() + "\n\nid: 1\nevent: status\ndata: " + view()
            + "\n\n").violations()).singleElement().asString().contains("does not follow");
  }

  @Test
  void pathsTheDocumentDoesNotListAre404() {
    assertThat(check("GET", "/api/nothing", null, 404, PROBLEM, problem(404)).violations())
        .isEmpty();
    assertThat(check("GET", "/api/nothing", null, 200, JSON, "{}").violations()).isNotEmpty();
    assertThat(check("GET", "/index.html", null, 200, Map.of("Content-Type", "text/html"),
        "<html>").isApi()).as("the status page is not the API").isFalse();
  }
}
