package dev.offload.store;

import dev.offload.task.TaskStatus;

/**
 * A page request for {@link TaskStore#list}: newest first, optionally filtered.
 *
 * @param after an opaque cursor from a previous page's {@code next}, or null for the first page
 */
public record TaskQuery(TaskStatus status, String type, int limit, String after) {
  public TaskQuery {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
  }
}
