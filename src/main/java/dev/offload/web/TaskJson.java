package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Task;
import jakarta.json.JsonValue;
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

  private record Entry(Task task, String contextPath, String json, JsonValue input) {}

  private final JsonCodec json;
  private final Map<UUID, Entry> recent = new ConcurrentHashMap<>();

  TaskJson(JsonCodec json) {
    this.json = json;
  }

  String of(Task task, String contextPath) {
    return of(task, contextPath, null);
  }

  /**
   * @param parsedInput the task's input as a tree when the caller parsed that very text (a
   *     submission), else null. A task's input never changes, so its tree is also taken from
   *     the previous snapshot of the task while that shares the same text.
   */
  String of(Task task, String contextPath, JsonValue parsedInput) {
    Entry e = recent.get(task.id());
    if (e != null && e.task == task && e.contextPath.equals(contextPath)) {
      return e.json; // the very same snapshot: snapshots are immutable
    }
    JsonValue input = parsedInput != null ? parsedInput
        : e != null && e.task.input() == task.input() ? e.input
        : TaskView.input(task, json);
    String text = json.toJson(TaskView.of(task, contextPath, json, input));
    if (recent.size() >= MAX_ENTRIES) {
      recent.clear();
    }
    recent.put(task.id(), new Entry(task, contextPath, text, input));
    return text;
  }
}
