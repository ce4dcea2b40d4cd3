package dev.offload.task;

/** The store cannot be reached (a database outage); the caller may try again later. */
public class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
