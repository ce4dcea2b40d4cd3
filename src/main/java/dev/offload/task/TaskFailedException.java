package dev.offload.task;

/** Thrown by a handler to fail an attempt with an error type of its own choosing. */
public class TaskFailedException extends Exception {
  private final String type;

  public TaskFailedException(String type, String message) {
    super(message);
    this.type = type;
  }

  public String type() {
    return type;
  }
}
