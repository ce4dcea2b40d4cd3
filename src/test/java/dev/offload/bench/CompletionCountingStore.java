package dev.offload.bench;

import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import dev.offload.store.TaskStore;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A store that counts tasks reaching a terminal status, so a benchmark can wait for them. Several
 * instances (one per engine on a shared database) may count into one {@link Ended}.
 */
final class CompletionCountingStore implements TaskStore {
  private final TaskStore delegate;
  private final Ended ended;
  /** Calls into the store (each at least one round trip to a database store). */
  final LongAdder calls = new LongAdder();
  /** Of those, claims that found nothing, and reads of the next due time. */
  final LongAdder idleCalls = new LongAdder();

  CompletionCountingStore(TaskStore delegate) {
    this(delegate, new Ended());
  }

  CompletionCountingStore(TaskStore delegate, Ended ended) {
    this.delegate = delegate;
    this.ended = ended;
  }

  /** Waits until {@code n} tasks have ended in total; false on timeout. */
  boolean awaitEnded(long n, long timeout, TimeUnit unit) throws InterruptedException {
    return ended.await(n, timeout, unit);
  }

  /** A count of ended tasks that can be waited on. */
  static final class Ended {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progressed = lock.newCondition();
    private long count;

    void add() {
      lock.lock();
      try {
        count++;
        progressed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    boolean await(long n, long timeout, TimeUnit unit) throws InterruptedException {
      long left = unit.toNanos(timeout);
      lock.lock();
      try {
        while (count < n) {
          if (left <= 0) {
            return false;
          }
          left = progressed.awaitNanos(left);
        }
        return true;
      } finally {
        lock.unlock();
      }
    }
  }

  private Optional<Task> count(Optional<Task> t) {
    if (t.isPresent() && t.get().isTerminal()) {
      ended.add();
    }
    return t;
  }

  @Override
  public Inserted insert(Task task) {
    calls.increment();
    return delegate.insert(task);
  }

  @Override
  public Optional<Task> get(UUID id) {
    calls.increment();
    return delegate.get(id);
  }

  @Override
  public Optional<Task> lastState(UUID id) {
    calls.increment();
    return delegate.lastState(id);
  }

  @Override
  public TaskPage list(TaskQuery query) {
    calls.increment();
    return delegate.list(query);
  }

  @Override
  public List<Task> claim(
      String owner, java.util.Set<String> types, Instant now, Instant leaseUntil, int max) {
    calls.increment();
    List<Task> claimed = delegate.claim(owner, types, now, leaseUntil, max);
    if (claimed.isEmpty()) {
      idleCalls.increment();
    }
    return claimed;
  }

  @Override
  public Optional<Instant> nextDueAt() {
    calls.increment();
    idleCalls.increment();
    return delegate.nextDueAt();
  }

  @Override
  public Optional<Instant> nextDueAt(java.util.Set<String> types) {
    calls.increment();
    idleCalls.increment();
    return delegate.nextDueAt(types);
  }

  @Override
  public Optional<Task> progress(Task attempt, Progress progress) {
    calls.increment();
    return delegate.progress(attempt, progress);
  }

  @Override
  public Optional<Task> finish(Task attempt, Outcome outcome) {
    calls.increment();
    return count(delegate.finish(attempt, outcome));
  }

  @Override
  public java.util.concurrent.CompletableFuture<Optional<Task>> finishAsync(Task attempt,
      Outcome outcome) {
    calls.increment();
    return delegate.finishAsync(attempt, outcome).thenApply(this::count);
  }

  @Override
  public Optional<Task> cancel(UUID id, Instant now) {
    calls.increment();
    return count(delegate.cancel(id, now));
  }

  @Override
  public void renewLeases(String owner, Collection<UUID> running, Instant leaseUntil) {
    calls.increment();
    delegate.renewLeases(owner, running, leaseUntil);
  }

  @Override
  public void heartbeat(String instance, java.util.Set<String> types, Collection<UUID> running,
      Instant now, Instant leaseUntil, Instant aliveUntil) {
    calls.increment();
    delegate.heartbeat(instance, types, running, now, leaseUntil, aliveUntil);
  }

  @Override
  public void leave(String instance) {
    delegate.leave(instance);
  }

  @Override
  public java.util.Map<String, Long> unclaimable() {
    return delegate.unclaimable();
  }

  @Override
  public List<Task> reclaimExpiredLeases(Instant now) {
    calls.increment();
    return delegate.reclaimExpiredLeases(now);
  }

  @Override
  public List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max) {
    calls.increment();
    return delegate.claimDeliveries(instance, now, leaseUntil, max);
  }

  @Override
  public Optional<Task> recordDelivery(Task claimed, dev.offload.task.Delivery next) {
    calls.increment();
    return delegate.recordDelivery(claimed, next);
  }

  @Override
  public Optional<Instant> nextDeliveryAt() {
    calls.increment();
    return delegate.nextDeliveryAt();
  }

  @Override
  public void subscribe(StoreEvents events) {
    delegate.subscribe(events);
  }

  @Override
  public boolean durable() {
    return delegate.durable();
  }

  @Override
  public int sweep(Instant now, int batch) {
    calls.increment();
    return delegate.sweep(now, batch);
  }

  @Override
  public StoreStats stats() {
    calls.increment();
    return delegate.stats();
  }

  @Override
  public dev.offload.store.StoreLimits limits() {
    return delegate.limits();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
