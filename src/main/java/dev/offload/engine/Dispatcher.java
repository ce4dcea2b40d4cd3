package dev.offload.engine;

import dev.offload.store.TaskStore;
import dev.offload.task.Task;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands due tasks to idle workers. One idle worker at a time claims a batch from the store (as
 * many tasks as there are idle workers, and with a durable store a few more for the busy ones,
 * as db-scheduler's lock-and-fetch keeps half its threads' worth in hand) without holding the lock, so a slow store never blocks
 * {@link #wakeUp()} and so never a submitting request thread. Workers with nothing to do wait
 * until the next task is due, until woken, or at most {@code maxIdle}.
 */
final class Dispatcher {
  private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

  private final TaskStore store;
  private final Clock clock;
  private final String instance;
  private final Set<String> types;
  private final Duration lease;
  private final Duration maxIdle;
  private final BooleanSupplier open;
  private final Consumer<List<Task>> onClaimed;
  private final int prefetch;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Queue<Task> claimed = new ConcurrentLinkedQueue<>();
  // Guarded by lock.
  private boolean claiming;
  private int idle;
  private long wakeups;
  private long storeFailures;

  /**
   * @param types the task types this instance runs: only those are claimed
   * @param onClaimed told of every claimed batch before any of it is handed out, so that a
   *     cancel arriving between the claim and the start finds the task
   * @param prefetch how many tasks a claim takes beyond the idle workers' needs, for the busy
   *     ones, while none wait to be handed out (0: only for the idle ones)
   */
  Dispatcher(
      TaskStore store,
      Clock clock,
      String instance,
      Set<String> types,
      Duration lease,
      Duration maxIdle,
      BooleanSupplier open,
      Consumer<List<Task>> onClaimed,
      int prefetch) {
    this.store = store;
    this.clock = clock;
    this.instance = instance;
    this.types = Set.copyOf(types);
    this.lease = lease;
    this.maxIdle = maxIdle;
    this.open = open;
    this.onClaimed = onClaimed;
    this.prefetch = prefetch;
  }

  /** The next task to run, or null once the engine stops taking work. */
  Task take() throws InterruptedException {
    while (true) {
      Task next = claimed.poll();
      if (next != null) {
        return next;
      }
      long seenWakeups;
      int wanted;
      lock.lock();
      try {
        if (!open.getAsBoolean()) {
          return null;
        }
        if (claiming) {
          idle++;
          try {
            // Woken when the claim leaves work for the others; else this is an idle wait.
            changed.awaitNanos(maxIdle.toNanos());
          } finally {
            idle--;
          }
          continue;
        }
        claiming = true;
        seenWakeups = wakeups;
        // The idle workers, this one, and (with a store where a claim is a round trip) some
        // more for the busy ones: one claim feeds several ends instead of one each.
        wanted = idle + 1 + Math.max(0, prefetch - claimed.size());
      } finally {
        lock.unlock();
      }

      List<Task> batch = List.of();
      Instant due = null;
      boolean failed = false;
      Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      try {
        batch = store.claim(instance, types, now, now.plus(lease), wanted);
        if (!batch.isEmpty()) {
          onClaimed.accept(batch);
        }
        if (batch.isEmpty()) {
          due = store.nextDueAt(types).orElse(null);
        }
      } catch (RuntimeException e) {
        failed = true;
        logStoreFailure(e);
      }

      lock.lock();
      try {
        claiming = false;
        if (!open.getAsBoolean() && !batch.isEmpty()) {
          // Stopped while claiming: the engine ends these with the rest when it stops.
          claimed.addAll(batch);
          changed.signalAll();
          return null;
        }
        if (batch.size() > 1) {
          claimed.addAll(batch.subList(1, batch.size()));
        }
        if (!batch.isEmpty()) {
          // Work was left for the others: they take the rest, or claim more after a full
          // batch. After a short batch the queue had no more due work, and after an empty one
          // none at all: they keep waiting. Waking them would make each claim in turn, and
          // every empty claim wake the rest again, a busy loop of queries against the store.
          if (batch.size() > 1 || batch.size() >= wanted) {
            changed.signalAll();
          }
          storeFailures = 0;
          return batch.get(0);
        }
        if (wakeups == seenWakeups && open.getAsBoolean()) {
          idle++;
          try {
            changed.awaitNanos(waitNanos(now, due, failed));
          } finally {
            idle--;
          }
        }
      } finally {
        lock.unlock();
      }
    }
  }

  private long waitNanos(Instant now, Instant due, boolean failed) {
    long max = maxIdle.toNanos();
    if (failed) {
      // Back off while the store is down: 100 ms, doubling, up to maxIdle.
      return Math.min(max, TimeUnit.MILLISECONDS.toNanos(100L << Math.min(storeFailures, 10)));
    }
    if (due == null) {
      return max;
    }
    long until = Duration.between(now, due).toNanos();
    return Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(max, until));
  }

  private void logStoreFailure(RuntimeException e) {
    lock.lock();
    try {
      storeFailures++;
      if (storeFailures == 1 || storeFailures % 100 == 0) {
        LOG.log(Level.WARNING, "claiming tasks failed (" + storeFailures + " times in a row); "
            + "workers back off and retry", e);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether a claim is under way: from before the store is asked until the claimed batch has
   * been handed to {@code onClaimed}.
   */
  boolean claiming() {
    lock.lock();
    try {
      return claiming;
    } finally {
      lock.unlock();
    }
  }

  /** Something changed (a new task, a stop): idle workers look again now. */
  void wakeUp() {
    lock.lock();
    try {
      wakeups++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Tasks claimed but not yet started; taken by the engine when it stops. */
  List<Task> drainClaimed() {
    List<Task> rest = new java.util.ArrayList<>();
    for (Task t; (t = claimed.poll()) != null; ) {
      rest.add(t);
    }
    return rest;
  }
}
