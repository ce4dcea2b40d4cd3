package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.handlers.EmailHandler;
import dev.offload.handlers.HttpHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffloadConfigTest {

  private static OffloadConfig load(Map<String, String> sys, Map<String, String> env,
      Map<String, String> webXml) {
    return OffloadConfig.load(OffloadConfig.Source.standard(sys::get, env, webXml::get));
  }

  @Test
  void systemPropertyWinsOverEnvironmentWhichWinsOverWebXml() {
    OffloadConfig c = load(
        Map.of("offload.workers", "7"),
        Map.of("OFFLOAD_WORKERS", "5", "OFFLOAD_QUEUE_CAPACITY", "50"),
        Map.of("offload.workers", "3", "offload.queue.capacity", "40",
            "offload.result.ttl.seconds", "30"));
    assertThat(c.engine().workers()).isEqualTo(7);
    assertThat(c.engine().queueCapacity()).isEqualTo(50);
    assertThat(c.engine().defaultResultTtl()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void unsetSettingsTakeTheirDefaults() {
    OffloadConfig c = load(Map.of(), Map.of(), Map.of());
    assertThat(c.engine().queueCapacity()).isEqualTo(10_000);
    assertThat(c.web().bodyMaxBytes()).isEqualTo(1_048_576);
    assertThat(c.web().waitMaxSeconds()).isEqualTo(60);
    assertThat(c.store().kind()).isEqualTo("memory");
  }

  @Test
  void anInvalidValueNamesTheSetting() {
    assertThatThrownBy(() -> load(Map.of(), Map.of("OFFLOAD_WORKERS", "many"), Map.of()))
        .isInstanceOf(OffloadConfig.InvalidConfigException.class)
        .hasMessageContaining("offload.workers").hasMessageContaining("'many'");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.queue.capacity", "0")))
        .hasMessageContaining("offload.queue.capacity").hasMessageContaining("between 1");
    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.result.ttl.seconds", "100", "offload.result.ttl.max.seconds", "10")))
        .hasMessageContaining("offload.result.ttl.seconds");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.store", "redis")))
        .hasMessageContaining("offload.store");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.store", "postgres")))
        .hasMessageContaining("offload.jdbc.url");
  }

  @Test
  void environmentNamesAreUpperCaseWithUnderscores() {
    assertThat(OffloadConfig.envName("offload.result.ttl.max.seconds"))
        .isEqualTo("OFFLOAD_RESULT_TTL_MAX_SECONDS");
  }

  @Test
  void thePasswordIsNeverPrinted() {
    OffloadConfig c = load(Map.of(), Map.of(), Map.of("offload.store", "postgres",
        "offload.jdbc.url", "jdbc:postgresql://db/offload", "offload.jdbc.password", "hunter2"));
    assertThat(c.toString()).doesNotContain("hunter2");
  }

  @Test
  void httpSettingsHaveDefaultsAndReadTheAllowList() {
    OffloadConfig.OutboundConfig d = load(Map.of(), Map.of(), Map.of()).outbound();
    assertThat(d.http()).isEqualTo(HttpHandler.Settings.defaults());
    assertThat(d.http().allow()).isEmpty();
    assertThat(d.http().responseMaxBytes()).isEqualTo(262_144);
    assertThat(d.smtp()).as("no SMTP server, no email task type").isNull();

    OffloadConfig.OutboundConfig c = load(Map.of(), Map.of("OFFLOAD_HTTP_ALLOW",
            " 127.0.0.1, 10.0.0.0/8 ,api.internal,"),
        Map.of("offload.http.timeout.max.seconds", "20",
            "offload.http.response.max.bytes", "1024", "offload.http.redirects.max", "2"))
        .outbound();
    assertThat(c.http().allow()).containsExactly("127.0.0.1", "10.0.0.0/8", "api.internal");
    assertThat(c.http().timeoutMaxSeconds()).isEqualTo(20);
    assertThat(c.http().timeoutDefaultSeconds()).as("the default follows a lower max")
        .isEqualTo(20);
    assertThat(c.http().responseMaxBytes()).isEqualTo(1024);
    assertThat(c.http().redirectsMax()).isEqualTo(2);
  }

  @Test
  void badHttpSettingsNameTheSetting() {
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.http.allow", "10.0.0.0/99")))
        .isInstanceOf(OffloadConfig.InvalidConfigException.class)
        .hasMessageContaining("offload.http.allow").hasMessageContaining("10.0.0.0/99");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of(
            "offload.http.timeout.default.seconds", "90",
            "offload.http.timeout.max.seconds", "60")))
        .hasMessageContaining("offload.http.timeout.default.seconds");
    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.http.response.max.bytes", "-1")))
        .hasMessageContaining("offload.http.response.max.bytes");
  }

  @Test
  void theHandlersFolderIsOptionalAbsoluteAndMustExist(@TempDir Path dir) throws Exception {
    assertThat(load(Map.of(), Map.of(), Map.of()).security().handlersDir()).isNull();

    Path handlers = Files.createDirectory(dir.resolve("handlers"));
    assertThat(load(Map.of(), Map.of("OFFLOAD_HANDLERS_DIR", handlers.toString()), Map.of())
        .security().handlersDir()).isEqualTo(handlers.toAbsolutePath());
    // A relative one is taken from the directory the server started in, and logged absolute.
    Path relative = Path.of("").toAbsolutePath().relativize(handlers.toAbsolutePath());
    assertThat(load(Map.of("offload.handlers.dir", relative.toString()), Map.of(), Map.of())
        .security().handlersDir()).isEqualTo(handlers.toAbsolutePath());

    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.handlers.dir", dir.resolve("hanlders").toString())))
        .isInstanceOf(OffloadConfig.InvalidConfigException.class)
        .hasMessageContaining("offload.handlers.dir")
        .hasMessageContaining("hanlders' is not a directory");
    Path file = Files.writeString(dir.resolve("handler.jar"), "a jar, not a folder");
    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.handlers.dir", file.toString())))
        .hasMessageContaining("offload.handlers.dir");
  }

  @Test
  void smtpSettingsWithThePasswordFromAFile(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("smtp-password");
    Files.writeString(secret, "s3cret word\n");
    OffloadConfig c = load(Map.of(), Map.of(), Map.of("offload.smtp.host", "mail.example.com",
        "offload.smtp.user", "offload", "offload.smtp.password.file", secret.toString(),
        "offload.smtp.from", "Offload <offload@example.com>"));
    EmailHandler.Settings smtp = c.outbound().smtp();
    assertThat(smtp.host()).isEqualTo("mail.example.com");
    assertThat(smtp.tls()).isEqualTo(EmailHandler.Tls.STARTTLS);
    assertThat(smtp.port()).isEqualTo(587);
    assertThat(smtp.password()).isEqualTo("s3cret word");
    assertThat(smtp.timeoutSeconds()).isEqualTo(30);
    assertThat(c.toString()).contains("mail.example.com").doesNotContain("s3cret");

    EmailHandler.Settings tls = load(Map.of(), Map.of(), Map.of("offload.smtp.host", "m",
        "offload.smtp.tls", "TLS", "offload.smtp.from", "a@example.com")).outbound().smtp();
    assertThat(tls.port()).isEqualTo(465);
    assertThat(tls.user()).isNull();
  }

  @Test
  void badSmtpSettingsNameTheSetting(@TempDir Path dir) {
    Map<String, String> base = Map.of("offload.smtp.host", "mail.example.com",
        "offload.smtp.from", "offload@example.com");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.smtp.host", "m")))
        .hasMessageContaining("offload.smtp.from");
    assertThatThrownBy(() -> load(Map.of("offload.smtp.from", "not an address"), Map.of(), base))
        .hasMessageContaining("offload.smtp.from");
    assertThatThrownBy(() -> load(Map.of("offload.smtp.tls", "ssl"), Map.of(), base))
        .hasMessageContaining("offload.smtp.tls").hasMessageContaining("'ssl'");
    assertThatThrownBy(() -> load(Map.of("offload.smtp.password", "a",
            "offload.smtp.password.file", "/x", "offload.smtp.user", "u"), Map.of(), base))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> load(Map.of("offload.smtp.password.file",
            dir.resolve("missing").toString(), "offload.smtp.user", "u"), Map.of(), base))
        .hasMessageContaining("offload.smtp.password.file").hasMessageContaining("cannot read");
    assertThatThrownBy(() -> load(Map.of("offload.smtp.password", "pw"), Map.of(), base))
        .hasMessageContaining("offload.smtp.user")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw"));
  }

  @Test
  void webhookSettingsHaveDefaultsAndAreChecked() {
    OffloadConfig.WebhookConfig d = load(Map.of(), Map.of(), Map.of()).outbound().webhooks();
    assertThat(d).isEqualTo(new OffloadConfig.WebhookConfig(true, 4, Duration.ofHours(1),
        Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofSeconds(10)));

    OffloadConfig.WebhookConfig set = load(Map.of(),
        Map.of("OFFLOAD_WEBHOOK_RETRY_MAX_SECONDS", "60"),
        Map.of("offload.webhook.enabled", "false", "offload.webhook.threads", "2",
            "offload.webhook.retry.base.millis", "250",
            "offload.webhook.retry.ceiling.seconds", "30",
            "offload.webhook.timeout.seconds", "3")).outbound().webhooks();
    assertThat(set).isEqualTo(new OffloadConfig.WebhookConfig(false, 2, Duration.ofSeconds(60),
        Duration.ofMillis(250), Duration.ofSeconds(30), Duration.ofSeconds(3)));

    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.webhook.retry.base.millis", "5000",
                "offload.webhook.retry.ceiling.seconds", "1")))
        .hasMessageContaining("offload.webhook.retry.base.millis");
    assertThatThrownBy(() -> load(Map.of(), Map.of(),
            Map.of("offload.webhook.retry.max.seconds", "-1")))
        .hasMessageContaining("offload.webhook.retry.max.seconds");
    assertThatThrownBy(() -> load(Map.of(), Map.of(), Map.of("offload.webhook.threads", "0")))
        .hasMessageContaining("offload.webhook.threads");
  }
}
