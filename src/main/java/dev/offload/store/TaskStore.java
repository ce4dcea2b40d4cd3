package dev.offload.store;

import dev.offload.task.Delivery;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Where tasks live: the queue of pending work and the results of finished work. Implementations
 * are thread-safe and hand out only immutable {@link Task} snapshots.
 *
 * <p>Every write by a worker is fenced on the attempt number it was given by {@link #claim}: a
 * worker whose attempt was timed out, canceled or reclaimed cannot overwrite a newer state.
 */
public interface TaskStore extends AutoCloseable {

  /**
   * Stores a new pending task. With an idempotency key already in use by the same owner the
   * existing task is returned (when the fingerprints match) and nothing is stored; keys of
   * different owners never meet.
   *
   * @throws dev.offload.task.LimitExceededException when the task would pass a pending limit
   *     (the owner's tasks or bytes, or everyone's)
   * @throws dev.offload.task.IdempotencyConflictException when the owner's key is in use with
   *     another fingerprint
   */
  Inserted insert(Task task);

  Optional<Task> get(UUID id);

  /**
   * The task as its watchers must last see it: {@link #get}, except that a task that just ended
   * with a result TTL of 0, gone for every reader, is still read here until the store drops it,
   * so that watchers parked on another instance hear how it ended. A single-node store told its
   * watchers itself: {@link #get}.
   */
  default Optional<Task> lastState(UUID id) {
    return get(id);
  }

  TaskPage list(TaskQuery query);

  /**
   * Claims up to {@code max} pending tasks due at {@code now} whose type is in {@code types}
   * (null: any type), highest priority first; within one priority the owners with due work take
   * turns (when fair dispatch is on), and one owner's tasks go by due time, then arrival. Marks
   * them running for the next attempt, leased to {@code instance} until {@code leaseUntil}.
   */
  List<Task> claim(String instance, Set<String> types, Instant now, Instant leaseUntil, int max);

  /** {@link #claim(String, Set, Instant, Instant, int)} of any type. */
  default List<Task> claim(String instance, Instant now, Instant leaseUntil, int max) {
    return claim(instance, null, now, leaseUntil, max);
  }

  /** The earliest due time of a pending task, if there is one. */
  Optional<Instant> nextDueAt();

  /**
   * The earliest due time of a pending task of one of {@code types} (null: any type): an
   * instance that does not run a type must not wake up for it.
   */
  default Optional<Instant> nextDueAt(Set<String> types) {
    return nextDueAt();
  }

  /**
   * Records progress of a running attempt, given as the snapshot {@link #claim} handed out;
   * empty when that attempt is no longer current.
   */
  Optional<Task> progress(Task attempt, Progress progress);

  /**
   * Ends a running attempt, given as the snapshot {@link #claim} handed out, with {@code
   * outcome}; empty when that attempt is no longer current (the task was canceled, timed out, or
   * claimed again), in which case nothing changes.
   */
  Optional<Task> finish(Task attempt, Outcome outcome);

  /**
   * {@link #finish}, answered later: the future completes once the end is recorded (or fails
   * with what finish would throw), possibly on a thread of the store's. A store that gathers the
   * ends of several attempts into one write lets the worker go on meanwhile. By default it is
   * {@link #finish}, at once.
   */
  default CompletableFuture<Optional<Task>> finishAsync(Task attempt, Outcome outcome) {
    try {
      return CompletableFuture.completedFuture(finish(attempt, outcome));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Cancels a pending or running task.
   *
   * @return the canceled task, or empty for an unknown id
   * @throws AlreadyFinishedException when the task has already ended
   */
  Optional<Task> cancel(UUID id, Instant now);

  /** Extends the leases of attempts this instance is running; a no-op for a single-node store. */
  default void renewLeases(String instance, Collection<UUID> running, Instant leaseUntil) {}

  /**
   * This instance is alive and runs {@code types}: renews its leases on {@code running} and its
   * entry among the live instances (until {@code aliveUntil}), which tells which pending tasks
   * no running instance can take. Called at start and by the lease thread.
   */
  default void heartbeat(String instance, Set<String> types, Collection<UUID> running,
      Instant now, Instant leaseUntil, Instant aliveUntil) {
    renewLeases(instance, running, leaseUntil);
  }

  /** This instance stops: its types no longer count as run. */
  default void leave(String instance) {}

  /**
   * Pending tasks per type that no live instance runs: they wait for a deploy (a rolling one
   * under way, or a handler removed). Empty for a single-node store, which admits only types its
   * instance runs. May be a few seconds old.
   */
  default Map<String, Long> unclaimable() {
    return Map.of();
  }

  /**
   * Returns running tasks whose lease expired (their instance died) to pending, or fails them
   * when their attempts are used up; returns the changed tasks. A no-op for a single-node store.
   */
  default List<Task> reclaimExpiredLeases(Instant now) {
    return List.of();
  }

  // ---------------------------------------------------------------- callback deliveries

  /**
   * Claims up to {@code max} owed callback deliveries that can be sent at {@code now}, the
   * earliest due first: tasks that ended, whose {@link Task#deliveryOwed delivery is owed} and
   * {@link Task#deliveryDueAtMillis due}, and that no instance holds under a delivery lease that
   * has not expired. Counts the attempt ({@link Delivery#claimed}) and leases it to {@code
   * instance} until {@code leaseUntil}: if the instance dies mid-attempt, another claim takes it
   * over after that (at least once).
   */
  List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max);

  /**
   * Writes the delivery state {@code next} of an attempt that {@link #claimDeliveries} handed
   * out as {@code claimed}, and ends its lease; empty when that claim is no longer current (its
   * lease expired and another claim counted a newer attempt, or it was written already), and
   * then nothing changes. A delivery that ends (delivered or failed) leaves its task to expire as
   * its TTL says: until then the sweep and the retained caps keep it.
   */
  Optional<Task> recordDelivery(Task claimed, Delivery next);

  /**
   * When the next owed delivery of an ended task can be claimed (its due time, or the end of the
   * lease that holds it), if there is one.
   */
  Optional<Instant> nextDeliveryAt();

  /**
   * Starts telling {@code events} of changes made by other instances; a no-op for a single-node
   * store. Called once, by the engine's start.
   */
  default void subscribe(StoreEvents events) {}

  /**
   * True when tasks survive a restart: a graceful stop then hands running tasks back to the
   * queue instead of failing them.
   */
  default boolean durable() {
    return false;
  }

  /**
   * Deletes up to {@code batch} finished tasks that expired at {@code now}, but none whose
   * callback delivery is still owed; returns how many.
   */
  int sweep(Instant now, int batch);

  StoreStats stats();

  /** One owner's pending tasks and bytes, when the store keeps them at hand. */
  default Optional<OwnerStats> ownerStats(String owner) {
    return Optional.empty();
  }

  /** What this store holds at most. */
  StoreLimits limits();

  /** A short name shown by health: {@code memory}, {@code postgres}. */
  String name();

  @Override
  void close();

  /** The result of {@link #insert}: the stored task and whether this call created it. */
  record Inserted(Task task, boolean created) {}

  /**
   * Counts for health, metrics and benchmarks.
   *
   * @param pendingBytes bytes of input of the pending tasks
   * @param retainedBytes bytes of input and result of the finished tasks kept
   * @param pendingOwners owners with pending tasks
   */
  record StoreStats(long pending, long running, long finished, long pendingBytes,
      long retainedBytes, long pendingOwners) {

    /** Counts only (tests). */
    public StoreStats(long pending, long running, long finished) {
      this(pending, running, finished, 0, 0, 0);
    }

    /** The counts, without the byte and owner figures (tests compare these). */
    public StoreStats counts() {
      return new StoreStats(pending, running, finished);
    }
  }

  /** One owner's share of the queue. */
  record OwnerStats(long pending, long pendingBytes) {}
}
