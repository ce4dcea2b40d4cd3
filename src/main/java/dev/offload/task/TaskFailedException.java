package dev.offload.task;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Thrown by a handler to fail an attempt with an error type of its own choosing, and optionally
 * to steer what happens next: {@link #permanent} is never retried, {@link #retryAfter} is retried
 * no sooner than the given delay. The plain constructor keeps the engine's usual policy: retried
 * with backoff while the task has attempts left.
 */
public class TaskFailedException extends Exception {
  private final String type;
  private final boolean retryable;
  private final Duration retryAfter;

  public TaskFailedException(String type, String message) {
    this(type, message, true, null);
  }

  private TaskFailedException(String type, String message, boolean retryable,
      Duration retryAfter) {
    super(message);
    this.type = type;
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }

  /**
   * A failure that another attempt cannot fix (a 404, a refused address, a rejected recipient):
   * the task ends {@code failed} even with attempts left.
   */
  public static TaskFailedException permanent(String type, String message) {
    return new TaskFailedException(type, message, false, null);
  }

  /**
   * A failure worth another attempt, but not before {@code after} (a server's Retry-After).
   * The engine waits the longer of this and its own backoff, and caps it at its longest delay.
   */
  public static TaskFailedException retryAfter(String type, String message, Duration after) {
    Objects.requireNonNull(after, "after");
    return new TaskFailedException(type, message, true, after.isNegative() ? Duration.ZERO : after);
  }

  public String type() {
    return type;
  }

  /** False for a {@link #permanent} failure. */
  public boolean retryable() {
    return retryable;
  }

  /** The earliest the next attempt may start, from now, when the handler named one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
