package dev.offload.engine;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes named daemon threads and remembers them, so that a stop can wait until each has really
 * ended. {@link ExecutorService#awaitTermination} returns while a pool's last thread is still
 * running its final lines; a container that checks for left-over threads right after the web
 * application stopped (Tomcat does) then reports that thread as leaked.
 */
public final class OwnedThreadFactory implements ThreadFactory {
  private final String prefix;
  private final boolean numbered;
  private final AtomicInteger count = new AtomicInteger();
  private final Queue<Thread> threads = new ConcurrentLinkedQueue<>();

  private OwnedThreadFactory(String prefix, boolean numbered) {
    this.prefix = prefix;
    this.numbered = numbered;
  }

  /** Every thread is called {@code name}. */
  public static OwnedThreadFactory named(String name) {
    return new OwnedThreadFactory(name, false);
  }

  /** Threads are called {@code prefix1}, {@code prefix2}, ... */
  public static OwnedThreadFactory numbered(String prefix) {
    return new OwnedThreadFactory(prefix, true);
  }

  @Override
  public Thread newThread(Runnable r) {
    threads.removeIf(t -> !t.isAlive() && t.getState() != Thread.State.NEW);
    Thread t = new Thread(r, numbered ? prefix + count.incrementAndGet() : prefix);
    t.setDaemon(true);
    threads.add(t);
    return t;
  }

  /** Waits up to {@code millis} for every thread made here to end; true when all have. */
  public boolean join(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (Thread t : threads) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        break;
      }
      t.join(left);
    }
    return threads.stream().noneMatch(Thread::isAlive);
  }

  /**
   * For a terminated pool built on an OwnedThreadFactory: waits for its threads to end. True
   * when they have (or the pool's threads are not owned here, so there is nothing to wait for).
   */
  public static boolean joinThreadsOf(ExecutorService executor, long millis)
      throws InterruptedException {
    if (executor instanceof ThreadPoolExecutor pool
        && pool.getThreadFactory() instanceof OwnedThreadFactory owned) {
      return owned.join(millis);
    }
    return true;
  }
}
