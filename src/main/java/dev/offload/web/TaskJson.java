package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Task;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON of a task view, written once per task snapshot and shared. When a task ends, every
 * client parked on it (hundreds of long-polls, say) is answered with the same snapshot: the
 * benchmark of waiting clients showed that serialising the view once per client, not once per
 * change, was what delayed their answers.
 */
final class TaskJson {
  /** Snapshots remembered at most; past that the memo starts again (memory stays bounded). */
  static final int MAX_ENTRIES = 4096;

  private record Entry(Task task, String contextPath, String json) {}

  private final JsonCodec json;
  private final Map<UUID, Entry> recent = new ConcurrentHashMap<>();

  TaskJson(JsonCodec json) {
    this.json = json;
  }

  String of(Task task, String contextPath) {
    Entry e = recent.get(task.id());
    if (e != null && e.task == task && e.contextPath.equals(contextPath)) {
      return e.json; // the very same snapshot: snapshots are immutable
    }
    String text = json.toJson(TaskView.of(task, contextPath, json));
    if (recent.size() >= MAX_ENTRIES) {
      recent.clear();
    }
    recent.put(task.id(), new Entry(task, contextPath, text));
    return text;
  }
}
