package dev.offload.engine;

import dev.offload.outbound.AddressRules;
import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.store.TaskStore.Inserted;
import dev.offload.store.TaskStore.OwnerStats;
import dev.offload.store.TaskStore.StoreStats;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.StoreUnavailableException;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import java.util.logging.Logger;

/**
 * Accepts tasks, runs them on a fixed number of workers, and tells watchers what happens. The
 * checks a submission passes live in {@link Admission}, the running of attempts in {@link
 * Attempts}; this class wires them and owns the life cycle.
 *
 * <p>The engine owns its threads: {@code offload-worker-N} (unless a container-managed executor
 * is given), {@code offload-timer} for timeouts, {@code offload-sweeper} for expiry and, with a
 * durable store, {@code offload-leases} for lease renewal. {@link #start()} creates them and
 * {@link #shutdown()} stops them, each wait bounded.
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
  private final Executor managedExecutor;
  private final String instance;
  private final Watchers watchers = new Watchers();
  private final TaskEvents events;
  private final History history;
  private final Admission admission;
  private final Attempts attempts;
  private final Dispatcher dispatcher;
  private final Deliveries deliveries;
  /**
   * Tasks another instance changed while this one was claiming, before the claimed batch was
   * registered: a cancel of a task this claim is taking must still stop it (see {@link
   * #refresh}). Only ids heard during a claim, cleared after each.
   */
  private final Set<UUID> changedWhileClaiming = ConcurrentHashMap.newKeySet();
  private volatile State state = State.NEW;
  private ScheduledExecutorService timer;
  private ScheduledExecutorService sweeper;
  private ScheduledExecutorService leases;

  private TaskEngine(Builder b) {
    this.config = b.config;
    this.store = b.store;
    this.handlers = b.handlers;
    this.json = b.json != null ? b.json : new JsonCodec();
    this.clock = b.clock;
    this.managedExecutor = b.executor;
    this.instance = b.instance != null ? b.instance : "offload-" + UUID.randomUUID();
    this.history = new History(b.clock, Set.copyOf(handlers.types()));
    this.deliveries = new Deliveries(store, clock, instance);
    this.events = TaskEvents.all(history, b.events, endings(deliveries));
    this.admission = new Admission(config, handlers, json, clock, b.callbackRules);
    this.attempts = new Attempts(new Attempts.Parts(config, store, handlers, json, clock,
        new Backoff(config.retryBase(), config.retryMax(), b.random), watchers, managedExecutor,
        this::isAccepting, events));
    this.dispatcher = new Dispatcher(store, clock, instance, Set.copyOf(handlers.types()),
        config.lease(), MAX_IDLE, this::isAccepting, this::claimed,
        store.durable() ? Math.max(1, config.workers() / 2) : 0);
  }

  public static Builder builder(EngineConfig config, TaskStore store, HandlerRegistry handlers) {
    return new Builder(config, store, handlers);
  }

  /** Optional parts default to: the system UTC clock, own threads, a random instance id. */
  public static final class Builder {
    private final EngineConfig config;
    private final TaskStore store;
    private final HandlerRegistry handlers;
    private JsonCodec json;
    private Clock clock = Clock.systemUTC();
    private Executor executor;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private String instance;
    private TaskEvents events = TaskEvents.NONE;
    private AddressRules callbackRules = AddressRules.none();

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
    public Builder instance(String instance) {
      this.instance = instance;
      return this;
    }

    /** Told of what happens to tasks here (metrics, history). */
    public Builder events(TaskEvents events) {
      this.events = events;
      return this;
    }

    /**
     * Where a task's callback may point: the rules of the {@code http} type ({@code
     * offload.http.allow}); by default none is trusted beyond the public internet. Null: this
     * instance takes no callback (a submission naming one is refused).
     */
    public Builder callbackRules(AddressRules rules) {
      this.callbackRules = rules;
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
      // Known among the live instances, with the types it runs, before it claims anything; with
      // the database away the lease thread tries again.
      NamedThreads.logged("announcing this instance", this::heartbeat).run();
      // A thread of its own: a timer busy with timeouts must not delay a renewal past the lease.
      leases = NamedThreads.scheduler("offload-leases");
      long beat = Math.max(100, config.lease().toMillis() / 3);
      leases.scheduleWithFixedDelay(
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
        Set<UUID> ids = new HashSet<>(attempts.ids());
        ids.addAll(watchers.watchedIds());
        ids.forEach(TaskEngine.this::refresh);
      }
    });
    attempts.start(dispatcher, timer);
    LOG.info(() -> "Offload engine started: " + config.workers() + " workers on "
        + (managedExecutor != null ? "the container's managed executor" : "own threads")
        + ", " + store.name() + " store, types " + handlers.types());
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
    int atStart = attempts.count();
    attempts.awaitNone(config.shutdownGrace());
    int left = attempts.count();
    int[] ended = attempts.endAll(this::shutdownOutcome);
    String fate = store.durable() ? "handed back to the queue" : "failed with error type shutdown";
    LOG.info(() -> "Offload engine stopping: " + atStart + " tasks were running; "
        + (atStart - left) + " finished within the grace period of "
        + config.shutdownGrace().toSeconds() + "s, " + ended[0] + " were interrupted and "
        + fate + (ended[1] == 0 ? "" : "; " + ended[1] + " claimed tasks " + fate));
    attempts.awaitNone(config.abandonAfter());
    attempts.stopWorkers();
    // A claim that was under way when the stop began has returned by now.
    attempts.endAll(this::shutdownOutcome);
    NamedThreads.stop(timer, 2_000);
    NamedThreads.stop(sweeper, 2_000);
    if (leases != null) {
      NamedThreads.stop(leases, 2_000);
      try {
        store.leave(instance);
      } catch (RuntimeException e) {
        LOG.warning(() -> "leaving the live instances failed (" + e.getMessage() + "); this "
            + "instance counts as live until its heartbeat expires");
      }
    }
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

  // ---------------------------------------------------------------- the API

  /**
   * Validates and stores a new task; with an idempotency key the owner used before, returns the
   * existing one.
   *
   * @throws ShuttingDownException while the engine stops
   * @throws InvalidTaskException for a submission that cannot run
   * @throws dev.offload.task.LimitExceededException past a pending limit
   */
  public Submission submit(SubmitRequest r) {
    try {
      if (state != State.RUNNING) {
        throw new ShuttingDownException();
      }
      Task task = admission.admit(r);
      Inserted inserted = store.insert(task);
      if (inserted.created()) {
        // FINE, not INFO: the submit path is measured in requests per second and a line per
        // task would cost more than the rest of it; FINE shows the whole life of a task.
        LOG.fine(() -> inserted.task().logName() + ": submitted, " + task.priority().wire()
            + " priority, at most " + task.limits().maxAttempts() + " attempts, due at "
            + task.dueAt());
        Events.tell(() -> events.submitted(inserted.task()));
        dispatcher.wakeUp();
      } else {
        LOG.fine(() -> inserted.task().logName() + ": submitted again with its Idempotency-Key;"
            + " the existing task is answered");
      }
      return new Submission(inserted.task(), inserted.created());
    } catch (ShuttingDownException e) {
      Events.tell(() -> events.refused(r.type(), TaskEvents.Refusal.SHUTTING_DOWN));
      throw e;
    } catch (InvalidTaskException e) {
      Events.tell(() -> events.refused(r.type(), TaskEvents.Refusal.INVALID));
      throw e;
    } catch (LimitExceededException e) {
      Events.tell(() -> events.refused(r.type(), e.limit().scope() == Limit.Scope.OWNER
          ? TaskEvents.Refusal.OWNER_QUOTA : TaskEvents.Refusal.QUEUE_FULL));
      throw e;
    } catch (StoreUnavailableException e) {
      Events.tell(() -> events.refused(r.type(), TaskEvents.Refusal.STORE_UNAVAILABLE));
      throw e;
    }
  }

  /**
   * Submits again what failed or canceled task {@code id} asked for, as a new task of the same
   * owner linked to it ({@code retryOf}): same type, input, priority, timeout, attempts and TTL,
   * due at once. Its input is checked again, as the type may have changed since.
   *
   * @throws TaskNotFoundException for an unknown id, or one the caller may not see
   * @throws NotRetryableException when the task is pending, running or succeeded
   */
  public Submission retry(UUID id, Access access) {
    Task original = get(id, access).orElseThrow(() -> new TaskNotFoundException(id));
    if (original.status() != dev.offload.task.TaskStatus.FAILED
        && original.status() != dev.offload.task.TaskStatus.CANCELED) {
      throw new NotRetryableException(original);
    }
    if (state != State.RUNNING) {
      throw new ShuttingDownException();
    }
    SubmitRequest again = new SubmitRequest(original.owner(), original.type(), original.input(),
        original.priority(), original.limits().timeoutSeconds(),
        (long) original.limits().maxAttempts(), 0L, original.limits().resultTtlSeconds(), null,
        original.callback()); // the retried task's end is what that callback waits to hear
    Task task = admission.admit(again, original.id());
    Inserted inserted = store.insert(task);
    LOG.fine(() -> inserted.task().logName() + ": submitted by a retry of task " + original.id());
    Events.tell(() -> events.submitted(inserted.task()));
    dispatcher.wakeUp();
    return new Submission(inserted.task(), true);
  }

  /** A task as a caller may see it: empty for an unknown id and for a task hidden from them. */
  public Optional<Task> get(UUID id, Access access) {
    return store.get(id).filter(access::sees);
  }

  /** Any task, whoever owns it (the engine's own use, and tests). */
  public Optional<Task> get(UUID id) {
    return store.get(id);
  }

  /** A page of the tasks a caller may see: their own unless they see everyone's. */
  public TaskPage list(TaskQuery query, Access access) {
    TaskQuery q = access.everyone() ? query
        : new TaskQuery(access.owner(), query.status(), query.type(), query.limit(),
            query.after(), query.idempotencyKey());
    return store.list(q);
  }

  /** What a bulk cancel matched and canceled. */
  public record BulkCancel(long matched, long canceled) {}

  /**
   * Cancels every pending task of {@code type} and {@code owner} (null: any), at most {@code
   * max}; with {@code dryRun} only counts them (an operator confirms the number first). Tasks
   * that started or ended meanwhile are left alone.
   */
  public BulkCancel cancelPending(String owner, String type, boolean dryRun, int max) {
    long matched = 0;
    long canceled = 0;
    String after = null;
    do {
      TaskPage page = store.list(new TaskQuery(owner, dev.offload.task.TaskStatus.PENDING, type,
          100, after));
      for (Task t : page.items()) {
        if (matched >= max) {
          return new BulkCancel(matched, canceled);
        }
        matched++;
        if (!dryRun) {
          try {
            cancel(t.id());
            canceled++;
          } catch (AlreadyFinishedException | TaskNotFoundException gone) {
            // It ended on its own between the page and the cancel.
          }
        }
      }
      after = page.next();
    } while (after != null);
    return new BulkCancel(matched, canceled);
  }

  /** Everyone's tasks. */
  public TaskPage list(TaskQuery query) {
    return store.list(query);
  }

  /**
   * Cancels a pending or running task. A running one is interrupted; whatever it returns later
   * is discarded; one claimed but not yet started never starts.
   *
   * @throws TaskNotFoundException for an unknown id, or one the caller may not see
   * @throws AlreadyFinishedException when the task had already ended
   */
  public Task cancel(UUID id, Access access) {
    if (!access.everyone() && get(id, access).isEmpty()) {
      throw new TaskNotFoundException(id);
    }
    Task canceled = store.cancel(id, now()).orElseThrow(() -> new TaskNotFoundException(id));
    attempts.stop(id, "canceled");
    LOG.fine(() -> canceled.logName() + ": canceled");
    Events.tell(() -> events.canceled(canceled));
    watchers.changed(canceled);
    return canceled;
  }

  /** Cancels any task. */
  public Task cancel(UUID id) {
    return cancel(id, Access.everyone(""));
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
    if (attempts.held(id).isEmpty() && !watchers.isWatched(id)) {
      if (dispatcher.claiming()) {
        changedWhileClaiming.add(id); // perhaps a task this claim takes: see claimed()
      }
      return; // nothing here runs or waits for it: no need to read it
    }
    // lastState: a task that ended elsewhere with a TTL of 0 is gone for get(), not for its
    // watchers here.
    Optional<Task> now = store.lastState(id);
    if (attempts.isStale(id, now)) {
      attempts.stop(id, "canceled elsewhere");
    }
    now.ifPresent(watchers::changed);
  }

  /**
   * The dispatcher's hook: registers a claimed batch, then re-reads the tasks of the batch that
   * another instance changed while the claim was under way. Its cancel committed after the claim
   * (it waited for the claim's row locks) and its notice may have arrived before the batch was
   * registered here, when refresh() found nothing to stop.
   */
  private void claimed(List<Task> batch) {
    attempts.claimed(batch);
    for (Task t : batch) {
      if (changedWhileClaiming.remove(t.id())) {
        refresh(t.id());
      }
    }
    changedWhileClaiming.clear();
  }

  /** Idle workers look for due work now (new work arrived elsewhere, or the clock moved). */
  public void wakeUp() {
    dispatcher.wakeUp();
  }

  public Health health() {
    String status = state == State.RUNNING ? Health.UP : Health.SHUTTING_DOWN;
    StoreStats stats = safeStats();
    StoreLimits l = store.limits();
    Health.Limits limits = new Health.Limits(l.queueBytes(), l.ownerTasks(), l.ownerBytes());
    if (stats == null) {
      return new Health(Health.STORE_UNAVAILABLE, store.name(), attempts.busy(),
          config.workers(), -1, config.queueCapacity(), attempts.busy(), -1, -1, -1, -1, limits,
          Map.of());
    }
    return new Health(status, store.name(), attempts.busy(), config.workers(), stats.pending(),
        config.queueCapacity(), stats.running(), stats.finished(), stats.pendingBytes(),
        stats.retainedBytes(), stats.pendingOwners(), limits, unclaimable());
  }

  /** Pending tasks per type that no running instance runs; empty when it cannot be read. */
  private Map<String, Long> unclaimable() {
    try {
      return store.unclaimable();
    } catch (RuntimeException e) {
      return Map.of();
    }
  }

  /**
   * Why a pending task is not running yet, when it is for a reason other than its turn or its
   * due time: no running instance runs its type (a rolling deploy under way, or a handler
   * removed). Empty otherwise.
   */
  public Optional<String> waitingFor(Task t) {
    if (t.status() != dev.offload.task.TaskStatus.PENDING
        || !unclaimable().containsKey(t.type())) {
      return Optional.empty();
    }
    return Optional.of("no running instance runs tasks of type '" + t.type() + "'");
  }

  /** One owner's pending tasks and bytes, when the store keeps them at hand. */
  public Optional<OwnerStats> ownerStats(String owner) {
    try {
      return store.ownerStats(owner);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  public HandlerRegistry handlers() {
    return handlers;
  }

  /** The callback deliveries owed by tasks of this engine's store, for a deliverer. */
  public Deliveries deliveries() {
    return deliveries;
  }

  /** Tells the deliveries of every task that ends through this instance (attempt or cancel). */
  private static TaskEvents endings(Deliveries deliveries) {
    return new TaskEvents() {
      @Override
      public void attemptEnded(Task attempt, Task next, Duration runTime) {
        if (next.isTerminal()) {
          deliveries.ended(next);
        }
      }

      @Override
      public void canceled(Task canceled) {
        deliveries.ended(canceled);
      }
    };
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

  /** What this instance has done: per type since the start, per minute over the last hour. */
  public History.Snapshot history() {
    return history.snapshot();
  }

  /** Attempts running on this instance now, by type. */
  public java.util.Map<String, Integer> runningByType() {
    return attempts.runningByType();
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
    heartbeat();
    Instant now = now();
    for (Task t : store.reclaimExpiredLeases(now)) {
      watchers.changed(t);
      dispatcher.wakeUp();
      if (t.isTerminal()) {
        deliveries.ended(t);
      }
    }
  }

  /** Renews this instance's leases and its entry among the live instances, with its types. */
  private void heartbeat() {
    Instant now = now();
    Instant until = now.plus(config.lease());
    store.heartbeat(instance, Set.copyOf(handlers.types()), attempts.ids(), now, until, until);
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

  /** For tests: the ids of attempts this instance holds. */
  List<UUID> heldAttempts() {
    return List.copyOf(attempts.ids());
  }
}
