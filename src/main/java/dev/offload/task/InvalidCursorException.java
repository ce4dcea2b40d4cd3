package dev.offload.task;

/** A list cursor that this store did not hand out. */
public class InvalidCursorException extends RuntimeException {
  public InvalidCursorException(String cursor) {
    super("invalid cursor '" + cursor + "'");
  }
}
