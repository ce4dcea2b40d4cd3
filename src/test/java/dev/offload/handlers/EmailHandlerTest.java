package dev.offload.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.InvalidTaskException;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.InvalidInputException;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.FakeSmtpServer;
import dev.offload.testing.SettableClock;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The email task type through the engine: delivery into GreenMail (a real SMTP server in this
 * JVM on a free port), and the failures only a scripted server gives on demand.
 */
class EmailHandlerTest {

  @RegisterExtension
  static final GreenMailExtension greenMail =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  private static final String FROM = "Offload <offload@example.com>";

  private final SettableClock clock = new SettableClock();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private TaskEngine engine;

  @AfterEach
  void stop() throws Exception {
    if (engine != null) {
      engine.shutdown();
    }
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private static EmailHandler.Settings smtp(int port) {
    return new EmailHandler.Settings("127.0.0.1", port, EmailHandler.Tls.NONE, null, null, FROM,
        5);
  }

  private TaskEngine engine(EmailHandler.Settings settings) {
    EmailHandler handler = new EmailHandler(settings);
    toClose.add(handler);
    EngineConfig d = EngineConfig.defaults();
    engine = TaskEngine.builder(new EngineConfig(1, 100, d.defaultTimeout(), d.maxTimeout(), 5,
            d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofSeconds(1),
            Duration.ofSeconds(8), Duration.ofHours(1), Duration.ofMillis(300),
            Duration.ofMillis(300), d.lease()),
        new MemoryTaskStore(100, 1000), new HandlerRegistry(List.of(handler)))
        .clock(clock).random(() -> 0.5).build();
    engine.start();
    return engine;
  }

  private Task submit(String input) {
    return engine.submit(new SubmitRequest("email", input, null, null, 3L, null, null, null))
        .task();
  }

  private Task awaitStatus(UUID id, TaskStatus status) {
    await().atMost(Duration.ofSeconds(20))
        .until(() -> engine.get(id).map(Task::status).orElse(null) == status);
    return engine.get(id).orElseThrow();
  }

  private Task awaitRetry(UUID id, int attempts) {
    await().atMost(Duration.ofSeconds(20)).until(() -> engine.get(id).orElseThrow().attempts()
        == attempts && engine.get(id).orElseThrow().status() == TaskStatus.PENDING);
    return engine.get(id).orElseThrow();
  }

  private static final String SIMPLE =
      "{\"to\":[\"ada@example.com\"],\"subject\":\"Hi\",\"text\":\"Hello\"}";

  @Test
  void aMessageIsDeliveredWithItsHeadersAndBothBodies() throws Exception {
    engine(smtp(greenMail.getSmtp().getPort()));
    Task t = submit("{\"to\":[\"ada@example.com\",\"Bob Byte <bob@example.com>\"],"
        + "\"cc\":[\"carol@example.com\"],\"bcc\":[\"dave@example.com\"],"
        + "\"subject\":\"Grüße: your report\",\"text\":\"Plain words\","
        + "\"html\":\"<p>Rich <b>words</b></p>\"}");
    Task done = awaitStatus(t.id(), TaskStatus.SUCCESS);
    JsonObject result = Json.createReader(new StringReader(done.result())).readObject();
    assertThat(result.getInt("recipients")).isEqualTo(4);

    assertThat(greenMail.waitForIncomingEmail(10_000, 4)).isTrue();
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(4); // one copy per recipient, bcc included
    MimeMessage m = received[0];
    assertThat(m.getMessageID()).isEqualTo(result.getString("messageId"));
    assertThat(m.getFrom()).containsExactly(new InternetAddress(FROM));
    assertThat(Arrays.stream(m.getRecipients(Message.RecipientType.TO))
        .map(a -> ((InternetAddress) a).getAddress()))
        .containsExactly("ada@example.com", "bob@example.com");
    assertThat(m.getRecipients(Message.RecipientType.CC))
        .containsExactly(new InternetAddress("carol@example.com"));
    assertThat(m.getHeader("Bcc")).as("bcc is not shown to the others").isNull();
    assertThat(m.getSubject()).isEqualTo("Grüße: your report");
    MimeMultipart alternative = (MimeMultipart) m.getContent();
    assertThat(alternative.getContentType()).startsWith("multipart/alternative");
    assertThat(alternative.getBodyPart(0).getContentType()).startsWith("text/plain");
    assertThat(((String) alternative.getBodyPart(0).getContent()).trim())
        .isEqualTo("Plain words");
    assertThat(alternative.getBodyPart(1).getContentType()).startsWith("text/html");
    assertThat(((String) alternative.getBodyPart(1).getContent()).trim())
        .isEqualTo("<p>Rich <b>words</b></p>");
  }

  @Test
  void anHtmlOnlyMessageIsHtml() throws Exception {
    engine(smtp(greenMail.getSmtp().getPort()));
    awaitStatus(submit("{\"to\":[\"ada@example.com\"],\"subject\":\"\",\"html\":\"<i>x</i>\"}")
        .id(), TaskStatus.SUCCESS);
    assertThat(greenMail.waitForIncomingEmail(10_000, 1)).isTrue();
    assertThat(greenMail.getReceivedMessages()[0].getContentType()).startsWith("text/html");
  }

  @Test
  void aTemporaryFailureIsRetriedAndTheNextAttemptDelivers() throws Exception {
    FakeSmtpServer smtp = new FakeSmtpServer((connection, command) ->
        command.equals("END-OF-DATA") && connection == 1
            ? "451 4.3.0 mailbox busy, try later" : null);
    toClose.add(smtp);
    engine(smtp(smtp.port()));
    Instant t0 = clock.instant();
    Task t = submit(SIMPLE);
    Task retry = awaitRetry(t.id(), 1);
    assertThat(retry.error().type()).isEqualTo("smtp-451");
    assertThat(retry.error().message()).contains("451", "mailbox busy");
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusMillis(500));
    clock.advance(Duration.ofMillis(500));
    engine.wakeUp();
    Task done = awaitStatus(t.id(), TaskStatus.SUCCESS);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(smtp.connections()).isEqualTo(2);
  }

  @Test
  void aPermanentRejectionFailsForGoodWithTheServersCode() throws Exception {
    FakeSmtpServer smtp = new FakeSmtpServer((connection, command) ->
        command.equals("RCPT") ? "550 5.1.1 <ada@example.com>: no such user" : null);
    toClose.add(smtp);
    engine(smtp(smtp.port()));
    Task failed = awaitStatus(submit(SIMPLE).id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error().type()).isEqualTo("smtp-550");
    assertThat(failed.error().message()).contains("550", "no such user");
    assertThat(smtp.commands()).anyMatch(c -> c.startsWith("MAIL FROM:<offload@example.com>"));
  }

  @Test
  void aServerThatIsNotUpIsRetried() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    engine(smtp(closedPort));
    Task retry = awaitRetry(submit(SIMPLE).id(), 1);
    assertThat(retry.error().type()).isEqualTo("connect-error");
  }

  @Test
  void headerInjectionAndBadAddressesAreRefusedAtSubmission() {
    engine(smtp(greenMail.getSmtp().getPort()));
    assertRefused("{\"to\":[\"ada@example.com\"],\"subject\":\"Hi\\r\\nBcc: eve@evil.test\","
        + "\"text\":\"x\"}", "'subject' must not contain line breaks");
    assertRefused("{\"to\":[\"ada@example.com\\r\\nBcc: eve@evil.test\"],\"subject\":\"Hi\","
        + "\"text\":\"x\"}", "line break");
    assertRefused("{\"to\":[\"ada@example.com\"],\"cc\":[\"x\\nBcc: eve@evil.test\"],"
        + "\"subject\":\"Hi\",\"text\":\"x\"}", "'cc'");
    assertRefused("{\"to\":[],\"subject\":\"Hi\",\"text\":\"x\"}", "'to' needs at least one");
    assertRefused("{\"subject\":\"Hi\",\"text\":\"x\"}", "'to' needs at least one");
    assertRefused("{\"to\":[\"ada@example.com\"],\"subject\":\"Hi\"}", "'text', 'html' or both");
    assertRefused("{\"to\":[\"ada@example.com\"],\"text\":\"x\"}", "'subject' is required");
    assertRefused("{\"to\":[\"not-an-address\"],\"subject\":\"Hi\",\"text\":\"x\"}",
        "not a valid email address");
    assertRefused("{\"to\":[\"ada@example.com, eve@evil.test\"],\"subject\":\"Hi\","
        + "\"text\":\"x\"}", "not a valid email address");
    assertRefused("{\"to\":[\"friends: ada@example.com;\"],\"subject\":\"Hi\",\"text\":\"x\"}",
        "not a valid email address");
    assertRefused("{\"to\":[\"ada@example.com\"],\"subject\":\"" + "s".repeat(999)
        + "\",\"text\":\"x\"}", "at most 998");
    StringBuilder many = new StringBuilder("{\"to\":[");
    for (int i = 0; i < 101; i++) {
      many.append(i == 0 ? "" : ",").append("\"u").append(i).append("@example.com\"");
    }
    assertRefused(many + "],\"subject\":\"Hi\",\"text\":\"x\"}", "at most 100 recipients");
    assertThat(engine.health().queueDepth()).isZero();
  }

  private void assertRefused(String input, String message) {
    assertThatThrownBy(() -> submit(input)).isInstanceOf(InvalidTaskException.class)
        .hasMessageContaining(message);
  }

  @Test
  void theSettingsNeverShowThePassword() {
    EmailHandler.Settings s = new EmailHandler.Settings("smtp.example.com", 587,
        EmailHandler.Tls.STARTTLS, "offload", "hunter2", FROM, 30);
    assertThat(s.toString()).doesNotContain("hunter2").contains("password=***", "starttls");
    assertThatThrownBy(() -> new EmailHandler.Settings("smtp.example.com", 587,
        EmailHandler.Tls.STARTTLS, null, null, "not an address", 30))
        .hasMessageContaining("from");
  }

  @Test
  void closingStopsTheWriteTimeoutThread() {
    EmailHandler handler = new EmailHandler(smtp(greenMail.getSmtp().getPort()));
    EngineConfig d = EngineConfig.defaults();
    engine = TaskEngine.builder(d, new MemoryTaskStore(10, 10),
        new HandlerRegistry(List.of(handler))).build();
    engine.start();
    awaitStatus(submit(SIMPLE).id(), TaskStatus.SUCCESS);
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .contains("offload-smtp-write-timeout-1");
    engine.shutdown();
    handler.close();
    handler.close();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("offload-smtp-"));
  }

  @Test
  void addressesAreParsedStrictly() throws Exception {
    assertThat(EmailHandler.address("Ada Lovelace <ada@example.com>").getAddress())
        .isEqualTo("ada@example.com");
    assertThatThrownBy(() -> EmailHandler.address("ada@"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> EmailHandler.address("ada"))
        .isInstanceOf(InvalidInputException.class);
  }
}
