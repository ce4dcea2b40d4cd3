package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The one scenario every real container must pass with the WAR that {@code mvn package} built,
 * deployed unchanged at {@value #CTX}. Each container class says how to start it and how its
 * configuration is given; the assertions are the same for all.
 *
 * <p>The scenario runs as alice, one of the {@link DemoUser}s, with BASIC credentials. Jetty and
 * Tomcat run Offload with its default {@code offload.auth=container}: their own login against
 * their own realm (jetty-base/etc/offload-realm.properties; conf/tomcat-users.xml). Payara Micro
 * runs it open ({@code offload.auth=none}, see {@link PayaraMicro}), where the credentials are
 * ignored. A container class that runs Offload with its realm also implements {@link
 * ContainerLoginContract}: the same authentication checks for each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class OffloadInContainerContract {
  static final String CTX = "/offload";
  static final Duration START = Duration.ofSeconds(90);
  static final int GRACE_SECONDS = 6;
  /** What Tomcat (10.1 and 11) logs when a web application leaves something behind. */
  static final Pattern LEAK_WARNING = Pattern.compile(
      "appears to have started a thread named|failed to stop it|memory leak"
          + "|created a ThreadLocal|ThreadLocal with key|Failed to clear|unable to clear"
          + "|SEVERE", Pattern.CASE_INSENSITIVE);

  private ContainerProcess container;
  /** Offload in the scenario's container, without credentials. */
  private Http anonymous;
  /** The scenario's caller: alice, an offload-user. */
  private Http http;

  /**
   * Starts the container with Offload deployed at {@value #CTX} and {@code settings} given the
   * container's own way (context XML / context file / system properties).
   */
  abstract ContainerProcess launch(String label, Map<String, String> settings);

  /** The settings of the scenario's container. */
  abstract Map<String, String> scenarioSettings();

  /** The worker count Offload reports with those settings. */
  abstract int expectedWorkers();

  /**
   * Whether the stop test stops the scenario's own container (the stop test runs last) instead
   * of starting one of its own: for a container slow to boot. Its scenario settings must then
   * hold the stop test's settings.
   */
  boolean stopsTheScenarioContainer() {
    return false;
  }

  /**
   * A log line the container itself writes for reasons of its own that the leak check would
   * take for Offload's. Each container class that overrides this says why the line is not
   * Offload's doing.
   */
  boolean isContainerNoise(String line) {
    return false;
  }

  @BeforeAll
  void startContainer() {
    container = launch("scenario", scenarioSettings());
    anonymous = new Http(container.uri(CTX));
    http = DemoUser.ALICE.on(anonymous);
    container.awaitOk(http, "/api/health", START);
  }

  /**
   * The scenario's container, for the checks a container class adds of its own (public: {@link
   * ContainerLoginContract} asks for it).
   */
  public ContainerProcess container() {
    return container;
  }

  /** A client of Offload in the scenario's container, at {@value #CTX}, as alice. */
  Http http() {
    return http;
  }

  /** The same client without credentials; {@link DemoUser#on} makes it anyone's. */
  public Http anonymous() {
    return anonymous;
  }

  @AfterAll
  void stopContainer() {
    if (container != null) {
      container.close();
    }
  }

  @Test
  @Order(1)
  void healthIsUpWithTheSettingsTheContainerGave() {
    Http.Response r = http.get("/api/health");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("up");
    assertThat(r.json().getJsonObject("workers").getInt("total")).isEqualTo(expectedWorkers());
  }

  @Test
  @Order(2)
  void typesAreListed() {
    Http.Response r = http.get("/api/types");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    List<String> types = array(r.body()).stream()
        .map(v -> v.asJsonObject().getString("type"))
        .toList();
    assertThat(types).contains("noop", "sleep", "pbkdf2");
  }

  @Test
  @Order(3)
  void submitWithoutPreferAnswers202AndLinksUnderTheContextPath() {
    Http.Response r = http.postJson("/api/tasks", "{\"type\":\"noop\",\"input\":{\"n\":1}}");
    assertThat(r.status()).isEqualTo(202);
    JsonObject view = r.json();
    String id = view.getString("id");
    assertThat(URI.create(r.header("Location")).getPath()).isEqualTo(CTX + "/api/tasks/" + id);
    assertThat(r.header("Retry-After")).isEqualTo("1");
    assertLinksUnderContext(view);

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
        .until(() -> http.get("/api/tasks/" + id).json().getString("status"), "success"::equals);
    JsonObject done = http.get("/api/tasks/" + id).json();
    assertThat(done.getJsonObject("result")).isEqualTo(view.getJsonObject("input"));
    assertLinksUnderContext(done);
  }

  @Test
  @Order(4)
  void submitWithPreferWaitAnswersWithTheFinishedTask() {
    Http.Response r = http.postJson("/api/tasks",
        "{\"type\":\"pbkdf2\",\"input\":{\"password\":\"pw\",\"iterations\":1000,\"salt\":\"s\"}}",
        Map.of("Prefer", "wait=20"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Preference-Applied")).isEqualTo("wait=20");
    JsonObject view = r.json();
    assertThat(view.getString("status")).isEqualTo("success");
    assertThat(view.getString("result")).matches("[0-9a-f]{16,}");
    assertLinksUnderContext(view);
  }

  @Test
  @Order(5)
  void longPollAnswersWhenTheTaskEnds() {
    String id = submit("{\"type\":\"sleep\",\"input\":{\"millis\":1500}}");
    Http.Response r = http.get("/api/tasks/" + id + "?wait=30");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("success");
    assertLinksUnderContext(r.json());
  }

  @Test
  @Order(6)
  void eventsStreamUntilTheFinalEvent() throws Exception {
    String id = submit("{\"type\":\"sleep\",\"input\":{\"millis\":1000}}");
    HttpRequest request = http.request("/api/tasks/" + id + "/events")
        .header("Accept", "text/event-stream")
        .timeout(Duration.ofSeconds(60))
        .GET()
        .build();
    HttpResponse<Stream<String>> response = http.client()
        .sendAsync(request, HttpResponse.BodyHandlers.ofLines())
        .get(30, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    // The server closes the stream after the terminal event; a stream left open fails here.
    List<String> lines = CompletableFuture
        .supplyAsync(() -> {
          try (Stream<String> body = response.body()) {
            return body.toList();
          }
        })
        .get(30, TimeUnit.SECONDS);
    List<Map<String, String>> events = events(lines);

    assertThat(events).isNotEmpty();
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).get("id")).isEqualTo(Integer.toString(i + 1));
      assertThat(events.get(i).get("event")).isIn("status", "progress");
      assertLinksUnderContext(object(events.get(i).get("data")));
    }
    assertThat(events.get(0).get("event")).isEqualTo("status");
    Map<String, String> last = events.get(events.size() - 1);
    assertThat(last.get("event")).isEqualTo("status");
    assertThat(object(last.get("data")).getString("status")).isEqualTo("success");
  }

  @Test
  @Order(7)
  void cancelEndsARunningTask() {
    String id = submit("{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
    awaitStatus(http, id, "running");
    Http.Response r = http.delete("/api/tasks/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("canceled");
    assertLinksUnderContext(r.json());
    assertThat(http.get("/api/tasks/" + id).json().getString("status")).isEqualTo("canceled");
    assertThat(http.delete("/api/tasks/" + id).status()).isEqualTo(409);
  }

  @Test
  @Order(8)
  void badRequestsGetProblemJson() {
    Http.Response malformed = http.postJson("/api/tasks", "{\"type\": ");
    assertProblem(malformed, 400);

    Http.Response unknownType = http.postJson("/api/tasks", "{\"type\":\"nope\",\"input\":{}}");
    assertProblem(unknownType, 422);
    assertThat(unknownType.json().getJsonArray("knownTypes").getValuesAs(JsonString.class)
        .stream().map(JsonString::getString).toList()).contains("noop", "sleep", "pbkdf2");

    assertProblem(http.get("/api/tasks/00000000-0000-4000-8000-000000000000"), 404);
  }

  @Test
  @Order(9)
  void listingLinksEveryTaskUnderTheContextPath() {
    submit("{\"type\":\"noop\",\"input\":{}}");
    Http.Response r = http.get("/api/tasks?limit=100");
    assertThat(r.status()).isEqualTo(200);
    List<JsonObject> items = r.json().getJsonArray("items").getValuesAs(JsonObject.class);
    assertThat(items).isNotEmpty();
    items.forEach(OffloadInContainerContract::assertLinksUnderContext);
  }

  @Test
  @Order(10)
  void theStatusPageAndEverythingItLoadsAreServed() {
    Http.Response page = http.get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");
    assertThat(page.header("Content-Security-Policy")).contains("script-src 'self'");

    // The page's URLs are relative (api/tasks, js/main.js and its imports): the container must
    // send a browser that opened the context path without its slash on to the slash, so they
    // resolve under it.
    Http.Response bare = http.get("");
    assertThat(bare.status()).isIn(301, 302, 303, 307, 308);
    assertThat(URI.create(bare.header("Location")).getPath()).isEqualTo(CTX + "/");

    Set<String> refs = localReferences(page.body());
    assertThat(refs).as("what the page loads").anyMatch(r -> r.endsWith(".js"));
    for (String ref : refs) {
      Http.Response r = http.get("/" + ref);
      assertThat(r.status()).as("GET %s/%s", CTX, ref).isEqualTo(200);
      if (ref.endsWith(".js")) {
        assertThat(r.header("Content-Type")).as(ref).contains("javascript");
      } else if (ref.endsWith(".css")) {
        assertThat(r.header("Content-Type")).as(ref).startsWith("text/css");
      }
    }
  }

  /**
   * Stops the container its own graceful way while three tasks run: the short one finishes
   * within the grace period, the two long ones are interrupted and fail with error type
   * shutdown, and the log says exactly that.
   */
  @Test
  @Order(100)
  void stoppingWhileTasksRunHonoursTheGracePeriod() {
    Map<String, String> settings = stopSettings();
    if (stopsTheScenarioContainer()) {
      assertThat(scenarioSettings()).as("the scenario's settings").containsAllEntriesOf(settings);
    }
    try (ContainerProcess c = stopsTheScenarioContainer() ? container : launch("stop", settings)) {
      Http h = DemoUser.ALICE.on(new Http(c.uri(CTX)));
      c.awaitOk(h, "/api/health", START);
      String long1 = submit(h, "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
      String long2 = submit(h, "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
      awaitStatus(h, long1, "running");
      awaitStatus(h, long2, "running");
      String quick = submit(h, "{\"type\":\"sleep\",\"input\":{\"millis\":3000}}");
      awaitStatus(h, quick, "running");

      c.stopGracefully();

      assertThat(c.awaitExit(Duration.ofSeconds(GRACE_SECONDS + 30)))
          .as("%s exits within the grace period and a margin; log:%n%s", c, c.logTail())
          .isTrue();
      String log = c.log();
      assertThat(log).contains("Offload engine stopping: 3 tasks were running; 1 finished "
          + "within the grace period of " + GRACE_SECONDS + "s, 2 were interrupted and failed "
          + "with error type shutdown");
      assertThat(log).contains("Offload stopped at " + CTX);
      assertThat(log.lines().filter(l -> LEAK_WARNING.matcher(l).find())
          .filter(l -> !isContainerNoise(l)))
          .as("leak warnings at the stop").isEmpty();
    }
  }

  /** The settings of the container the stop test stops: a grace period, four workers. */
  static Map<String, String> stopSettings() {
    return Map.of("offload.shutdown.grace.seconds", Integer.toString(GRACE_SECONDS),
        "offload.workers", "4");
  }

  // ---- helpers shared with the redeploy test ----

  static String submit(Http h, String json) {
    Http.Response r = h.postJson("/api/tasks", json);
    assertThat(r.status()).as("%s", r).isEqualTo(202);
    return r.json().getString("id");
  }

  static void awaitStatus(Http h, String id, String status) {
    await("task " + id + " " + status).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> h.get("/api/tasks/" + id).json().getString("status"), status::equals);
  }

  static void assertLinksUnderContext(JsonObject view) {
    String id = view.getString("id");
    JsonObject links = view.getJsonObject("links");
    assertThat(links.getString("self")).isEqualTo(CTX + "/api/tasks/" + id);
    assertThat(links.getString("events")).isEqualTo(CTX + "/api/tasks/" + id + "/events");
  }

  static void assertProblem(Http.Response r, int status) {
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    JsonObject p = r.json();
    assertThat(p.getInt("status")).isEqualTo(status);
    assertThat(p.getString("title")).isNotBlank();
    assertThat(p.containsKey("type")).isTrue();
  }

  static JsonArray array(String json) {
    try (var reader = Json.createReader(new StringReader(json))) {
      return reader.readArray();
    }
  }

  static JsonObject object(String json) {
    try (var reader = Json.createReader(new StringReader(json))) {
      return reader.readObject();
    }
  }

  /** Server-sent events as field maps (id, event, data), comments and heartbeats left out. */
  static List<Map<String, String>> events(List<String> lines) {
    List<Map<String, String>> events = new ArrayList<>();
    Map<String, String> current = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.isEmpty()) {
        if (!current.isEmpty()) {
          events.add(current);
          current = new LinkedHashMap<>();
        }
      } else if (!line.startsWith(":")) {
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
        current.merge(field, value, (a, b) -> a + "\n" + b);
      }
    }
    if (!current.isEmpty()) {
      events.add(current);
    }
    return events;
  }

  private static final Pattern REF = Pattern.compile("(?:src|href)=\"([^\"#?]+)[^\"]*\"");

  /** The page's relative src/href targets (scripts, styles, images, links within the app). */
  static Set<String> localReferences(String html) {
    Set<String> refs = new LinkedHashSet<>();
    Matcher m = REF.matcher(html);
    while (m.find()) {
      String ref = m.group(1);
      if (ref.startsWith(CTX + "/")) {
        refs.add(ref.substring(CTX.length() + 1));
      } else if (!ref.contains(":") && !ref.startsWith("/") && !ref.isBlank()) {
        refs.add(ref.startsWith("./") ? ref.substring(2) : ref);
      }
    }
    return refs;
  }

  private String submit(String json) {
    return submit(http, json);
  }
}
