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

  /**
   * The cursor as the sequence number both stores hand out (the last item's arrival number), or
   * null for the first page.
   *
   * @throws InvalidCursorException for a cursor no store handed out
   */
  public Long afterSeq() {
    if (after == null) {
      return null;
    }
    try {
      long seq = Long.parseLong(after);
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException e) {
      // falls through to the refusal below
    }
    throw new InvalidCursorException(after);
  }
}
