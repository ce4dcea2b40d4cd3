package dev.offload.task;

/**
 * A page request for a list of tasks: newest first, optionally filtered.
 *
 * @param owner only this owner's tasks, or null for everyone's
 * @param after an opaque cursor from a previous page's {@code next}, or null for the first page
 * @param idempotencyKey only the task submitted with this key (per owner), or null
 */
public record TaskQuery(
    String owner, TaskStatus status, String type, int limit, String after, String idempotencyKey) {
  public TaskQuery {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
  }

  public TaskQuery(String owner, TaskStatus status, String type, int limit, String after) {
    this(owner, status, type, limit, after, null);
  }

  /** Everyone's tasks. */
  public TaskQuery(TaskStatus status, String type, int limit, String after) {
    this(null, status, type, limit, after);
  }

  /** Whether {@code t} passes the filters (the cursor aside). */
  public boolean matches(Task t) {
    return (owner == null || owner.equals(t.owner()))
        && (status == null || status == t.status())
        && (type == null || type.equals(t.type()))
        && (idempotencyKey == null || idempotencyKey.equals(t.idempotencyKey()));
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
