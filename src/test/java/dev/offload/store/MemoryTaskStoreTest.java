package dev.offload.store;

import dev.offload.testing.Tasks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.task.Callback;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.LimitExceededException;
import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What only the memory store promises: its bounds. The shared behaviour is in the contract. */
class MemoryTaskStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Task task(long ttl) {
    return Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, ttl), T0, T0, null, null);
  }

  private static Task finish(MemoryTaskStore store, Task t, Instant at) {
    store.insert(t);
    Task running = store.claim("me", at, at.plusSeconds(30), 1).get(0);
    assertThat(running.id()).isEqualTo(t.id());
    return store.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", at)).orElseThrow();
  }

  @Test
  void theRetainedCapEvictsTheOldestFinishedFirstAndNeverPendingOrRunning() {
    MemoryTaskStore store = new MemoryTaskStore(100, 3);
    Task running = task(3600);
    Task a = task(3600);
    Task b = task(3600);
    Task c = task(3600);
    Task d = task(3600);
    finish(store, a, T0.plusSeconds(1));
    finish(store, b, T0.plusSeconds(2));
    store.insert(running);
    store.claim("me", T0, T0.plusSeconds(30), 1);
    Task pending = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0.plusSeconds(3600), null, null); // not due yet
    store.insert(pending);
    finish(store, c, T0.plusSeconds(3));
    assertThat(store.get(a.id())).isPresent();
    finish(store, d, T0.plusSeconds(4));
    assertThat(store.get(a.id())).isEmpty();
    assertThat(store.get(b.id())).isPresent();
    assertThat(store.get(running.id()).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(store.get(pending.id()).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(1, 1, 3));
  }

  @Test
  void sweepRemovesOnlyExpiredEntriesInBoundedBatches() {
    MemoryTaskStore store = new MemoryTaskStore(100, 100);
    List<Task> shortLived = List.of(task(10), task(10), task(10));
    shortLived.forEach(t -> finish(store, t, T0));
    Task longLived = task(100);
    finish(store, longLived, T0);
    assertThat(store.sweep(T0.plusSeconds(9), 10)).isZero();
    assertThat(store.sweep(T0.plusSeconds(10), 2)).isEqualTo(2);
    assertThat(store.sweep(T0.plusSeconds(10), 2)).isEqualTo(1);
    assertThat(store.sweep(T0.plusSeconds(10), 2)).isZero();
    assertThat(store.get(longLived.id())).isPresent();
    assertThat(store.stats().finished()).isEqualTo(1);
  }

  @Test
  void tasksOfManyTtlsAreSweptInTheOrderTheyExpireAndTheCapStillTakesTheOldestFinished() {
    MemoryTaskStore store = new MemoryTaskStore(100, 5);
    // Finished one second apart; expiries: a 1+50, b 2+5, c 3+20, d 4+5, e 5+50.
    Task a = task(50);
    Task b = task(5);
    Task c = task(20);
    Task d = task(5);
    Task e = task(50);
    finish(store, a, T0.plusSeconds(1));
    finish(store, b, T0.plusSeconds(2));
    finish(store, c, T0.plusSeconds(3));
    finish(store, d, T0.plusSeconds(4));
    finish(store, e, T0.plusSeconds(5));

    assertThat(store.sweep(T0.plusSeconds(6), 10)).isZero();
    assertThat(store.sweep(T0.plusSeconds(7), 10)).isEqualTo(1);
    assertThat(store.get(b.id())).isEmpty();
    assertThat(store.get(d.id())).isPresent();
    assertThat(store.sweep(T0.plusSeconds(23), 10)).isEqualTo(2);
    assertThat(store.get(c.id())).isEmpty();
    assertThat(store.get(d.id())).isEmpty();

    // The cap: 5 kept at most; a (the oldest finished, TTL 50) goes first, then e.
    Task f = task(20);
    Task g = task(5);
    Task h = task(50);
    Task i = task(50);
    finish(store, f, T0.plusSeconds(24));
    finish(store, g, T0.plusSeconds(25));
    finish(store, h, T0.plusSeconds(26));
    assertThat(store.get(a.id())).isPresent();
    finish(store, i, T0.plusSeconds(27));
    assertThat(store.get(a.id())).isEmpty();
    assertThat(store.get(e.id())).isPresent();
    assertThat(store.stats().finished()).isEqualTo(5);
    // g (25+5) first, then f (24+20), then e (5+50) with h (26+50) and i kept.
    assertThat(store.sweep(T0.plusSeconds(30), 10)).isEqualTo(1);
    assertThat(store.get(g.id())).isEmpty();
    assertThat(store.sweep(T0.plusSeconds(55), 10)).isEqualTo(2);
    assertThat(store.get(f.id())).isEmpty();
    assertThat(store.get(e.id())).isEmpty();
    assertThat(store.get(h.id())).isPresent();
    assertThat(store.get(i.id())).isPresent();
    assertThat(store.stats().finished()).isEqualTo(2);
  }

  @Test
  void owedCallbacksCountAgainstTheOwnersPendingLimitForTasksWithACallback() {
    MemoryTaskStore store = new MemoryTaskStore(
        new StoreLimits(100, Long.MAX_VALUE, 2, Long.MAX_VALUE, 100, Long.MAX_VALUE, true));
    Callback hook = new Callback("https://hooks.example/done", null);
    // Two of alice's tasks ended and their callbacks are owed (a receiver that never answers).
    for (int i = 0; i < 2; i++) {
      Task t = Tasks.withCallback(Tasks.pending(UUID.randomUUID(), "noop", "alice",
          Priority.NORMAL, "{}", new Task.Limits(1, 60, 3600), T0, T0, null, null), hook);
      finish(store, t, T0);
    }
    Task third = Tasks.withCallback(Tasks.pending(UUID.randomUUID(), "noop", "alice",
        Priority.NORMAL, "{}", new Task.Limits(1, 60, 3600), T0, T0, null, null), hook);
    assertThatThrownBy(() -> store.insert(third)).isInstanceOf(LimitExceededException.class)
        .satisfies(e -> assertThat(((LimitExceededException) e).limit())
            .isEqualTo(dev.offload.task.Limit.OWNER_TASKS));
    // Without a callback alice may still submit; bob is not held back by alice's callbacks.
    store.insert(Tasks.pending(UUID.randomUUID(), "noop", "alice", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, null, null));
    store.insert(Tasks.withCallback(Tasks.pending(UUID.randomUUID(), "noop", "bob",
        Priority.NORMAL, "{}", new Task.Limits(1, 60, 3600), T0, T0, null, null), hook));

    // One delivery ends: still one pending and one owed, the limit. Both end: room again.
    List<Task> claimed = store.claimDeliveries("d", T0, T0.plusSeconds(30), 2);
    assertThat(claimed).hasSize(2);
    store.recordDelivery(claimed.get(0), claimed.get(0).delivery().delivered(T0.plusSeconds(1)))
        .orElseThrow();
    assertThatThrownBy(() -> store.insert(third)).isInstanceOf(LimitExceededException.class);
    store.recordDelivery(claimed.get(1), claimed.get(1).delivery().delivered(T0.plusSeconds(1)))
        .orElseThrow();
    assertThat(store.insert(third).created()).isTrue();
  }

  @Test
  void aSweptIdempotencyKeyCanBeUsedAgain() {
    MemoryTaskStore store = new MemoryTaskStore(100, 100);
    Task first = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 5), T0, T0, "k", "f1");
    finish(store, first, T0);
    Task second = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 5), T0, T0, "k", "f2");
    assertThatThrownBy(() -> store.insert(second)).isInstanceOf(IdempotencyConflictException.class);
    store.sweep(T0.plusSeconds(5), 10);
    assertThat(store.insert(second).created()).isTrue();
  }

  @Test
  void aRetryDoesNotCountAgainstCapacityTwiceAndIsNeverRefused() {
    MemoryTaskStore store = new MemoryTaskStore(1, 10);
    Task t = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(3, 60, 60), T0, T0, null, null);
    store.insert(t);
    store.claim("me", T0, T0.plusSeconds(30), 1);
    store.insert(task(60)); // the one pending slot is taken again
    Task retrying = store.finish(Tasks.attempt(t, 1),
        new Outcome.Retry(new TaskError("x", "y"), T0.plus(Duration.ofSeconds(1)))).orElseThrow();
    assertThat(retrying.status()).isEqualTo(TaskStatus.PENDING);
    assertThat(store.stats().pending()).isEqualTo(2);
    assertThatThrownBy(() -> store.insert(task(60))).isInstanceOf(LimitExceededException.class);
  }

  @Test
  void theRetainedCapsNeverEvictAnOwedDelivery() {
    MemoryTaskStore store = new MemoryTaskStore(100, 1);
    Task owed = Tasks.withCallback(task(3600),
        new dev.offload.task.Callback("https://hooks.example/", null));
    Task a = task(3600);
    Task b = task(3600);
    finish(store, owed, T0.plusSeconds(1));
    finish(store, a, T0.plusSeconds(2));
    finish(store, b, T0.plusSeconds(3));

    assertThat(store.get(owed.id())).as("the oldest, but owed").isPresent();
    assertThat(store.get(a.id())).isEmpty();
    assertThat(store.get(b.id())).isPresent();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 2));
  }
}
