package dev.offload.task;


/** A cancel of a task that has already ended. */
public class AlreadyFinishedException extends RuntimeException {
  private final Task task;

  public AlreadyFinishedException(Task task) {
    super("task " + task.id() + " has already finished: " + task.status().wire());
    this.task = task;
  }

  public Task task() {
    return task;
  }
}
