package dev.offload.web.metrics;

import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.Delivery;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.InvalidCursorException;
import dev.offload.task.LimitExceededException;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link TaskStore} that times every call of the store it wraps, by operation, and counts the
 * calls that failed. Built by the composition root around whichever store the configuration
 * names, so neither store knows of metrics. Every method is passed through, the interface's
 * default ones too: a store may override them ({@code claim} without types, the lease calls,
 * {@code subscribe}), and a decorator that fell back to the defaults would silently disable
 * what the store does there.
 */
final class TimedTaskStore implements TaskStore {

  /** The {@code operation} label: one per store call. */
  enum Operation {
    INSERT,
    GET,
    LAST_STATE,
    LIST,
    CLAIM,
    NEXT_DUE_AT,
    PROGRESS,
    FINISH,
    CANCEL,
    RENEW_LEASES,
    RECLAIM_EXPIRED_LEASES,
    HEARTBEAT,
    LEAVE,
    UNCLAIMABLE,
    SWEEP,
    STATS,
    OWNER_STATS,
    CLAIM_DELIVERIES,
    RECORD_DELIVERY,
    NEXT_DELIVERY_AT;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** From a memory store's microseconds to a database call that is about to time out. */
  static final Duration[] STORE_BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(5)};

  private record Meters(Timer time, Counter errors) {}

  private final TaskStore store;
  private final Map<Operation, Meters> meters = new EnumMap<>(Operation.class);

  TimedTaskStore(TaskStore store, MeterRegistry registry) {
    this.store = store;
    for (Operation op : Operation.values()) {
      meters.put(op, new Meters(
          Timer.builder("offload.store.call.duration")
              .description("Calls of the task store, by operation")
              .tag("operation", op.label())
              .serviceLevelObjectives(STORE_BUCKETS)
              .register(registry),
          Counter.builder("offload.store.errors")
              .description("Store calls that failed (the store unavailable, or a fault); a "
                  + "refusal such as a full queue is an answer, not an error")
              .tag("operation", op.label())
              .register(registry)));
    }
  }

  private <T> T timed(Operation op, Supplier<T> call) {
    Meters m = meters.get(op);
    long start = System.nanoTime();
    try {
      return call.get();
    } catch (RuntimeException e) {
      if (!isAnswer(e)) {
        m.errors.increment();
      }
      throw e;
    } finally {
      m.time.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private void timedVoid(Operation op, Runnable call) {
    timed(op, () -> {
      call.run();
      return null;
    });
  }

  /** The store's domain answers: the store worked, the request could not be granted. */
  static boolean isAnswer(RuntimeException e) {
    return e instanceof LimitExceededException || e instanceof IdempotencyConflictException
        || e instanceof AlreadyFinishedException || e instanceof InvalidCursorException;
  }

  @Override
  public Inserted insert(Task task) {
    return timed(Operation.INSERT, () -> store.insert(task));
  }

  @Override
  public Optional<Task> get(UUID id) {
    return timed(Operation.GET, () -> store.get(id));
  }

  @Override
  public TaskPage list(TaskQuery query) {
    return timed(Operation.LIST, () -> store.list(query));
  }

  @Override
  public List<Task> claim(String instance, Set<String> types, Instant now, Instant leaseUntil,
      int max) {
    return timed(Operation.CLAIM, () -> store.claim(instance, types, now, leaseUntil, max));
  }

  @Override
  public List<Task> claim(String instance, Instant now, Instant leaseUntil, int max) {
    return timed(Operation.CLAIM, () -> store.claim(instance, now, leaseUntil, max));
  }

  @Override
  public Optional<Instant> nextDueAt() {
    return timed(Operation.NEXT_DUE_AT, store::nextDueAt);
  }

  @Override
  public Optional<Instant> nextDueAt(Set<String> types) {
    return timed(Operation.NEXT_DUE_AT, () -> store.nextDueAt(types));
  }

  @Override
  public Optional<Task> lastState(UUID id) {
    return timed(Operation.LAST_STATE, () -> store.lastState(id));
  }

  /** Timed until the store has recorded the end (a batching store answers later). */
  @Override
  public CompletableFuture<Optional<Task>> finishAsync(Task attempt, Outcome outcome) {
    Meters m = meters.get(Operation.FINISH);
    long start = System.nanoTime();
    CompletableFuture<Optional<Task>> recorded;
    try {
      recorded = store.finishAsync(attempt, outcome);
    } catch (RuntimeException e) {
      m.time.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (!isAnswer(e)) {
        m.errors.increment();
      }
      throw e;
    }
    recorded.whenComplete((ended, error) -> {
      m.time.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      Throwable cause = error instanceof CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause != null && !(cause instanceof RuntimeException r && isAnswer(r))) {
        m.errors.increment();
      }
    });
    return recorded;
  }

  @Override
  public void heartbeat(String instance, Set<String> types, Collection<UUID> running,
      Instant now, Instant leaseUntil, Instant aliveUntil) {
    timedVoid(Operation.HEARTBEAT,
        () -> store.heartbeat(instance, types, running, now, leaseUntil, aliveUntil));
  }

  @Override
  public void leave(String instance) {
    timedVoid(Operation.LEAVE, () -> store.leave(instance));
  }

  @Override
  public Map<String, Long> unclaimable() {
    return timed(Operation.UNCLAIMABLE, store::unclaimable);
  }

  @Override
  public Optional<Task> progress(Task attempt, Progress progress) {
    return timed(Operation.PROGRESS, () -> store.progress(attempt, progress));
  }

  @Override
  public Optional<Task> finish(Task attempt, Outcome outcome) {
    return timed(Operation.FINISH, () -> store.finish(attempt, outcome));
  }

  @Override
  public Optional<Task> cancel(UUID id, Instant now) {
    return timed(Operation.CANCEL, () -> store.cancel(id, now));
  }

  @Override
  public void renewLeases(String instance, Collection<UUID> running, Instant leaseUntil) {
    timedVoid(Operation.RENEW_LEASES, () -> store.renewLeases(instance, running, leaseUntil));
  }

  @Override
  public List<Task> reclaimExpiredLeases(Instant now) {
    return timed(Operation.RECLAIM_EXPIRED_LEASES, () -> store.reclaimExpiredLeases(now));
  }

  @Override
  public List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max) {
    return timed(Operation.CLAIM_DELIVERIES,
        () -> store.claimDeliveries(instance, now, leaseUntil, max));
  }

  @Override
  public Optional<Task> recordDelivery(Task claimed, Delivery next) {
    return timed(Operation.RECORD_DELIVERY, () -> store.recordDelivery(claimed, next));
  }

  @Override
  public Optional<Instant> nextDeliveryAt() {
    return timed(Operation.NEXT_DELIVERY_AT, store::nextDeliveryAt);
  }

  @Override
  public void subscribe(StoreEvents events) {
    store.subscribe(events);
  }

  @Override
  public boolean durable() {
    return store.durable();
  }

  @Override
  public int sweep(Instant now, int batch) {
    return timed(Operation.SWEEP, () -> store.sweep(now, batch));
  }

  @Override
  public StoreStats stats() {
    return timed(Operation.STATS, store::stats);
  }

  @Override
  public Optional<OwnerStats> ownerStats(String owner) {
    return timed(Operation.OWNER_STATS, () -> store.ownerStats(owner));
  }

  @Override
  public StoreLimits limits() {
    return store.limits();
  }

  @Override
  public String name() {
    return store.name();
  }

  @Override
  public void close() {
    store.close();
  }
}
