package dev.offload.engine;

import dev.offload.task.Task;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Who is waiting on which task. Notification runs on the caller's thread. */
final class Watchers {
  private static final Logger LOG = Logger.getLogger(Watchers.class.getName());

  private final Map<UUID, Set<TaskWatcher>> byTask = new ConcurrentHashMap<>();

  AutoCloseable add(UUID id, TaskWatcher watcher) {
    byTask.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(watcher);
    return () -> remove(id, watcher);
  }

  private void remove(UUID id, TaskWatcher watcher) {
    byTask.computeIfPresent(
        id,
        (k, set) -> {
          set.remove(watcher);
          return set.isEmpty() ? null : set;
        });
  }

  Set<UUID> watchedIds() {
    return Set.copyOf(byTask.keySet());
  }

  boolean isWatched(UUID id) {
    return byTask.containsKey(id);
  }

  void changed(Task task) {
    Set<TaskWatcher> set = byTask.get(task.id());
    if (set == null) {
      return;
    }
    for (TaskWatcher w : set) {
      try {
        w.onChange(task);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, task.logName() + ": a watcher failed", e);
      }
    }
  }

  void shutdown() {
    for (Set<TaskWatcher> set : byTask.values()) {
      for (TaskWatcher w : set) {
        try {
          w.onShutdown();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "watcher failed on shutdown", e);
        }
      }
    }
  }

  int count() {
    return byTask.values().stream().mapToInt(Set::size).sum();
  }
}
