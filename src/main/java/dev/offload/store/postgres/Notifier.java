package dev.offload.store.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends this store's notices, after the changes they announce have committed, from a thread and a
 * connection of its own ({@code offload-pg-notifier}).
 *
 * <p>Why not {@code pg_notify} inside the change's own statement: PostgreSQL serializes the
 * commits of all transactions that notify (an exclusive lock on the notification queue, held
 * until the commit, its flush to disk included), so with synchronous commit every submission,
 * claim and end waited for the others' disk flushes one after another, and group commit never
 * happened (measured: 160 tasks/s where db-scheduler did 1,200). A notice-only transaction writes
 * nothing that must reach the disk, so it holds that lock only for a moment.
 *
 * <p>Notices that arrive within a few milliseconds of each other, or while one is being sent, go
 * out together in one statement. A notice follows its commit by a few milliseconds; if this instance dies in between, the notice is lost,
 * as it would be with a listener that was away: other instances' workers still look for work at
 * least once a second, and a long-poll elsewhere is answered at its time-out with the state the
 * task is in.
 */
final class Notifier {
  private static final Logger LOG = Logger.getLogger(Notifier.class.getName());
  private static final String SEND =
      "SELECT pg_notify('" + PgListener.CHANNEL + "', p) FROM unnest(?::text[]) AS p";
  /** Ids kept while the database is away; past this, the oldest go (listeners resync anyway). */
  private static final int MAX_WAITING = 100_000;
  private static final long MAX_BACKOFF_MS = 2_000;
  /**
   * How long the first notice waits for others to go with it: a few milliseconds more before
   * another instance hears of a change, for one round trip where one per change was (a lone
   * submitter's inserts, claims and ends each had a notice of their own).
   */
  private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final String sender;
  private final LeaseLine connection;
  private final LongAdder roundTrips;
  private final LongAdder sent = new LongAdder();
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private Set<UUID> ids = new LinkedHashSet<>();
  private boolean work;
  private boolean stopping;
  private boolean sending;

  Notifier(PostgresSettings settings, String sender, LongAdder roundTrips) {
    this.sender = sender;
    this.connection = new LeaseLine(settings, "offload-notifier");
    this.roundTrips = roundTrips;
    this.thread = new Thread(this::run, "offload-pg-notifier");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Announces changed tasks, and new work when {@code work}; returns at once. */
  void announce(Collection<UUID> changed, boolean newWork) {
    if (changed.isEmpty() && !newWork) {
      return;
    }
    lock.lock();
    try {
      ids.addAll(changed);
      while (ids.size() > MAX_WAITING) {
        ids.remove(ids.iterator().next());
      }
      work |= newWork;
      this.changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is waiting, then stops, waiting at most {@code millis}; true when it ended. */
  boolean stop(long millis) {
    lock.lock();
    try {
      stopping = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connection.close(); // unblocks a send stuck on a dead socket
    try {
      thread.join(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  /** Statements sent so far. */
  long statements() {
    return sent.sum();
  }

  /** For tests: whether everything announced so far has been sent. */
  boolean idle() {
    lock.lock();
    try {
      return ids.isEmpty() && !work && !sending;
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    long backoff = 50;
    while (true) {
      List<UUID> batch;
      boolean newWork;
      lock.lock();
      try {
        while (ids.isEmpty() && !work && !stopping) {
          changed.awaitUninterruptibly();
        }
        if (ids.isEmpty() && !work) {
          return; // stopping, and nothing left
        }
        long linger = LINGER_NANOS;
        while (!stopping && linger > 0 && ids.size() < PgListener.IDS_PER_NOTICE) {
          try {
            linger = changed.awaitNanos(linger);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break; // send what there is
          }
        }
        batch = new ArrayList<>(ids);
        newWork = work;
        ids = new LinkedHashSet<>();
        work = false;
        sending = true;
      } finally {
        lock.unlock();
      }
      boolean sent = send(batch, newWork);
      lock.lock();
      try {
        sending = false;
        if (!sent) {
          // Keep them, in front of what came meanwhile, and try again after a pause.
          Set<UUID> again = new LinkedHashSet<>(batch);
          again.addAll(ids);
          ids = again;
          work |= newWork;
          if (stopping) {
            return;
          }
          changed.awaitNanos(TimeUnit.MILLISECONDS.toNanos(backoff));
          backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        } else {
          backoff = 50;
          changed.signalAll();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  private boolean send(List<UUID> batch, boolean newWork) {
    List<String> payloads = PgListener.payloads(sender, batch, newWork);
    try {
      connection.run(c -> {
        try (PreparedStatement ps = c.prepareStatement(SEND)) {
          ps.setArray(1, c.createArrayOf("text", payloads.toArray()));
          roundTrips.increment();
          sent.increment();
          ps.executeQuery().close();
        }
        return null;
      });
      return true;
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.WARNING, "sending " + payloads.size() + " notices to other instances failed;"
          + " trying again", e);
      return false;
    }
  }
}
