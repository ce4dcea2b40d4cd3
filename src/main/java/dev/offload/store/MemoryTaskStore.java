package dev.offload.store;

import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.Delivery;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import dev.offload.task.TaskStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The default store: everything in this JVM, bounded in tasks and in bytes.
 *
 * <p>Pending tasks are limited in number and in bytes of input, overall and per owner; finished
 * tasks are kept within a count and a byte cap, the oldest finished evicted first; pending and
 * running tasks are never evicted. Due tasks wait in one lane per owner and priority, and claims
 * take the lanes of one priority in turn (round-robin), so an owner with thousands of queued
 * tasks delays another owner's new task by about one task, not by thousands.
 *
 * <p>One lock guards all indexes: every operation is a few map updates, so a single lock is both
 * simpler and faster here than finer-grained locking, and {@link #sweep} works in bounded
 * batches so it never holds the lock for long.
 *
 * <p>A finished task whose callback is still owed is kept outside the finished ones, in an index
 * of owed deliveries by when they can be claimed: neither the sweep nor the retained caps see it
 * until its delivery ends (delivered or failed), when it is retired as any finished task (at
 * once forgotten with a TTL of 0). Nothing of it survives a restart: delivery is best effort.
 *
 * <p>Every retained task costs a few index entries, so the indexes hold the store's own {@link
 * Entry} objects directly (ordered by comparators, finished ones chained in finishing order)
 * rather than keys made for them, and the two indexes every task is in are arrays rather than
 * trees ({@link Arrivals}, {@link Expiries}): the memory benchmark counts each object.
 */
public final class MemoryTaskStore implements TaskStore {

  private final StoreLimits limits;
  private final Object lock = new Object();

  /** Owed deliveries: when they can be claimed (due, or their lease ends), then arrival. */
  private static final Comparator<Entry> BY_CLAIMABLE =
      Comparator.comparingLong((Entry e) -> e.owing.claimableAt).thenComparingLong(e -> e.seq);

  // All guarded by lock.
  private final IdTable<Entry> byId = new IdTable<>(e -> e.task.id());
  /** Every task by arrival, for lists (newest first). */
  private final Arrivals<Entry> bySeq = new Arrivals<>();
  /** Pending tasks not yet due; moved to {@link #ready} by the claim that finds them due. */
  private final TreeMap<Key, Entry> waiting = new TreeMap<>();
  private final EnumMap<Priority, Lanes> ready = new EnumMap<>(Priority.class);
  /** Finished tasks kept, oldest finished first: a chain through the entries. */
  private Entry oldestFinished;
  private Entry newestFinished;
  private long finished;
  /** Finished tasks by expiry. */
  private final Expiries byExpiry = new Expiries();
  /** Ended tasks whose callback delivery is owed; none of them is among the finished above. */
  private final TreeSet<Entry> owed = new TreeSet<>(BY_CLAIMABLE);
  private long owedBytes;
  /** The owed deliveries' tasks and input bytes, in all and per owner: see {@link #admit}. */
  private final Usage owedInAll = new Usage();
  private final Map<String, Usage> owedByOwner = new HashMap<>();
  private final Map<String, Entry> byIdempotencyKey = new HashMap<>();
  private final Map<String, Usage> pendingByOwner = new HashMap<>();
  private long nextSeq;
  private long running;
  private long pendingTasks;
  private long pendingBytes;
  private long retainedBytes;

  public MemoryTaskStore(StoreLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
    for (Priority p : Priority.values()) {
      ready.put(p, new Lanes());
    }
  }

  /** A store with only a task capacity and a retained cap (tests and benchmarks). */
  public MemoryTaskStore(long capacity, long retainedMax) {
    this(StoreLimits.of(capacity, retainedMax));
  }

  /** Orders by an instant, then by arrival. */
  private record Key(Instant at, long seq) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /** The store's private, mutable bookkeeping for one task; never handed out. */
  private static final class Entry {
    final long seq;
    Task task;
    Key queueKey;
    /** The finishing order of the kept finished tasks. */
    Entry older;
    Entry newer;
    /** While in {@link #owed}: its delivery's bookkeeping; null otherwise (most entries). */
    Owing owing;

    Entry(long seq, Task task) {
      this.seq = seq;
      this.task = task;
    }
  }

  /**
   * An owed delivery's bookkeeping, apart from the entry so that the many entries without one
   * do not carry its fields.
   */
  private static final class Owing {
    /** When the delivery can be claimed: its key in {@link #owed}. */
    long claimableAt;
    /** Who holds the delivery's lease; null while nobody does. */
    String leaseOwner;
  }

  /**
   * The kept finished tasks by expiry, at a few bytes each (a {@code TreeSet} costs 40: its
   * node). A task expires at its end plus its result TTL, so the tasks of one TTL expire in the
   * order they finished: one FIFO per TTL, appended as they finish, and the FIFOs ordered by
   * their heads. The sweep takes the first head; the retained caps evict the oldest finished
   * task, which heads its own FIFO. (Two ends recorded out of the order of their timestamps, a
   * millisecond apart or across a step of the clock, leave the later-stamped one ahead in its
   * FIFO: the other is swept once that one is, late by that much.)
   */
  private static final class Expiries {
    private static final class Fifo {
      final long ttl;
      // Small at first: a client may pick many distinct TTLs, each a FIFO of its own.
      final ArrayDeque<Entry> entries = new ArrayDeque<>(1);

      Fifo(long ttl) {
        this.ttl = ttl;
      }

      long headExpiry() {
        return entries.getFirst().task.expiresAtMillis();
      }
    }

    private final Map<Long, Fifo> byTtl = new HashMap<>();
    /** The FIFOs, by the expiry of their heads; a FIFO is taken out before its head changes. */
    private final TreeSet<Fifo> byHead = new TreeSet<>(
        Comparator.comparingLong(Fifo::headExpiry).thenComparingLong(f -> f.ttl));

    void add(Entry e) {
      Fifo f = byTtl.computeIfAbsent(e.task.limits().resultTtlSeconds(), Fifo::new);
      f.entries.addLast(e);
      if (f.entries.size() == 1) {
        byHead.add(f);
      }
    }

    /** The task that expires first, or null. */
    Entry first() {
      return byHead.isEmpty() ? null : byHead.first().entries.getFirst();
    }

    /** Removes a kept finished task; false when it is not one. */
    boolean remove(Entry e) {
      Fifo f = byTtl.get(e.task.limits().resultTtlSeconds());
      if (f == null) {
        return false;
      }
      if (f.entries.getFirst() != e) {
        return f.entries.removeFirstOccurrence(e); // not met: sweep and caps take heads
      }
      byHead.remove(f);
      f.entries.removeFirst();
      if (f.entries.isEmpty()) {
        byTtl.remove(f.ttl);
      } else {
        byHead.add(f);
      }
      return true;
    }
  }

  /** One owner's pending tasks and their bytes. */
  private static final class Usage {
    long tasks;
    long bytes;
  }

  /**
   * The due tasks of one priority, in one FIFO lane per owner (one lane for all when fair
   * dispatch is off); lanes take turns. Guarded by the store's lock.
   */
  private static final class Lanes {
    private final Map<String, TreeMap<Key, Entry>> byLane = new HashMap<>();
    /** Lanes with due work, the next to be served first. */
    private final LinkedHashSet<String> turn = new LinkedHashSet<>();

    void add(String lane, Entry e) {
      TreeMap<Key, Entry> q = byLane.computeIfAbsent(lane, k -> new TreeMap<>());
      if (q.isEmpty()) {
        turn.add(lane);
      }
      q.put(e.queueKey, e);
    }

    /** The head of the lane whose turn it is; that lane goes to the back of the line. */
    Entry poll() {
      Iterator<String> next = turn.iterator();
      if (!next.hasNext()) {
        return null;
      }
      String lane = next.next();
      next.remove();
      TreeMap<Key, Entry> q = byLane.get(lane);
      Entry e = q.pollFirstEntry().getValue();
      if (q.isEmpty()) {
        byLane.remove(lane);
      } else {
        turn.add(lane);
      }
      return e;
    }

    boolean remove(String lane, Entry e) {
      TreeMap<Key, Entry> q = byLane.get(lane);
      if (q == null || q.remove(e.queueKey) == null) {
        return false;
      }
      if (q.isEmpty()) {
        byLane.remove(lane);
        turn.remove(lane);
      }
      return true;
    }

    /** Any due task's due time, or null: what matters is only that one is due. */
    Instant anyDueAt() {
      return turn.isEmpty() ? null : byLane.get(turn.iterator().next()).firstKey().at();
    }
  }

  @Override
  public Inserted insert(Task task) {
    if (task.status() != TaskStatus.PENDING) {
      throw new IllegalArgumentException("only pending tasks can be inserted");
    }
    synchronized (lock) {
      String key = idempotencyKey(task);
      if (key != null) {
        Entry existing = byIdempotencyKey.get(key);
        if (existing != null) {
          if (!Objects.equals(existing.task.fingerprint(), task.fingerprint())) {
            throw new IdempotencyConflictException(task.idempotencyKey(), existing.task.id());
          }
          return new Inserted(existing.task, false);
        }
      }
      if (byId.get(task.id()) != null) {
        throw new IllegalArgumentException("task " + task.id() + " already exists");
      }
      admit(task);
      Entry e = new Entry(nextSeq++, task);
      byId.add(e);
      bySeq.add(e.seq, e);
      if (key != null) {
        byIdempotencyKey.put(key, e);
      }
      enterPending(task);
      enqueue(e);
      return new Inserted(task, true);
    }
  }

  /**
   * Refuses a new task that would pass a pending limit: everyone's first (the server is full:
   * 503 for all), then the owner's (429 for that owner only).
   */
  private void admit(Task task) {
    long bytes = task.spec().inputBytes();
    // A task with a callback also counts the tasks whose callbacks are still owed: they are
    // kept past the sweep and the retained caps until delivered or given up, so without this a
    // client whose receiver never answers could fill the heap with them.
    boolean withCallback = task.callback() != null;
    Usage owedHere = withCallback ? owedByOwner.get(task.owner()) : null;
    long owedTasks = withCallback ? owedInAll.tasks : 0;
    long owedInput = withCallback ? owedInAll.bytes : 0;
    if (pendingTasks + owedTasks >= limits.queueTasks()) {
      throw new LimitExceededException(Limit.QUEUE_TASKS, limits.queueTasks());
    }
    if (pendingBytes + owedInput + bytes > limits.queueBytes()) {
      throw new LimitExceededException(Limit.QUEUE_BYTES, limits.queueBytes());
    }
    Usage u = pendingByOwner.get(task.owner());
    long ownerTasks = (u == null ? 0 : u.tasks) + (owedHere == null ? 0 : owedHere.tasks);
    long ownerBytes = (u == null ? 0 : u.bytes) + (owedHere == null ? 0 : owedHere.bytes);
    if (ownerTasks >= limits.ownerTasks()) {
      throw new LimitExceededException(Limit.OWNER_TASKS, limits.ownerTasks());
    }
    if (ownerBytes + bytes > limits.ownerBytes()) {
      throw new LimitExceededException(Limit.OWNER_BYTES, limits.ownerBytes());
    }
  }

  @Override
  public Optional<Task> get(UUID id) {
    synchronized (lock) {
      Entry e = byId.get(id);
      return e == null ? Optional.empty() : Optional.of(e.task);
    }
  }

  @Override
  public TaskPage list(TaskQuery q) {
    Long after = q.afterSeq();
    synchronized (lock) {
      List<Task> items = new ArrayList<>(Math.min(q.limit(), 1000));
      List<String> cursors = new ArrayList<>(Math.min(q.limit(), 1000));
      boolean[] more = {false};
      bySeq.forEachNewestFirst(after == null ? Long.MAX_VALUE : after, (seq, e) -> {
        if (q.matches(e.task)) {
          if (items.size() == q.limit()) {
            more[0] = true;
            return false;
          }
          items.add(e.task);
          cursors.add(Long.toString(seq));
        }
        return true;
      });
      if (more[0]) {
        return new TaskPage(items, cursors.get(cursors.size() - 1), cursors);
      }
      return new TaskPage(items, null, cursors);
    }
  }

  /** Every task here was admitted by this instance's handlers, so {@code types} is moot. */
  @Override
  public List<Task> claim(
      String instance, Set<String> types, Instant now, Instant leaseUntil, int max) {
    synchronized (lock) {
      promoteDue(now);
      List<Task> claimed = new ArrayList<>(Math.min(max, 64));
      for (Priority p : Priority.values()) {
        Lanes lanes = ready.get(p);
        while (claimed.size() < max) {
          Entry e = lanes.poll();
          if (e == null) {
            break;
          }
          e.queueKey = null;
          leavePending(e.task);
          e.task = e.task.started(now);
          running++;
          claimed.add(e.task);
        }
      }
      return claimed;
    }
  }

  private void promoteDue(Instant now) {
    while (!waiting.isEmpty() && !waiting.firstKey().at().isAfter(now)) {
      Entry e = waiting.pollFirstEntry().getValue();
      ready.get(e.task.priority()).add(lane(e.task), e);
    }
  }

  @Override
  public Optional<Instant> nextDueAt() {
    synchronized (lock) {
      for (Lanes lanes : ready.values()) {
        Instant due = lanes.anyDueAt();
        if (due != null) {
          return Optional.of(due);
        }
      }
      return waiting.isEmpty() ? Optional.empty() : Optional.of(waiting.firstKey().at());
    }
  }

  @Override
  public Optional<Task> progress(Task attempt, Progress progress) {
    synchronized (lock) {
      Entry e = current(attempt);
      if (e == null) {
        return Optional.empty();
      }
      e.task = e.task.withProgress(progress);
      return Optional.of(e.task);
    }
  }

  @Override
  public Optional<Task> finish(Task attempt, Outcome outcome) {
    synchronized (lock) {
      Entry e = current(attempt);
      if (e == null) {
        return Optional.empty();
      }
      running--;
      e.task = outcome.applyTo(e.task);
      if (e.task.isTerminal()) {
        settle(e);
      } else {
        enterPending(e.task); // a retry or a hand-back: never refused, it was accepted before
        enqueue(e);
      }
      return Optional.of(e.task);
    }
  }

  @Override
  public Optional<Task> cancel(UUID id, Instant now) {
    synchronized (lock) {
      Entry e = byId.get(id);
      if (e == null) {
        return Optional.empty();
      }
      if (e.task.isTerminal()) {
        throw new AlreadyFinishedException(e.task);
      }
      if (e.task.status() == TaskStatus.RUNNING) {
        running--;
      } else {
        dequeue(e);
        leavePending(e.task);
      }
      e.task = e.task.canceled(now);
      settle(e);
      return Optional.of(e.task);
    }
  }

  @Override
  public int sweep(Instant now, int batch) {
    synchronized (lock) {
      int removed = 0;
      for (Entry e = byExpiry.first(); removed < batch && e != null
          && e.task.expiresAtMillis() <= now.toEpochMilli(); e = byExpiry.first()) {
        remove(e);
        removed++;
      }
      return removed;
    }
  }

  @Override
  public List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max) {
    Objects.requireNonNull(instance, "instance");
    synchronized (lock) {
      List<Task> claimed = new ArrayList<>(Math.min(max, 64));
      while (claimed.size() < max && !owed.isEmpty()
          && owed.first().owing.claimableAt <= now.toEpochMilli()) {
        Entry e = owed.pollFirst();
        e.task = e.task.withDelivery(e.task.delivery().claimed());
        e.owing.leaseOwner = instance;
        e.owing.claimableAt = leaseUntil.toEpochMilli();
        owed.add(e);
        claimed.add(e.task);
      }
      return claimed;
    }
  }

  @Override
  public Optional<Task> recordDelivery(Task claimed, Delivery next) {
    Objects.requireNonNull(next, "next");
    synchronized (lock) {
      Entry e = byId.get(claimed.id());
      // The fence: still owed, still leased, and the attempt counted is the claim's.
      if (e == null || !e.task.deliveryOwed() || e.owing == null || e.owing.leaseOwner == null
          || e.task.delivery().attempts() != claimed.delivery().attempts()) {
        return Optional.empty();
      }
      owed.remove(e);
      owedBytes -= e.task.bytes();
      countOwed(e.task, -1);
      e.owing = null;
      e.task = e.task.withDelivery(next);
      settle(e);
      return Optional.of(e.task);
    }
  }

  @Override
  public Optional<Instant> nextDeliveryAt() {
    synchronized (lock) {
      return owed.isEmpty() ? Optional.empty()
          : Optional.of(Instant.ofEpochMilli(owed.first().owing.claimableAt));
    }
  }

  @Override
  public StoreStats stats() {
    synchronized (lock) {
      return new StoreStats(pendingTasks, running, finished + owed.size(), pendingBytes,
          retainedBytes + owedBytes, pendingByOwner.size());
    }
  }

  @Override
  public Optional<OwnerStats> ownerStats(String owner) {
    synchronized (lock) {
      Usage u = pendingByOwner.get(owner);
      return Optional.of(u == null ? new OwnerStats(0, 0) : new OwnerStats(u.tasks, u.bytes));
    }
  }

  @Override
  public StoreLimits limits() {
    return limits;
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public void close() {
    // Nothing to release: the garbage collector takes it all.
  }

  /** The entry of {@code attempt} while that attempt is still the current one, else null. */
  private Entry current(Task attempt) {
    Entry e = byId.get(attempt.id());
    if (e == null || e.task.status() != TaskStatus.RUNNING
        || e.task.attempts() != attempt.attempts()) {
      return null;
    }
    return e;
  }

  private String lane(Task t) {
    return limits.fair() ? t.owner() : "";
  }

  private String idempotencyKey(Task t) {
    return t.idempotencyKey() == null ? null : t.owner() + '\n' + t.idempotencyKey();
  }

  private void enterPending(Task t) {
    pendingTasks++;
    pendingBytes += t.spec().inputBytes();
    Usage u = pendingByOwner.computeIfAbsent(t.owner(), k -> new Usage());
    u.tasks++;
    u.bytes += t.spec().inputBytes();
  }

  private void leavePending(Task t) {
    pendingTasks--;
    pendingBytes -= t.spec().inputBytes();
    Usage u = pendingByOwner.get(t.owner());
    if (u != null && --u.tasks == 0) {
      pendingByOwner.remove(t.owner());
    } else if (u != null) {
      u.bytes -= t.spec().inputBytes();
    }
  }

  /** Queues a pending task, already counted by {@link #enterPending}. */
  private void enqueue(Entry e) {
    e.queueKey = new Key(e.task.nextAttemptAt(), e.seq);
    waiting.put(e.queueKey, e);
  }

  private void dequeue(Entry e) {
    if (e.queueKey != null) {
      if (waiting.remove(e.queueKey) == null) {
        ready.get(e.task.priority()).remove(lane(e.task), e);
      }
      e.queueKey = null;
    }
  }

  /**
   * A task just ended, or its delivery changed: while its callback is owed it waits among the
   * owed deliveries, untouched by the sweep and the caps; else it is retired.
   */
  private void settle(Entry e) {
    if (e.task.deliveryOwed()) {
      e.owing = new Owing();
      e.owing.claimableAt = e.task.deliveryDueAtMillis();
      owed.add(e);
      owedBytes += e.task.bytes();
      countOwed(e.task, 1);
    } else {
      retire(e);
    }
  }

  private void countOwed(Task t, int sign) {
    long input = t.spec().inputBytes();
    owedInAll.tasks += sign;
    owedInAll.bytes += sign * input;
    Usage u = owedByOwner.computeIfAbsent(t.owner(), k -> new Usage());
    u.tasks += sign;
    u.bytes += sign * input;
    if (u.tasks == 0) {
      owedByOwner.remove(t.owner());
    }
  }

  /** A task just ended: keep it for its TTL, within the retained caps. */
  private void retire(Entry e) {
    if (e.task.limits().resultTtlSeconds() == 0) {
      forget(e);
      return;
    }
    retainedBytes += e.task.bytes();
    finished++;
    e.older = newestFinished;
    if (newestFinished != null) {
      newestFinished.newer = e;
    } else {
      oldestFinished = e;
    }
    newestFinished = e;
    byExpiry.add(e);
    while ((finished > limits.retainedTasks() || retainedBytes > limits.retainedBytes())
        && oldestFinished != null) {
      remove(oldestFinished);
    }
  }

  /** Removes a task, finished (kept) or not, from every index. */
  private void remove(Entry e) {
    if (e.task.isTerminal() && byExpiry.remove(e)) {
      retainedBytes -= e.task.bytes();
      finished--;
      if (e.older != null) {
        e.older.newer = e.newer;
      } else {
        oldestFinished = e.newer;
      }
      if (e.newer != null) {
        e.newer.older = e.older;
      } else {
        newestFinished = e.older;
      }
      e.older = null;
      e.newer = null;
    }
    forget(e);
  }

  private void forget(Entry e) {
    byId.remove(e.task.id());
    bySeq.remove(e.seq);
    String key = idempotencyKey(e.task);
    if (key != null) {
      byIdempotencyKey.remove(key, e);
    }
  }
}
