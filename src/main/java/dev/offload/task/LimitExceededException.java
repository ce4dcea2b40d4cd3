package dev.offload.task;

/** A request that would take more than a {@link Limit} allows; nothing was changed. */
public class LimitExceededException extends RuntimeException {
  private final Limit limit;
  private final long value;

  public LimitExceededException(Limit limit, long value) {
    super(limit.reached() + ": at most " + value + " " + limit.what() + " (" + limit.setting()
        + ")", null, false, false);
    this.limit = limit;
    this.value = value;
  }

  public Limit limit() {
    return limit;
  }

  /** The limit's configured value. */
  public long value() {
    return value;
  }
}
