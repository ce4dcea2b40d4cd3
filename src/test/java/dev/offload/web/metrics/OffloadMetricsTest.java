package dev.offload.web.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.offload.engine.Health;
import dev.offload.engine.TaskEvents;
import dev.offload.engine.TaskEvents.Refusal;
import dev.offload.store.TaskStore;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.Priority;
import dev.offload.task.StoreUnavailableException;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.testing.Promtool;
import dev.offload.testing.Scrape;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OffloadMetricsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final OffloadMetrics metrics = new OffloadMetrics(List.of("sleep", "noop"));
  private final TaskEvents events = metrics.events();

  @AfterEach
  void close() {
    metrics.close();
  }

  private static Task pending(String type, int maxAttempts) {
    Task.Spec spec = new Task.Spec(UUID.randomUUID(), type, "alice", Priority.NORMAL, "{}",
        null, 2, new Task.Limits(maxAttempts, 60, 60), T0.toEpochMilli(), null, "f", null);
    return Task.pending(spec, T0);
  }

  private Scrape scrape() {
    return new Scrape(metrics.scrape());
  }

  @Test
  void aTypeThisInstanceDoesNotOfferIsOneUnknownLabelValueWhateverTheClientWrote() {
    for (int i = 0; i < 1_000; i++) {
      events.refused("no-such-type-" + i, Refusal.INVALID);
    }
    events.refused(null, Refusal.INVALID);
    events.refused("sleep\"} 1\nfake_metric 2", Refusal.INVALID);
    events.refused("sleep", Refusal.QUEUE_FULL);
    events.submitted(pending("retired-type", 1)); // a shared store's type offered elsewhere

    Scrape s = scrape();
    assertThat(s.labelValues("offload_", "type")).containsExactly("noop", "sleep", "unknown");
    assertThat(s.value("offload_tasks_refused_total", "type", "unknown", "reason", "invalid"))
        .isEqualTo(1_002);
    assertThat(s.value("offload_tasks_refused_total", "type", "sleep", "reason", "queue_full"))
        .isEqualTo(1);
    assertThat(s.value("offload_tasks_submitted_total", "type", "unknown")).isEqualTo(1);
    assertThat(s.has("fake_metric")).isFalse();
    assertThat(s.labelValues("offload_", "owner")).isEmpty();
  }

  @Test
  void everyMeterExistsAtZeroBeforeItsFirstEvent() {
    Scrape s = scrape();
    for (String type : List.of("sleep", "noop", "unknown")) {
      assertThat(s.value("offload_tasks_submitted_total", "type", type)).isZero();
      for (Refusal why : Refusal.values()) {
        assertThat(s.value("offload_tasks_refused_total", "type", type, "reason",
            why.name().toLowerCase(java.util.Locale.ROOT))).isZero();
      }
      for (String status : List.of("success", "failed", "canceled")) {
        assertThat(s.value("offload_tasks_finished_total", "type", type, "status", status))
            .isZero();
      }
      assertThat(s.value("offload_attempt_duration_seconds_count", "type", type)).isZero();
      assertThat(s.value("offload_queue_wait_seconds_count", "type", type)).isZero();
    }
  }

  @Test
  void anAttemptsEndIsARetryAFinishAHandBackOrATimeout() {
    Task first = pending("sleep", 3).started(T0.plusMillis(40));
    events.started(first, Duration.ofMillis(40));
    Task retry = first.retrying(new TaskError(TaskError.TIMEOUT, "too slow"), T0.plusSeconds(2));
    events.attemptEnded(first, retry, Duration.ofMillis(1_500));
    Task second = retry.started(T0.plusSeconds(2));
    events.started(second, Duration.ZERO);
    // A durable store's graceful stop: back to the queue, the attempt taken back.
    Task handedBack = second.handedBack(T0.plusSeconds(3));
    events.attemptEnded(second, handedBack, Duration.ofSeconds(1));
    Task third = handedBack.started(T0.plusSeconds(4));
    events.attemptEnded(third, third.failed(new TaskError("boom", "no"), T0.plusSeconds(5)),
        Duration.ofSeconds(1));
    Task other = pending("noop", 1).started(T0);
    events.attemptEnded(other, other.succeeded("1", T0.plusMillis(3)), Duration.ofMillis(3));
    events.canceled(pending("noop", 1));

    Scrape s = scrape();
    assertThat(s.value("offload_tasks_started_total", "type", "sleep")).isEqualTo(2);
    assertThat(s.value("offload_task_retries_total", "type", "sleep")).isEqualTo(1);
    assertThat(s.value("offload_task_timeouts_total", "type", "sleep")).isEqualTo(1);
    assertThat(s.value("offload_tasks_finished_total", "type", "sleep", "status", "failed"))
        .isEqualTo(1);
    assertThat(s.value("offload_tasks_finished_total", "type", "noop", "status", "success"))
        .isEqualTo(1);
    assertThat(s.value("offload_tasks_finished_total", "type", "noop", "status", "canceled"))
        .isEqualTo(1);
    assertThat(s.value("offload_attempt_duration_seconds_count", "type", "sleep")).isEqualTo(3);
    assertThat(s.value("offload_attempt_duration_seconds_sum", "type", "sleep")).isEqualTo(3.5);
    assertThat(s.value("offload_attempt_duration_seconds_bucket", "type", "sleep", "le", "1.0"))
        .isEqualTo(2);
    assertThat(s.value("offload_queue_wait_seconds_bucket", "type", "sleep", "le", "0.05"))
        .isEqualTo(2);
    assertThat(s.value("offload_queue_wait_seconds_bucket", "type", "sleep", "le", "0.01"))
        .isEqualTo(1);
  }

  @Test
  void gaugesReadTheEnginesHealthOncePerScrape() {
    AtomicInteger reads = new AtomicInteger();
    Health up = new Health(Health.UP, "memory", 1, 4, 7, 10, 2, 30, 700, 9_000, 3,
        new Health.Limits(Long.MAX_VALUE, 5, 500), java.util.Map.of());
    metrics.engine(() -> {
      reads.incrementAndGet();
      return up;
    });
    metrics.waits(() -> 2, () -> 1, 100);

    Scrape s = scrape();
    assertThat(reads).hasValue(1);
    assertThat(s.value("offload_queue_depth")).isEqualTo(7);
    assertThat(s.value("offload_queue_capacity")).isEqualTo(10);
    assertThat(s.value("offload_queue_bytes")).isEqualTo(700);
    assertThat(s.value("offload_queue_capacity_bytes")).isInfinite();
    assertThat(s.value("offload_queue_owners")).isEqualTo(3);
    assertThat(s.value("offload_tasks_running")).isEqualTo(2);
    assertThat(s.value("offload_workers_busy")).isEqualTo(1);
    assertThat(s.value("offload_workers")).isEqualTo(4);
    assertThat(s.value("offload_tasks_retained")).isEqualTo(30);
    assertThat(s.value("offload_retained_bytes")).isEqualTo(9_000);
    assertThat(s.value("offload_waits_open", "kind", "poll")).isEqualTo(2);
    assertThat(s.value("offload_waits_open", "kind", "stream")).isEqualTo(1);
    assertThat(s.value("offload_waits_max")).isEqualTo(100);
    assertThat(s.text()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads",
        "jvm_gc_");
  }

  @Test
  void aFigureTheStoreCouldNotGiveIsNaNNotMinusOne() {
    metrics.engine(() -> new Health(Health.STORE_UNAVAILABLE, "postgres", 0, 4, -1, 10, 0, -1,
        -1, -1, -1, new Health.Limits(1_000, 5, 500), java.util.Map.of()));
    Scrape s = scrape();
    assertThat(s.value("offload_queue_depth")).isNaN();
    assertThat(s.value("offload_tasks_retained")).isNaN();
    assertThat(s.value("offload_queue_capacity")).isEqualTo(10);
    assertThat(s.value("offload_queue_capacity_bytes")).isEqualTo(1_000);
  }

  @Test
  void theTimedStoreOverridesEveryMethodOfTheStoreDefaultOnesToo() {
    for (Method m : TaskStore.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      assertThat(Arrays.stream(TimedTaskStore.class.getDeclaredMethods())
          .anyMatch(d -> d.getName().equals(m.getName())
              && Arrays.equals(d.getParameterTypes(), m.getParameterTypes())))
          .as("TimedTaskStore passes %s through", m).isTrue();
    }
  }

  @Test
  void theTimedStorePassesCallsThroughAndCountsFailuresButNotAnswers() {
    TaskStore store = mock(TaskStore.class);
    TaskStore timed = metrics.timed(store);
    Task t = pending("sleep", 1);
    when(store.insert(t)).thenThrow(new LimitExceededException(Limit.QUEUE_TASKS, 10));
    when(store.stats()).thenThrow(new StoreUnavailableException("down", null));
    when(store.durable()).thenReturn(true);
    when(store.name()).thenReturn("postgres");

    assertThatThrownBy(() -> timed.insert(t)).isInstanceOf(LimitExceededException.class);
    assertThatThrownBy(timed::stats).isInstanceOf(StoreUnavailableException.class);
    timed.claim("i", T0, T0, 5); // the store's own claim without types, not the default
    timed.renewLeases("i", List.of(), T0);
    assertThat(timed.durable()).isTrue();
    assertThat(timed.name()).isEqualTo("postgres");
    timed.close();

    verify(store).claim("i", T0, T0, 5);
    verify(store).renewLeases("i", List.of(), T0);
    verify(store).close();
    Scrape s = scrape();
    assertThat(s.value("offload_store_call_duration_seconds_count", "operation", "insert"))
        .isEqualTo(1);
    assertThat(s.value("offload_store_errors_total", "operation", "insert")).isZero();
    assertThat(s.value("offload_store_errors_total", "operation", "stats")).isEqualTo(1);
    assertThat(s.value("offload_store_call_duration_seconds_count", "operation", "claim"))
        .isEqualTo(1);
    assertThat(s.value("offload_store_call_duration_seconds_count", "operation",
        "renew_leases")).isEqualTo(1);
  }

  @Test
  void theScrapeIsValidPrometheusTextAsPromtoolReadsIt() {
    Promtool.require();
    metrics.engine(() -> new Health(Health.UP, "memory", 0, 2, 0, 10, 0, 0, 0, 0, 0,
        new Health.Limits(1_000, 5, 500), java.util.Map.of()));
    metrics.waits(() -> 0, () -> 0, 100);
    Task t = pending("sleep", 1).started(T0);
    events.started(t, Duration.ofMillis(3));
    events.attemptEnded(t, t.succeeded("1", T0), Duration.ofMillis(20));
    metrics.timed(mock(TaskStore.class)).get(UUID.randomUUID());

    Promtool.Result r = Promtool.checkMetrics(metrics.scrape());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).isBlank();
  }

  @Test
  void theListenersReconnectsAreReadAfterAGarbageCollectionToo() {
    AtomicInteger reconnects = new AtomicInteger(3);
    // A method reference nobody else holds: a meter holding it weakly would lose it.
    metrics.listenerReconnects(reconnects::get);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    reconnects.incrementAndGet();
    assertThat(scrape().value("offload_pg_listener_reconnects_total")).isEqualTo(4);
  }

  @Test
  void closingTwiceIsSafe() {
    metrics.close();
    metrics.close();
  }
}
