package dev.offload.web;

import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the requests that wait (long-polls, {@code Prefer: wait}, event streams), overall and
 * per owner, so the container's connections and heap stay bounded whoever asks: past {@code
 * offload.waits.max} a new wait is refused with 503, past {@code offload.owner.waits.max} with
 * 429 (that owner only).
 */
final class Waits {
  /** What waits, as the metrics tell them apart. */
  enum Kind {
    /** A long-poll ({@code ?wait=N}) or a submit with {@code Prefer: wait=N}. */
    POLL,
    /** An event stream. */
    STREAM
  }

  private final int max;
  private final int ownerMax;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger[] openByKind = {new AtomicInteger(), new AtomicInteger()};
  private final Map<String, AtomicInteger> byOwner = new ConcurrentHashMap<>();

  Waits(int max, int ownerMax) {
    this.max = max;
    this.ownerMax = ownerMax;
  }

  /** One open wait; {@link #close} it exactly once when the request ends (it is idempotent). */
  final class Permit implements AutoCloseable {
    private final String owner;
    private final Kind kind;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Permit(String owner, Kind kind) {
      this.owner = owner;
      this.kind = kind;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        open.decrementAndGet();
        openByKind[kind.ordinal()].decrementAndGet();
        release(owner);
      }
    }
  }

  /**
   * Counts a new wait of {@code owner}.
   *
   * @throws LimitExceededException when the owner's or everyone's limit is reached
   */
  Permit open(String owner, Kind kind) {
    AtomicInteger mine = byOwner.compute(owner, (k, v) -> {
      AtomicInteger n = v == null ? new AtomicInteger() : v;
      n.incrementAndGet();
      return n;
    });
    if (mine.get() > ownerMax) {
      release(owner);
      throw new LimitExceededException(Limit.OWNER_WAITS, ownerMax);
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      release(owner);
      throw new LimitExceededException(Limit.WAITS, max);
    }
    openByKind[kind.ordinal()].incrementAndGet();
    return new Permit(owner, kind);
  }

  private void release(String owner) {
    byOwner.computeIfPresent(owner, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
  }

  int open() {
    return open.get();
  }

  /** Open waits of one kind (the metrics). */
  int open(Kind kind) {
    return openByKind[kind.ordinal()].get();
  }

  int openOf(String owner) {
    AtomicInteger n = byOwner.get(owner);
    return n == null ? 0 : n.get();
  }
}
