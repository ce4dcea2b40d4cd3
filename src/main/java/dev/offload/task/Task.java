package dev.offload.task;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * An immutable snapshot of one task. Stores hand these out and take them in; every state change
 * makes a new one.
 *
 * <p>{@code input} and {@code result} are JSON texts, kept as compact strings: cheaper to retain
 * than a parsed tree, and what the database stores anyway.
 */
public record Task(
    UUID id,
    String type,
    Priority priority,
    String input,
    Limits limits,
    TaskStatus status,
    int attempts,
    Progress progress,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant nextAttemptAt,
    Instant expiresAt,
    String result,
    TaskError error,
    String idempotencyKey,
    String fingerprint) {

  /** Per-task limits, fixed at submission. */
  public record Limits(int maxAttempts, long timeoutSeconds, long resultTtlSeconds) {}

  /** A new pending task, due at {@code dueAt}. */
  public static Task pending(
      UUID id,
      String type,
      Priority priority,
      String input,
      Limits limits,
      Instant now,
      Instant dueAt,
      String idempotencyKey,
      String fingerprint) {
    return new Task(
        id, type, priority, input, limits, TaskStatus.PENDING, 0, null, now, null, null, dueAt,
        null, null, null, idempotencyKey, fingerprint);
  }

  public boolean isTerminal() {
    return status.isTerminal();
  }

  /** Claimed by a worker: the next attempt starts. */
  public Task started(Instant now) {
    requireStatus(TaskStatus.PENDING);
    return new Task(
        id, type, priority, input, limits, TaskStatus.RUNNING, attempts + 1, null, createdAt, now,
        null, null, null, null, error, idempotencyKey, fingerprint);
  }

  public Task withProgress(Progress p) {
    requireStatus(TaskStatus.RUNNING);
    return new Task(
        id, type, priority, input, limits, status, attempts, p, createdAt, startedAt, finishedAt,
        nextAttemptAt, expiresAt, result, error, idempotencyKey, fingerprint);
  }

  public Task succeeded(String resultJson, Instant now) {
    requireStatus(TaskStatus.RUNNING);
    return new Task(
        id, type, priority, input, limits, TaskStatus.SUCCESS, attempts, progress, createdAt,
        startedAt, now, null, expiry(now), resultJson, null, idempotencyKey, fingerprint);
  }

  public Task failed(TaskError e, Instant now) {
    return new Task(
        id, type, priority, input, limits, TaskStatus.FAILED, attempts, progress, createdAt,
        startedAt, now, null, expiry(now), null, e, idempotencyKey, fingerprint);
  }

  /** Back to pending after a failed attempt; {@code attempts} keeps counting. */
  public Task retrying(TaskError e, Instant dueAt) {
    requireStatus(TaskStatus.RUNNING);
    return new Task(
        id, type, priority, input, limits, TaskStatus.PENDING, attempts, progress, createdAt,
        startedAt, null, dueAt, null, null, e, idempotencyKey, fingerprint);
  }

  /** Handed back to the queue without counting the attempt (graceful stop of a durable store). */
  public Task handedBack(Instant now) {
    requireStatus(TaskStatus.RUNNING);
    return new Task(
        id, type, priority, input, limits, TaskStatus.PENDING, attempts - 1, null, createdAt,
        startedAt, null, now, null, null, error, idempotencyKey, fingerprint);
  }

  public Task canceled(Instant now) {
    if (isTerminal()) {
      throw new IllegalStateException("task " + id + " is already " + status.wire());
    }
    return new Task(
        id, type, priority, input, limits, TaskStatus.CANCELED, attempts, progress, createdAt,
        startedAt, now, null, expiry(now), null, null, idempotencyKey, fingerprint);
  }

  /** Whether another attempt is allowed after the current one fails. */
  public boolean hasAttemptsLeft() {
    return attempts < limits.maxAttempts();
  }

  private Instant expiry(Instant now) {
    return now.plus(Duration.ofSeconds(limits.resultTtlSeconds()));
  }

  private void requireStatus(TaskStatus expected) {
    if (status != expected) {
      throw new IllegalStateException(
          "task " + id + " is " + status.wire() + ", expected " + expected.wire());
    }
  }
}
