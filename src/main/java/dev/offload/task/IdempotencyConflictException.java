package dev.offload.task;

import java.util.UUID;

/**
 * An idempotency key reused with a different request. Keys are scoped per owner, so the task
 * holding it is always the caller's own.
 */
public class IdempotencyConflictException extends RuntimeException {
  private final UUID existing;

  public IdempotencyConflictException(String key, UUID existing) {
    super("Idempotency-Key '" + key + "' was already used for task " + existing
        + " with a different request");
    this.existing = existing;
  }

  public UUID existing() {
    return existing;
  }
}
