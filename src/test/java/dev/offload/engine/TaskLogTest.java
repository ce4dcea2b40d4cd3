package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.store.MemoryTaskStore;
import dev.offload.task.Task;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskStatus;
import dev.offload.testing.SettableClock;
import dev.offload.testing.TestHandlers;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The log of a task's life, as java.util.logging records it at FINE: every line about the task
 * names it in the one form {@link Task#logName()} gives, so one grep follows it; an expected
 * failure is one line without a trace, an unexpected exception is logged once, with its trace.
 */
class TaskLogTest {
  /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
  private final Logger offloadLog = Logger.getLogger("dev.offload");
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final SettableClock clock = new SettableClock();
  private Level levelBefore;
  private TaskEngine engine;

  /** Fails its first attempt the way a handler means to (a TaskFailedException), then works. */
  private static final class Planned extends TestHandlers.KeyHandler {
    Planned() {
      super("planned");
    }

    @Override
    public String run(TestHandlers.Key input, TaskContext context) throws Exception {
      if (context.attempt() == 1) {
        throw new TaskFailedException("planned-failure", "the first attempt fails on purpose");
      }
      return "ok";
    }
  }

  @BeforeEach
  void start() {
    levelBefore = offloadLog.getLevel();
    offloadLog.setLevel(Level.FINE);
    capture.setLevel(Level.ALL);
    offloadLog.addHandler(capture);
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(1, 100, d.defaultTimeout(), d.maxTimeout(), 5,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofSeconds(1),
        Duration.ofSeconds(8), Duration.ofHours(1), Duration.ofMillis(300),
        Duration.ofMillis(300), d.lease());
    engine = TaskEngine.builder(config, new MemoryTaskStore(100, 100), new HandlerRegistry(
            List.of(new Planned(), new TestHandlers.Simple("broken", k -> {
              throw new IllegalStateException("a bug in the handler");
            }))))
        .clock(clock).random(() -> 0.5).build();
    engine.start();
  }

  @AfterEach
  void stop() {
    engine.shutdown();
    offloadLog.removeHandler(capture);
    offloadLog.setLevel(levelBefore);
  }

  @Test
  void everyLineOfATasksLifeNamesItsIdAndOwnerAndAnExpectedFailureHasNoTrace() {
    Task t = engine.submit(new SubmitRequest("alice", "planned", "{\"key\":\"k\"}", null, null,
        2L, null, null, null)).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.get(t.id()).orElseThrow()
        .status() == TaskStatus.PENDING && engine.get(t.id()).orElseThrow().attempts() == 1);
    clock.advance(Duration.ofMillis(500)); // the retry's backoff, on the test's clock
    engine.wakeUp();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> engine.get(t.id()).orElseThrow().status() == TaskStatus.SUCCESS);
    await().atMost(Duration.ofSeconds(5)).until(() -> messagesAbout(t.id()).stream()
        .anyMatch(m -> m.contains("succeeded")));

    String name = "task " + t.id() + " (owner alice, type planned)";
    List<LogRecord> about = recordsAbout(t.id());
    assertThat(about).allSatisfy(r -> assertThat(r.getMessage()).startsWith(name));
    assertThat(about).allSatisfy(r -> assertThat(r.getThrown()).as(r.getMessage()).isNull());
    List<String> lines = messagesAbout(t.id());
    assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo(name + ": submitted, normal "
        + "priority, at most 2 attempts, due at 2026-01-01T00:00:00Z"));
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .startsWith(name + ": attempt 1 of 2 started on offload-worker-1"));
    assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo(name + ": attempt 1 of 2 failed "
        + "after 0 ms: planned-failure: the first attempt fails on purpose; retry at "
        + "2026-01-01T00:00:00.500Z"));
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .startsWith(name + ": attempt 2 of 2 started on offload-worker-1"));
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .isEqualTo(name + ": attempt 2 of 2 succeeded after 0 ms"));
    assertThat(about).filteredOn(r -> r.getMessage().contains("failed"))
        .singleElement().satisfies(r -> assertThat(r.getLevel()).isEqualTo(Level.WARNING));
  }

  @Test
  void anUnexpectedExceptionIsLoggedOnceWithItsTrace() {
    Task t = engine.submit(new SubmitRequest("bob", "broken", "{\"key\":\"k\"}", null, null,
        null, null, null, null)).task();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> engine.get(t.id()).orElseThrow().status() == TaskStatus.FAILED);
    await().atMost(Duration.ofSeconds(5)).until(() -> messagesAbout(t.id()).stream()
        .anyMatch(m -> m.contains("failed")));

    String name = "task " + t.id() + " (owner bob, type broken)";
    assertThat(recordsAbout(t.id()))
        .allSatisfy(r -> assertThat(r.getMessage()).startsWith(name));
    assertThat(records).filteredOn(r -> r.getThrown() != null).singleElement()
        .satisfies(r -> {
          assertThat(r.getMessage()).isEqualTo(name + ": attempt 1 of 1 failed after 0 ms: "
              + "IllegalStateException: a bug in the handler; the task failed");
          assertThat(r.getThrown()).isInstanceOf(IllegalStateException.class)
              .hasMessage("a bug in the handler");
        });
  }

  private List<LogRecord> recordsAbout(UUID id) {
    return records.stream()
        .filter(r -> r.getMessage() != null && r.getMessage().contains(id.toString())).toList();
  }

  private List<String> messagesAbout(UUID id) {
    return recordsAbout(id).stream().map(LogRecord::getMessage).toList();
  }
}
