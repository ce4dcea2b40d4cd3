package dev.offload.outbound;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Named daemon threads that an outbound component (the egress proxy, an HTTP client, a task
 * type that calls out) owns, remembered so that its close can wait until each has really ended
 * (a pool's awaitTermination returns while its last thread still runs; a container that checks
 * for left-over threads right after the stop would report it). The engine's OwnedThreadFactory
 * does the same; this package and the handlers may not depend on the engine.
 */
public final class OutboundThreads implements ThreadFactory {
  private static final Logger LOG = Logger.getLogger(OutboundThreads.class.getName());

  private final String prefix;
  private final AtomicInteger count = new AtomicInteger();
  private final Queue<Thread> threads = new ConcurrentLinkedQueue<>();

  public OutboundThreads(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    threads.removeIf(t -> !t.isAlive() && t.getState() != Thread.State.NEW);
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (RuntimeException | Error e) {
        // A pool's worker dies with what it threw; say so once, here, instead of on stderr.
        LOG.log(Level.SEVERE, Thread.currentThread().getName() + " failed", e);
        throw e;
      }
    }, prefix + count.incrementAndGet());
    t.setDaemon(true);
    threads.add(t);
    return t;
  }

  /** Stops the pool and waits up to {@code millis} for its threads to end; true when they did. */
  public boolean stop(ExecutorService pool, long millis) {
    pool.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    try {
      if (!pool.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        return false;
      }
      for (Thread t : threads) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        t.join(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return threads.stream().noneMatch(Thread::isAlive);
  }
}
