package dev.offload.store.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The batch completer (after River's): callers hand in an item and get a future at once; a thread
 * of its own gathers what arrives within a short window, or while a write is under way, up to a
 * batch, writes it in one statement and completes each future once its batch has committed. A
 * worker that ends an attempt goes on to its next task instead of waiting for the disk.
 *
 * @param <I> what a caller hands in
 * @param <O> what its future gives
 */
final class Completer<I, O> {
  private static final Logger LOG = Logger.getLogger(Completer.class.getName());

  private record Item<I, O>(I value, CompletableFuture<O> done) {}

  private final int max;
  private final long lingerNanos;
  private final Function<List<I>, List<Batcher.Result<O>>> write;
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private List<Item<I, O>> queue = new ArrayList<>();
  private boolean stopping;

  /**
   * @param name the thread's name
   * @param max the most items one write takes
   * @param linger how long the first item waits for others
   * @param write writes a batch; returns one result per item, in order. Whatever it throws is
   *     every item's result.
   */
  Completer(String name, int max, long lingerMillis,
      Function<List<I>, List<Batcher.Result<O>>> write) {
    this.max = max;
    this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
    this.write = write;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues {@code item}; the future completes (on this completer's thread) once it is written. */
  CompletableFuture<O> submit(I item) {
    CompletableFuture<O> done = new CompletableFuture<>();
    lock.lock();
    try {
      if (stopping) {
        done.completeExceptionally(new IllegalStateException("the store is closed"));
        return done;
      }
      queue.add(new Item<>(item, done));
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return done;
  }

  /**
   * Writes what is queued, then stops, waiting at most {@code millis}; true when it ended. Items
   * handed in later fail at once.
   */
  boolean stop(long millis) {
    lock.lock();
    try {
      stopping = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  private void run() {
    while (true) {
      List<Item<I, O>> batch;
      lock.lock();
      try {
        while (queue.isEmpty() && !stopping) {
          changed.awaitUninterruptibly();
        }
        if (queue.isEmpty()) {
          return; // stopping, and nothing left
        }
        long linger = lingerNanos;
        while (!stopping && linger > 0 && queue.size() < max) {
          try {
            linger = changed.awaitNanos(linger);
          } catch (InterruptedException e) {
            break; // write what there is
          }
        }
        if (queue.size() <= max) {
          batch = queue;
          queue = new ArrayList<>();
        } else {
          batch = new ArrayList<>(queue.subList(0, max));
          queue = new ArrayList<>(queue.subList(max, queue.size()));
        }
      } finally {
        lock.unlock();
      }
      complete(batch);
    }
  }

  private void complete(List<Item<I, O>> batch) {
    List<Batcher.Result<O>> results;
    try {
      results = write.apply(batch.stream().map(Item::value).toList());
    } catch (RuntimeException | Error e) {
      batch.forEach(item -> item.done().completeExceptionally(e));
      if (e instanceof Error err) {
        throw err;
      }
      return;
    }
    if (results.size() != batch.size()) {
      IllegalStateException e = new IllegalStateException(
          "a batch of " + batch.size() + " was answered with " + results.size() + " results");
      batch.forEach(item -> item.done().completeExceptionally(e));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Batcher.Result<O> r = results.get(i);
      try {
        if (r.error() != null) {
          batch.get(i).done().completeExceptionally(r.error());
        } else {
          batch.get(i).done().complete(r.value());
        }
      } catch (RuntimeException e) {
        LOG.warning(() -> "a caller's follow-up of a written item failed: " + e);
      }
    }
  }
}
