package dev.offload.engine;

import dev.offload.task.Task;

/**
 * Whose tasks a caller may see: one owner's, or everyone's (viewers and admins). A task the
 * caller may not see is, to them, a task that does not exist.
 *
 * @param owner the caller's own tasks
 * @param everyone whether all other owners' tasks are visible too
 */
public record Access(String owner, boolean everyone) {

  public static Access owner(String owner) {
    return new Access(owner, false);
  }

  public static Access everyone(String owner) {
    return new Access(owner, true);
  }

  public boolean sees(Task t) {
    return everyone || owner.equals(t.owner());
  }
}
