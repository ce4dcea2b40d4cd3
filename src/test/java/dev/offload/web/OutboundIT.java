package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import dev.offload.testing.Http.Response;
import dev.offload.testing.LocalHttpServer;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The http and email task types over real HTTP, in the webapp as the WAR lays it out: built
 * by the listener from its settings, offered by /api/types, run to their end.
 */
class OutboundIT {

  @RegisterExtension
  static final GreenMailExtension greenMail =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  private static List<String> types(Http http) {
    Response r = http.get("/api/types");
    assertThat(r.status()).isEqualTo(200);
    return r.as(JsonArray.class).stream()
        .map(v -> v.asJsonObject().getString("type")).toList();
  }

  @Test
  void anHttpTaskCallsAnAllowedLocalServerAndForbiddenAddressesAre422() {
    try (LocalHttpServer target = LocalHttpServer.start();
        EmbeddedOffload app = EmbeddedOffload.builder()
            .param("offload.http.allow", "127.0.0.1")
            .param("offload.workers", "2")
            .start()) {
      target.route("/hook", (ex, n) -> {
        ex.getResponseHeaders().set("Location", "/hook/1");
        LocalHttpServer.send(ex, 201, "application/json", "{\"received\":true}");
      });
      Http http = new Http(app.baseUri());
      assertThat(types(http)).contains("http").doesNotContain("email");

      Response r = http.postJson("/api/tasks", "{\"type\":\"http\",\"input\":{\"method\":\"POST\","
          + "\"url\":\"" + target.url("/hook") + "\",\"json\":{\"order\":42},"
          + "\"headers\":{\"X-Api-Key\":\"k-123\"}}}", Map.of("Prefer", "wait=20"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonObject task = r.json();
      assertThat(task.getString("status")).isEqualTo("success");
      JsonObject result = task.getJsonObject("result");
      assertThat(result.getInt("status")).isEqualTo(201);
      assertThat(result.getJsonObject("json").getBoolean("received")).isTrue();
      assertThat(result.getJsonObject("headers").getString("location")).isEqualTo("/hook/1");
      assertThat(target.seen().get(0).body()).isEqualTo("{\"order\":42}");
      assertThat(target.seen().get(0).header("X-Api-Key")).isEqualTo("k-123");
      // The view shows the input through HttpHandler.redact: the key masked, the rest as given.
      JsonObject shown = http.get("/api/tasks/" + task.getString("id")).json()
          .getJsonObject("input");
      assertThat(shown.getJsonObject("headers").getString("X-Api-Key")).isEqualTo("***");
      assertThat(shown.getString("url")).isEqualTo(target.url("/hook"));
      assertThat(task.getJsonObject("input").toString()).doesNotContain("k-123");

      for (String url : List.of("http://10.0.0.1/", "http://169.254.169.254/latest/",
          "http://[::1]/", "http://127.0.0.2/")) {
        Response refused = http.postJson("/api/tasks",
            "{\"type\":\"http\",\"input\":{\"url\":\"" + url + "\"}}");
        assertThat(refused.status()).as(url).isEqualTo(422);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.json().getString("detail")).contains("Offload does not call")
            .doesNotContain("Exception", "dev.offload");
      }
    }
  }

  @Test
  void emailIsOfferedOnlyWithAnSmtpServerAndThenDelivers() throws Exception {
    try (EmbeddedOffload plain = EmbeddedOffload.builder().start()) {
      Http http = new Http(plain.baseUri());
      assertThat(types(http)).doesNotContain("email");
      Response unknown = http.postJson("/api/tasks", "{\"type\":\"email\",\"input\":{}}");
      assertThat(unknown.status()).isEqualTo(422);
      assertThat(unknown.json().getJsonArray("knownTypes")).doesNotContain(
          jakarta.json.Json.createValue("email"));
    }
    try (EmbeddedOffload app = EmbeddedOffload.builder()
        .param("offload.smtp.host", "127.0.0.1")
        .param("offload.smtp.port", Integer.toString(greenMail.getSmtp().getPort()))
        .param("offload.smtp.tls", "none")
        .param("offload.smtp.from", "Offload <offload@example.com>")
        .start()) {
      Http http = new Http(app.baseUri());
      assertThat(types(http)).contains("email", "http");
      JsonObject type = http.get("/api/types").as(JsonArray.class).stream()
          .map(JsonValue::asJsonObject).filter(t -> t.getString("type").equals("email"))
          .findFirst().orElseThrow();
      assertThat(type.getString("description")).contains("offload@example.com");
      assertThat(type.getJsonObject("example").getJsonArray("to")).isNotEmpty();

      Response r = http.postJson("/api/tasks", "{\"type\":\"email\",\"input\":{"
          + "\"to\":[\"ada@example.com\"],\"subject\":\"Done\",\"text\":\"Your task ended.\"}}",
          Map.of("Prefer", "wait=20"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().getString("status")).isEqualTo("success");
      assertThat(greenMail.waitForIncomingEmail(10_000, 1)).isTrue();
      assertThat(greenMail.getReceivedMessages()[0].getSubject()).isEqualTo("Done");

      Response injected = http.postJson("/api/tasks", "{\"type\":\"email\",\"input\":{"
          + "\"to\":[\"ada@example.com\"],\"subject\":\"x\\r\\nBcc: eve@evil.test\","
          + "\"text\":\"x\"}}");
      assertThat(injected.status()).isEqualTo(422);
      assertThat(injected.json().getString("detail")).contains("line breaks");
    }
  }
}
