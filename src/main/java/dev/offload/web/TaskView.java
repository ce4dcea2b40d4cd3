package dev.offload.web;

import dev.offload.outbound.Urls;
import dev.offload.task.Delivery;
import dev.offload.task.Task;
import jakarta.json.bind.annotation.JsonbTypeSerializer;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * A task as clients see it, its fields in the order they are written ({@link
 * TaskViewSerializer}). Every URL in it carries the context path. {@code input} and {@code
 * result} are the stored JSON texts, streamed into the answer as they are written (never held
 * as a parsed tree); a summary leaves both out.
 *
 * @param full whether {@code input} and {@code result} are part of the view
 * @param callback where the task's end is announced and how far that got; null without one
 * @param waitingFor why a pending task waits when it is not for its turn or its due time (no
 *     running instance runs its type); null otherwise, and then left out of the JSON
 */
@JsonbTypeSerializer(TaskViewSerializer.class)
public record TaskView(
    String id,
    String type,
    String owner,
    String status,
    String priority,
    boolean full,
    String input,
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
    String result,
    ErrorView error,
    String retryOf,
    CallbackView callback,
    String waitingFor,
    Links links) {

  /**
   * Views are compared by identity: JSON-B's recursion check puts every object it writes in a
   * hash set, and a record's own hash code would hash every string of the view on every write
   * (the submit benchmark's profile showed it). Nothing else compares views.
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

  /** The callback as it may be shown: its URL (secret-looking query values masked), never the
   * secret. */
  public record CallbackView(String url, DeliveryView delivery) {}

  /**
   * @param nextAttemptAt when the delivery is due (the task's end for the first attempt); null
   *     while the task runs and once the delivery ended
   */
  public record DeliveryView(String state, int attempts, ErrorView lastError,
      String nextAttemptAt, String deliveredAt) {}

  public record Links(String self, String events) {}

  /** The complete view: input (as it may be shown) and result included. */
  static TaskView of(Task t, String contextPath) {
    return of(t, contextPath, true, null);
  }

  /** The complete view, saying why the task waits. */
  static TaskView of(Task t, String contextPath, String waitingFor) {
    return of(t, contextPath, true, waitingFor);
  }

  /** A list item: everything but input and result. */
  static TaskView summary(Task t, String contextPath) {
    return of(t, contextPath, false, null);
  }

  private static TaskView of(Task t, String contextPath, boolean full, String waitingFor) {
    String self = TaskPaths.task(contextPath, t.id());
    return new TaskView(
        t.id().toString(),
        t.type(),
        t.owner(),
        t.status().wire(),
        t.priority().wire(),
        full,
        full ? t.spec().visibleInput() : null,
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
        full ? t.result() : null,
        t.error() == null ? null : new ErrorView(t.error().type(), t.error().message()),
        t.retryOf() == null ? null : t.retryOf().toString(),
        callback(t),
        waitingFor,
        new Links(self, self + "/events"));
  }

  private static CallbackView callback(Task t) {
    if (t.callback() == null) {
      return null;
    }
    Delivery d = t.delivery();
    return new CallbackView(Urls.maskQuery(t.callback().url()), new DeliveryView(
        d.state().wire(),
        d.attempts(),
        d.lastError() == null ? null
            : new ErrorView(d.lastError().type(), d.lastError().message()),
        time(Task.instant(t.deliveryDueAtMillis())),
        time(d.deliveredAt())));
  }

  private static String time(Instant i) {
    return i == null ? null : DateTimeFormatter.ISO_INSTANT.format(i);
  }
}
