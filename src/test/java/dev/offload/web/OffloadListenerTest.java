package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.engine.HandlerRegistry;
import dev.offload.handlers.EmailHandler;
import dev.offload.handlers.HttpHandler;
import dev.offload.task.TaskHandler;
import dev.offload.testing.TestHandlers;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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

  /** A handler from a jar that owns something: it says when it is closed. */
  static final class Closeable extends TestHandlers.Simple implements AutoCloseable {
    boolean closed;

    Closeable(String type) {
      super(type, k -> k.key());
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void theJarsTypesJoinTheWarsAndOffloadTypesChoosesAmongAll() {
    HandlerRegistry found = HandlerRegistry.discover(getClass().getClassLoader());
    Closeable thumbnail = new Closeable("thumbnail");
    Closeable report = new Closeable("report");

    HandlerRegistry all = OffloadListener.withJars(found, List.of(thumbnail, report), null);
    assertThat(all.types()).contains("noop", "sleep", "pbkdf2", "report", "thumbnail");
    assertThat(thumbnail.closed || report.closed).as("offered, so not closed").isFalse();

    Logger logger = Logger.getLogger(OffloadListener.class.getName());
    List<LogRecord> records = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(capture);
    HandlerRegistry some;
    try {
      some = OffloadListener.withJars(found, List.of(thumbnail, report),
          List.of("thumbnail", "sleep"));
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(some.types()).containsExactly("sleep", "thumbnail");
    assertThat(report.closed).as("left out by offload.types: closed at once").isTrue();
    assertThat(thumbnail.closed).isFalse();
    assertThat(records).singleElement().satisfies(r -> {
      assertThat(r.getLevel()).isEqualTo(Level.WARNING);
      assertThat(r.getMessage()).isEqualTo("Offload does not offer the task type report ("
          + Closeable.class.getName() + ", from offload.handlers.dir): offload.types lists "
          + "only thumbnail, sleep");
    });
  }

  @Test
  void offloadTypesNamingATypeNoJarBroughtStopsTheStart() {
    HandlerRegistry found = HandlerRegistry.discover(getClass().getClassLoader());
    assertThatThrownBy(() -> OffloadListener.withJars(found, List.of(), List.of("thumbnail")))
        .isInstanceOf(OffloadConfig.InvalidConfigException.class)
        .hasMessageContaining("no handler for type 'thumbnail'");
  }
}
