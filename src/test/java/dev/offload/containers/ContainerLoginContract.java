package dev.offload.containers;

import static dev.offload.containers.OffloadInContainerContract.assertProblem;
import static dev.offload.containers.OffloadInContainerContract.object;
import static dev.offload.containers.OffloadInContainerContract.submit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.Http;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Authentication in a real container, through the container's own realm and the unchanged WAR
 * ({@code offload.auth=container}, the default): the container's 401, Offload's owners and
 * roles. Implemented by each {@link OffloadInContainerContract} class whose container runs
 * Offload with its realm holding the {@link DemoUser}s, so the assertions are the same in each.
 * The tests run in the scenario's container, after the scenario.
 */
interface ContainerLoginContract {
  /**
   * The container's BASIC challenge for the realm the WAR's login-config names. The scheme is
   * case-insensitive (RFC 9110); a charset parameter (RFC 7617) may follow: Tomcat 11 adds
   * {@code , charset=UTF-8}.
   */
  Pattern CHALLENGE = Pattern.compile(
      "(?i:basic) realm=\"Offload\"(, ?(?i:charset)=\"?UTF-8\"?)?");
  String MINUTE_SLEEP = "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}";
  String NOOP = "{\"type\":\"noop\",\"input\":1}";

  /** The scenario's container. */
  ContainerProcess container();

  /** Offload in it, at {@value OffloadInContainerContract#CTX}, without credentials. */
  Http anonymous();

  private Http as(DemoUser user) {
    return user.on(anonymous());
  }

  /**
   * Without credentials (or with a wrong password) every API call but health is the
   * container's own 401 challenge: never HTML, never data; if there is a body it is
   * problem+json. The containers differ there: Tomcat renders every challenge through the
   * WAR's error page (a problem); Jetty 12.1 sends GET, HEAD and POST challenges with an empty
   * body and leaves the body of others (DELETE) to Offload, which writes a problem. And nothing
   * happened: alice's task is untouched.
   */
  @Test
  @Order(11)
  default void anUnauthenticatedCallIsChallengedAndGetsNoData() {
    Http alice = as(DemoUser.ALICE);
    Http nobody = anonymous();
    String alices = submit(alice, MINUTE_SLEEP);
    try {
      for (String path : List.of("/api/tasks", "/api/tasks/" + alices,
          "/api/tasks/" + alices + "?wait=2", "/api/tasks/" + alices + "/events", "/api/types",
          "/api/me")) {
        assertChallenged(nobody.get(path), "GET " + path, alices);
      }
      // What a browser sends: a container would answer it with its HTML error page if any.
      assertChallenged(nobody.send(nobody.request("/api/tasks/" + alices)
          .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").GET()),
          "a browser's GET", alices);
      assertChallenged(nobody.postJson("/api/tasks", NOOP), "POST /api/tasks", alices);
      assertChallenged(nobody.delete("/api/tasks/" + alices), "DELETE", alices);
      Http wrongPassword = nobody.withBasic(DemoUser.BOB.username(), "not-bobs-password");
      assertChallenged(wrongPassword.get("/api/tasks/" + alices), "a wrong password", alices);

      assertThat(alice.get("/api/tasks/" + alices).json().getString("status"))
          .as("alice's task after the unauthenticated DELETE").isIn("pending", "running");
    } finally {
      alice.delete("/api/tasks/" + alices);
    }
  }

  @Test
  @Order(12)
  default void healthWithoutCredentialsIsTheStatusOnly() {
    Http.Response open = anonymous().get("/api/health");
    assertThat(open.status()).isEqualTo(200);
    assertThat(open.json()).as("health without credentials")
        .isEqualTo(object("{\"status\":\"up\"}"));
    assertThat(as(DemoUser.ALICE).get("/api/health").json().keySet()).as("health as alice")
        .contains("status", "store", "workers", "queue");
  }

  /**
   * Liveness and readiness answer anyone; the metrics answer the realm's scraper (and an
   * admin), not a user, and challenge the anonymous: Micrometer's registry running inside the
   * container, reached through its own login.
   */
  @Test
  @Order(18)
  default void probesAreOpenAndTheMetricsAreTheScrapersAndTheAdmins() {
    for (String probe : List.of("/api/health/live", "/api/health/ready")) {
      Http.Response r = anonymous().get(probe);
      assertThat(r.status()).as(probe).isEqualTo(200);
      assertThat(r.json()).as(probe).isEqualTo(object("{\"status\":\"up\"}"));
    }
    for (DemoUser reader : List.of(DemoUser.PROMETHEUS, DemoUser.ADAM)) {
      Http.Response scrape = as(reader).get("/metrics");
      assertThat(scrape.status()).as(reader.username()).isEqualTo(200);
      assertThat(scrape.header("Content-Type")).startsWith("text/plain; version=0.0.4");
      assertThat(scrape.body()).contains("# TYPE offload_tasks_submitted_total counter",
          "jvm_memory_used_bytes");
    }
    assertThat(as(DemoUser.ALICE).get("/metrics").status()).as("alice").isEqualTo(403);
    Http.Response nobody = anonymous().get("/metrics");
    assertThat(nobody.status()).isEqualTo(401);
    assertThat(nobody.body()).doesNotContain("offload_");
  }

  @Test
  @Order(13)
  default void meNamesThePrincipalAndItsRoles() {
    for (DemoUser u : DemoUser.values()) {
      Http.Response r = as(u).get("/api/me");
      assertThat(r.status()).as("%s: %s", u, r).isEqualTo(200);
      JsonObject me = r.json();
      assertThat(me.getString("owner")).isEqualTo(u.username());
      assertThat(me.getString("auth")).isEqualTo("container");
      assertThat(me.getJsonArray("roles").getValuesAs(JsonString.class).stream()
          .map(JsonString::getString).toList()).as(u.username()).containsExactly(u.role());
    }
    JsonObject vera = as(DemoUser.VERA).get("/api/me").json();
    assertThat(vera.getBoolean("canSubmit")).isFalse();
    assertThat(vera.getBoolean("seesEveryone")).isTrue();
    assertThat(as(DemoUser.ADAM).get("/api/me").json().getBoolean("canCancel")).isTrue();
  }

  /**
   * Alice's task is to bob exactly what a task that never existed is: the same 404, byte for
   * byte and header for header, to read, long-poll, stream and cancel; and lists are scoped to
   * the caller.
   */
  @Test
  @Order(14)
  default void ownersDoNotSeeEachOthersTasks() {
    Http alice = as(DemoUser.ALICE);
    Http bob = as(DemoUser.BOB);
    String alices = submit(alice, MINUTE_SLEEP);
    String bobs = submit(bob, NOOP);
    String random = UUID.randomUUID().toString();
    try {
      for (String suffix : List.of("", "?wait=1", "/events")) {
        Http.Response theirs = bob.get("/api/tasks/" + alices + suffix);
        Http.Response none = bob.get("/api/tasks/" + random + suffix);
        assertSameNotFound(theirs, none, "GET " + suffix);
      }
      assertSameNotFound(bob.delete("/api/tasks/" + alices), bob.delete("/api/tasks/" + random),
          "DELETE");

      assertThat(ids(alice.get("/api/tasks?limit=100"))).as("alice's list")
          .contains(alices).doesNotContain(bobs);
      assertThat(ids(bob.get("/api/tasks?limit=100"))).as("bob's list")
          .contains(bobs).doesNotContain(alices);
      JsonObject view = alice.get("/api/tasks/" + alices).json();
      assertThat(view.getString("owner")).isEqualTo(DemoUser.ALICE.username());
      assertThat(view.getString("status")).as("after bob's DELETE").isIn("pending", "running");
    } finally {
      alice.delete("/api/tasks/" + alices);
    }
  }

  @Test
  @Order(15)
  default void theViewerReadsEverythingAndChangesNothing() {
    Http alice = as(DemoUser.ALICE);
    Http vera = as(DemoUser.VERA);
    String alices = submit(alice, MINUTE_SLEEP);
    String bobs = submit(as(DemoUser.BOB), NOOP);
    try {
      Http.Response read = vera.get("/api/tasks/" + alices);
      assertThat(read.status()).as("%s", read).isEqualTo(200);
      assertThat(read.json().getString("owner")).isEqualTo(DemoUser.ALICE.username());
      assertThat(ids(vera.get("/api/tasks?limit=100"))).contains(alices, bobs);

      assertProblem(vera.postJson("/api/tasks", NOOP), 403);
      assertProblem(vera.delete("/api/tasks/" + alices), 403);
      assertThat(alice.get("/api/tasks/" + alices).json().getString("status"))
          .as("after vera's DELETE").isIn("pending", "running");
    } finally {
      alice.delete("/api/tasks/" + alices);
    }
  }

  @Test
  @Order(16)
  default void theAdminCancelsAnyonesTask() {
    Http bob = as(DemoUser.BOB);
    String bobs = submit(bob, MINUTE_SLEEP);
    Http.Response r = as(DemoUser.ADAM).delete("/api/tasks/" + bobs);
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("canceled");
    assertThat(r.json().getString("owner")).isEqualTo(DemoUser.BOB.username());
    assertThat(bob.get("/api/tasks/" + bobs).json().getString("status")).isEqualTo("canceled");
  }

  /**
   * A browser sends BASIC credentials by itself, so a state-changing request from a page of
   * another origin is refused. Without Sec-Fetch-Site, same origin is judged by the Host header
   * the container hands the WAR, which is what a reverse proxy must keep (README, "Behind a
   * reverse proxy").
   */
  @Test
  @Order(17)
  default void aStateChangingRequestFromAForeignPageIsRefused() {
    Http alice = as(DemoUser.ALICE);
    assertProblem(alice.postJson("/api/tasks", NOOP, Map.of("Origin", "http://evil.example")),
        403);
    Http.Response own = alice.postJson("/api/tasks", NOOP,
        Map.of("Origin", "http://127.0.0.1:" + container().port()));
    assertThat(own.status()).as("from the server's own origin: %s", own).isEqualTo(202);
  }

  /**
   * A 401 challenge of the realm Offload: never HTML, never data (not even the id asked
   * about); if there is a body it is problem+json.
   */
  private static void assertChallenged(Http.Response r, String what, String secretId) {
    assertThat(r.status()).as("%s: %s", what, r).isEqualTo(401);
    assertThat(r.raw().headers().allValues("WWW-Authenticate")).as("%s: challenge", what)
        .anyMatch(v -> CHALLENGE.matcher(v).matches());
    assertThat(r.body()).as("%s: body", what)
        .doesNotContainIgnoringCase("<html")
        .doesNotContain(secretId, "\"items\"", "\"owner\"", "\"type\":\"sleep\"");
    if (!r.body().isEmpty()) {
      assertThat(r.header("Content-Type")).as("%s: %s", what, r)
          .startsWith("application/problem+json");
      assertThat(object(r.body()).getInt("status")).isEqualTo(401);
    }
  }

  /** Two 404 answers a client cannot tell apart: status, body and headers (but the Date). */
  private static void assertSameNotFound(Http.Response theirs, Http.Response none,
      String what) {
    assertProblem(theirs, 404);
    assertThat(theirs.body()).as("%s: body", what).isEqualTo(none.body());
    assertThat(withoutDate(theirs)).as("%s: headers", what).isEqualTo(withoutDate(none));
  }

  private static Map<String, List<String>> withoutDate(Http.Response r) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.putAll(r.raw().headers().map());
    headers.remove("Date");
    return headers;
  }

  private static List<String> ids(Http.Response list) {
    assertThat(list.status()).as("%s", list).isEqualTo(200);
    return list.json().getJsonArray("items").getValuesAs(JsonObject.class).stream()
        .map(v -> v.getString("id")).toList();
  }
}
