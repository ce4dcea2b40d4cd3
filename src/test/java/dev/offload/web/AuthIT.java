package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owners, roles and isolation over real HTTP: the container's BASIC login (Jetty's realm) and
 * bearer tokens from a tokens file, for every endpoint and every kind of caller.
 */
class AuthIT {
  private static final String ANNA = "anna";
  private static final String BORIS = "boris";
  private static final String TOKEN = "t0k3n-" + UUID.randomUUID();
  private static final String VIEWER_TOKEN = "v13w-" + UUID.randomUUID();

  @TempDir
  static Path dir;

  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() throws IOException {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, String.join("\n",
        "# bots",
        Tokens.line(TOKEN, "ci-bot", "offload-user"),
        Tokens.line(VIEWER_TOKEN, "dashboard", "offload-viewer"),
        ""), StandardCharsets.UTF_8);
    app = EmbeddedOffload.builder()
        .contextPath("/offload")
        .param("offload.workers", "2")
        .param("offload.auth.tokens", tokens.toString())
        .param("offload.wait.max.seconds", "5")
        .param("offload.cors.origins", "https://dashboard.example")
        .user(ANNA, "anna-pw", "offload-user")
        .user(BORIS, "boris-pw", "offload-user")
        .user("vera", "vera-pw", "offload-viewer")
        .user("adam", "adam-pw", "offload-admin")
        .user("nobody", "nobody-pw", "some-other-role")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  // ---------------------------------------------------------------- callers

  private static Map<String, String> basic(String user) {
    String pw = user + "-pw";
    return Map.of("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8)));
  }

  private static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  private static Response send(String method, String path, Map<String, String> headers,
      String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url(path));
    headers.forEach(b::header);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b);
  }

  private static Response get(String path, Map<String, String> as) {
    return send("GET", path, as, null);
  }

  private static String submit(Map<String, String> as, String json) {
    Response r = send("POST", "/api/tasks", as, json);
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static String sleeping(Map<String, String> as) {
    return submit(as, "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
  }

  private static JsonObject problem(Response r, int status) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    assertThat(r.body()).doesNotContain("Exception", "at dev.", "<html");
    return r.json();
  }

  // ---------------------------------------------------------------- who is calling

  /**
   * The container's own challenge: Jetty sends it without a body, Tomcat with the body of
   * Offload's error page (a problem); never data, never an HTML page.
   */
  private static void challenged(Response r) {
    assertThat(r.status()).as(r.toString()).isEqualTo(401);
    assertThat(r.header("WWW-Authenticate")).startsWith("Basic").contains("Offload");
    if (!r.body().isEmpty()) {
      assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    }
    assertThat(r.body()).doesNotContain("<html", "\"items\"", "\"id\"");
  }

  @Test
  void anUnauthenticatedCallGetsTheContainersChallengeAndNoData() {
    String annas = sleeping(basic(ANNA));
    try {
      for (String path : List.of("/api/tasks", "/api/tasks/" + annas,
          "/api/tasks/" + annas + "/events", "/api/types", "/api/me")) {
        challenged(get(path, Map.of()));
      }
      challenged(send("POST", "/api/tasks", Map.of(), "{\"type\":\"noop\",\"input\":1}"));
      challenged(send("DELETE", "/api/tasks/" + annas, Map.of(), null));
      assertThat(get("/api/tasks/" + annas, basic(ANNA)).json().getString("status"))
          .isIn("pending", "running");
    } finally {
      send("DELETE", "/api/tasks/" + annas, basic(ANNA), null);
    }
  }

  @Test
  void wrongCredentialsAreRefused() {
    challenged(get("/api/tasks", Map.of("Authorization", "Basic "
        + Base64.getEncoder().encodeToString("anna:wrong".getBytes(StandardCharsets.UTF_8)))));
    Response badToken = get("/api/tasks", bearer("not-a-token"));
    problem(badToken, 401);
    assertThat(badToken.header("WWW-Authenticate")).contains("invalid_token");
  }

  @Test
  void aCallerWithoutAnOffloadRoleIs403() {
    assertThat(problem(get("/api/tasks", basic("nobody")), 403).getString("detail"))
        .contains("none of Offload's roles");
  }

  @Test
  void healthIsOpenButItsDetailsNeedARole() {
    Response open = get("/api/health", Map.of());
    assertThat(open.status()).isEqualTo(200);
    assertThat(open.json().keySet()).containsExactly("status");
    assertThat(open.json().getString("status")).isEqualTo("up");

    JsonObject detailed = get("/api/health", basic("vera")).json();
    assertThat(detailed.keySet()).contains("status", "store", "workers", "queue", "owners");
    assertThat(get("/api/health", bearer(TOKEN)).json().keySet()).contains("queue");
  }

  @Test
  void meSaysWhoIsCallingAndWhatTheyMayDo() {
    JsonObject anna = get("/api/me", basic(ANNA)).json();
    assertThat(anna.getString("owner")).isEqualTo(ANNA);
    assertThat(anna.getBoolean("canSubmit")).isTrue();
    assertThat(anna.getBoolean("seesEveryone")).isFalse();
    JsonObject vera = get("/api/me", basic("vera")).json();
    assertThat(vera.getBoolean("canSubmit")).isFalse();
    assertThat(vera.getBoolean("canCancel")).isFalse();
    assertThat(vera.getBoolean("seesEveryone")).isTrue();
    JsonObject bot = get("/api/me", bearer(TOKEN)).json();
    assertThat(bot.getString("owner")).isEqualTo("ci-bot");
    assertThat(bot.getString("auth")).isEqualTo("token");
  }

  // ---------------------------------------------------------------- isolation

  @Test
  void anotherOwnersTaskIsExactlyLikeATaskThatNeverExisted() {
    String annas = sleeping(basic(ANNA));
    String random = UUID.randomUUID().toString();
    try {
      for (String suffix : List.of("", "?wait=2", "/events")) {
        Response theirs = get("/api/tasks/" + annas + suffix, basic(BORIS));
        Response none = get("/api/tasks/" + random + suffix, basic(BORIS));
        problem(theirs, 404);
        assertThat(theirs.body()).as(suffix).isEqualTo(none.body());
        assertThat(theirs.raw().headers().map().keySet())
            .isEqualTo(none.raw().headers().map().keySet());
      }
      Response cancelTheirs = send("DELETE", "/api/tasks/" + annas, basic(BORIS), null);
      Response cancelNone = send("DELETE", "/api/tasks/" + random, basic(BORIS), null);
      problem(cancelTheirs, 404);
      assertThat(cancelTheirs.body()).isEqualTo(cancelNone.body());
      assertThat(get("/api/tasks/" + annas, basic(ANNA)).json().getString("status"))
          .as("untouched").isIn("pending", "running");
      problem(get("/api/tasks/" + annas, bearer(TOKEN)), 404);
    } finally {
      send("DELETE", "/api/tasks/" + annas, basic(ANNA), null);
    }
  }

  @Test
  void theViewShowsTheOwnerAndListsShowOnlyTheCallersTasks() {
    String annas = submit(basic(ANNA), "{\"type\":\"noop\",\"input\":\"a\"}");
    String boris = submit(basic(BORIS), "{\"type\":\"noop\",\"input\":\"b\"}");
    String bots = submit(bearer(TOKEN), "{\"type\":\"noop\",\"input\":\"c\"}");

    assertThat(get("/api/tasks/" + annas, basic(ANNA)).json().getString("owner"))
        .isEqualTo(ANNA);
    assertThat(ids(get("/api/tasks?limit=100", basic(ANNA)))).contains(annas)
        .doesNotContain(boris, bots);
    assertThat(ids(get("/api/tasks?limit=100", bearer(TOKEN)))).contains(bots)
        .doesNotContain(annas, boris);
    assertThat(ids(get("/api/tasks?limit=100", basic("vera")))).contains(annas, boris, bots);
    assertThat(ids(get("/api/tasks?limit=100&owner=" + BORIS, basic("adam")))).contains(boris)
        .doesNotContain(annas, bots);
    assertThat(ids(get("/api/tasks?limit=100&owner=" + ANNA, basic(ANNA)))).contains(annas);
    problem(get("/api/tasks?owner=" + BORIS, basic(ANNA)), 403);
  }

  private static List<String> ids(Response list) {
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    return list.json().getJsonArray("items").stream()
        .map(v -> v.asJsonObject().getString("id")).toList();
  }

  @Test
  void viewersReadEverythingAndChangeNothing() {
    String annas = sleeping(basic(ANNA));
    try {
      assertThat(get("/api/tasks/" + annas, basic("vera")).status()).isEqualTo(200);
      assertThat(get("/api/tasks/" + annas, bearer(VIEWER_TOKEN)).status()).isEqualTo(200);
      problem(send("DELETE", "/api/tasks/" + annas, basic("vera"), null), 403);
      problem(send("POST", "/api/tasks", basic("vera"), "{\"type\":\"noop\",\"input\":1}"),
          403);
      problem(send("POST", "/api/tasks", bearer(VIEWER_TOKEN),
          "{\"type\":\"noop\",\"input\":1}"), 403);
    } finally {
      send("DELETE", "/api/tasks/" + annas, basic(ANNA), null);
    }
  }

  @Test
  void usersCancelTheirOwnAndAdminsCancelAnyones() {
    String annas = sleeping(basic(ANNA));
    String boris = sleeping(basic(BORIS));
    Response own = send("DELETE", "/api/tasks/" + annas, basic(ANNA), null);
    assertThat(own.status()).isEqualTo(200);
    assertThat(own.json().getString("status")).isEqualTo("canceled");
    Response admin = send("DELETE", "/api/tasks/" + boris, basic("adam"), null);
    assertThat(admin.status()).isEqualTo(200);
    assertThat(admin.json().getString("owner")).isEqualTo(BORIS);
    String bots = sleeping(bearer(TOKEN));
    assertThat(send("DELETE", "/api/tasks/" + bots, bearer(TOKEN), null).status())
        .isEqualTo(200);
  }

  @Test
  void aLongPollAndAStreamOfOnesOwnTaskWork() {
    String id = submit(basic(ANNA), "{\"type\":\"sleep\",\"input\":{\"millis\":200}}");
    Response polled = get("/api/tasks/" + id + "?wait=5", basic(ANNA));
    assertThat(polled.json().getString("status")).isEqualTo("success");
    Response stream = get("/api/tasks/" + id + "/events", basic(ANNA));
    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.body()).contains("\"status\":\"success\"");
  }

  // ---------------------------------------------------------------- idempotency per owner

  @Test
  void idempotencyKeysArePerOwner() {
    String key = "order-" + UUID.randomUUID();
    Map<String, String> anna = Map.of("Authorization", basic(ANNA).get("Authorization"),
        "Idempotency-Key", key);
    Map<String, String> boris = Map.of("Authorization", basic(BORIS).get("Authorization"),
        "Idempotency-Key", key);
    Response first = send("POST", "/api/tasks", anna, "{\"type\":\"noop\",\"input\":1}");
    Response other = send("POST", "/api/tasks", boris, "{\"type\":\"noop\",\"input\":2}");
    assertThat(first.status()).isEqualTo(202);
    assertThat(other.status()).as("another owner's key is independent").isEqualTo(202);
    assertThat(other.json().getString("id")).isNotEqualTo(first.json().getString("id"));

    Response replay = send("POST", "/api/tasks", anna, "{\"type\":\"noop\",\"input\":1}");
    assertThat(replay.status()).isEqualTo(200);
    assertThat(replay.json().getString("id")).isEqualTo(first.json().getString("id"));
    JsonObject conflict = problem(
        send("POST", "/api/tasks", boris, "{\"type\":\"noop\",\"input\":3}"), 422);
    assertThat(conflict.getString("existingTask")).as("boris's own task")
        .isEqualTo(other.json().getString("id"));
    assertThat(conflict.toString()).doesNotContain(first.json().getString("id"));
  }

  // ---------------------------------------------------------------- browsers

  @Test
  void aStateChangingRequestFromAForeignPageIsRefused() {
    Map<String, String> fromEvil = Map.of("Authorization", basic(ANNA).get("Authorization"),
        "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");
    assertThat(problem(send("POST", "/api/tasks", fromEvil, "{\"type\":\"noop\",\"input\":1}"),
        403).getString("detail")).contains("own pages");
    String annas = sleeping(basic(ANNA));
    problem(send("DELETE", "/api/tasks/" + annas, fromEvil, null), 403);
    Map<String, String> originOnly = Map.of("Authorization",
        basic(ANNA).get("Authorization"), "Origin", "http://evil.example:" + app.port());
    problem(send("DELETE", "/api/tasks/" + annas, originOnly, null), 403);

    Map<String, String> sameOrigin = Map.of("Authorization", basic(ANNA).get("Authorization"),
        "Origin", "http://127.0.0.1:" + app.port(), "Sec-Fetch-Site", "same-origin");
    assertThat(send("DELETE", "/api/tasks/" + annas, sameOrigin, null).status()).isEqualTo(200);
    Map<String, String> tokenFromAnywhere = Map.of("Authorization", "Bearer " + TOKEN,
        "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");
    assertThat(send("POST", "/api/tasks", tokenFromAnywhere, "{\"type\":\"noop\",\"input\":1}")
        .status()).as("a token is never sent by a browser by itself").isEqualTo(202);
    assertThat(get("/api/tasks", fromEvil).status()).as("reading is not refused").isEqualTo(200);
  }

  @Test
  void corsPreflightOfAListedOriginIsAnsweredAndOthersAreNot() {
    Response ok = send("OPTIONS", "/api/tasks", Map.of("Origin", "https://dashboard.example",
        "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization, content-type"), null);
    assertThat(ok.status()).isEqualTo(204);
    assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("https://dashboard.example");
    assertThat(ok.header("Access-Control-Allow-Credentials")).isEqualTo("true");
    assertThat(ok.header("Access-Control-Allow-Methods")).contains("POST", "DELETE");
    assertThat(ok.header("Access-Control-Allow-Headers")).containsIgnoringCase("authorization");
    assertThat(ok.header("Vary")).contains("Origin");
    assertThat(ok.header("Allow")).as("an OPTIONS like any other").isEqualTo(
        "GET, HEAD, POST, OPTIONS");

    Response refused = send("OPTIONS", "/api/tasks", Map.of("Origin", "https://evil.example",
        "Access-Control-Request-Method", "POST"), null);
    problem(refused, 403);
    assertThat(refused.header("Access-Control-Allow-Origin")).isNull();

    Map<String, String> fromDashboard = Map.of("Authorization",
        basic(ANNA).get("Authorization"), "Origin", "https://dashboard.example",
        "Sec-Fetch-Site", "cross-site");
    Response submitted = send("POST", "/api/tasks", fromDashboard,
        "{\"type\":\"noop\",\"input\":1}");
    assertThat(submitted.status()).as("a listed origin may change things").isEqualTo(202);
    assertThat(submitted.header("Access-Control-Allow-Origin"))
        .isEqualTo("https://dashboard.example");
    assertThat(submitted.header("Access-Control-Expose-Headers")).contains("Location");
  }

  // ---------------------------------------------------------------- tokens file

  @Test
  void theTokensFileIsReadAgainWhenItChanges() throws IOException {
    String fresh = "fresh-" + UUID.randomUUID();
    problem(get("/api/me", bearer(fresh)), 401);
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, Files.readString(tokens) + Tokens.line(fresh, "new-bot",
        "offload-user,offload-viewer") + "\n");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .until(() -> get("/api/me", bearer(fresh)).status() == 200);
    JsonObject me = get("/api/me", bearer(fresh)).json();
    assertThat(me.getString("owner")).isEqualTo("new-bot");
    assertThat(me.getJsonArray("roles").getValuesAs(JsonValue::toString))
        .containsExactly("\"offload-user\"", "\"offload-viewer\"");
  }
}
