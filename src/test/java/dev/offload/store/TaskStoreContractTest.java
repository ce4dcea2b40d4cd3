package dev.offload.store;

import dev.offload.testing.Tasks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.task.Callback;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.InvalidCursorException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TaskStore} promises, whatever keeps the tasks. One subclass per store; each
 * test gets a new, empty store from {@link #newStore}. Time is passed in explicitly, so nothing
 * here waits.
 */
public abstract class TaskStoreContractTest {
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String OWNER = "instance-a";

  private final List<TaskStore> opened = new ArrayList<>();

  /** A new, empty store with these limits. */
  protected abstract TaskStore createStore(StoreLimits limits);

  protected final TaskStore newStore(StoreLimits limits) {
    TaskStore s = createStore(limits);
    opened.add(s);
    return s;
  }

  /** A new, empty store that accepts at most {@code capacity} pending tasks. */
  protected final TaskStore newStore(long capacity) {
    return newStore(StoreLimits.of(capacity, 10_000));
  }

  protected final TaskStore newStore() {
    return newStore(1_000);
  }

  @AfterEach
  void closeStores() {
    opened.forEach(TaskStore::close);
  }

  // ---------------------------------------------------------------- fixtures

  protected static Task task(Priority p, Instant created, Instant due) {
    return Tasks.pending(UUID.randomUUID(), "noop", p, "{\"n\": 1}",
        new Task.Limits(3, 60, 3600), created, due, null, null);
  }

  protected static Task task() {
    return task(Priority.NORMAL, T0, T0);
  }

  protected static Task withTtl(long ttl, int maxAttempts) {
    return Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(maxAttempts, 60, ttl), T0, T0, null, null);
  }

  protected static Task keyed(String key, String fingerprint) {
    return Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, key, fingerprint);
  }

  private static List<UUID> ids(List<Task> tasks) {
    return tasks.stream().map(Task::id).toList();
  }

  /** Inserts and claims one task; returns the running snapshot. */
  private static Task running(TaskStore store, Task t, Instant at) {
    store.insert(t);
    List<Task> claimed = store.claim(OWNER, at, at.plusSeconds(30), 1);
    assertThat(ids(claimed)).containsExactly(t.id());
    return claimed.get(0);
  }

  // ---------------------------------------------------------------- insert and get

  @Test
  void anInsertedTaskReadsBackEqual() {
    TaskStore store = newStore();
    Task t = Tasks.pending(UUID.randomUUID(), "sleep", Priority.HIGH,
        "{\"millis\":5,\"text\":\"é ✓ \\\"q\\\"\",\"b\":{\"a\":[1,2]}}",
        new Task.Limits(4, 120, 600), T0, T0.plusMillis(1500), "key-1", "fp-1");

    TaskStore.Inserted inserted = store.insert(t);

    assertThat(inserted).isEqualTo(new TaskStore.Inserted(t, true));
    assertThat(store.get(t.id())).contains(t);
    assertThat(store.get(UUID.randomUUID())).isEmpty();
  }

  @Test
  void onlyPendingTasksCanBeInsertedAndIdsAreUnique() {
    TaskStore store = newStore();
    Task t = task();
    store.insert(t);
    assertThatThrownBy(() -> store.insert(t)).isInstanceOf(IllegalArgumentException.class);
    Task running = t.started(T0);
    assertThatThrownBy(() -> store.insert(running)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------- list

  @Test
  void listPagesNewestFirstWithACursorUntilTheEnd() {
    TaskStore store = newStore();
    List<Task> inserted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Task t = task(Priority.NORMAL, T0.plusSeconds(i), T0);
      store.insert(t);
      inserted.add(t);
    }

    TaskPage first = store.list(new TaskQuery(null, null, 2, null));
    TaskPage second = store.list(new TaskQuery(null, null, 2, first.next()));
    TaskPage third = store.list(new TaskQuery(null, null, 2, second.next()));

    assertThat(ids(first.items())).containsExactly(inserted.get(4).id(), inserted.get(3).id());
    assertThat(ids(second.items())).containsExactly(inserted.get(2).id(), inserted.get(1).id());
    assertThat(ids(third.items())).containsExactly(inserted.get(0).id());
    assertThat(first.next()).isNotNull();
    assertThat(third.next()).isNull();
    assertThat(store.list(new TaskQuery(null, null, 5, null)).next())
        .as("an exactly full last page has no next").isNull();
  }

  @Test
  void listFiltersByStatusAndType() {
    TaskStore store = newStore();
    Task a = task(Priority.NORMAL, T0, T0.plusSeconds(100)); // not due: stays pending
    Task b = Tasks.pending(UUID.randomUUID(), "sleep", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, null, null);
    Task c = task();
    store.insert(a);
    running(store, b, T0);
    store.insert(c);

    assertThat(ids(store.list(new TaskQuery(TaskStatus.PENDING, null, 10, null)).items()))
        .containsExactly(c.id(), a.id());
    assertThat(ids(store.list(new TaskQuery(TaskStatus.RUNNING, null, 10, null)).items()))
        .containsExactly(b.id());
    assertThat(ids(store.list(new TaskQuery(null, "sleep", 10, null)).items()))
        .containsExactly(b.id());
    assertThat(store.list(new TaskQuery(TaskStatus.PENDING, "sleep", 10, null)).items())
        .isEmpty();
    TaskPage firstPending = store.list(new TaskQuery(TaskStatus.PENDING, null, 1, null));
    assertThat(ids(store.list(new TaskQuery(TaskStatus.PENDING, null, 1, firstPending.next()))
        .items())).containsExactly(a.id());
  }

  @Test
  void aCursorTheStoreDidNotHandOutIsRejected() {
    TaskStore store = newStore();
    store.insert(task());
    for (String bad : List.of("x", "-1", "1.5", "")) {
      assertThatThrownBy(() -> store.list(new TaskQuery(null, null, 10, bad)))
          .as(bad).isInstanceOf(InvalidCursorException.class);
    }
  }

  // ---------------------------------------------------------------- claim

  @Test
  void claimsTakeHighestPriorityFirstThenEarliestDueThenArrival() {
    TaskStore store = newStore();
    Task normalDueNow = task(Priority.NORMAL, T0, T0);
    Task low = task(Priority.LOW, T0, T0.minusSeconds(60));
    Task highDueLater = task(Priority.HIGH, T0, T0.plusSeconds(1));
    Task highDueNow = task(Priority.HIGH, T0, T0);
    Task normalDueEarlier = task(Priority.NORMAL, T0, T0.minusSeconds(1));
    Task normalDueNowToo = task(Priority.NORMAL, T0, T0);
    for (Task t : List.of(normalDueNow, low, highDueLater, highDueNow, normalDueEarlier,
        normalDueNowToo)) {
      store.insert(t);
    }

    List<Task> first = store.claim(OWNER, T0.plusSeconds(1), T0.plusSeconds(31), 4);
    List<Task> rest = store.claim(OWNER, T0.plusSeconds(1), T0.plusSeconds(31), 10);

    assertThat(ids(first)).containsExactly(highDueNow.id(), highDueLater.id(),
        normalDueEarlier.id(), normalDueNow.id());
    assertThat(ids(rest)).containsExactly(normalDueNowToo.id(), low.id());
    assertThat(store.claim(OWNER, T0.plusSeconds(1), T0.plusSeconds(31), 10)).isEmpty();
  }

  @Test
  void aClaimStartsTheNextAttempt() {
    TaskStore store = newStore();
    Task t = task();
    store.insert(t);

    Task claimed = store.claim(OWNER, T0.plusSeconds(2), T0.plusSeconds(32), 5).get(0);

    assertThat(claimed).isEqualTo(t.started(T0.plusSeconds(2)));
    assertThat(claimed.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(claimed.attempts()).isEqualTo(1);
    assertThat(store.get(t.id())).contains(claimed);
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 1, 0));
  }

  @Test
  void aDelayedTaskIsNotClaimedBeforeItIsDue() {
    TaskStore store = newStore();
    Task later = task(Priority.HIGH, T0, T0.plusSeconds(10));
    Task sooner = task(Priority.LOW, T0, T0.plusSeconds(5));
    store.insert(later);
    store.insert(sooner);

    assertThat(store.nextDueAt()).contains(T0.plusSeconds(5));
    assertThat(store.claim(OWNER, T0.plusMillis(4_999), T0.plusSeconds(30), 10)).isEmpty();
    assertThat(ids(store.claim(OWNER, T0.plusSeconds(5), T0.plusSeconds(35), 10)))
        .containsExactly(sooner.id());
    assertThat(store.nextDueAt()).contains(T0.plusSeconds(10));
    assertThat(ids(store.claim(OWNER, T0.plusSeconds(10), T0.plusSeconds(40), 10)))
        .containsExactly(later.id());
    assertThat(store.nextDueAt()).isEmpty();
  }

  // ---------------------------------------------------------------- finish and progress

  @Test
  void successKeepsTheResultUntilItsTtl() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);

    Task done = store.finish(Tasks.attempt(running, 1), new Outcome.Succeeded("[1,2]", T0.plusSeconds(3)))
        .orElseThrow();

    assertThat(done.status()).isEqualTo(TaskStatus.SUCCESS);
    assertThat(done.result()).isEqualTo("[1,2]");
    assertThat(done.finishedAt()).isEqualTo(T0.plusSeconds(3));
    assertThat(done.expiresAt()).isEqualTo(T0.plusSeconds(3 + 3600));
    assertThat(store.get(running.id())).contains(done);
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 1));
  }

  @Test
  void failureKeepsTheError() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);
    TaskError error = new TaskError("IllegalStateException", "boom");

    Task failed = store.finish(Tasks.attempt(running, 1), new Outcome.Failed(error, T0.plusSeconds(1)))
        .orElseThrow();

    assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(store.get(running.id()).orElseThrow().error()).isEqualTo(error);
  }

  @Test
  void aRetryIsPendingUntilItsDueTimeAndCountsAttempts() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);
    TaskError error = new TaskError("planned-failure", "first attempt fails");

    Task retrying = store.finish(Tasks.attempt(running, 1), new Outcome.Retry(error, T0.plusSeconds(4)))
        .orElseThrow();

    assertThat(retrying.status()).isEqualTo(TaskStatus.PENDING);
    assertThat(retrying.nextAttemptAt()).isEqualTo(T0.plusSeconds(4));
    assertThat(retrying.error()).isEqualTo(error);
    assertThat(store.nextDueAt()).contains(T0.plusSeconds(4));
    assertThat(store.claim(OWNER, T0.plusSeconds(3), T0.plusSeconds(33), 1)).isEmpty();
    Task second = store.claim(OWNER, T0.plusSeconds(4), T0.plusSeconds(34), 1).get(0);
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(second.error()).as("the last error stays visible").isEqualTo(error);
  }

  @Test
  void aHandedBackTaskIsDueAtOnceAndItsAttemptDoesNotCount() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);

    Task back = store.finish(Tasks.attempt(running, 1), new Outcome.HandedBack(T0.plusSeconds(1)))
        .orElseThrow();

    assertThat(back.status()).isEqualTo(TaskStatus.PENDING);
    assertThat(back.attempts()).isZero();
    assertThat(store.claim(OWNER, T0.plusSeconds(1), T0.plusSeconds(31), 1).get(0).attempts())
        .isEqualTo(1);
  }

  @Test
  void writesOfAnAttemptThatIsNoLongerCurrentChangeNothing() {
    TaskStore store = newStore();
    Task first = running(store, task(), T0);
    store.finish(Tasks.attempt(first, 1), new Outcome.Retry(new TaskError("x", "y"), T0));
    Task second = store.claim(OWNER, T0, T0.plusSeconds(30), 1).get(0);
    assertThat(second.attempts()).isEqualTo(2);

    assertThat(store.finish(Tasks.attempt(first, 1), new Outcome.Succeeded("\"stale\"", T0))).isEmpty();
    assertThat(store.progress(Tasks.attempt(first, 1), new Progress(50, "stale"))).isEmpty();
    assertThat(store.finish(Tasks.attempt(first, 3), new Outcome.Succeeded("\"future\"", T0))).isEmpty();
    assertThat(store.get(first.id())).contains(second);

    Task progressed = store.progress(Tasks.attempt(first, 2), new Progress(40, "halfway")).orElseThrow();
    assertThat(progressed.progress()).isEqualTo(new Progress(40, "halfway"));
    assertThat(store.get(first.id())).contains(progressed);
    assertThat(store.finish(Tasks.unknownRunning(), new Outcome.Succeeded("1", T0))).isEmpty();
  }

  @Test
  void theLastProgressIsKeptWhenTheAttemptEndsAndClearedWhenHandedBack() {
    TaskStore store = newStore();
    Task claimed = running(store, task(), T0); // what the engine holds: no progress
    store.progress(claimed, new Progress(80, "almost")).orElseThrow();

    Task done = store.finish(claimed, new Outcome.Succeeded("1", T0.plusSeconds(1)))
        .orElseThrow();

    assertThat(done.progress()).isEqualTo(new Progress(80, "almost"));
    assertThat(store.get(claimed.id())).contains(done);

    Task failing = running(store, task(), T0);
    store.progress(failing, new Progress(30, null)).orElseThrow();
    Task failed = store.finish(failing, new Outcome.Failed(new TaskError("x", "y"), T0))
        .orElseThrow();
    assertThat(failed.progress()).isEqualTo(new Progress(30, null));
    assertThat(store.get(failing.id())).contains(failed);

    Task handing = running(store, task(), T0);
    store.progress(handing, new Progress(10, null)).orElseThrow();
    Task back = store.finish(handing, new Outcome.HandedBack(T0)).orElseThrow();
    assertThat(back.progress()).as("the next attempt starts afresh").isNull();
    assertThat(store.get(handing.id())).contains(back);
  }

  @Test
  void progressIsClearedWhenTheNextAttemptStarts() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);
    store.progress(Tasks.attempt(running, 1), new Progress(70, null)).orElseThrow();
    assertThat(store.get(running.id()).orElseThrow().progress())
        .isEqualTo(new Progress(70, null));
    store.finish(Tasks.attempt(running, 1), new Outcome.Retry(new TaskError("x", "y"), T0));

    Task again = store.claim(OWNER, T0, T0.plusSeconds(30), 1).get(0);

    assertThat(again.progress()).isNull();
  }

  // ---------------------------------------------------------------- cancel

  @Test
  void cancelingAPendingTaskTakesItOutOfTheQueue() {
    TaskStore store = newStore();
    Task t = task();
    store.insert(t);

    Task canceled = store.cancel(t.id(), T0.plusSeconds(1)).orElseThrow();

    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(canceled.finishedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(store.get(t.id())).contains(canceled);
    assertThat(store.claim(OWNER, T0.plusSeconds(2), T0.plusSeconds(32), 10)).isEmpty();
    assertThat(store.nextDueAt()).isEmpty();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 1));
  }

  @Test
  void cancelingARunningTaskFencesOutItsAttempt() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);

    Task canceled = store.cancel(running.id(), T0.plusSeconds(1)).orElseThrow();

    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(store.finish(Tasks.attempt(running, 1), new Outcome.Succeeded("1", T0))).isEmpty();
    assertThat(store.progress(Tasks.attempt(running, 1), new Progress(1, null))).isEmpty();
    assertThat(store.get(running.id())).contains(canceled);
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 1));
  }

  @Test
  void cancelingAFinishedTaskIsRefusedAndAnUnknownOneIsEmpty() {
    TaskStore store = newStore();
    Task running = running(store, task(), T0);
    Task done = store.finish(Tasks.attempt(running, 1), new Outcome.Succeeded("1", T0)).orElseThrow();

    assertThatThrownBy(() -> store.cancel(running.id(), T0.plusSeconds(1)))
        .isInstanceOfSatisfying(AlreadyFinishedException.class,
            e -> assertThat(e.task()).isEqualTo(done));
    assertThat(store.get(running.id())).contains(done);
    assertThat(store.cancel(UUID.randomUUID(), T0)).isEmpty();
  }

  // ---------------------------------------------------------------- idempotency

  @Test
  void theSameKeyAndRequestReturnTheExistingTask() {
    TaskStore store = newStore();
    Task first = keyed("k-1", "fp");
    store.insert(first);

    TaskStore.Inserted again = store.insert(keyed("k-1", "fp"));

    assertThat(again).isEqualTo(new TaskStore.Inserted(first, false));
    assertThat(store.stats().pending()).isEqualTo(1);
  }

  @Test
  void theSameKeyWithAnotherRequestIsAConflict() {
    TaskStore store = newStore();
    Task first = keyed("k-1", "fp");
    store.insert(first);
    Task other = keyed("k-1", "another");

    assertThatThrownBy(() -> store.insert(other))
        .isInstanceOfSatisfying(IdempotencyConflictException.class,
            e -> assertThat(e.existing()).isEqualTo(first.id()));
    assertThat(store.get(other.id())).isEmpty();
    assertThat(ids(store.list(new TaskQuery(null, null, 10, null)).items()))
        .containsExactly(first.id());
  }

  @Test
  void aKeyIsFreeAgainOnceItsTaskIsSwept() {
    TaskStore store = newStore();
    Task first = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 10), T0, T0, "k-1", "fp");
    running(store, first, T0);
    store.finish(Tasks.attempt(first, 1), new Outcome.Succeeded("1", T0));
    assertThat(store.sweep(T0.plusSeconds(10), 100)).isEqualTo(1);

    Task second = keyed("k-1", "other");

    assertThat(store.insert(second)).isEqualTo(new TaskStore.Inserted(second, true));
  }

  // ---------------------------------------------------------------- capacity

  @Test
  void aFullQueueRefusesNewTasksAndStoresNothing() {
    TaskStore store = newStore(2);
    Task a = keyed("a", "fp");
    store.insert(a);
    store.insert(task(Priority.NORMAL, T0, T0.plusSeconds(60))); // delayed ones count too
    Task refused = task();

    assertThatThrownBy(() -> store.insert(refused))
        .isInstanceOfSatisfying(LimitExceededException.class,
            e -> assertThat(e.value()).isEqualTo(2));
    assertThat(store.get(refused.id())).isEmpty();
    assertThat(store.stats().pending()).isEqualTo(2);
    assertThat(store.insert(keyed("a", "fp")))
        .as("a replay is answered even when full").isEqualTo(new TaskStore.Inserted(a, false));

    store.claim(OWNER, T0, T0.plusSeconds(30), 1);
    assertThat(store.insert(refused).created()).as("running tasks do not count").isTrue();
  }

  // ---------------------------------------------------------------- owner quotas

  /** A pending task of {@code owner} with an input of {@code inputBytes} bytes. */
  protected static Task owned(String owner, int inputBytes) {
    String input = "\"" + "x".repeat(Math.max(0, inputBytes - 2)) + "\"";
    return Tasks.pending(UUID.randomUUID(), "noop", owner, Priority.NORMAL, input,
        new Task.Limits(3, 60, 3600), T0, T0, null, null);
  }

  protected static Task owned(String owner) {
    return owned(owner, 2);
  }

  private static StoreLimits limits(long queueTasks, long queueBytes, long ownerTasks,
      long ownerBytes) {
    return new StoreLimits(queueTasks, queueBytes, ownerTasks, ownerBytes, 10_000,
        Long.MAX_VALUE, true);
  }

  private static void assertRefused(TaskStore store, Task t, Limit limit, long value) {
    assertThatThrownBy(() -> store.insert(t))
        .isInstanceOfSatisfying(LimitExceededException.class, e -> {
          assertThat(e.limit()).isEqualTo(limit);
          assertThat(e.value()).isEqualTo(value);
        });
    assertThat(store.get(t.id())).as("a refused task is not stored").isEmpty();
  }

  @Test
  void anOwnersPendingLimitRefusesOnlyThatOwnerUntilATaskLeavesPending() {
    TaskStore store = newStore(limits(100, 1_000_000, 2, 1_000_000));
    Task first = owned("alice");
    store.insert(first);
    store.insert(owned("alice"));

    assertRefused(store, owned("alice"), Limit.OWNER_TASKS, 2);
    Task bobs = owned("bob");
    assertThat(store.insert(bobs).created()).as("another owner is unaffected").isTrue();
    assertThat(store.ownerStats("alice")).contains(new TaskStore.OwnerStats(2, 4));
    assertThat(store.ownerStats("bob")).contains(new TaskStore.OwnerStats(1, 2));

    store.cancel(first.id(), T0);
    assertThat(store.insert(owned("alice")).created()).as("freed by a cancel").isTrue();
    assertRefused(store, owned("alice"), Limit.OWNER_TASKS, 2);
    List<Task> claimed = store.claim(OWNER, T0, T0.plusSeconds(30), 10);
    assertThat(claimed).hasSize(3);
    assertThat(store.insert(owned("alice")).created()).as("freed by a claim").isTrue();
    assertThat(store.ownerStats("alice")).contains(new TaskStore.OwnerStats(1, 2));
    assertThat(store.stats().pendingOwners()).isEqualTo(1);
  }

  @Test
  void anOwnersPendingBytesAreLimited() {
    TaskStore store = newStore(limits(100, 1_000_000, 100, 10));
    Task six = owned("alice", 6);
    store.insert(six);

    assertRefused(store, owned("alice", 5), Limit.OWNER_BYTES, 10);
    assertThat(store.insert(owned("alice", 4)).created()).as("exactly at the limit").isTrue();
    assertThat(store.insert(owned("bob", 10)).created()).isTrue();
    assertThat(store.ownerStats("alice")).contains(new TaskStore.OwnerStats(2, 10));

    store.claim(OWNER, T0, T0.plusSeconds(30), 1);
    assertThat(store.insert(owned("alice", 5)).created()).isTrue();
  }

  @Test
  void theQueuesPendingBytesAreLimitedForEveryone() {
    TaskStore store = newStore(limits(100, 10, 100, 100));
    store.insert(owned("alice", 6));

    assertRefused(store, owned("bob", 5), Limit.QUEUE_BYTES, 10);
    assertThat(store.insert(owned("bob", 4)).created()).isTrue();
    assertThat(store.stats().pendingBytes()).isEqualTo(10);

    store.claim(OWNER, T0, T0.plusSeconds(30), 1);
    assertThat(store.stats().pendingBytes()).isEqualTo(4);
    assertThat(store.insert(owned("bob", 6)).created()).isTrue();
  }

  @Test
  void retriesAndHandBacksReEnterTheQueueBeyondTheLimits() {
    TaskStore store = newStore(limits(1, 1_000_000, 1, 1_000_000));
    Task first = running(store, owned("alice"), T0);
    Task second = running(store, owned("alice"), T0);
    store.insert(owned("alice"));

    assertThat(store.finish(first, new Outcome.Retry(new TaskError("x", "y"), T0))).isPresent();
    assertThat(store.finish(second, new Outcome.HandedBack(T0))).isPresent();

    assertThat(store.stats().pending()).isEqualTo(3);
    assertThat(store.ownerStats("alice")).contains(new TaskStore.OwnerStats(3, 6));
    assertRefused(store, owned("bob"), Limit.QUEUE_TASKS, 1);
  }

  // ---------------------------------------------------------------- fair dispatch

  private static List<String> owners(List<Task> tasks) {
    return tasks.stream().map(Task::owner).toList();
  }

  @Test
  void anotherOwnersTaskIsClaimedWithinOneTurnOfABusyOwnersBacklog() {
    TaskStore store = newStore();
    List<Task> backlog = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Task t = owned("alice");
      store.insert(t);
      backlog.add(t);
    }
    Task bobs = owned("bob");
    store.insert(bobs);

    List<Task> claimed = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      claimed.addAll(store.claim(OWNER, T0, T0.plusSeconds(30), 1));
    }

    // One busy owner: bob's task is among the next 1 + 1 claims.
    assertThat(ids(claimed)).contains(bobs.id());
    List<Task> rest = store.claim(OWNER, T0, T0.plusSeconds(30), 100);
    List<UUID> alices = new ArrayList<>(ids(claimed));
    alices.addAll(ids(rest));
    alices.remove(bobs.id());
    assertThat(alices).as("one owner's tasks keep their order").containsExactlyElementsOf(
        ids(backlog));
  }

  @Test
  void aBatchClaimTakesTheOwnersInTurn() {
    TaskStore store = newStore();
    for (int i = 0; i < 5; i++) {
      store.insert(owned("alice"));
    }
    for (int i = 0; i < 5; i++) {
      store.insert(owned("bob"));
    }
    store.insert(owned("carol"));

    List<Task> first = store.claim(OWNER, T0, T0.plusSeconds(30), 3);
    List<Task> second = store.claim(OWNER, T0, T0.plusSeconds(30), 4);

    assertThat(owners(first)).containsExactly("alice", "bob", "carol");
    assertThat(owners(second)).containsExactly("alice", "bob", "alice", "bob");
  }

  @Test
  void fairDispatchStillServesHigherPrioritiesFirst() {
    TaskStore store = newStore();
    for (int i = 0; i < 5; i++) {
      store.insert(owned("alice"));
    }
    Task low = Tasks.pending(UUID.randomUUID(), "noop", "bob", Priority.LOW, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, null, null);
    Task high = Tasks.pending(UUID.randomUUID(), "noop", "carol", Priority.HIGH, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, null, null);
    store.insert(low);
    store.insert(high);

    List<Task> claimed = store.claim(OWNER, T0, T0.plusSeconds(30), 7);

    assertThat(claimed.get(0).id()).isEqualTo(high.id());
    assertThat(claimed.get(6).id()).isEqualTo(low.id());
    assertThat(owners(claimed.subList(1, 6))).containsOnly("alice");
  }

  @Test
  void aDelayedTaskDoesNotHoldUpItsOwnersTurnNorAnotherOwner() {
    TaskStore store = newStore();
    Task later = Tasks.pending(UUID.randomUUID(), "noop", "alice", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0.plusSeconds(60), null, null);
    store.insert(later);
    Task bobs = owned("bob");
    store.insert(bobs);

    assertThat(ids(store.claim(OWNER, T0, T0.plusSeconds(30), 5))).containsExactly(bobs.id());
    assertThat(store.nextDueAt()).contains(T0.plusSeconds(60));
    assertThat(ids(store.claim(OWNER, T0.plusSeconds(60), T0.plusSeconds(90), 5)))
        .containsExactly(later.id());
  }

  @Test
  void withoutFairDispatchTasksGoByDueTimeAndArrivalAlone() {
    TaskStore store = newStore(StoreLimits.of(1_000, 10_000).withFair(false));
    List<Task> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Task t = owned("alice");
      store.insert(t);
      all.add(t);
    }
    Task bobs = owned("bob");
    store.insert(bobs);
    all.add(bobs);

    List<Task> claimed = new ArrayList<>(store.claim(OWNER, T0, T0.plusSeconds(30), 3));
    claimed.addAll(store.claim(OWNER, T0, T0.plusSeconds(30), 10));

    assertThat(ids(claimed)).containsExactlyElementsOf(ids(all));
  }

  // ---------------------------------------------------------------- TTL

  @Test
  void theSweepDeletesExpiredResultsInBatches() {
    TaskStore store = newStore();
    List<Task> done = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Task t = running(store, withTtl(10, 1), T0);
      done.add(store.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", T0.plusSeconds(i)))
          .orElseThrow());
    }
    Task pending = task(Priority.NORMAL, T0, T0.plusSeconds(100));
    store.insert(pending);
    Task keep = running(store, withTtl(3600, 1), T0);
    store.finish(Tasks.attempt(keep, 1), new Outcome.Succeeded("1", T0));

    assertThat(store.sweep(T0.plusMillis(9_999), 100)).isZero();
    assertThat(store.sweep(T0.plusSeconds(12), 1)).isEqualTo(1);
    assertThat(store.sweep(T0.plusSeconds(12), 100)).isEqualTo(2);
    assertThat(store.sweep(T0.plusSeconds(12), 100)).isZero();

    assertThat(done).allSatisfy(t -> assertThat(store.get(t.id())).isEmpty());
    assertThat(store.get(pending.id())).isPresent();
    assertThat(store.get(keep.id())).isPresent();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(1, 0, 1));
  }

  private static StoreLimits retaining(long tasks, long bytes) {
    return new StoreLimits(1_000, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, tasks, bytes,
        true);
  }

  /** Finishes {@code n} tasks one second apart from T0 + 1 s, each with {@code result}. */
  private List<Task> finishMany(TaskStore store, int n, String result) {
    List<Task> done = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      Task t = running(store, withTtl(3600, 1), T0);
      done.add(store.finish(t, new Outcome.Succeeded(result, T0.plusSeconds(i))).orElseThrow());
    }
    return done;
  }

  @Test
  void afterASweepAtMostTheRetainedCountIsKeptTheOldestFinishedGoFirst() {
    TaskStore store = newStore(retaining(3, Long.MAX_VALUE));
    List<Task> done = finishMany(store, 5, "1");
    Task pending = task(Priority.NORMAL, T0, T0.plusSeconds(100));
    store.insert(pending);
    Task running = running(store, task(), T0);

    for (int n = 1; n > 0; ) {
      n = store.sweep(T0.plusSeconds(10), 1); // in batches: of one here
    }

    assertThat(done.subList(0, 2)).allSatisfy(t -> assertThat(store.get(t.id())).isEmpty());
    assertThat(done.subList(2, 5)).allSatisfy(t -> assertThat(store.get(t.id())).isPresent());
    assertThat(store.get(pending.id())).as("pending tasks are never evicted").isPresent();
    assertThat(store.get(running.id())).as("nor running ones").isPresent();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(1, 1, 3));
  }

  @Test
  void afterASweepAtMostTheRetainedBytesAreKept() {
    // Each finished task keeps 12 bytes: a 2-byte input and a 10-byte result.
    TaskStore store = newStore(retaining(1_000, 30));
    List<Task> done = finishMany(store, 4, "\"12345678\"");

    store.sweep(T0.plusSeconds(10), 100);

    assertThat(done.subList(0, 2)).allSatisfy(t -> assertThat(store.get(t.id())).isEmpty());
    assertThat(done.subList(2, 4)).allSatisfy(t -> assertThat(store.get(t.id())).isPresent());
    assertThat(store.stats().retainedBytes()).isEqualTo(24);
    assertThat(store.stats().finished()).isEqualTo(2);
  }

  @Test
  void aTtlOfZeroForgetsTheTaskAtOnce() {
    TaskStore store = newStore();
    Task ran = running(store, withTtl(0, 1), T0);
    Task pending = withTtl(0, 1);
    store.insert(pending);

    Task done = store.finish(Tasks.attempt(ran, 1), new Outcome.Succeeded("42", T0)).orElseThrow();
    Task canceled = store.cancel(pending.id(), T0).orElseThrow();

    assertThat(done.result()).as("the caller still sees the outcome").isEqualTo("42");
    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(store.get(ran.id())).isEmpty();
    assertThat(store.get(pending.id())).isEmpty();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 0));
  }

  // ---------------------------------------------------------------- stats

  @Test
  void statsCountPendingRunningAndFinished() {
    TaskStore store = newStore();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 0));
    Task a = running(store, task(), T0);
    running(store, task(), T0);
    store.insert(task());
    store.insert(task(Priority.LOW, T0, T0.plusSeconds(100)));
    store.finish(Tasks.attempt(a, 1), new Outcome.Failed(new TaskError("x", "y"), T0));

    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(2, 1, 1));
    assertThat(store.name()).isNotBlank();
  }

  // ---------------------------------------------------------------- callback deliveries

  protected static final Callback CALLBACK =
      new Callback("https://hooks.example/done", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

  protected static Task withCallback(long ttl) {
    return Tasks.withCallback(withTtl(ttl, 1), CALLBACK);
  }

  /** A task with a callback that ran and ended at {@code at}. */
  private static Task ended(TaskStore store, Task t, Instant at) {
    Task running = running(store, t, T0);
    return store.finish(running, new Outcome.Succeeded("1", at)).orElseThrow();
  }

  private static final String DELIVERER = "deliverer-a";

  @Test
  void aCallbackIsOwedFromTheInsertAndDueWhenTheTaskEnds() {
    TaskStore store = newStore();
    Task t = withCallback(3600);
    store.insert(t);

    assertThat(store.get(t.id()).orElseThrow().delivery()).isEqualTo(Delivery.OWED);
    assertThat(store.get(t.id()).orElseThrow().callback()).isEqualTo(CALLBACK);
    Task running = store.claim(OWNER, T0, T0.plusSeconds(30), 1).get(0);
    assertThat(store.nextDeliveryAt()).as("nothing is due while the task runs").isEmpty();
    assertThat(store.claimDeliveries(DELIVERER, T0.plusSeconds(5), T0.plusSeconds(35), 10))
        .isEmpty();

    store.finish(running, new Outcome.Succeeded("1", T0.plusSeconds(2)));

    assertThat(store.nextDeliveryAt()).contains(T0.plusSeconds(2));
    List<Task> claimed =
        store.claimDeliveries(DELIVERER, T0.plusSeconds(2), T0.plusSeconds(12), 10);
    assertThat(ids(claimed)).containsExactly(t.id());
    assertThat(claimed.get(0).delivery().attempts()).isEqualTo(1);
    assertThat(claimed.get(0).callback()).as("the deliverer gets the secret to sign with")
        .isEqualTo(CALLBACK);
    assertThat(store.claimDeliveries(DELIVERER, T0.plusSeconds(3), T0.plusSeconds(13), 10))
        .as("leased").isEmpty();
    assertThat(store.nextDeliveryAt()).as("claimable again when its lease ends")
        .contains(T0.plusSeconds(12));
  }

  @Test
  void aTaskWithoutACallbackOwesNothing() {
    TaskStore store = newStore();
    Task done = ended(store, withTtl(3600, 1), T0);

    assertThat(done.delivery()).isNull();
    assertThat(store.nextDeliveryAt()).isEmpty();
    assertThat(store.claimDeliveries(DELIVERER, T0, T0.plusSeconds(10), 10)).isEmpty();
  }

  @Test
  void aDeliveryOutcomeIsFencedOnItsClaim() {
    TaskStore store = newStore();
    Task t = withCallback(3600);
    ended(store, t, T0);
    Task first = store.claimDeliveries(DELIVERER, T0, T0.plusSeconds(10), 1).get(0);
    // The first claimant stalls past its lease: another claim takes the delivery over.
    Task second = store.claimDeliveries("deliverer-b", T0.plusSeconds(10), T0.plusSeconds(20), 1)
        .get(0);
    assertThat(second.delivery().attempts()).isEqualTo(2);

    assertThat(store.recordDelivery(first, first.delivery().delivered(T0.plusSeconds(11))))
        .as("the stale claim changes nothing").isEmpty();
    Task delivered = store.recordDelivery(second,
        second.delivery().delivered(T0.plusSeconds(12))).orElseThrow();

    assertThat(delivered.delivery().state()).isEqualTo(DeliveryState.DELIVERED);
    assertThat(delivered.delivery().deliveredAt()).isEqualTo(T0.plusSeconds(12));
    assertThat(store.get(t.id()).orElseThrow()).isEqualTo(delivered);
    assertThat(store.recordDelivery(second, second.delivery().failed(new TaskError("x", "y"))))
        .as("written once").isEmpty();
    assertThat(store.nextDeliveryAt()).isEmpty();
  }

  @Test
  void aRetryIsDueAtItsTimeAndKeepsTheLastError() {
    TaskStore store = newStore();
    Task t = withCallback(3600);
    ended(store, t, T0);
    Task first = store.claimDeliveries(DELIVERER, T0, T0.plusSeconds(10), 1).get(0);
    TaskError error = new TaskError("http-503", "POST https://hooks.example answered 503");

    Task retrying = store.recordDelivery(first,
        first.delivery().retrying(error, T0.plusSeconds(30))).orElseThrow();

    assertThat(retrying.delivery().lastError()).isEqualTo(error);
    assertThat(retrying.deliveryDueAtMillis()).isEqualTo(T0.plusSeconds(30).toEpochMilli());
    assertThat(store.nextDeliveryAt()).as("the lease ended with the write")
        .contains(T0.plusSeconds(30));
    assertThat(store.claimDeliveries(DELIVERER, T0.plusSeconds(29), T0.plusSeconds(39), 1))
        .isEmpty();
    Task second = store.claimDeliveries(DELIVERER, T0.plusSeconds(30), T0.plusSeconds(40), 1)
        .get(0);
    assertThat(second.delivery().attempts()).isEqualTo(2);
    assertThat(second.delivery().lastError()).isEqualTo(error);
  }

  @Test
  void aHandedBackDeliveryIsDueAgainAtOnceAndDoesNotCount() {
    TaskStore store = newStore();
    Task t = withCallback(3600);
    ended(store, t, T0);
    Task claimed = store.claimDeliveries(DELIVERER, T0, T0.plusSeconds(10), 1).get(0);

    Task back = store.recordDelivery(claimed, claimed.delivery().handedBack()).orElseThrow();

    assertThat(back.delivery()).isEqualTo(Delivery.OWED);
    assertThat(store.claimDeliveries("deliverer-b", T0.plusSeconds(1), T0.plusSeconds(11), 1))
        .extracting(c -> c.delivery().attempts()).containsExactly(1);
  }

  @Test
  void aCanceledTaskOwesItsDeliveryToo() {
    TaskStore store = newStore();
    Task running = running(store, withCallback(3600), T0);
    Task pending = withCallback(3600);
    store.insert(pending);

    store.cancel(pending.id(), T0.plusSeconds(1));
    store.cancel(running.id(), T0.plusSeconds(2));

    assertThat(store.nextDeliveryAt()).contains(T0.plusSeconds(1));
    assertThat(ids(store.claimDeliveries(DELIVERER, T0.plusSeconds(2), T0.plusSeconds(12), 10)))
        .containsExactly(pending.id(), running.id());
    assertThat(store.finish(running, new Outcome.Succeeded("1", T0.plusSeconds(3))))
        .as("the canceled attempt stays fenced out").isEmpty();
  }

  @Test
  void theSweepKeepsATaskWhoseDeliveryIsOwed() {
    TaskStore store = newStore();
    Task t = withCallback(10);
    ended(store, t, T0);
    Task plain = running(store, withTtl(10, 1), T0);
    store.finish(plain, new Outcome.Succeeded("1", T0));

    assertThat(store.sweep(T0.plusSeconds(3600), 100)).as("only the one without a callback")
        .isEqualTo(1);
    assertThat(store.get(t.id())).isPresent();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 1));

    Task claimed = store.claimDeliveries(DELIVERER, T0.plusSeconds(3600),
        T0.plusSeconds(3610), 1).get(0);
    store.recordDelivery(claimed, claimed.delivery().failed(new TaskError("timeout", "slow")));
    assertThat(store.sweep(T0.plusSeconds(3601), 100)).as("its delivery ended: it expires")
        .isEqualTo(1);
    assertThat(store.get(t.id())).isEmpty();
  }

  @Test
  void aTtlOfZeroKeepsTheTaskUntilItsDeliveryEnds() {
    TaskStore store = newStore();
    Task t = withCallback(0);
    Task done = ended(store, t, T0);

    assertThat(done.result()).isEqualTo("1");
    assertThat(store.get(t.id())).as("kept while its delivery is owed").contains(done);
    Task claimed = store.claimDeliveries(DELIVERER, T0, T0.plusSeconds(10), 1).get(0);
    Task delivered = store.recordDelivery(claimed, claimed.delivery().delivered(T0))
        .orElseThrow();

    assertThat(delivered.delivery().state()).isEqualTo(DeliveryState.DELIVERED);
    assertThat(store.get(t.id())).as("then forgotten, as its TTL asks").isEmpty();
    assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 0));
  }

  @Test
  void deliveriesAreClaimedEarliestDueFirstUpToTheMax() {
    TaskStore store = newStore();
    Task late = withCallback(3600);
    Task early = withCallback(3600);
    ended(store, late, T0.plusSeconds(2));
    ended(store, early, T0.plusSeconds(1));

    assertThat(ids(store.claimDeliveries(DELIVERER, T0.plusSeconds(5), T0.plusSeconds(15), 1)))
        .containsExactly(early.id());
    assertThat(ids(store.claimDeliveries(DELIVERER, T0.plusSeconds(5), T0.plusSeconds(15), 5)))
        .containsExactly(late.id());
  }
}
