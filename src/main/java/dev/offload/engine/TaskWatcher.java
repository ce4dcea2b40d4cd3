package dev.offload.engine;

import dev.offload.task.Task;

/**
 * Told of every change to one task. Called on the thread that made the change, so
 * implementations must return quickly and must not block (hand I/O to another thread).
 */
public interface TaskWatcher {

  void onChange(Task task);

  /** The engine is stopping: answer now with what is known. */
  default void onShutdown() {}
}
