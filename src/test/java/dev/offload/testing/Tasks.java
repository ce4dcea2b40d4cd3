package dev.offload.testing;

import dev.offload.task.Callback;
import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.task.Utf8;
import java.time.Instant;
import java.util.UUID;

/** Task snapshots for tests of the stores and the views. */
public final class Tasks {
  private Tasks() {}

  /** A new pending task of the anonymous owner. */
  public static Task pending(UUID id, String type, Priority priority, String input,
      Task.Limits limits, Instant created, Instant due, String key, String fingerprint) {
    return pending(id, type, Task.ANONYMOUS, priority, input, limits, created, due, key,
        fingerprint);
  }

  /** A new pending task of {@code owner}. */
  public static Task pending(UUID id, String type, String owner, Priority priority,
      String input, Task.Limits limits, Instant created, Instant due, String key,
      String fingerprint) {
    return Task.pending(new Task.Spec(id, type, owner, priority, input, null,
        Utf8.length(input), limits, created.toEpochMilli(), key, fingerprint, null), due);
  }

  /** {@code t} as if it had been submitted with {@code callback} (its delivery owed). */
  public static Task withCallback(Task t, Callback callback) {
    Task.Spec s = t.spec();
    return new Task(new Task.Spec(s.id(), s.type(), s.owner(), s.priority(), s.input(),
        s.inputView(), s.inputBytes(), s.limits(), s.createdAtMillis(), s.idempotencyKey(),
        s.fingerprint(), s.retryOf(), callback), t.state());
  }

  /**
   * The running snapshot of attempt {@code n} of {@code t}, as a worker would hold it (to write
   * with an attempt that is stale, current or from the future).
   */
  public static Task attempt(Task t, int n) {
    Task.State s = t.state();
    return new Task(t.spec(), new Task.State(TaskStatus.RUNNING, n, s.progress(),
        s.startedAtMillis() != Task.NO_TIME ? s.startedAtMillis() : t.spec().createdAtMillis(),
        Task.NO_TIME, Task.NO_TIME, null, s.error()), t.delivery());
  }

  /** Attempt 1 of a task that was never stored. */
  public static Task unknownRunning() {
    Task t = pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 60), Instant.EPOCH, Instant.EPOCH, null, null);
    return attempt(t, 1);
  }
}
