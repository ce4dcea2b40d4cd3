package dev.offload.engine;

import dev.offload.task.Callback;
import dev.offload.task.Priority;
import dev.offload.task.Task;

/**
 * A task as a client asked for it, before validation. Null fields take the server's defaults.
 *
 * @param owner who asks (the authenticated principal); the task will be theirs
 * @param input the input as JSON text (the engine binds it to the handler's input type)
 * @param callback where to announce the task's end, or null (the engine checks it)
 */
public record SubmitRequest(
    String owner,
    String type,
    String input,
    Priority priority,
    Long timeoutSeconds,
    Long maxAttempts,
    Long delaySeconds,
    Long resultTtlSeconds,
    String idempotencyKey,
    Callback callback) {

  public SubmitRequest {
    if (owner == null || owner.isEmpty()) {
      throw new IllegalArgumentException("a task needs an owner");
    }
  }

  /** A request without a callback. */
  public SubmitRequest(String owner, String type, String input, Priority priority,
      Long timeoutSeconds, Long maxAttempts, Long delaySeconds, Long resultTtlSeconds,
      String idempotencyKey) {
    this(owner, type, input, priority, timeoutSeconds, maxAttempts, delaySeconds,
        resultTtlSeconds, idempotencyKey, null);
  }

  /** The same request, announcing its end to {@code callback}. */
  public SubmitRequest withCallback(Callback callback) {
    return new SubmitRequest(owner, type, input, priority, timeoutSeconds, maxAttempts,
        delaySeconds, resultTtlSeconds, idempotencyKey, callback);
  }

  /** A request of the {@link Task#ANONYMOUS} owner. */
  public SubmitRequest(String type, String input, Priority priority, Long timeoutSeconds,
      Long maxAttempts, Long delaySeconds, Long resultTtlSeconds, String idempotencyKey) {
    this(Task.ANONYMOUS, type, input, priority, timeoutSeconds, maxAttempts, delaySeconds,
        resultTtlSeconds, idempotencyKey, null);
  }
}
