package dev.offload.engine;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Thread helpers: names, single-thread schedulers, and periodic jobs that survive a throw. */
final class NamedThreads {
  private static final Logger LOG = Logger.getLogger(NamedThreads.class.getName());

  private NamedThreads() {}

  static ScheduledExecutorService scheduler(String name) {
    ScheduledThreadPoolExecutor s =
        new ScheduledThreadPoolExecutor(1, OwnedThreadFactory.named(name));
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return s;
  }

  /**
   * Wraps a periodic job: an exception escaping a ScheduledExecutorService job silently cancels
   * every later run, so it is logged and swallowed here, once, at the boundary.
   */
  static Runnable logged(String what, Runnable job) {
    return () -> {
      try {
        job.run();
      } catch (RuntimeException | Error e) {
        LOG.log(Level.WARNING, what + " failed; it will run again at its next interval", e);
      }
    };
  }

  /** Stops a scheduler, waiting at most {@code millis}; true when it and its thread ended. */
  static boolean stop(ScheduledExecutorService s, long millis) {
    s.shutdownNow();
    try {
      return s.awaitTermination(millis, TimeUnit.MILLISECONDS)
          && OwnedThreadFactory.joinThreadsOf(s, millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
