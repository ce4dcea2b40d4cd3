package dev.offload.task;

/** A task input that its handler refuses; reported to the client as 422 at submission. */
public class InvalidInputException extends Exception {
  public InvalidInputException(String message) {
    super(message);
  }
}
