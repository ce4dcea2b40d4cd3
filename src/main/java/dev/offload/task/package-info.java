/**
 * Offload's vocabulary, and the handler SPI: what a task type is written against.
 *
 * <p>This package is also published on its own, as {@code dev.offload:offload:<version>:jar:api}
 * (with {@code api-sources}), for task types built outside the WAR and loaded from {@code
 * offload.handlers.dir}; it depends on the JDK alone. A handler author needs four of its types:
 * {@link dev.offload.task.TaskHandler} (implement it), {@link dev.offload.task.TaskContext}
 * (progress, the attempt, interrupts), {@link dev.offload.task.InvalidInputException} (refuse an
 * input with a 422) and {@link dev.offload.task.TaskFailedException} (fail an attempt with an
 * error type of your own, permanently or retried later).
 *
 * <p>The rest is the engine's and the stores' vocabulary, here because both sides of Offload
 * share it: the task snapshot ({@code Task}, {@code TaskStatus}, {@code Priority}, {@code
 * Progress}, {@code TaskError}), listing ({@code TaskQuery}, {@code TaskPage}) and the refusals
 * a store reports ({@code LimitExceededException}, {@code Limit}, {@code
 * AlreadyFinishedException}, {@code IdempotencyConflictException}, {@code
 * InvalidCursorException}, {@code StoreUnavailableException}), and {@code Utf8}. A handler never
 * receives or needs them.
 */
package dev.offload.task;
