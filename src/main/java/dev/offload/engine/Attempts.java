package dev.offload.engine;

import dev.offload.store.Outcome;
import dev.offload.store.TaskStore;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskError;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;
import dev.offload.task.TaskStatus;
import dev.offload.task.Utf8;
import jakarta.json.bind.JsonbException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs attempts: the worker loops, each attempt from its claim to its end, timeouts, cancels and
 * abandonment of handlers that ignore an interrupt.
 *
 * <p>An attempt is registered the moment it is claimed, before a worker takes it, so a cancel
 * (here or from another instance) that arrives in between stops it from starting. Who ends an
 * attempt is decided once, by {@link Attempt#close}: the worker when the handler returns, or
 * the timer, a cancel or a shutdown when they get there first. The loser's result is discarded,
 * and the store fences every write on the attempt as well.
 */
final class Attempts {
  private static final Logger LOG = Logger.getLogger(Attempts.class.getName());

  /** What the engine lends the attempts. */
  record Parts(
      EngineConfig config,
      TaskStore store,
      HandlerRegistry handlers,
      JsonCodec json,
      Clock clock,
      Backoff backoff,
      Watchers watchers,
      Executor managedExecutor,
      BooleanSupplier accepting,
      TaskEvents events) {}

  private final EngineConfig config;
  private final TaskStore store;
  private final HandlerRegistry handlers;
  private final JsonCodec json;
  private final Clock clock;
  private final Backoff backoff;
  private final Watchers watchers;
  private final Executor managedExecutor;
  private final BooleanSupplier accepting;
  private final TaskEvents events;
  private final Map<UUID, Attempt> attempts = new ConcurrentHashMap<>();
  private final Set<Thread> ownThreads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger workerNames = new AtomicInteger();
  private final AtomicInteger liveWorkers = new AtomicInteger();
  private final AtomicInteger busy = new AtomicInteger();
  /** Ends handed to the store and not yet recorded (see {@link #endLater}). */
  private final AtomicInteger ending = new AtomicInteger();
  private final Object changed = new Object();
  private volatile Dispatcher dispatcher;
  private volatile ScheduledExecutorService timer;

  Attempts(Parts p) {
    this.config = p.config();
    this.store = p.store();
    this.handlers = p.handlers();
    this.json = p.json();
    this.clock = p.clock();
    this.backoff = p.backoff();
    this.watchers = p.watchers();
    this.managedExecutor = p.managedExecutor();
    this.accepting = p.accepting();
    this.events = p.events();
  }

  /** Starts the workers; they take tasks from {@code dispatcher}. */
  void start(Dispatcher dispatcher, ScheduledExecutorService timer) {
    this.dispatcher = dispatcher;
    this.timer = timer;
    for (int i = 0; i < config.workers(); i++) {
      startWorker();
    }
  }

  /** The dispatcher's hook: the batch is now this instance's, though not started yet. */
  void claimed(List<Task> batch) {
    for (Task t : batch) {
      attempts.put(t.id(), new Attempt(t));
    }
  }

  /** Ids of the attempts this instance holds (claimed or running): their leases to renew. */
  Collection<UUID> ids() {
    return List.copyOf(attempts.keySet());
  }

  /** Attempts running now (started, not ended), by type. */
  Map<String, Integer> runningByType() {
    Map<String, Integer> byType = new java.util.TreeMap<>();
    for (Attempt a : attempts.values()) {
      if (a.hasStarted() && !a.isClosed()) {
        byType.merge(a.task.type(), 1, Integer::sum);
      }
    }
    return byType;
  }

  /** Handlers running now. */
  int busy() {
    return busy.get();
  }

  int count() {
    return attempts.size();
  }

  /** The attempt's running snapshot, if this instance holds it. */
  Optional<Task> held(UUID id) {
    Attempt a = attempts.get(id);
    return a == null ? Optional.empty() : Optional.of(a.task);
  }

  /**
   * Stops the attempt of task {@code id} held here, if it is still open: it never starts, or its
   * handler is interrupted. Its end is not recorded here (the store has it already).
   */
  void stop(UUID id, String why) {
    Attempt a = attempts.get(id);
    if (a != null && a.close(why)) {
      a.interrupt();
      scheduleAbandonCheck(a);
    }
  }

  /**
   * Whether the attempt of {@code current}'s task held here is no longer the task's current
   * attempt (canceled or reclaimed elsewhere); {@code current} is empty when the task is gone.
   */
  boolean isStale(UUID id, Optional<Task> current) {
    Attempt a = attempts.get(id);
    return a != null && (current.isEmpty()
        || current.get().status() != TaskStatus.RUNNING
        || current.get().attempts() != a.task.attempts());
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Waits up to {@code max} for every attempt held here to end and its end to be recorded; true
   * when none is left.
   */
  boolean awaitNone(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (changed) {
      while (!attempts.isEmpty() || ending.get() > 0) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return false;
        }
        try {
          changed.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return attempts.isEmpty() && ending.get() == 0;
        }
      }
    }
    return true;
  }

  /**
   * Ends every attempt still held with {@code outcome} (the grace period is over) and interrupts
   * its handler; returns how many were running and how many had not started.
   */
  int[] endAll(java.util.function.Function<Task, Outcome> outcome) {
    int started = 0;
    int unstarted = 0;
    for (Attempt a : new ArrayList<>(attempts.values())) {
      if (a.close("shutdown")) {
        if (a.hasStarted()) {
          started++;
        } else {
          unstarted++;
          attempts.remove(a.task.id(), a);
        }
        end(a.task, outcome.apply(a.task));
        a.interrupt();
      }
    }
    signal();
    return new int[] {started, unstarted};
  }

  /** Waits, bounded, for the worker loops to return. */
  void stopWorkers() {
    dispatcher.wakeUp();
    long deadline = System.nanoTime() + config.abandonAfter().toNanos();
    for (Thread t : ownThreads) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        LOG.warning(() -> t.getName() + " did not stop within "
            + config.abandonAfter().toMillis() + " ms (a handler ignoring interrupts, or a "
            + "store call that has not returned)");
      }
    }
    if (managedExecutor != null) {
      synchronized (changed) {
        while (liveWorkers.get() > 0 && System.nanoTime() < deadline) {
          try {
            changed.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      // The container's threads cannot be joined or named here as own workers are above, but
      // one still running holds this application after its stop: say so, as for own workers.
      int left = liveWorkers.get();
      if (left > 0) {
        LOG.warning(() -> (left == 1 ? "a worker" : left + " workers")
            + " on the container's managed executor did not stop within "
            + config.abandonAfter().toMillis() + " ms (a handler ignoring interrupts, or a "
            + "store call that has not returned)");
      }
    }
  }

  // ---------------------------------------------------------------- workers

  private void startWorker() {
    Runnable loop = this::workerLoop;
    liveWorkers.incrementAndGet();
    try {
      if (managedExecutor != null) {
        managedExecutor.execute(loop);
      } else {
        Thread t = new Thread(loop, "offload-worker-" + workerNames.incrementAndGet());
        t.setDaemon(true);
        ownThreads.add(t);
        t.start();
      }
    } catch (RuntimeException e) {
      liveWorkers.decrementAndGet();
      throw e;
    }
  }

  private void workerLoop() {
    try {
      while (true) {
        Task task;
        try {
          task = dispatcher.take();
        } catch (InterruptedException e) {
          return;
        }
        if (task == null) {
          return;
        }
        if (run(task)) {
          return; // abandoned: a replacement worker already runs
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.log(Level.SEVERE, "worker " + Thread.currentThread().getName() + " died", e);
      if (accepting.getAsBoolean()) {
        startWorker();
      }
    } finally {
      ownThreads.remove(Thread.currentThread());
      liveWorkers.decrementAndGet();
      signal();
    }
  }

  /** Runs one claimed attempt; true when the worker was abandoned and must exit. */
  private boolean run(Task task) {
    Attempt a = attempts.get(task.id());
    if (a == null || a.task.attempts() != task.attempts() || !a.start(Thread.currentThread())) {
      // Canceled (here or elsewhere) or ended by a stop between its claim and now.
      if (a != null && a.task.attempts() == task.attempts()) {
        attempts.remove(task.id(), a);
        signal();
      }
      LOG.fine(() -> attemptName(task) + " ended before it started");
      return false;
    }
    busy.incrementAndGet();
    watchers.changed(task);
    Instant due = task.dueAt();
    Duration waited = due == null ? null
        : Duration.ofMillis(Math.max(0, task.startedAt().toEpochMilli() - due.toEpochMilli()));
    LOG.fine(() -> attemptName(task) + " started on " + Thread.currentThread().getName()
        + (waited == null ? "" : ", " + waited.toMillis() + " ms after it was due"));
    Events.tell(() -> events.started(task, waited));
    ScheduledFuture<?> deadline = null;
    try {
      deadline = timer.schedule(() -> onDeadline(a), task.limits().timeoutSeconds(),
          TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      // The timer stopped: the engine is shutting down, the shutdown path ends this attempt.
    }
    String resultJson = null;
    Throwable failure = null;
    try {
      resultJson = execute(a);
    } catch (Throwable t) {
      failure = t;
    } finally {
      if (deadline != null) {
        deadline.cancel(false);
      }
      a.finished();
      // Counted as ending before it leaves the running attempts, so that a stop waiting for
      // both (awaitNone) cannot pass between the two and close the store under its end.
      ending.incrementAndGet();
      busy.decrementAndGet();
      attempts.remove(task.id(), a);
      signal();
    }
    try {
      endOf(a, task, resultJson, failure);
    } finally {
      ending.decrementAndGet();
      signal();
    }
    return a.abandoned;
  }

  /** Hands the end of a finished attempt to the store, unless something else ended it. */
  private void endOf(Attempt a, Task task, String resultJson, Throwable failure) {
    if (a.close("finished")) {
      if (failure == null) {
        endLater(task, new Outcome.Succeeded(resultJson, now()), null);
      } else {
        // A TaskFailedException is the handler telling how the attempt failed: one line, no
        // trace. Anything else is a surprise whose trace is worth reading: it goes with that
        // same line, so it is logged once.
        endLater(task, failureOutcome(task, TaskError.of(failure), failure),
            failure instanceof TaskFailedException ? null : failure);
      }
    } else if (failure == null) {
      LOG.info(() -> attemptName(task) + ": the handler returned after the attempt had ended ("
          + a.endedBy + "); its late result is discarded");
    }
  }

  @SuppressWarnings("unchecked")
  private String execute(Attempt a) throws Exception {
    Task task = a.task;
    TaskHandler<Object, Object> handler = (TaskHandler<Object, Object>) handlers.find(task.type())
        .orElseThrow(() -> new TaskFailedException("unknown-type",
            "no handler for type '" + task.type() + "' on this instance"));
    Object input = json.fromJson(task.input(), handler.inputType());
    // A handler from a jar of offload.handlers.dir runs with its own class loader as the
    // thread's context loader, so libraries in that jar that look up resources through it (as
    // many do) find their own.
    Thread me = Thread.currentThread();
    ClassLoader before = me.getContextClassLoader();
    me.setContextClassLoader(handler.getClass().getClassLoader());
    Object result;
    try {
      result = handler.run(input, new Context(a));
    } finally {
      me.setContextClassLoader(before);
    }
    String text;
    try {
      text = json.toJson(result);
    } catch (JsonbException e) {
      throw new TaskFailedException("result-not-serializable",
          "the handler's result cannot be written as JSON: "
              + JsonCodec.rootMessage(e, "it cannot be written"));
    }
    long bytes = Utf8.length(text);
    if (bytes > config.resultMaxBytes()) {
      throw new TaskFailedException("result-too-large", "the result has " + bytes
          + " bytes, more than the " + config.resultMaxBytes()
          + " a task may return (offload.result.max.bytes)");
    }
    return text;
  }

  /**
   * A failed attempt with attempts left is retried; while stopping, only a durable store keeps
   * the retry (another instance, or the next start, runs it), as it keeps interrupted tasks.
   */
  private Outcome failureOutcome(Task task, TaskError error) {
    return failureOutcome(task, error, null);
  }

  /**
   * As above, unless the handler said otherwise through its {@link TaskFailedException}: a
   * permanent failure ends the task; a retry-after one waits at least that long (capped by
   * {@code maxDelay}, so a server cannot park a task for a year).
   */
  private Outcome failureOutcome(Task task, TaskError error, Throwable cause) {
    Instant now = now();
    TaskFailedException steer = cause instanceof TaskFailedException f ? f : null;
    boolean retryable = steer == null || steer.retryable();
    if (retryable && task.hasAttemptsLeft()
        && (accepting.getAsBoolean() || store.durable())) {
      Duration delay = backoff.delay(task.attempts());
      Optional<Duration> after = steer == null ? Optional.empty() : steer.retryAfter();
      if (after.isPresent()) {
        Duration capped = after.get().compareTo(config.maxDelay()) > 0
            ? config.maxDelay() : after.get();
        delay = capped.compareTo(delay) > 0 ? capped : delay;
      }
      return new Outcome.Retry(error, now.plus(delay));
    }
    return new Outcome.Failed(error, now);
  }

  /** Records how an attempt ended, tells the watchers, and logs it; returns once recorded. */
  void end(Task task, Outcome outcome) {
    end(task, outcome, null);
  }

  /**
   * As above; {@code unexpected} is what the handler threw when that was not a {@link
   * TaskFailedException}: its trace goes with the one line that tells how the attempt ended.
   */
  private void end(Task task, Outcome outcome, Throwable unexpected) {
    Optional<Task> ended;
    try {
      ended = store.finish(task, outcome);
    } catch (RuntimeException e) {
      recorded(task, outcome, unexpected, null, e);
      return;
    }
    recorded(task, outcome, unexpected, ended, null);
  }

  /**
   * Records how an attempt ended without waiting: the worker goes on to its next task while a
   * store that gathers ends (PostgreSQL's batch completer) writes this one with others; the
   * watchers are told once it is recorded. A stop waits for these ({@link #awaitNone}).
   */
  private void endLater(Task task, Outcome outcome, Throwable unexpected) {
    ending.incrementAndGet();
    CompletableFuture<Optional<Task>> recording;
    try {
      recording = store.finishAsync(task, outcome);
    } catch (RuntimeException e) {
      ending.decrementAndGet();
      signal();
      recorded(task, outcome, unexpected, null, e);
      return;
    }
    recording.whenComplete((ended, error) -> {
      try {
        recorded(task, outcome, unexpected, ended, error instanceof CompletionException
            && error.getCause() != null ? error.getCause() : error);
      } finally {
        ending.decrementAndGet();
        signal();
      }
    });
  }

  /**
   * The end of {@code task}'s attempt was recorded as {@code ended} (empty: fenced out), or
   * recording it failed with {@code failed}: log it once and tell whoever waits.
   */
  private void recorded(Task task, Outcome outcome, Throwable unexpected, Optional<Task> ended,
      Throwable failed) {
    if (failed != null) {
      if (unexpected != null) {
        failed.addSuppressed(unexpected); // logged here, with this line, or it would be lost
      }
      LOG.log(Level.SEVERE, attemptName(task) + " ended (" + outcome.getClass().getSimpleName()
          + ") but recording it failed; a durable store retries it when the lease expires",
          failed);
      return;
    }
    long runMillis = Math.max(0, clock.millis() - task.startedAt().toEpochMilli());
    if (ended.isEmpty()) {
      LOG.log(Level.INFO, attemptName(task) + " was no longer current (canceled or "
          + "reclaimed); its outcome is discarded", unexpected);
      return;
    }
    Task next = ended.get();
    logEnd(task, next, outcome, unexpected, runMillis);
    Events.tell(() -> events.attemptEnded(task, next, Duration.ofMillis(runMillis)));
    watchers.changed(next);
    if (!next.isTerminal()) {
      dispatcher.wakeUp(); // a retry is due later; idle workers recompute their wait
    }
  }

  /**
   * One line per attempt end: FINE for a success or a hand-back, WARNING for a failure (with
   * its error and what happens next), and a stack trace only for an unexpected exception.
   */
  private static void logEnd(Task attempt, Task next, Outcome outcome, Throwable unexpected,
      long runMillis) {
    if (outcome instanceof Outcome.Succeeded) {
      LOG.fine(() -> attemptName(attempt) + " succeeded after " + runMillis + " ms");
      return;
    }
    if (outcome instanceof Outcome.HandedBack) {
      LOG.fine(() -> attemptName(attempt) + " was stopped with the server after " + runMillis
          + " ms and handed back to the queue; it does not count");
      return;
    }
    TaskError error = next.error();
    String then = next.status() == TaskStatus.PENDING ? "; retry at " + next.nextAttemptAt()
        : next.hasAttemptsLeft() ? "; not retried: the task failed" : "; the task failed";
    String line = attemptName(attempt) + " failed after " + runMillis + " ms: "
        + (error == null ? "" : error.type() + ": " + error.message()) + then;
    if (unexpected == null) {
      LOG.warning(line);
    } else {
      LOG.log(Level.WARNING, line, unexpected);
    }
  }

  /** {@code task 6f1c… (owner alice, type sleep): attempt 2 of 3}. */
  private static String attemptName(Task attempt) {
    return attempt.logName() + ": attempt " + attempt.attempts() + " of "
        + attempt.limits().maxAttempts();
  }

  private void onDeadline(Attempt a) {
    if (a.close("timeout")) {
      TaskError error = new TaskError(TaskError.TIMEOUT,
          "the task did not finish within its timeout of " + a.task.limits().timeoutSeconds()
              + "s");
      end(a.task, failureOutcome(a.task, error)); // its line says it timed out
      a.interrupt();
      scheduleAbandonCheck(a);
    }
  }

  private void scheduleAbandonCheck(Attempt a) {
    try {
      timer.schedule(() -> abandonIfStuck(a), config.abandonAfter().toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // The timer stopped with the engine; shutdown waits for workers itself.
    }
  }

  private void abandonIfStuck(Attempt a) {
    if (a.abandon()) {
      LOG.warning(() -> attemptName(a.task) + ": the handler ignored the interrupt for "
          + config.abandonAfter().toMillis() + " ms; its thread " + a.threadName()
          + " is abandoned and a new worker takes its place");
      if (accepting.getAsBoolean()) {
        startWorker();
      }
    }
  }

  private void signal() {
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** One attempt, from its claim to its end. */
  private static final class Attempt {
    final Task task;
    private Thread thread;
    private boolean closed;
    private boolean done;
    volatile boolean abandoned;
    volatile String endedBy;

    Attempt(Task task) {
      this.task = task;
    }

    /** A worker takes it; false when it was closed before it started. */
    synchronized boolean start(Thread worker) {
      if (closed) {
        return false;
      }
      thread = worker;
      return true;
    }

    synchronized boolean hasStarted() {
      return thread != null;
    }

    synchronized String threadName() {
      return thread == null ? "(none)" : thread.getName();
    }

    /** True for the one caller that gets to record how this attempt ended. */
    synchronized boolean close(String by) {
      if (closed) {
        return false;
      }
      closed = true;
      endedBy = by;
      return true;
    }

    synchronized boolean isClosed() {
      return closed;
    }

    /** Interrupts the handler, unless it has not started or its worker already moved on. */
    synchronized void interrupt() {
      if (thread != null && !done) {
        thread.interrupt();
      }
    }

    /** The handler returned; later interrupts must not hit the worker's next task. */
    synchronized void finished() {
      done = true;
      Thread.interrupted();
    }

    synchronized boolean abandon() {
      if (thread == null || done || abandoned) {
        return false;
      }
      abandoned = true;
      return true;
    }
  }

  /** What a handler sees; progress from an ended attempt is ignored. */
  private final class Context implements TaskContext {
    private final Attempt attempt;
    private Progress last;

    Context(Attempt attempt) {
      this.attempt = attempt;
    }

    @Override
    public UUID taskId() {
      return attempt.task.id();
    }

    @Override
    public int attempt() {
      return attempt.task.attempts();
    }

    @Override
    public void progress(int percent, String message) {
      Progress p = new Progress(Math.max(0, Math.min(100, percent)), message);
      if (p.equals(last) || attempt.isClosed()) {
        return;
      }
      last = p;
      try {
        store.progress(attempt.task, p).ifPresent(watchers::changed);
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, attemptName(attempt.task) + ": progress not recorded", e);
      }
    }
  }
}
