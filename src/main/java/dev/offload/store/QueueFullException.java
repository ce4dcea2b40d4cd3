package dev.offload.store;

/** The queue holds as many pending tasks as its capacity allows; nothing was stored. */
public class QueueFullException extends RuntimeException {
  private final long capacity;

  public QueueFullException(long capacity) {
    super("the queue is full (" + capacity + " pending tasks)");
    this.capacity = capacity;
  }

  public long capacity() {
    return capacity;
  }
}
