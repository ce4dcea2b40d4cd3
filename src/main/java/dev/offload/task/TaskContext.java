package dev.offload.task;

import java.util.UUID;

/** What a running handler sees of its task. */
public interface TaskContext {
  UUID taskId();

  /** The attempt being run, starting at 1. */
  int attempt();

  /** Reports progress; shown by polls, long-polls and event streams. */
  void progress(int percent, String message);

  /**
   * Throws {@link InterruptedException} when the attempt was canceled, timed out or the server
   * is stopping. Handlers that loop should call this (or honour interrupts) between steps.
   */
  default void checkInterrupted() throws InterruptedException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("task " + taskId() + " was interrupted");
    }
  }
}
