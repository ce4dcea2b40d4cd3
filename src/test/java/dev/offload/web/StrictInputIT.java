package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import dev.offload.testing.JsonCorpus;
import dev.offload.testing.JsonCorpus.Case;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every case of the JSON corpus over real HTTP, as raw bytes, both as the whole body and as the
 * input of a noop task: the exact status of the manifest, a problem+json for every 4xx with no
 * Java in it, never a 5xx, and a healthy server afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StrictInputIT {
  private static final JsonCorpus CORPUS = JsonCorpus.load();
  private static EmbeddedOffload app;
  private static Http http;

  @BeforeAll
  static void start() {
    EmbeddedOffload.Builder b = EmbeddedOffload.builder().param("offload.workers", "2");
    CORPUS.settings().forEach(b::param); // the limits the manifest's statuses are decided for
    app = b.start();
    http = new Http(app.baseUri());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @TestFactory
  @Order(1)
  Stream<DynamicTest> eachCaseAsTheWholeBody() {
    return sendAll(Case::bytes, Case::body);
  }

  @TestFactory
  @Order(2)
  Stream<DynamicTest> eachCaseAsTheInputOfANoopTask() {
    return sendAll(Case::asInput, Case::input);
  }

  @Test
  @Order(3)
  void numbersSurviveTheRoundTripExactly() {
    Response r = http.postJson("/api/tasks",
        "{\"type\":\"noop\",\"input\":[9007199254740993,2.50,1e999999999,-1e-400]}",
        Map.of("Prefer", "wait=10"));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getJsonArray("result").toString())
        .isEqualTo("[9007199254740993,2.50,1E+999999999,-1E-400]");
  }

  @Test
  @Order(4)
  void theServerIsHealthyAfterwards() {
    Response health = http.get("/api/health");
    assertThat(health.status()).as(health.toString()).isEqualTo(200);
    assertThat(health.json().getString("status")).isEqualTo("up");
  }

  private static Stream<DynamicTest> sendAll(Function<Case, byte[]> bytes,
      Function<Case, Integer> status) {
    return CORPUS.cases().stream().map(c -> DynamicTest.dynamicTest(c.file(), () -> {
      Response r = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bytes.apply(c))));
      assertThat(r.status()).as("%s: %s", c, r).isLessThan(500).isEqualTo(status.apply(c));
      if (r.status() >= 400) {
        assertThat(r.header("Content-Type")).as(c.toString())
            .startsWith("application/problem+json");
        JsonObject p = r.json();
        assertThat(p.getInt("status")).isEqualTo(r.status());
        assertThat(p.getString("detail")).as(c.toString()).isNotBlank();
        assertThat(r.body()).as("%s: no Java in the answer", c)
            .doesNotContainIgnoringCase("exception")
            .doesNotContain("\tat ", "org.eclipse", "jakarta.", "java.", "dev.offload",
                "class ", "token=");
      } else {
        assertThat(r.header("Location")).as(c.toString()).contains("/api/tasks/");
      }
    }));
  }
}
