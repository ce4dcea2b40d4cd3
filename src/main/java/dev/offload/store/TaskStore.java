package dev.offload.store;

import dev.offload.task.Progress;
import dev.offload.task.Task;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where tasks live: the queue of pending work and the results of finished work. Implementations
 * are thread-safe and hand out only immutable {@link Task} snapshots.
 *
 * <p>Every write by a worker is fenced on the attempt number it was given by {@link #claim}: a
 * worker whose attempt was timed out, canceled or reclaimed cannot overwrite a newer state.
 */
public interface TaskStore extends AutoCloseable {

  /**
   * Stores a new pending task. With an idempotency key already in use the existing task is
   * returned (when the fingerprints match) and nothing is stored.
   *
   * @throws QueueFullException when as many tasks are pending as the capacity allows
   * @throws IdempotencyConflictException when the key is in use with another fingerprint
   */
  Inserted insert(Task task);

  Optional<Task> get(UUID id);

  TaskPage list(TaskQuery query);

  /**
   * Claims up to {@code max} pending tasks due at {@code now}, highest priority first, then by due
   * time, then FIFO; marks them running for the next attempt, owned by {@code owner} until {@code
   * leaseUntil}.
   */
  List<Task> claim(String owner, Instant now, Instant leaseUntil, int max);

  /** The earliest due time of a pending task, if there is one. */
  Optional<Instant> nextDueAt();

  /** Records progress of a running attempt; empty when that attempt is no longer current. */
  Optional<Task> progress(UUID id, int attempt, Progress progress);

  /**
   * Ends a running attempt with {@code outcome}; empty when that attempt is no longer current
   * (the task was canceled, timed out, or claimed again), in which case nothing changes.
   */
  Optional<Task> finish(UUID id, int attempt, Outcome outcome);

  /**
   * Cancels a pending or running task.
   *
   * @return the canceled task, or empty for an unknown id
   * @throws AlreadyFinishedException when the task has already ended
   */
  Optional<Task> cancel(UUID id, Instant now);

  /** Extends the leases of attempts this owner is running; a no-op for a single-node store. */
  default void renewLeases(String owner, Collection<UUID> running, Instant leaseUntil) {}

  /**
   * Returns running tasks whose lease expired (their instance died) to pending, or fails them
   * when their attempts are used up; returns the changed tasks. A no-op for a single-node store.
   */
  default List<Task> reclaimExpiredLeases(Instant now) {
    return List.of();
  }

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

  /** Deletes up to {@code batch} finished tasks that expired at {@code now}; returns how many. */
  int sweep(Instant now, int batch);

  StoreStats stats();

  /** A short name shown by health: {@code memory}, {@code postgres}. */
  String name();

  @Override
  void close();

  /** The result of {@link #insert}: the stored task and whether this call created it. */
  record Inserted(Task task, boolean created) {}

  /** Counts for health and benchmarks. */
  record StoreStats(long pending, long running, long finished) {}
}
