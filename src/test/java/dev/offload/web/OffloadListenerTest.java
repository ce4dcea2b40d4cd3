package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.engine.HandlerRegistry;
import dev.offload.handlers.EmailHandler;
import dev.offload.handlers.HttpHandler;
import dev.offload.task.TaskHandler;
import java.util.List;
import org.junit.jupiter.api.Test;

class OffloadListenerTest {

  @Test
  void withoutJndiOffloadRunsOnItsOwnThreads() {
    // A plain JVM, like Jetty or Tomcat, binds no java:comp/DefaultManagedExecutorService.
    assertThat(OffloadListener.lookupManagedExecutor()).isEmpty();
  }

  @Test
  void builtInsNeedingSettingsAreBuiltHereAndEmailOnlyWithAnSmtpServer() {
    HttpHandler.Settings http = HttpHandler.Settings.defaults();
    EmailHandler.Settings smtp = new EmailHandler.Settings("127.0.0.1", 25,
        EmailHandler.Tls.NONE, null, null, "offload@example.com", 5);
    List<TaskHandler<?, ?>> without =
        OffloadListener.builtIns(new OffloadConfig.OutboundConfig(http, null), null);
    List<TaskHandler<?, ?>> with =
        OffloadListener.builtIns(new OffloadConfig.OutboundConfig(http, smtp), null);
    List<TaskHandler<?, ?>> onlyEmail = OffloadListener.builtIns(
        new OffloadConfig.OutboundConfig(http, smtp), List.of("email", "sleep"));
    try {
      assertThat(without).extracting(TaskHandler::type).containsExactly("http");
      assertThat(with).extracting(TaskHandler::type).containsExactly("http", "email");
      assertThat(onlyEmail).as("offload.types leaves http out: it is not even built")
          .extracting(TaskHandler::type).containsExactly("email");
      assertThat(HandlerRegistry.discover(getClass().getClassLoader(), with).types())
          .contains("noop", "sleep", "pbkdf2", "http", "email");
    } finally {
      OffloadListener.closeHandlers(without);
      OffloadListener.closeHandlers(with);
      OffloadListener.closeHandlers(onlyEmail);
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.isAlive() && t.getName().startsWith("offload-http-proxy"));
  }
}
