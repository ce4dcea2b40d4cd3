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
      // A handler may leave either out; clients are promised both (the task view's error has
      // a type and a message), so the class name and the type stand in.
      String type = f.type() == null || f.type().isBlank() ? t.getClass().getSimpleName()
          : f.type();
      return new TaskError(type, f.getMessage() == null ? type : f.getMessage());
    }
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new TaskError(t.getClass().getSimpleName(), message);
  }
}
