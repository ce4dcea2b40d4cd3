package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Task;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbTypeSerializer;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * A task as clients see it, its fields in the order they are written ({@link
 * TaskViewSerializer}). Every URL in it carries the context path.
 */
@JsonbTypeSerializer(TaskViewSerializer.class)
public record TaskView(
    String id,
    String type,
    String status,
    String priority,
    JsonValue input,
    ProgressView progress,
    int attempts,
    int maxAttempts,
    long timeoutSeconds,
    long resultTtlSeconds,
    String createdAt,
    String startedAt,
    String finishedAt,
    String nextAttemptAt,
    String expiresAt,
    JsonValue result,
    ErrorView error,
    Links links) {

  /**
   * Views are compared by identity: JSON-B's recursion check puts every object it writes in a
   * hash set, and a record's own hash code would walk the whole input and result trees each time.
   */
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  public record ProgressView(int percent, String message) {}

  public record ErrorView(String type, String message) {}

  public record Links(String self, String events) {}

  static TaskView of(Task t, String contextPath, JsonCodec json) {
    return of(t, contextPath, json, input(t, json));
  }

  /** The task's input as a tree. */
  static JsonValue input(Task t, JsonCodec json) {
    return t.input() == null ? JsonValue.NULL : json.parse(t.input());
  }

  /** @param input the task's input as a tree ({@link #input}) */
  static TaskView of(Task t, String contextPath, JsonCodec json, JsonValue input) {
    String self = TaskPaths.task(contextPath, t.id());
    return new TaskView(
        t.id().toString(),
        t.type(),
        t.status().wire(),
        t.priority().wire(),
        input,
        t.progress() == null ? null
            : new ProgressView(t.progress().percent(), t.progress().message()),
        t.attempts(),
        t.limits().maxAttempts(),
        t.limits().timeoutSeconds(),
        t.limits().resultTtlSeconds(),
        time(t.createdAt()),
        time(t.startedAt()),
        time(t.finishedAt()),
        time(t.nextAttemptAt()),
        time(t.expiresAt()),
        t.result() == null ? null : json.parse(t.result()),
        t.error() == null ? null : new ErrorView(t.error().type(), t.error().message()),
        new Links(self, self + "/events"));
  }

  private static String time(Instant i) {
    return i == null ? null : DateTimeFormatter.ISO_INSTANT.format(i);
  }
}
