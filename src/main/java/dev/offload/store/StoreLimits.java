package dev.offload.store;

/**
 * What a store holds at most. Pending limits refuse an insert ({@link
 * dev.offload.task.LimitExceededException}); retained limits evict the oldest finished tasks.
 *
 * @param queueTasks pending tasks, all owners together
 * @param queueBytes bytes of pending input, all owners together
 * @param ownerTasks pending tasks of one owner
 * @param ownerBytes bytes of pending input of one owner
 * @param retainedTasks finished tasks kept for their TTL
 * @param retainedBytes bytes of input and result text of the finished tasks kept
 * @param fair whether workers take due tasks round-robin across owners (within one priority)
 *     rather than strictly by due time and arrival
 */
public record StoreLimits(
    long queueTasks,
    long queueBytes,
    long ownerTasks,
    long ownerBytes,
    long retainedTasks,
    long retainedBytes,
    boolean fair) {

  public StoreLimits {
    if (queueTasks < 1 || queueBytes < 1 || ownerTasks < 1 || ownerBytes < 1
        || retainedTasks < 0 || retainedBytes < 0) {
      throw new IllegalArgumentException("store limits must be positive: " + this);
    }
  }

  /** Only a task capacity and a retained cap; every other limit out of the way. */
  public static StoreLimits of(long queueTasks, long retainedTasks) {
    return new StoreLimits(queueTasks, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
        retainedTasks, Long.MAX_VALUE, true);
  }

  public StoreLimits withFair(boolean fair) {
    return new StoreLimits(queueTasks, queueBytes, ownerTasks, ownerBytes, retainedTasks,
        retainedBytes, fair);
  }
}
