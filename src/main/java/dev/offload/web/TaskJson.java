package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The one place a task snapshot becomes JSON. The complete view is remembered per snapshot and
 * shared: when a task ends, every client parked on it (hundreds of long-polls, say) is answered
 * with the same snapshot, and the benchmark of waiting clients showed that serialising the view
 * once per client, not once per change, was what delayed their answers.
 *
 * <p>The memo is bounded in entries and in bytes, and keeps only texts: a large view is written
 * afresh each time rather than kept.
 */
final class TaskJson {
  /** Snapshots remembered at most; past that the memo starts again. */
  static final int MAX_ENTRIES = 4096;
  /** Characters of remembered JSON at most. */
  static final long MAX_CHARS = 16L << 20;
  /** Views longer than this are never remembered. */
  static final int MAX_ENTRY_CHARS = 64 << 10;

  private record Entry(Task task, String contextPath, String waitingFor, String json) {}

  private final JsonCodec json;
  /** Why a pending task waits, when it is for something other than its turn (the engine's). */
  private final Function<Task, Optional<String>> waitingFor;
  private final Map<UUID, Entry> recent = new ConcurrentHashMap<>();
  private final AtomicLong chars = new AtomicLong();

  TaskJson(JsonCodec json, Function<Task, Optional<String>> waitingFor) {
    this.json = json;
    this.waitingFor = waitingFor;
  }

  TaskJson(JsonCodec json) {
    this(json, t -> Optional.empty());
  }

  private String waiting(Task task) {
    return task.status() == TaskStatus.PENDING ? waitingFor.apply(task).orElse(null) : null;
  }

  /** The complete view of {@code task}: input and result included. */
  String full(Task task, String contextPath) {
    String waiting = waiting(task);
    Entry e = recent.get(task.id());
    if (e != null && e.contextPath.equals(contextPath) && e.task.equals(task)
        && Objects.equals(e.waitingFor, waiting)) {
      return e.json;
    }
    String text = json.toJson(TaskView.of(task, contextPath, waiting));
    if (text.length() <= MAX_ENTRY_CHARS) {
      if (recent.size() >= MAX_ENTRIES || chars.get() + text.length() > MAX_CHARS) {
        recent.clear();
        chars.set(0);
      }
      Entry old = recent.put(task.id(), new Entry(task, contextPath, waiting, text));
      chars.addAndGet(text.length() - (old == null ? 0 : old.json.length()));
    }
    return text;
  }

  /** A list item: everything but input and result. */
  TaskView summary(Task task, String contextPath) {
    return TaskView.summary(task, contextPath);
  }

  /** A list item with input and result. */
  TaskView complete(Task task, String contextPath) {
    return TaskView.of(task, contextPath, waiting(task));
  }
}
