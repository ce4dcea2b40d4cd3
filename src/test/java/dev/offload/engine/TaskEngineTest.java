package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.LimitExceededException;
import dev.offload.task.InvalidInputException;
import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskError;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;
import dev.offload.task.TaskStatus;
import dev.offload.testing.SettableClock;
import dev.offload.testing.TestHandlers;
import dev.offload.testing.TestHandlers.Gate;
import dev.offload.testing.TestHandlers.Simple;
import dev.offload.testing.TestHandlers.Stubborn;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskEngineTest {

  private final SettableClock clock = new SettableClock();
  private final Gate gate = new Gate();
  private final Stubborn stubborn = new Stubborn();
  private final AtomicInteger failures = new AtomicInteger();
  private final Map<String, String> threadOf = new ConcurrentHashMap<>();
  private final List<TaskEngine> engines = new ArrayList<>();
  private MemoryTaskStore store;

  private final List<TaskHandler<?, ?>> handlers = List.of(
      gate,
      stubborn,
      new Simple("echo", k -> {
        threadOf.put(k.key(), Thread.currentThread().getName());
        return "echo " + k.key();
      }),
      new Simple("flaky", k -> {
        // Fails until it has failed as often as the key says.
        if (failures.incrementAndGet() <= Integer.parseInt(k.key())) {
          throw new IllegalStateException("flaky failure " + failures.get());
        }
        return "ok after " + (failures.get() - 1);
      }),
      new Simple("overflow", k -> String.valueOf(recurse(0))),
      new TreeHandler(),
      new Steered());

  /**
   * Fails as its key says: {@code permanent}, {@code after:<millis>} (retry no sooner than that)
   * or {@code after:<millis>:then-ok} (succeeds from the second attempt on).
   */
  private static final class Steered extends TestHandlers.KeyHandler {
    Steered() {
      super("steered");
    }

    @Override
    public String run(TestHandlers.Key input, TaskContext context) throws Exception {
      String[] parts = input.key().split(":");
      if (parts[0].equals("permanent")) {
        throw TaskFailedException.permanent("gone", "will never work");
      }
      if (parts.length > 2 && context.attempt() > 1) {
        return "ok on attempt " + context.attempt();
      }
      throw TaskFailedException.retryAfter("busy", "come back later",
          Duration.ofMillis(Long.parseLong(parts[1])));
    }
  }

  /** Takes its input as a JSON tree and remembers what validate was given. */
  private final class TreeHandler implements TaskHandler<JsonObject, String> {
    @Override
    public String type() {
      return "tree";
    }

    @Override
    public String description() {
      return "takes a JSON object with n";
    }

    @Override
    public Class<JsonObject> inputType() {
      return JsonObject.class;
    }

    @Override
    public JsonObject example() {
      return Json.createObjectBuilder().add("n", 1).build();
    }

    @Override
    public void validate(JsonObject input) throws InvalidInputException {
      validated.add(input);
      if (!input.containsKey("n")) {
        throw new InvalidInputException("'n' is required");
      }
    }

    @Override
    public String run(JsonObject input, TaskContext context) {
      return "n=" + input.get("n");
    }
  }

  private final List<JsonObject> validated = new CopyOnWriteArrayList<>();

  private static int recurse(int n) {
    return recurse(n + 1) + 1;
  }

  private EngineConfig config(int workers, long capacity) {
    EngineConfig d = EngineConfig.defaults();
    return new EngineConfig(workers, capacity, d.defaultTimeout(), d.maxTimeout(), 5,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofSeconds(1),
        Duration.ofSeconds(8), Duration.ofHours(1), Duration.ofMillis(300),
        Duration.ofMillis(300), d.lease());
  }

  private TaskEngine engine(int workers) {
    return engine(config(workers, 100), null);
  }

  private TaskEngine engine(EngineConfig config, ExecutorService executor) {
    store = new MemoryTaskStore(config.queueCapacity(), 1000);
    TaskEngine e = TaskEngine.builder(config, store, new HandlerRegistry(handlers))
        .clock(clock).random(() -> 0.5).executor(executor).build();
    e.start();
    engines.add(e);
    return e;
  }

  @AfterEach
  void stop() {
    stubborn.letGo.countDown();
    engines.forEach(TaskEngine::shutdown);
  }

  @Test
  void aTreeInputIsValidatedAndRunAndATreeOfAnotherKindIsRefused() {
    TaskEngine e = engine(1);
    Submission s = e.submit(new SubmitRequest("tree", "{\"n\":7}", null, null, null, null, null,
        null));

    assertThat(validated).hasSize(1);
    assertThat(validated.get(0)).isEqualTo(Json.createObjectBuilder().add("n", 7).build());
    assertThat(awaitStatus(e, s.task().id(), TaskStatus.SUCCESS).result()).isEqualTo("\"n=7\"");

    assertThatThrownBy(() -> e.submit(new SubmitRequest("tree", "{\"m\":1}", null, null, null,
        null, null, null))).isInstanceOf(InvalidTaskException.class)
        .hasMessageContaining("'n' is required");
    assertThatThrownBy(() -> e.submit(new SubmitRequest("tree", "[1]", null, null, null, null,
        null, null)))
        .isInstanceOf(InvalidTaskException.class).hasMessageContaining("does not fit type 'tree'");
  }

  @Test
  void aResultLargerThanAllowedFailsTheAttemptAndIsNotKept() {
    TaskEngine e = engine(config(1, 100).withResultMaxBytes(32), null);
    Submission small = e.submit(req("echo", "short"));
    Submission large = e.submit(req("echo", "x".repeat(40)));

    assertThat(awaitStatus(e, small.task().id(), TaskStatus.SUCCESS).result())
        .isEqualTo("\"echo short\"");
    Task failed = awaitStatus(e, large.task().id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo("result-too-large");
    assertThat(failed.error().message()).contains("47 bytes", "32", "offload.result.max.bytes");
    assertThat(failed.result()).isNull();
  }

  @Test
  void eventsTellWhatHappensToEachTask() throws InterruptedException {
    List<String> seen = new CopyOnWriteArrayList<>();
    TaskEvents recorder = new TaskEvents() {
      @Override
      public void submitted(Task task) {
        seen.add("submitted " + task.type());
      }

      @Override
      public void refused(String type, Refusal why) {
        seen.add("refused " + type + " " + why);
      }

      @Override
      public void started(Task running, Duration queueWait) {
        seen.add("started " + running.type() + " waited " + queueWait.toMillis());
      }

      @Override
      public void attemptEnded(Task attempt, Task next, Duration runTime) {
        seen.add("ended " + attempt.type() + " -> " + next.status().wire());
      }

      @Override
      public void canceled(Task canceled) {
        seen.add("canceled " + canceled.type());
      }
    };
    store = new MemoryTaskStore(1, 100);
    TaskEngine e = TaskEngine.builder(config(1, 1), store, new HandlerRegistry(handlers))
        .clock(clock).random(() -> 0.5).events(recorder).build();
    e.start();
    engines.add(e);

    Submission echo = e.submit(req("echo", "a"));
    awaitStatus(e, echo.task().id(), TaskStatus.SUCCESS);
    Submission held = e.submit(req("gate", "held"));
    assertThat(gate.awaitStarted("held")).isTrue();
    Submission queued = e.submit(req("echo", "queued"));
    assertThatThrownBy(() -> e.submit(req("echo", "full")))
        .isInstanceOf(LimitExceededException.class);
    assertThatThrownBy(() -> e.submit(req("nope", "x"))).isInstanceOf(InvalidTaskException.class);
    e.cancel(queued.task().id());
    gate.open("held");
    awaitStatus(e, held.task().id(), TaskStatus.SUCCESS);

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 10);
    // (A worker may start a task a moment before its submit is told: the order within one task
    // is not fixed, the order of what the test did is.)
    assertThat(seen).containsExactlyInAnyOrder(
        "submitted echo", "started echo waited 0", "ended echo -> success",
        "submitted gate", "started gate waited 0", "submitted echo",
        "refused echo QUEUE_FULL", "refused nope INVALID", "canceled echo",
        "ended gate -> success");
    assertThat(seen.subList(6, 10)).containsExactly("refused echo QUEUE_FULL",
        "refused nope INVALID", "canceled echo", "ended gate -> success");
  }

  @Test
  void aHandlerRunsWithItsOwnClassLoaderAsTheContextLoader() throws Exception {
    ClassLoader own = new java.net.URLClassLoader(new java.net.URL[0],
        getClass().getClassLoader());
    AtomicInteger sawOwn = new AtomicInteger();
    TaskHandler<TestHandlers.Key, String> probe = new TestHandlers.KeyHandler("probe") {
      @Override
      public String run(TestHandlers.Key input, TaskContext context) {
        sawOwn.set(Thread.currentThread().getContextClassLoader() == getClass().getClassLoader()
            ? 1 : -1);
        return "ok";
      }
    };
    store = new MemoryTaskStore(10, 10);
    TaskEngine e = TaskEngine.builder(config(1, 10), store,
        new HandlerRegistry(List.of(probe))).clock(clock).build();
    // The workers inherit another context loader than the handler's, as in a container.
    ClassLoader testLoader = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(own);
    try {
      e.start();
    } finally {
      Thread.currentThread().setContextClassLoader(testLoader);
    }
    engines.add(e);

    awaitStatus(e, e.submit(req("probe", "x")).task().id(), TaskStatus.SUCCESS);

    assertThat(sawOwn.get()).isEqualTo(1);
  }

  private static SubmitRequest req(String type, String key) {
    return new SubmitRequest(type, "{\"key\":\"" + key + "\"}", null, null, null, null, null,
        null);
  }

  private static SubmitRequest req(String type, String key, Priority p, Long timeout,
      Long attempts, Long delay, Long ttl, String idem) {
    return new SubmitRequest(type, "{\"key\":\"" + key + "\"}", p, timeout, attempts, delay, ttl,
        idem);
  }

  private Task awaitStatus(TaskEngine e, UUID id, TaskStatus status) {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> e.get(id).map(Task::status).orElse(null) == status);
    return e.get(id).orElseThrow();
  }

  @Test
  void runsATaskToSuccessAndTellsWatchersInOrder() throws Exception {
    TaskEngine e = engine(2);
    List<TaskStatus> seen = new CopyOnWriteArrayList<>();
    CountDownLatch ended = new CountDownLatch(1);
    Task t = e.submit(req("gate", "a")).task();
    assertThat(t.status()).isEqualTo(TaskStatus.PENDING);
    e.watch(t.id(), task -> {
      seen.add(task.status());
      if (task.isTerminal()) {
        ended.countDown();
      }
    });
    assertThat(gate.awaitStarted("a")).isTrue();
    gate.open("a");
    assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
    Task done = e.get(t.id()).orElseThrow();
    assertThat(done.status()).isEqualTo(TaskStatus.SUCCESS);
    assertThat(done.result()).isEqualTo("\"done a\"");
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.expiresAt()).isEqualTo(done.finishedAt().plus(Duration.ofHours(1)));
    assertThat(seen).containsSubsequence(TaskStatus.SUCCESS).doesNotContain(TaskStatus.FAILED);
    assertThat(seen.get(seen.size() - 1)).isEqualTo(TaskStatus.SUCCESS);
  }

  @Test
  void ownWorkerThreadsAreNamed() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("echo", "own")).task();
    awaitStatus(e, t.id(), TaskStatus.SUCCESS);
    assertThat(threadOf.get("own")).isEqualTo("offload-worker-1");
  }

  @Test
  void runsOnAContainerManagedExecutorWhenGivenOne() {
    AtomicInteger n = new AtomicInteger();
    ExecutorService managed = Executors.newCachedThreadPool(
        r -> new Thread(r, "managed-" + n.incrementAndGet()));
    try {
      TaskEngine e = engine(config(2, 100), managed);
      Task t = e.submit(req("echo", "managed")).task();
      awaitStatus(e, t.id(), TaskStatus.SUCCESS);
      assertThat(threadOf.get("managed")).startsWith("managed-");
      e.shutdown();
      // The worker loops ended: the managed executor's threads are idle, none is running ours.
      assertThat(n.get()).isEqualTo(2);
    } finally {
      managed.shutdownNow();
    }
  }

  @Test
  void aManagedWorkerThatOutlastsTheStopIsReported() throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel() == Level.WARNING) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger engineLog = Logger.getLogger(Attempts.class.getName());
    engineLog.addHandler(capture);
    ExecutorService managed = Executors.newCachedThreadPool(r -> new Thread(r, "managed"));
    try {
      TaskEngine e = engine(config(1, 100), managed);
      e.submit(req("stubborn", "m"));
      assertThat(stubborn.started.await(5, TimeUnit.SECONDS)).isTrue();
      e.shutdown();
      // The container's thread cannot be joined or named like an own worker, but the stop must
      // not pass over it in silence: it stays with the container, holding this application.
      assertThat(warnings).contains("a worker on the container's managed executor did not stop "
          + "within 300 ms (a handler ignoring interrupts, or a store call that has not "
          + "returned)");
    } finally {
      engineLog.removeHandler(capture);
      stubborn.letGo.countDown();
      managed.shutdownNow();
    }
  }

  @Test
  void failedAttemptsRetryWithBackoffOnTheClock() {
    TaskEngine e = engine(1);
    Instant t0 = clock.instant();
    Task t = e.submit(req("flaky", "2", null, null, 3L, null, null, null)).task();
    // Attempt 1 fails: pending again, due at half (the pinned jitter) of the 1 s ceiling.
    await().atMost(Duration.ofSeconds(10)).until(() -> e.get(t.id()).orElseThrow().attempts() == 1
        && e.get(t.id()).orElseThrow().status() == TaskStatus.PENDING);
    Task retry = e.get(t.id()).orElseThrow();
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusMillis(500));
    assertThat(retry.error().type()).isEqualTo("IllegalStateException");
    // Nothing runs before the clock reaches the due time.
    e.wakeUp();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> e.get(t.id()).orElseThrow().attempts() == 1);
    clock.advance(Duration.ofMillis(500));
    e.wakeUp();
    // Attempt 2 fails: the ceiling doubled to 2 s, so due 1 s later.
    await().atMost(Duration.ofSeconds(10)).until(() -> e.get(t.id()).orElseThrow().attempts() == 2
        && e.get(t.id()).orElseThrow().status() == TaskStatus.PENDING);
    assertThat(e.get(t.id()).orElseThrow().nextAttemptAt()).isEqualTo(clock.instant().plusSeconds(1));
    clock.advance(Duration.ofSeconds(1));
    e.wakeUp();
    Task done = awaitStatus(e, t.id(), TaskStatus.SUCCESS);
    assertThat(done.attempts()).isEqualTo(3);
    assertThat(done.result()).isEqualTo("\"ok after 2\"");
    assertThat(done.error()).isNull();
  }

  @Test
  void aTaskOutOfAttemptsFails() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("flaky", "100", null, null, 2L, null, null, null)).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> e.get(t.id()).orElseThrow().attempts() == 1
        && e.get(t.id()).orElseThrow().status() == TaskStatus.PENDING);
    clock.advance(Duration.ofSeconds(1));
    e.wakeUp();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(2);
    assertThat(failed.error()).isEqualTo(
        new TaskError("IllegalStateException", "flaky failure 2"));
    assertThat(failed.nextAttemptAt()).isNull();
  }

  @Test
  void aPermanentFailureEndsTheTaskWithAttemptsLeft() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("steered", "permanent", null, null, 5L, null, null, null)).task();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error()).isEqualTo(new TaskError("gone", "will never work"));
    assertThat(failed.nextAttemptAt()).isNull();
  }

  @Test
  void aRetryAfterLongerThanTheBackoffSetsTheNextAttempt() {
    TaskEngine e = engine(1);
    Instant t0 = clock.instant();
    Task t = e.submit(req("steered", "after:30000:then-ok", null, null, 3L, null, null, null))
        .task();
    Task retry = awaitRetry(e, t.id(), 1);
    // The backoff alone would be 500 ms (half the 1 s ceiling); the handler asked for 30 s.
    assertThat(retry.nextAttemptAt()).isEqualTo(t0.plusSeconds(30));
    assertThat(retry.error()).isEqualTo(new TaskError("busy", "come back later"));
    clock.advance(Duration.ofSeconds(29));
    e.wakeUp();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> e.get(t.id()).orElseThrow().attempts() == 1);
    clock.advance(Duration.ofSeconds(1));
    e.wakeUp();
    assertThat(awaitStatus(e, t.id(), TaskStatus.SUCCESS).result())
        .isEqualTo("\"ok on attempt 2\"");
  }

  @Test
  void aRetryAfterShorterThanTheBackoffKeepsTheBackoff() {
    TaskEngine e = engine(1);
    Instant t0 = clock.instant();
    Task t = e.submit(req("steered", "after:100", null, null, 3L, null, null, null)).task();
    assertThat(awaitRetry(e, t.id(), 1).nextAttemptAt()).isEqualTo(t0.plusMillis(500));
  }

  @Test
  void aRetryAfterIsCappedByTheLongestDelay() {
    TaskEngine e = engine(1);
    Instant t0 = clock.instant();
    long twoDays = Duration.ofDays(2).toMillis();
    Task t = e.submit(req("steered", "after:" + twoDays, null, null, 3L, null, null, null))
        .task();
    assertThat(e.config().maxDelay()).isEqualTo(Duration.ofDays(1));
    assertThat(awaitRetry(e, t.id(), 1).nextAttemptAt()).isEqualTo(t0.plus(Duration.ofDays(1)));
  }

  @Test
  void aRetryAfterOnTheLastAttemptFails() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("steered", "after:1000", null, null, 1L, null, null, null)).task();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.error().type()).isEqualTo("busy");
  }

  private Task awaitRetry(TaskEngine e, UUID id, int attempts) {
    await().atMost(Duration.ofSeconds(10)).until(() -> e.get(id).orElseThrow().attempts()
        == attempts && e.get(id).orElseThrow().status() == TaskStatus.PENDING);
    return e.get(id).orElseThrow();
  }

  @Test
  void aDelayedTaskWaitsUntilItIsDue() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("echo", "later", null, null, null, 60L, null, null)).task();
    assertThat(t.nextAttemptAt()).isEqualTo(clock.instant().plusSeconds(60));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
        .until(() -> e.get(t.id()).orElseThrow().status() == TaskStatus.PENDING);
    clock.advance(Duration.ofSeconds(60));
    e.wakeUp();
    awaitStatus(e, t.id(), TaskStatus.SUCCESS);
  }

  @Test
  void cancelingAPendingTaskEndsItAtOnceAndItNeverRuns() throws Exception {
    TaskEngine e = engine(1);
    Task blocker = e.submit(req("gate", "blocker")).task();
    assertThat(gate.awaitStarted("blocker")).isTrue();
    Task waiting = e.submit(req("gate", "waiting")).task();
    Task canceled = e.cancel(waiting.id());
    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(canceled.finishedAt()).isNotNull();
    gate.open("waiting");
    gate.open("blocker");
    awaitStatus(e, blocker.id(), TaskStatus.SUCCESS);
    // The worker is free again and took nothing else: the canceled task never ran.
    Task after = e.submit(req("echo", "after")).task();
    awaitStatus(e, after.id(), TaskStatus.SUCCESS);
    assertThat(gate.order).containsExactly("blocker");
    assertThat(e.get(waiting.id()).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
  }

  @Test
  void cancelingARunningTaskInterruptsItAndNeverRetries() throws Exception {
    TaskEngine e = engine(1);
    Task t = e.submit(req("gate", "run", null, null, 3L, null, null, null)).task();
    assertThat(gate.awaitStarted("run")).isTrue();
    Task canceled = e.cancel(t.id());
    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    await().atMost(Duration.ofSeconds(5)).until(() -> gate.interrupts.get() == 1);
    Task after = e.submit(req("echo", "next")).task();
    awaitStatus(e, after.id(), TaskStatus.SUCCESS);
    assertThat(e.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(e.get(t.id()).orElseThrow().attempts()).isEqualTo(1);
    assertThat(gate.runs.get()).isEqualTo(1);
    assertThatThrownBy(() -> e.cancel(t.id())).isInstanceOf(AlreadyFinishedException.class);
  }

  @Test
  void cancelOfAnUnknownTaskIsNotFound() {
    TaskEngine e = engine(1);
    assertThatThrownBy(() -> e.cancel(UUID.randomUUID()))
        .isInstanceOf(TaskNotFoundException.class);
  }

  @Test
  void aTimeoutInterruptsTheWorkerAndFailsTheTask() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("gate", "slow", null, 1L, null, null, null, null)).task();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo(TaskError.TIMEOUT);
    await().atMost(Duration.ofSeconds(5)).until(() -> gate.interrupts.get() == 1);
  }

  @Test
  void aHandlerIgnoringTheInterruptIsAbandonedAndItsLateResultDiscarded() throws Exception {
    TaskEngine e = engine(1);
    Task t = e.submit(req("stubborn", "s", null, 1L, null, null, null, null)).task();
    assertThat(stubborn.started.await(5, TimeUnit.SECONDS)).isTrue();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo(TaskError.TIMEOUT);
    // With one worker stuck, only a replacement can run the next task.
    Task next = e.submit(req("echo", "replacement")).task();
    awaitStatus(e, next.id(), TaskStatus.SUCCESS);
    assertThat(threadOf.get("replacement")).isEqualTo("offload-worker-2");
    stubborn.letGo.countDown();
    assertThat(stubborn.returned.await(5, TimeUnit.SECONDS)).isTrue();
    await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
        .until(() -> e.get(t.id()).orElseThrow().status() == TaskStatus.FAILED);
    assertThat(e.get(t.id()).orElseThrow().result()).isNull();
  }

  @Test
  void anyThrowableFailsTheAttemptAndTheWorkerLivesOn() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("overflow", "x")).task();
    Task failed = awaitStatus(e, t.id(), TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo("StackOverflowError");
    Task next = e.submit(req("echo", "alive")).task();
    awaitStatus(e, next.id(), TaskStatus.SUCCESS);
    assertThat(threadOf.get("alive")).isEqualTo("offload-worker-1");
  }

  @Test
  void higherPriorityRunsFirstAndFifoWithinOne() throws Exception {
    TaskEngine e = engine(1);
    e.submit(req("gate", "block"));
    assertThat(gate.awaitStarted("block")).isTrue();
    List<String> keys = List.of("low1", "normal1", "high1", "normal2", "high2");
    for (String k : keys) {
      Priority p = Priority.valueOf(k.replaceAll("\\d", "").toUpperCase());
      e.submit(req("gate", k, p, null, null, null, null, null));
      gate.open(k);
    }
    gate.open("block");
    await().atMost(Duration.ofSeconds(10)).until(() -> gate.order.size() == 6);
    assertThat(gate.order).containsExactly("block", "high1", "high2", "normal1", "normal2",
        "low1");
  }

  @Test
  void aFullQueueRejectsAndStoresNothing() throws Exception {
    TaskEngine e = engine(config(1, 2), null);
    e.submit(req("gate", "busy"));
    assertThat(gate.awaitStarted("busy")).isTrue();
    e.submit(req("gate", "p1"));
    e.submit(req("gate", "p2"));
    assertThatThrownBy(() -> e.submit(req("gate", "p3"))).isInstanceOf(LimitExceededException.class);
    assertThat(store.stats().pending()).isEqualTo(2);
    assertThat(e.health().queueDepth()).isEqualTo(2);
    assertThat(e.health().workersBusy()).isEqualTo(1);
  }

  @Test
  void theSameIdempotencyKeyRunsOnce() throws Exception {
    TaskEngine e = engine(1);
    Submission first = e.submit(req("gate", "i", null, null, null, null, null, "key-1"));
    Submission again = e.submit(req("gate", "i", null, null, null, null, null, "key-1"));
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.task().id()).isEqualTo(first.task().id());
    assertThatThrownBy(() -> e.submit(req("gate", "other", null, null, null, null, null, "key-1")))
        .isInstanceOf(IdempotencyConflictException.class)
        .hasMessageContaining(first.task().id().toString());
    gate.open("i");
    awaitStatus(e, first.task().id(), TaskStatus.SUCCESS);
    assertThat(gate.runs.get()).isEqualTo(1);
  }

  @Test
  void invalidSubmissionsAreRefusedBeforeAnythingIsStored() {
    TaskEngine e = engine(1);
    assertThatThrownBy(() -> e.submit(req("nope", "x")))
        .isInstanceOf(InvalidTaskException.class)
        .hasMessageContaining("unknown task type 'nope'")
        .satisfies(ex -> assertThat(((InvalidTaskException) ex).knownTypes()).contains("echo"));
    assertThatThrownBy(() -> e.submit(req("echo", "x", null, 0L, null, null, null, null)))
        .hasMessageContaining("'timeoutSeconds' must be between 1 and 3600");
    assertThatThrownBy(() -> e.submit(req("echo", "x", null, null, 6L, null, null, null)))
        .hasMessageContaining("'maxAttempts' must be between 1 and 5");
    assertThatThrownBy(() -> e.submit(req("echo", "x", null, null, null, -1L, null, null)))
        .hasMessageContaining("'delaySeconds'");
    assertThatThrownBy(() -> e.submit(
            new SubmitRequest("echo", "{\"kee\":1}", null, null, null, null, null, null)))
        .isInstanceOf(InvalidTaskException.class).hasMessageContaining("'input' does not fit");
    assertThatThrownBy(() -> e.submit(
            new SubmitRequest("echo", null, null, null, null, null, null, null)))
        .hasMessageContaining("'input' is required");
    assertThat(store.stats().pending() + store.stats().running() + store.stats().finished())
        .isZero();
  }

  @Test
  void expiredResultsAreSweptOnTheClock() {
    TaskEngine e = engine(1);
    Task t = e.submit(req("echo", "ttl", null, null, null, null, 60L, null)).task();
    awaitStatus(e, t.id(), TaskStatus.SUCCESS);
    clock.advance(Duration.ofSeconds(59));
    assertThat(e.sweepExpired()).isZero();
    assertThat(e.get(t.id())).isPresent();
    clock.advance(Duration.ofSeconds(1));
    assertThat(e.sweepExpired()).isEqualTo(1);
    assertThat(e.get(t.id())).isEmpty();
  }

  @Test
  void aZeroTtlForgetsTheTaskAsSoonAsItEndsButWatchersStillSeeTheEnd() throws Exception {
    TaskEngine e = engine(1);
    Task t = e.submit(req("gate", "fire", null, null, null, null, 0L, null)).task();
    CountDownLatch ended = new CountDownLatch(1);
    List<Task> last = new CopyOnWriteArrayList<>();
    e.watch(t.id(), task -> {
      if (task.isTerminal()) {
        last.add(task);
        ended.countDown();
      }
    });
    gate.open("fire");
    assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(last.get(0).status()).isEqualTo(TaskStatus.SUCCESS);
    assertThat(e.get(t.id())).isEmpty();
  }

  @Test
  void shutdownGivesGraceThenFailsTheRestAndRefusesNewWork() throws Exception {
    TaskEngine e = engine(2);
    Task quick = e.submit(req("gate", "quick")).task();
    Task stuck = e.submit(req("gate", "stuck")).task();
    assertThat(gate.awaitStarted("quick")).isTrue();
    assertThat(gate.awaitStarted("stuck")).isTrue();
    CountDownLatch toldOfShutdown = new CountDownLatch(1);
    e.watch(stuck.id(), new TaskWatcher() {
      @Override
      public void onChange(Task task) {}

      @Override
      public void onShutdown() {
        toldOfShutdown.countDown();
        gate.open("quick"); // finishes within the grace period
      }
    });
    e.shutdown();
    assertThat(toldOfShutdown.getCount()).isZero();
    assertThat(e.get(quick.id()).orElseThrow().status()).isEqualTo(TaskStatus.SUCCESS);
    Task failed = e.get(stuck.id()).orElseThrow();
    assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo(TaskError.SHUTDOWN);
    assertThat(gate.interrupts.get()).isEqualTo(1);
    assertThat(e.health().status()).isEqualTo(Health.SHUTTING_DOWN);
    assertThatThrownBy(() -> e.submit(req("echo", "late")))
        .isInstanceOf(ShuttingDownException.class);
    e.shutdown(); // twice is fine
  }

  @Test
  void shutdownStopsEveryThreadItStarted() {
    TaskEngine e = engine(3);
    Task t = e.submit(req("echo", "x")).task();
    awaitStatus(e, t.id(), TaskStatus.SUCCESS);
    e.shutdown();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(th -> th.isAlive()
        && (th.getName().startsWith("offload-worker") || th.getName().equals("offload-timer")
            || th.getName().equals("offload-sweeper")));
  }
}
