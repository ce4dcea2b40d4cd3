package dev.offload.engine;

import dev.offload.task.Task;
import java.time.Duration;
import java.util.List;

/**
 * What happens to tasks on this instance, for metrics and the operator's history. Called on the
 * thread that made the change (a request thread, a worker, the timer), so implementations must
 * be quick and must not throw (what they throw is logged and dropped).
 */
public interface TaskEvents {

  /** Why a submission was refused before it became a task. */
  enum Refusal {
    QUEUE_FULL,
    OWNER_QUOTA,
    SHUTTING_DOWN,
    STORE_UNAVAILABLE,
    INVALID
  }

  /** Nothing to tell anyone. */
  TaskEvents NONE = new TaskEvents() {};

  /** Tells every one of {@code listeners}, in order; one that throws does not stop the rest. */
  static TaskEvents all(TaskEvents... listeners) {
    List<TaskEvents> all = List.of(listeners);
    return new TaskEvents() {
      @Override
      public void submitted(Task task) {
        all.forEach(l -> Events.tell(() -> l.submitted(task)));
      }

      @Override
      public void refused(String type, Refusal why) {
        all.forEach(l -> Events.tell(() -> l.refused(type, why)));
      }

      @Override
      public void started(Task running, Duration queueWait) {
        all.forEach(l -> Events.tell(() -> l.started(running, queueWait)));
      }

      @Override
      public void attemptEnded(Task attempt, Task next, Duration runTime) {
        all.forEach(l -> Events.tell(() -> l.attemptEnded(attempt, next, runTime)));
      }

      @Override
      public void canceled(Task canceled) {
        all.forEach(l -> Events.tell(() -> l.canceled(canceled)));
      }
    };
  }

  /** A new task was stored (not an idempotent replay). */
  default void submitted(Task task) {}

  /** A submission of {@code type} (as the client wrote it) was refused. */
  default void refused(String type, Refusal why) {}

  /**
   * An attempt started on this instance.
   *
   * @param queueWait from when it was due to now, or null when the due time is not known
   */
  default void started(Task running, Duration queueWait) {}

  /**
   * An attempt run here ended and its outcome was recorded: {@code next} is pending again (a
   * retry, or handed back) or final. A timeout shows as {@code next.error().type()} {@code
   * timeout}.
   */
  default void attemptEnded(Task attempt, Task next, Duration runTime) {}

  /** A task was canceled through this instance. */
  default void canceled(Task canceled) {}
}
