package dev.offload.engine;

import dev.offload.store.AlreadyFinishedException;
import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.TaskPage;
import dev.offload.store.TaskQuery;
import dev.offload.store.TaskStore;
import dev.offload.store.TaskStore.Inserted;
import dev.offload.store.TaskStore.StoreStats;
import dev.offload.task.InvalidInputException;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskError;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;
import jakarta.json.JsonValue;
import jakarta.json.bind.JsonbException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Accepts tasks, runs them on a fixed number of workers, and tells watchers what happens.
 *
 * <p>The engine owns its threads: {@code offload-worker-N} (unless a container-managed executor
 * is given), {@code offload-timer} for timeouts and {@code offload-sweeper} for expiry. {@link
 * #start()} creates them and {@link #shutdown()} stops them, each wait bounded.
 *
 * <p>Who ends an attempt is decided once, by {@link Attempt#close}: the worker when the handler
 * returns, or the timer, a cancel or a shutdown when they get there first. The loser's result
 * is discarded, and the store fences every write on the attempt number as well.
 */
public final class TaskEngine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TaskEngine.class.getName());
  // Small enough that one batch holds the store's lock for about a millisecond; see the pause
  // between batches in sweepExpired.
  private static final int SWEEP_BATCH = 1_000;
  private static final Duration MAX_IDLE = Duration.ofSeconds(1);

  private enum State {
    NEW,
    RUNNING,
    STOPPING,
    STOPPED
  }

  private final EngineConfig config;
  private final TaskStore store;
  private final HandlerRegistry handlers;
  private final JsonCodec json;
  private final Clock clock;
  private final Backoff backoff;
  private final Executor managedExecutor;
  private final String owner;
  private final Watchers watchers = new Watchers();
  private final Map<UUID, Attempt> running = new ConcurrentHashMap<>();
  private final Set<Thread> ownThreads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger workerNames = new AtomicInteger();
  private final AtomicInteger liveWorkers = new AtomicInteger();
  private final Object attemptsEnded = new Object();
  private final Dispatcher dispatcher;
  private volatile State state = State.NEW;
  private ScheduledExecutorService timer;
  private ScheduledExecutorService sweeper;

  private TaskEngine(Builder b) {
    this.config = b.config;
    this.store = b.store;
    this.handlers = b.handlers;
    this.json = b.json != null ? b.json : new JsonCodec();
    this.clock = b.clock;
    this.backoff = new Backoff(config.retryBase(), config.retryMax(), b.random);
    this.managedExecutor = b.executor;
    this.owner = b.owner != null ? b.owner : "offload-" + UUID.randomUUID();
    this.dispatcher =
        new Dispatcher(store, clock, owner, config.lease(), MAX_IDLE, () -> state == State.RUNNING);
  }

  public static Builder builder(EngineConfig config, TaskStore store, HandlerRegistry handlers) {
    return new Builder(config, store, handlers);
  }

  /** Optional parts default to: the system UTC clock, own threads, a random owner id. */
  public static final class Builder {
    private final EngineConfig config;
    private final TaskStore store;
    private final HandlerRegistry handlers;
    private JsonCodec json;
    private Clock clock = Clock.systemUTC();
    private Executor executor;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private String owner;

    private Builder(EngineConfig config, TaskStore store, HandlerRegistry handlers) {
      this.config = config;
      this.store = store;
      this.handlers = handlers;
    }

    public Builder json(JsonCodec json) {
      this.json = json;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Run workers on this (container-managed) executor instead of the engine's own threads. */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** Uniform [0,1) source for backoff jitter. */
    public Builder random(DoubleSupplier random) {
      this.random = random;
      return this;
    }

    /** This instance's id in leases; unique per running instance. */
    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public TaskEngine build() {
      return new TaskEngine(this);
    }
  }

  // ---------------------------------------------------------------- life cycle

  public synchronized void start() {
    if (state != State.NEW) {
      throw new IllegalStateException("the engine was already started");
    }
    state = State.RUNNING;
    timer = NamedThreads.scheduler("offload-timer");
    sweeper = NamedThreads.scheduler("offload-sweeper");
    long sweepMillis = config.sweepInterval().toMillis();
    sweeper.scheduleWithFixedDelay(
        NamedThreads.logged("sweeping expired tasks", this::sweepExpired),
        sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    if (store.durable()) {
      long beat = Math.max(100, config.lease().toMillis() / 3);
      timer.scheduleWithFixedDelay(
          NamedThreads.logged("renewing leases", this::maintainLeases),
          beat, beat, TimeUnit.MILLISECONDS);
    }
    store.subscribe(new StoreEvents() {
      @Override
      public void taskChanged(UUID id) {
        refresh(id);
      }

      @Override
      public void workAvailable() {
        dispatcher.wakeUp();
      }

      @Override
      public void resync() {
        Set<UUID> ids = new java.util.HashSet<>(running.keySet());
        ids.addAll(watchers.watchedIds());
        ids.forEach(TaskEngine.this::refresh);
      }
    });
    for (int i = 0; i < config.workers(); i++) {
      startWorker();
    }
    LOG.info(() -> "Offload engine started: " + config.workers() + " workers on "
        + (managedExecutor != null ? "the container's managed executor" : "own threads")
        + ", " + store.name() + " store, types " + handlers.types());
  }

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

  public boolean isAccepting() {
    return state == State.RUNNING;
  }

  /**
   * Stops taking work, tells watchers, gives running tasks the grace period, then interrupts
   * the rest and ends them (failed with {@code shutdown}, or handed back to a durable queue).
   * Safe to call twice; every wait is bounded.
   */
  public void shutdown() {
    synchronized (this) {
      if (state != State.RUNNING) {
        state = State.STOPPED;
        return;
      }
      state = State.STOPPING;
    }
    dispatcher.wakeUp();
    watchers.shutdown();
    int atStart = running.size();
    awaitAttempts(config.shutdownGrace());
    List<Attempt> rest = new ArrayList<>(running.values());
    int ended = 0;
    for (Attempt a : rest) {
      if (a.close("shutdown")) {
        ended++;
        endAttempt(a.task, shutdownOutcome(a.task));
        a.interrupt();
      }
    }
    List<Task> unstarted = dispatcher.drainClaimed();
    for (Task t : unstarted) {
      endAttempt(t, shutdownOutcome(t));
    }
    String fate = store.durable() ? "handed back to the queue" : "failed with error type shutdown";
    int endedFinal = ended;
    LOG.info(() -> "Offload engine stopping: " + atStart + " tasks were running; "
        + (atStart - rest.size()) + " finished within the grace period of "
        + config.shutdownGrace().toSeconds() + "s, " + endedFinal + " were interrupted and "
        + fate + (unstarted.isEmpty() ? "" : "; " + unstarted.size() + " claimed tasks " + fate));
    awaitAttempts(config.abandonAfter());
    stopWorkers();
    // A claim that was under way when the stop began has returned by now.
    for (Task t : dispatcher.drainClaimed()) {
      endAttempt(t, shutdownOutcome(t));
    }
    NamedThreads.stop(timer, 2_000);
    NamedThreads.stop(sweeper, 2_000);
    StoreStats stats = safeStats();
    if (!store.durable() && stats != null && stats.pending() > 0) {
      LOG.warning(() -> stats.pending() + " pending tasks were never started; the memory store "
          + "keeps nothing across a restart");
    }
    state = State.STOPPED;
  }

  @Override
  public void close() {
    shutdown();
  }

  private Outcome shutdownOutcome(Task t) {
    Instant now = now();
    return store.durable()
        ? new Outcome.HandedBack(now)
        : new Outcome.Failed(
            new TaskError(TaskError.SHUTDOWN, "the server stopped while the task was running"),
            now);
  }

  private void awaitAttempts(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (attemptsEnded) {
      while (!running.isEmpty()) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return;
        }
        try {
          attemptsEnded.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void stopWorkers() {
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
      synchronized (attemptsEnded) {
        while (liveWorkers.get() > 0 && System.nanoTime() < deadline) {
          try {
            attemptsEnded.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- the API

  /** Validates and stores a new task; with a known idempotency key returns the existing one. */
  public Submission submit(SubmitRequest r) {
    if (state != State.RUNNING) {
      throw new ShuttingDownException();
    }
    TaskHandler<?, ?> handler = handlerFor(r.type());
    long timeout = range("timeoutSeconds", r.timeoutSeconds(),
        config.defaultTimeout().toSeconds(), 1, config.maxTimeout().toSeconds());
    long attempts = range("maxAttempts", r.maxAttempts(),
        1, 1, config.maxAttempts());
    long delay = range("delaySeconds", r.delaySeconds(), 0, 0, config.maxDelay().toSeconds());
    long ttl = range("resultTtlSeconds", r.resultTtlSeconds(),
        config.defaultResultTtl().toSeconds(), 0, config.maxResultTtl().toSeconds());
    bindAndValidate(handler, r.input(), r.parsedInput());

    Instant now = now();
    Task.Limits limits = new Task.Limits((int) attempts, timeout, ttl);
    dev.offload.task.Priority priority =
        r.priority() != null ? r.priority() : dev.offload.task.Priority.NORMAL;
    String fingerprint = r.idempotencyKey() == null ? null
        : fingerprint(r.type(), r.input(), priority.wire(), timeout, attempts, delay, ttl);
    Task task = Task.pending(UUID.randomUUID(), r.type(), priority, r.input(), limits, now,
        now.plusSeconds(delay), r.idempotencyKey(), fingerprint);
    Inserted inserted = store.insert(task);
    if (inserted.created()) {
      dispatcher.wakeUp();
    }
    return new Submission(inserted.task(), inserted.created());
  }

  public Optional<Task> get(UUID id) {
    return store.get(id);
  }

  public TaskPage list(TaskQuery query) {
    return store.list(query);
  }

  /**
   * Cancels a pending or running task. A running one is interrupted; whatever it returns later
   * is discarded.
   *
   * @throws TaskNotFoundException for an unknown id
   * @throws AlreadyFinishedException when the task had already ended
   */
  public Task cancel(UUID id) {
    Task canceled = store.cancel(id, now()).orElseThrow(() -> new TaskNotFoundException(id));
    Attempt a = running.get(id);
    if (a != null && a.close("canceled")) {
      a.interrupt();
      scheduleAbandonCheck(a);
    }
    watchers.changed(canceled);
    return canceled;
  }

  /**
   * Registers a watcher of one task. Register first, then read the task: a change between the
   * two is then seen twice rather than missed.
   */
  public AutoCloseable watch(UUID id, TaskWatcher watcher) {
    return watchers.add(id, watcher);
  }

  /**
   * A task changed somewhere else (another instance of a shared store): re-read it, stop a local
   * attempt that was canceled or taken away, and tell the watchers.
   */
  public void refresh(UUID id) {
    Attempt a = running.get(id);
    if (a == null && !watchers.isWatched(id)) {
      return; // nothing here runs or waits for it: no need to read it
    }
    Optional<Task> now = store.get(id);
    if (a != null) {
      boolean gone = now.isEmpty() || now.get().status() != dev.offload.task.TaskStatus.RUNNING
          || now.get().attempts() != a.task.attempts();
      if (gone && a.close("canceled elsewhere")) {
        a.interrupt();
        scheduleAbandonCheck(a);
      }
    }
    now.ifPresent(watchers::changed);
  }

  /** Idle workers look for due work now (new work arrived elsewhere, or the clock moved). */
  public void wakeUp() {
    dispatcher.wakeUp();
  }

  public Health health() {
    String status = state == State.RUNNING ? Health.UP : Health.SHUTTING_DOWN;
    StoreStats stats = safeStats();
    if (stats == null) {
      return new Health(Health.STORE_UNAVAILABLE, store.name(), running.size(),
          config.workers(), -1, config.queueCapacity(), running.size(), -1);
    }
    return new Health(status, store.name(), running.size(), config.workers(), stats.pending(),
        config.queueCapacity(), stats.running(), stats.finished());
  }

  public HandlerRegistry handlers() {
    return handlers;
  }

  public JsonCodec json() {
    return json;
  }

  public Clock clock() {
    return clock;
  }

  public EngineConfig config() {
    return config;
  }

  /** Parked watchers, for health and tests. */
  public int watcherCount() {
    return watchers.count();
  }

  /**
   * Deletes expired results now; the sweeper thread calls this every sweep interval. Returns how
   * many were removed.
   */
  public int sweepExpired() {
    Instant now = now();
    int total = 0;
    for (int n; (n = store.sweep(now, SWEEP_BATCH)) > 0; ) {
      total += n;
      if (n < SWEEP_BATCH) {
        break;
      }
      // The store's lock is not fair: without a pause the sweeper takes it straight back and
      // submits wait for the whole sweep (the memory benchmark measured a 0.5 s p99).
      LockSupport.parkNanos(20_000);
    }
    return total;
  }

  /** Renews this instance's leases and reclaims expired ones of crashed instances. */
  public void maintainLeases() {
    Instant now = now();
    store.renewLeases(owner, List.copyOf(running.keySet()), now.plus(config.lease()));
    for (Task t : store.reclaimExpiredLeases(now)) {
      watchers.changed(t);
      dispatcher.wakeUp();
    }
  }

  // ---------------------------------------------------------------- submission checks

  private TaskHandler<?, ?> handlerFor(String type) {
    if (type == null || type.isBlank()) {
      throw new InvalidTaskException(
          "'type' is required; known types: " + String.join(", ", handlers.types()),
          handlers.types());
    }
    return handlers.find(type).orElseThrow(() -> new InvalidTaskException(
        "unknown task type '" + type + "'; known types: " + String.join(", ", handlers.types()),
        handlers.types()));
  }

  private static long range(String name, Long value, long dflt, long min, long max) {
    long v = value == null ? dflt : value;
    if (v < min || v > max) {
      throw new InvalidTaskException(
          "'" + name + "' must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private <I> void bindAndValidate(TaskHandler<I, ?> handler, String input, JsonValue parsed) {
    I bound;
    try {
      // The input's shape is checked against the type before JSON-B binds it: exact or refused.
      bound = json.bindInput(handler.inputType(), input, parsed, "input");
    } catch (InputShape.Mismatch e) {
      throw new InvalidTaskException(
          "'input' does not fit type '" + handler.type() + "': " + e.getMessage());
    } catch (StrictJson.Violation e) {
      throw new InvalidTaskException("'input' is not valid JSON: " + e.getMessage());
    } catch (JsonbException e) {
      // JSON-B's messages name Java classes: the client gets the type, the log the reason.
      LOG.log(Level.FINE, "input of type '" + handler.type() + "' passed the shape check but "
          + "JSON-B refused it", e);
      throw new InvalidTaskException("'input' does not fit type '" + handler.type() + "'");
    }
    if (bound == null) {
      throw new InvalidTaskException("'input' is required for type '" + handler.type() + "'");
    }
    if (!handler.inputType().isInstance(bound)) {
      // JSON-B hands any JSON tree to a handler asking for one kind (an array for an object).
      throw new InvalidTaskException("'input' does not fit type '" + handler.type() + "': got "
          + (bound instanceof JsonValue v ? "a JSON " + v.getValueType().name().toLowerCase(
              java.util.Locale.ROOT) : bound.getClass().getSimpleName()));
    }
    try {
      handler.validate(bound);
    } catch (InvalidInputException e) {
      throw new InvalidTaskException(
          "invalid input for type '" + handler.type() + "': " + e.getMessage());
    }
  }

  private static String fingerprint(Object... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Object p : parts) {
        sha.update(String.valueOf(p).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  // ---------------------------------------------------------------- workers

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
        if (runAttempt(task)) {
          return; // abandoned: a replacement worker already runs
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.log(Level.SEVERE, "worker " + Thread.currentThread().getName() + " died", e);
      if (state == State.RUNNING) {
        startWorker();
      }
    } finally {
      ownThreads.remove(Thread.currentThread());
      liveWorkers.decrementAndGet();
      synchronized (attemptsEnded) {
        attemptsEnded.notifyAll();
      }
    }
  }

  /** Runs one attempt; true when the worker was abandoned and must exit. */
  private boolean runAttempt(Task task) {
    Attempt a = new Attempt(task, Thread.currentThread());
    running.put(task.id(), a);
    watchers.changed(task);
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
      running.remove(task.id(), a);
      synchronized (attemptsEnded) {
        attemptsEnded.notifyAll();
      }
    }
    if (a.close("finished")) {
      if (failure == null) {
        endAttempt(task, new Outcome.Succeeded(resultJson, now()));
      } else {
        TaskError error = TaskError.of(failure);
        LOG.log(Level.WARNING, "task " + task.id() + " (" + task.type() + ") attempt "
            + task.attempts() + " of " + task.limits().maxAttempts() + " failed", failure);
        endAttempt(task, failureOutcome(task, error));
      }
    } else if (failure == null) {
      LOG.info(() -> "task " + task.id() + ": the handler returned after its attempt "
          + task.attempts() + " had ended (" + a.endedBy + "); its late result is discarded");
    }
    return a.abandoned;
  }

  @SuppressWarnings("unchecked")
  private String execute(Attempt a) throws Exception {
    Task task = a.task;
    TaskHandler<Object, Object> handler = (TaskHandler<Object, Object>) handlers.find(task.type())
        .orElseThrow(() -> new TaskFailedException("unknown-type",
            "no handler for type '" + task.type() + "' on this instance"));
    Object input = json.fromJson(task.input(), handler.inputType());
    Object result = handler.run(input, new Context(a));
    try {
      return json.toJson(result);
    } catch (JsonbException e) {
      throw new TaskFailedException("result-not-serializable",
          "the handler's result cannot be written as JSON: "
              + JsonCodec.rootMessage(e, "it cannot be written"));
    }
  }

  private Outcome failureOutcome(Task task, TaskError error) {
    Instant now = now();
    if (task.hasAttemptsLeft() && state == State.RUNNING) {
      return new Outcome.Retry(error, now.plus(backoff.delay(task.attempts())));
    }
    return new Outcome.Failed(error, now);
  }

  private void endAttempt(Task task, Outcome outcome) {
    Optional<Task> ended;
    try {
      ended = store.finish(task.id(), task.attempts(), outcome);
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "task " + task.id() + ": recording the end of attempt "
          + task.attempts() + " failed; a durable store retries it when the lease expires", e);
      return;
    }
    if (ended.isPresent()) {
      watchers.changed(ended.get());
      if (!ended.get().isTerminal()) {
        dispatcher.wakeUp(); // a retry is due later; idle workers recompute their wait
      }
    } else {
      LOG.info(() -> "task " + task.id() + ": attempt " + task.attempts()
          + " was no longer current (canceled or reclaimed); its outcome is discarded");
    }
  }

  private void onDeadline(Attempt a) {
    if (a.close("timeout")) {
      TaskError error = new TaskError(TaskError.TIMEOUT,
          "the task did not finish within its timeout of " + a.task.limits().timeoutSeconds()
              + "s");
      LOG.warning(() -> "task " + a.task.id() + " (" + a.task.type() + ") attempt "
          + a.task.attempts() + " timed out after " + a.task.limits().timeoutSeconds() + "s");
      endAttempt(a.task, failureOutcome(a.task, error));
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
      LOG.warning(() -> "task " + a.task.id() + ": the " + a.task.type() + " handler ignored "
          + "the interrupt for " + config.abandonAfter().toMillis() + " ms; its thread "
          + a.thread.getName() + " is abandoned and a new worker takes its place");
      if (state == State.RUNNING) {
        startWorker();
      }
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private StoreStats safeStats() {
    try {
      return store.stats();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** One attempt in progress on one worker thread. */
  private static final class Attempt {
    final Task task;
    final Thread thread;
    private boolean closed;
    private boolean done;
    volatile boolean abandoned;
    volatile String endedBy;

    Attempt(Task task, Thread thread) {
      this.task = task;
      this.thread = thread;
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

    /** Interrupts the handler, unless its worker already moved on. */
    synchronized void interrupt() {
      if (!done) {
        thread.interrupt();
      }
    }

    /** The handler returned; later interrupts must not hit the worker's next task. */
    synchronized void finished() {
      done = true;
      Thread.interrupted();
    }

    synchronized boolean abandon() {
      if (done || abandoned) {
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
        store.progress(taskId(), attempt(), p).ifPresent(watchers::changed);
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "task " + taskId() + ": progress not recorded", e);
      }
    }
  }
}
