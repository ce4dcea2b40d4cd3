package dev.offload.store;

import dev.offload.task.Task;
import java.util.List;

/** One page of tasks, newest first; {@code next} is the cursor of the following page or null. */
public record TaskPage(List<Task> items, String next) {
  public TaskPage {
    items = List.copyOf(items);
  }
}
