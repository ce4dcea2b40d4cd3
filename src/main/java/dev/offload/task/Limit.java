package dev.offload.task;

/**
 * Every limit that can refuse a client, named by the setting that sets it. A refusal says which
 * limit was reached and its value; {@link Scope#SERVER} limits protect everyone (503), {@link
 * Scope#OWNER} ones keep one owner from taking everyone's share (429).
 */
public enum Limit {
  QUEUE_TASKS("offload.queue.capacity", Scope.SERVER, "the queue is full", "pending tasks"),
  QUEUE_BYTES("offload.queue.bytes.max", Scope.SERVER, "the queue is full",
      "bytes of pending input"),
  OWNER_TASKS("offload.owner.pending.max", Scope.OWNER,
      "you have as many pending tasks as one owner may", "pending tasks per owner"),
  OWNER_BYTES("offload.owner.pending.bytes.max", Scope.OWNER,
      "your pending tasks hold as many bytes as one owner's may",
      "bytes of pending input per owner"),
  WAITS("offload.waits.max", Scope.SERVER, "too many clients are waiting",
      "open long-polls, waits and event streams"),
  OWNER_WAITS("offload.owner.waits.max", Scope.OWNER,
      "you have as many open waits as one owner may",
      "open long-polls, waits and event streams per owner");

  /** Who a limit protects. */
  public enum Scope {
    /** The server as a whole: refused with 503, as any overload. */
    SERVER,
    /** One owner's share: refused with 429, others are unaffected. */
    OWNER
  }

  private final String setting;
  private final Scope scope;
  private final String reached;
  private final String what;

  Limit(String setting, Scope scope, String reached, String what) {
    this.setting = setting;
    this.scope = scope;
    this.reached = reached;
    this.what = what;
  }

  /** What reaching it means, for people: "the queue is full". */
  public String reached() {
    return reached;
  }

  /** The setting's name, e.g. {@code offload.queue.capacity}. */
  public String setting() {
    return setting;
  }

  public Scope scope() {
    return scope;
  }

  /** What is counted, for people: "pending tasks per owner". */
  public String what() {
    return what;
  }
}
