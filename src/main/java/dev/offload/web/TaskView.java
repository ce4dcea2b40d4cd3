package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Task;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** A task as clients see it. Every URL in it carries the context path. */
@JsonbPropertyOrder({
  "id", "type", "status", "priority", "input", "progress", "attempts", "maxAttempts",
  "timeoutSeconds", "resultTtlSeconds", "createdAt", "startedAt", "finishedAt", "nextAttemptAt",
  "expiresAt", "result", "error", "links"
})
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

  @JsonbPropertyOrder({"percent", "message"})
  public record ProgressView(int percent, String message) {}

  @JsonbPropertyOrder({"type", "message"})
  public record ErrorView(String type, String message) {}

  @JsonbPropertyOrder({"self", "events"})
  public record Links(String self, String events) {}

  static TaskView of(Task t, String contextPath, JsonCodec json) {
    String self = TaskPaths.task(contextPath, t.id());
    return new TaskView(
        t.id().toString(),
        t.type(),
        t.status().wire(),
        t.priority().wire(),
        t.input() == null ? JsonValue.NULL : json.parse(t.input()),
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
