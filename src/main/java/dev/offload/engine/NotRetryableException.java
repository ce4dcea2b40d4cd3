package dev.offload.engine;

import dev.offload.task.Task;

/** A retry of a task that did not fail and was not canceled: there is nothing to retry. */
public class NotRetryableException extends RuntimeException {
  private final Task task;

  public NotRetryableException(Task task) {
    super("task " + task.id() + " is " + task.status().wire()
        + "; only a failed or canceled task can be retried");
    this.task = task;
  }

  public Task task() {
    return task;
  }
}
