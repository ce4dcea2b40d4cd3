package dev.offload.engine;

import dev.offload.task.Priority;

/**
 * A task as a client asked for it, before validation. Null fields take the server's defaults.
 *
 * @param input the input as JSON text (the engine binds it to the handler's input type)
 */
public record SubmitRequest(
    String type,
    String input,
    Priority priority,
    Long timeoutSeconds,
    Long maxAttempts,
    Long delaySeconds,
    Long resultTtlSeconds,
    String idempotencyKey) {}
