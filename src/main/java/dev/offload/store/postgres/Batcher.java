package dev.offload.store.postgres;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Group commit: callers that arrive while a batch is being written wait and are written together
 * in the next one, by one of them; each returns once its own item's batch has committed.
 *
 * <p>No timer and no thread of its own: the first caller writes at once, alone, so a lone caller
 * waits no longer than before, and the batch grows with the load, as long as the writes before
 * it take (River's batch completer waits a fixed few milliseconds instead; here the round trip
 * in progress is the window). The writer is a caller's own thread: a request thread writes its
 * submission and those that queued behind it, a worker writes the outcomes of the others.
 *
 * @param <I> what a caller hands in
 * @param <O> what it gets back
 */
final class Batcher<I, O> {

  /** One item's result: a value, or the exception to throw on the caller's thread. */
  record Result<O>(O value, RuntimeException error) {
    static <O> Result<O> of(O value) {
      return new Result<>(value, null);
    }

    static <O> Result<O> failed(RuntimeException error) {
      return new Result<>(null, error);
    }
  }

  private static final class Slot<I, O> {
    final I item;
    Result<O> result; // guarded by the batcher's lock

    Slot(I item) {
      this.item = item;
    }
  }

  private final int max;
  private final Function<List<I>, List<Result<O>>> write;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition written = lock.newCondition();
  // Guarded by lock.
  private final ArrayDeque<Slot<I, O>> queue = new ArrayDeque<>();
  private boolean writing;

  /**
   * @param max the most items one write takes
   * @param write writes a batch; returns one result per item, in order. Whatever it throws is
   *     every item's result.
   */
  Batcher(int max, Function<List<I>, List<Result<O>>> write) {
    this.max = max;
    this.write = write;
  }

  /** Writes {@code item}, with whatever queues meanwhile; returns its result or throws its error. */
  O submit(I item) {
    Slot<I, O> mine = new Slot<>(item);
    boolean interrupted = false;
    lock.lock();
    try {
      queue.add(mine);
      while (mine.result == null) {
        if (!writing) {
          writeNext();
          continue;
        }
        // Bounded: the writer's statement is bounded by the driver's socket timeout.
        try {
          written.await();
        } catch (InterruptedException e) {
          interrupted = true; // the item may be in a batch under way: wait for its result
        }
      }
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (mine.result.error() != null) {
      throw mine.result.error();
    }
    return mine.result.value();
  }

  /** Callers waiting for a write to take them (tests). */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next batch and writes it with the lock released; called holding the lock. */
  private void writeNext() {
    List<Slot<I, O>> batch = new ArrayList<>(Math.min(max, queue.size()));
    while (batch.size() < max && !queue.isEmpty()) {
      batch.add(queue.poll());
    }
    writing = true;
    lock.unlock();
    List<Result<O>> results = null;
    RuntimeException failure = null;
    try {
      results = write.apply(batch.stream().map(s -> s.item).toList());
      if (results.size() != batch.size()) {
        failure = new IllegalStateException(
            "a batch of " + batch.size() + " was answered with " + results.size() + " results");
      }
    } catch (RuntimeException | Error e) {
      failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
      if (e instanceof Error err) {
        lock.lock();
        finish(batch, null, failure);
        throw err;
      }
    }
    lock.lock();
    finish(batch, results, failure);
  }

  private void finish(List<Slot<I, O>> batch, List<Result<O>> results,
      RuntimeException failure) {
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result = failure != null ? Result.failed(failure) : results.get(i);
    }
    writing = false;
    written.signalAll();
  }
}
