package dev.offload.store;

import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The default store: everything in this JVM, bounded.
 *
 * <p>At most {@code capacity} tasks are pending; at most {@code retainedMax} finished tasks are
 * kept, the oldest finished evicted first; pending and running tasks are never evicted. One lock
 * guards all indexes: every operation is a few map updates, so a single lock is both simpler and
 * faster here than finer-grained locking, and {@link #sweep} works in bounded batches so it never
 * holds the lock for long.
 */
public final class MemoryTaskStore implements TaskStore {

  private final long capacity;
  private final long retainedMax;
  private final Object lock = new Object();

  // All guarded by lock.
  private final Map<UUID, Entry> byId = new HashMap<>();
  private final TreeMap<Long, Entry> bySeq = new TreeMap<>();
  private final TreeMap<Key, Entry> waiting = new TreeMap<>();
  private final EnumMap<Priority, TreeMap<Key, Entry>> ready = new EnumMap<>(Priority.class);
  private final LinkedHashSet<Entry> finishedOrder = new LinkedHashSet<>();
  private final TreeMap<Key, Entry> byExpiry = new TreeMap<>();
  private final Map<String, Entry> byIdempotencyKey = new HashMap<>();
  private long nextSeq;
  private long running;

  public MemoryTaskStore(long capacity, long retainedMax) {
    if (capacity < 1 || retainedMax < 0) {
      throw new IllegalArgumentException("capacity must be >= 1 and retainedMax >= 0");
    }
    this.capacity = capacity;
    this.retainedMax = retainedMax;
    for (Priority p : Priority.values()) {
      ready.put(p, new TreeMap<>());
    }
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

    Entry(long seq, Task task) {
      this.seq = seq;
      this.task = task;
    }
  }

  @Override
  public Inserted insert(Task task) {
    if (task.status() != TaskStatus.PENDING) {
      throw new IllegalArgumentException("only pending tasks can be inserted");
    }
    synchronized (lock) {
      String key = task.idempotencyKey();
      if (key != null) {
        Entry existing = byIdempotencyKey.get(key);
        if (existing != null) {
          if (!Objects.equals(existing.task.fingerprint(), task.fingerprint())) {
            throw new IdempotencyConflictException(key, existing.task.id());
          }
          return new Inserted(existing.task, false);
        }
      }
      if (pendingCount() >= capacity) {
        throw new QueueFullException(capacity);
      }
      if (byId.containsKey(task.id())) {
        throw new IllegalArgumentException("task " + task.id() + " already exists");
      }
      Entry e = new Entry(nextSeq++, task);
      byId.put(task.id(), e);
      bySeq.put(e.seq, e);
      if (key != null) {
        byIdempotencyKey.put(key, e);
      }
      enqueue(e);
      return new Inserted(task, true);
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
    NavigableMap<Long, Entry> from;
    synchronized (lock) {
      from = bySeq.descendingMap();
      if (q.after() != null) {
        from = from.tailMap(q.afterSeq(), false);
      }
      List<Task> items = new ArrayList<>(Math.min(q.limit(), 1000));
      for (Entry e : from.values()) {
        Task t = e.task;
        if ((q.status() == null || t.status() == q.status())
            && (q.type() == null || t.type().equals(q.type()))) {
          if (items.size() == q.limit()) {
            Task last = items.get(items.size() - 1);
            return new TaskPage(items, Long.toString(byId.get(last.id()).seq));
          }
          items.add(t);
        }
      }
      return new TaskPage(items, null);
    }
  }

  @Override
  public List<Task> claim(String owner, Instant now, Instant leaseUntil, int max) {
    synchronized (lock) {
      promoteDue(now);
      List<Task> claimed = new ArrayList<>(Math.min(max, 64));
      for (Priority p : Priority.values()) {
        TreeMap<Key, Entry> queue = ready.get(p);
        while (claimed.size() < max && !queue.isEmpty()) {
          Entry e = queue.pollFirstEntry().getValue();
          e.queueKey = null;
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
      ready.get(e.task.priority()).put(e.queueKey, e);
    }
  }

  @Override
  public Optional<Instant> nextDueAt() {
    synchronized (lock) {
      Instant min = waiting.isEmpty() ? null : waiting.firstKey().at();
      for (TreeMap<Key, Entry> q : ready.values()) {
        if (!q.isEmpty() && (min == null || q.firstKey().at().isBefore(min))) {
          min = q.firstKey().at();
        }
      }
      return Optional.ofNullable(min);
    }
  }

  @Override
  public Optional<Task> progress(UUID id, int attempt, Progress progress) {
    synchronized (lock) {
      Entry e = currentAttempt(id, attempt);
      if (e == null) {
        return Optional.empty();
      }
      e.task = e.task.withProgress(progress);
      return Optional.of(e.task);
    }
  }

  @Override
  public Optional<Task> finish(UUID id, int attempt, Outcome outcome) {
    synchronized (lock) {
      Entry e = currentAttempt(id, attempt);
      if (e == null) {
        return Optional.empty();
      }
      running--;
      e.task = outcome.applyTo(e.task);
      if (e.task.isTerminal()) {
        retire(e);
      } else {
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
      }
      e.task = e.task.canceled(now);
      retire(e);
      return Optional.of(e.task);
    }
  }

  @Override
  public int sweep(Instant now, int batch) {
    synchronized (lock) {
      int removed = 0;
      while (removed < batch && !byExpiry.isEmpty() && !byExpiry.firstKey().at().isAfter(now)) {
        remove(byExpiry.firstEntry().getValue());
        removed++;
      }
      return removed;
    }
  }

  @Override
  public StoreStats stats() {
    synchronized (lock) {
      return new StoreStats(pendingCount(), running, finishedOrder.size());
    }
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public void close() {
    // Nothing to release: the garbage collector takes it all.
  }

  private Entry currentAttempt(UUID id, int attempt) {
    Entry e = byId.get(id);
    if (e == null || e.task.status() != TaskStatus.RUNNING || e.task.attempts() != attempt) {
      return null;
    }
    return e;
  }

  private long pendingCount() {
    long n = waiting.size();
    for (TreeMap<Key, Entry> q : ready.values()) {
      n += q.size();
    }
    return n;
  }

  private void enqueue(Entry e) {
    e.queueKey = new Key(e.task.nextAttemptAt(), e.seq);
    waiting.put(e.queueKey, e);
  }

  private void dequeue(Entry e) {
    if (e.queueKey != null) {
      if (waiting.remove(e.queueKey) == null) {
        ready.get(e.task.priority()).remove(e.queueKey);
      }
      e.queueKey = null;
    }
  }

  /** A task just ended: keep it for its TTL, within the retained cap. */
  private void retire(Entry e) {
    if (e.task.limits().resultTtlSeconds() == 0) {
      remove(e);
      return;
    }
    finishedOrder.add(e);
    byExpiry.put(new Key(e.task.expiresAt(), e.seq), e);
    Iterator<Entry> oldest = finishedOrder.iterator();
    while (finishedOrder.size() > retainedMax && oldest.hasNext()) {
      Entry victim = oldest.next();
      oldest.remove();
      byExpiry.remove(new Key(victim.task.expiresAt(), victim.seq));
      forget(victim);
    }
  }

  private void remove(Entry e) {
    if (e.task.isTerminal() && finishedOrder.remove(e)) {
      byExpiry.remove(new Key(e.task.expiresAt(), e.seq));
    }
    forget(e);
  }

  private void forget(Entry e) {
    byId.remove(e.task.id());
    bySeq.remove(e.seq);
    if (e.task.idempotencyKey() != null) {
      byIdempotencyKey.remove(e.task.idempotencyKey(), e);
    }
  }
}
