package dev.offload.task;

/**
 * Why an attempt failed. {@code type} is a short machine-readable word ({@code timeout},
 * {@code shutdown}, {@code lease-expired}, or the simple class name of what the handler threw);
 * {@code message} is for people. Never a stack trace.
 */
public record TaskError(String type, String message) {

  public static final String TIMEOUT = "timeout";
  public static final String SHUTDOWN = "shutdown";
  public static final String LEASE_EXPIRED = "lease-expired";

  public static TaskError of(Throwable t) {
    if (t instanceof TaskFailedException f) {
      return new TaskError(f.type(), f.getMessage());
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new TaskError(t.getClass().getSimpleName(), message);
  }
}
