package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.engine.TaskEngine;
import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Health for load balancers and orchestrators over real HTTP, with the container's login on:
 * {@code /api/health}, {@code /api/health/live} and {@code /api/health/ready} answer anyone, and
 * {@code HEAD} and {@code OPTIONS} on each.
 */
class HealthIT {
  private static final List<String> PATHS =
      List.of("/api/health", "/api/health/live", "/api/health/ready");

  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    app = EmbeddedOffload.builder()
        .contextPath("/offload")
        .param("offload.workers", "1")
        .user("vera", "vera-pw", "offload-viewer")
        .start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static Response send(Http http, String method, String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.url(path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b);
  }

  @Test
  void liveAndReadyAnswerAnyoneWithTheStatusAlone() {
    for (String path : List.of("/api/health/live", "/api/health/ready")) {
      Response anonymous = http.get(path);
      assertThat(anonymous.status()).as(path).isEqualTo(200);
      assertThat(anonymous.header("WWW-Authenticate")).as(path).isNull();
      assertThat(anonymous.header("Content-Type")).startsWith("application/json");
      assertThat(anonymous.body()).as(path).isEqualTo("{\"status\":\"up\"}");
      // A role gets details on /api/health only: probes read the status and nothing else.
      Response viewer = send(http, "GET", path, "Authorization", "Basic " + Base64.getEncoder()
          .encodeToString("vera:vera-pw".getBytes(StandardCharsets.UTF_8)));
      assertThat(viewer.body()).as(path).isEqualTo("{\"status\":\"up\"}");
    }
  }

  @Test
  void headAndOptionsAreAnsweredOnAllThree() {
    for (String path : PATHS) {
      Response get = http.get(path);
      Response head = send(http, "HEAD", path);
      assertThat(head.status()).as(path).isEqualTo(200);
      assertThat(head.body()).as(path).isEmpty();
      assertThat(head.header("Content-Length")).as(path)
          .isEqualTo(String.valueOf(get.body().getBytes(StandardCharsets.UTF_8).length));
      Response options = send(http, "OPTIONS", path);
      assertThat(options.status()).as(path).isEqualTo(204);
      assertThat(options.header("Allow")).as(path).isEqualTo("GET, HEAD, OPTIONS");
    }
  }

  @Test
  void otherPathsAndMethodsAreProblems() {
    Response unknown = http.get("/api/health/other");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.header("Content-Type")).startsWith("application/problem+json");
    Response post = send(http, "POST", "/api/health/ready");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
  }

  @Test
  void whileShuttingDownReadyIs503AndLiveStays200() {
    try (EmbeddedOffload stopping = EmbeddedOffload.builder()
        .param("offload.workers", "1")
        .param("offload.shutdown.grace.seconds", "0")
        .start()) {
      Http client = new Http(stopping.baseUri());
      assertThat(client.get("/api/health/ready").status()).isEqualTo(200);
      // contextDestroyed begins with this; the container still routes requests meanwhile (as
      // Tomcat does during an undeploy), and a load balancer must stop sending work here.
      TaskEngine engine = ((Offload) stopping.attribute(Offload.ATTRIBUTE)).engine();
      engine.shutdown();

      Response ready = client.get("/api/health/ready");
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.header("Retry-After")).isEqualTo("5");
      assertThat(ready.body()).isEqualTo("{\"status\":\"shutting_down\"}");
      assertThat(send(client, "HEAD", "/api/health/ready").status()).isEqualTo(503);
      assertThat(client.get("/api/health").status()).isEqualTo(503);

      Response live = client.get("/api/health/live");
      assertThat(live.status()).isEqualTo(200);
      assertThat(live.body()).isEqualTo("{\"status\":\"up\"}");
      assertThat(send(client, "HEAD", "/api/health/live").status()).isEqualTo(200);
    }
  }
}
