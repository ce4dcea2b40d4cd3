package dev.offload.web.metrics;

import dev.offload.engine.TaskEvents;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * What happens to tasks on this instance, counted: the engine tells it through {@link
 * TaskEvents}. Every meter is registered up front for each type this instance offers and for
 * {@value #UNKNOWN}, so a series exists (at 0) before its first event, and an event finds its
 * meters with one map lookup (the submit path is measured in requests per second).
 *
 * <p>The {@code type} label is bounded: a type this instance does not offer (whatever a client
 * wrote in a refused submission) is counted as {@value #UNKNOWN}, never as a label value of its
 * own. There is no owner label: owners are unbounded.
 */
final class TaskMetrics implements TaskEvents {
  /** The one label value of every type this instance does not offer. */
  static final String UNKNOWN = "unknown";

  /** From a few milliseconds to the longest timeout a task may ask for (an hour). */
  static final Duration[] TASK_BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)};

  /** The meters of one type label. */
  private record PerType(
      Counter submitted,
      Map<Refusal, Counter> refused,
      Counter started,
      Counter success,
      Counter failed,
      Counter canceled,
      Counter retries,
      Counter timeouts,
      Timer runTime,
      Timer queueWait) {}

  private final Map<String, PerType> byType;
  private final PerType unknown;

  TaskMetrics(MeterRegistry registry, Collection<String> types) {
    TreeSet<String> labels = new TreeSet<>(types);
    labels.add(UNKNOWN);
    Map<String, PerType> meters = new HashMap<>();
    for (String type : labels) {
      meters.put(type, register(registry, type));
    }
    this.byType = Map.copyOf(meters);
    this.unknown = byType.get(UNKNOWN);
  }

  /** The meters of {@code type}: its own when this instance offers it, else {@value #UNKNOWN}'s. */
  private PerType of(String type) {
    PerType p = type == null ? null : byType.get(type);
    return p != null ? p : unknown;
  }

  private static PerType register(MeterRegistry r, String type) {
    Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
    for (Refusal why : Refusal.values()) {
      refused.put(why, Counter.builder("offload.tasks.refused")
          .description("Submissions refused before they became a task, by reason")
          .tags("type", type, "reason", why.name().toLowerCase(Locale.ROOT))
          .register(r));
    }
    return new PerType(
        Counter.builder("offload.tasks.submitted")
            .description("Tasks accepted (idempotent replays not counted)")
            .tag("type", type).register(r),
        refused,
        Counter.builder("offload.tasks.started")
            .description("Attempts started on this instance (a retried task counts each)")
            .tag("type", type).register(r),
        finished(r, type, TaskStatus.SUCCESS),
        finished(r, type, TaskStatus.FAILED),
        finished(r, type, TaskStatus.CANCELED),
        Counter.builder("offload.task.retries")
            .description("Failed attempts followed by another attempt")
            .tag("type", type).register(r),
        Counter.builder("offload.task.timeouts")
            .description("Attempts that ran past their timeout")
            .tag("type", type).register(r),
        Timer.builder("offload.attempt.duration")
            .description("Run time of attempts that ended on this instance")
            .tag("type", type).serviceLevelObjectives(TASK_BUCKETS).register(r),
        Timer.builder("offload.queue.wait")
            .description("From when an attempt was due to when it started")
            .tag("type", type).serviceLevelObjectives(TASK_BUCKETS).register(r));
  }

  private static Counter finished(MeterRegistry r, String type, TaskStatus status) {
    return Counter.builder("offload.tasks.finished")
        .description("Tasks that reached a final status through this instance")
        .tags("type", type, "status", status.wire())
        .register(r);
  }

  @Override
  public void submitted(Task task) {
    of(task.type()).submitted.increment();
  }

  @Override
  public void refused(String type, Refusal why) {
    of(type).refused.get(why).increment();
  }

  @Override
  public void started(Task running, Duration queueWait) {
    PerType p = of(running.type());
    p.started.increment();
    if (queueWait != null) {
      p.queueWait.record(queueWait);
    }
  }

  @Override
  public void attemptEnded(Task attempt, Task next, Duration runTime) {
    PerType p = of(attempt.type());
    p.runTime.record(runTime);
    // A retry keeps the attempt count; a hand-back (a durable store's graceful stop) takes the
    // attempt back and is neither a retry nor an end.
    boolean retry = next.status() == TaskStatus.PENDING && next.attempts() == attempt.attempts();
    if (retry) {
      p.retries.increment();
    }
    if (next.status() == TaskStatus.SUCCESS) {
      p.success.increment();
    } else if (next.status() == TaskStatus.FAILED) {
      p.failed.increment();
    }
    TaskError error = next.error();
    if ((retry || next.status() == TaskStatus.FAILED) && error != null
        && TaskError.TIMEOUT.equals(error.type())) {
      p.timeouts.increment();
    }
  }

  @Override
  public void canceled(Task canceled) {
    of(canceled.type()).canceled.increment();
  }
}
