package dev.offload.engine;

import dev.offload.task.Priority;
import jakarta.json.JsonValue;

/**
 * A task as a client asked for it, before validation. Null fields take the server's defaults.
 *
 * @param input the input as JSON text (the engine binds it to the handler's input type)
 * @param parsedInput the same input as a tree when the caller parsed it already, else null; a
 *     handler whose input type is a JSON tree then takes it as it is, without a second parse
 */
public record SubmitRequest(
    String type,
    String input,
    Priority priority,
    Long timeoutSeconds,
    Long maxAttempts,
    Long delaySeconds,
    Long resultTtlSeconds,
    String idempotencyKey,
    JsonValue parsedInput) {

  public SubmitRequest(String type, String input, Priority priority, Long timeoutSeconds,
      Long maxAttempts, Long delaySeconds, Long resultTtlSeconds, String idempotencyKey) {
    this(type, input, priority, timeoutSeconds, maxAttempts, delaySeconds, resultTtlSeconds,
        idempotencyKey, null);
  }
}
