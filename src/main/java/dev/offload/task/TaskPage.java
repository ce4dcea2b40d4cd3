package dev.offload.task;

import java.util.List;

/**
 * One page of tasks, newest first; {@code next} is the cursor of the following page or null.
 *
 * @param cursors for each item, the cursor of the page that follows it, so a caller may cut the
 *     page short and still go on from where it stopped
 */
public record TaskPage(List<Task> items, String next, List<String> cursors) {
  public TaskPage {
    items = List.copyOf(items);
    cursors = List.copyOf(cursors);
    if (cursors.size() != items.size()) {
      throw new IllegalArgumentException("one cursor per item");
    }
  }

  /** The first {@code n} items, continued from the last of them. */
  public TaskPage first(int n) {
    if (n >= items.size()) {
      return this;
    }
    return new TaskPage(items.subList(0, n), cursors.get(n - 1), cursors.subList(0, n));
  }
}
