package dev.offload.store.postgres;

import dev.offload.store.StoreEvents;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Listens on the {@code offload_task} channel over a connection of its own (a pooled connection
 * would lose its {@code LISTEN} when handed to someone else) and tells the engine what other
 * instances changed.
 *
 * <p>A notice's payload is {@code <sender>|<token>,<token>...}: a token is a task id that
 * changed, or {@code work} when new work may be due. Notices from this store's own writes are
 * skipped: the engine has already told its watchers of them.
 *
 * <p>When the connection breaks the thread reconnects, backing off up to {@link #MAX_BACKOFF_MS};
 * after a reconnect it wakes the workers and has the engine re-read the tasks it watches or
 * runs, as any notice sent meanwhile was lost.
 */
final class PgListener {
  private static final Logger LOG = Logger.getLogger(PgListener.class.getName());

  static final String CHANNEL = "offload_task";
  static final String WORK = "work";
  /** PostgreSQL refuses payloads of 8000 bytes or more; 150 ids stay well below. */
  static final int IDS_PER_NOTICE = 150;

  private static final int POLL_MS = 500;
  private static final long MAX_BACKOFF_MS = 2_000;
  private static final long PING_EVERY_MS = 5_000;
  /** Changed tasks whose delivery failed are kept to try again, up to this many. */
  private static final int MAX_RETRIES = 10_000;

  private final PostgresSettings settings;
  private final String sender;
  private final StoreEvents events;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch listening = new CountDownLatch(1);
  private final Thread thread;
  private volatile Connection connection;
  /** Task ids whose delivery failed (the engine could not re-read them); listener thread only. */
  private final Set<UUID> undelivered = new LinkedHashSet<>();
  /** Connections made again after one was lost: the metrics read it. */
  private final AtomicLong reconnects = new AtomicLong();

  PgListener(PostgresSettings settings, String sender, StoreEvents events) {
    this.settings = settings;
    this.sender = sender;
    this.events = events;
    this.thread = new Thread(this::run, "offload-pg-listener");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /**
   * Waits until the first {@code LISTEN} is in place, at most {@code millis}: notices sent before
   * it are not delivered, so an instance should not count as started before it.
   */
  boolean awaitListening(long millis) {
    try {
      return listening.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops the thread, waiting at most {@code millis}; true when it ended. */
  boolean stop(long millis) {
    stop.countDown();
    try {
      thread.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      closeQuietly(connection); // unblocks a read stuck on a dead socket
      try {
        thread.join(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return !thread.isAlive();
  }

  /** How often the listener connected again after it had lost its connection. */
  long reconnects() {
    return reconnects.get();
  }

  private boolean stopping() {
    return stop.getCount() == 0;
  }

  private void run() {
    long backoff = 100;
    boolean lostBefore = false;
    while (!stopping()) {
      try (Connection c = connect()) {
        connection = c;
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        listening.countDown();
        if (lostBefore) {
          LOG.info("Listening to PostgreSQL notifications again");
          reconnects.incrementAndGet();
          safely(events::workAvailable);
          safely(events::resync); // notices sent while we were away are lost: re-read

        }
        backoff = 100;
        lostBefore = false;
        listen(c);
      } catch (SQLException | RuntimeException e) {
        if (stopping()) {
          break;
        }
        if (!lostBefore) {
          LOG.log(Level.WARNING, "the PostgreSQL notification connection failed; reconnecting "
              + "with back-off (changes made by other instances are noticed late meanwhile)", e);
        }
        lostBefore = true;
        awaitStop(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      } finally {
        connection = null;
      }
    }
  }

  private Connection connect() throws SQLException {
    Properties props = new Properties();
    if (settings.user() != null) {
      props.setProperty("user", settings.user());
    }
    if (settings.password() != null) {
      props.setProperty("password", settings.password());
    }
    props.setProperty("ApplicationName", "offload-listener");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout",
        Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
    // Not DriverManager: inside a servlet container it may not see the webapp's driver.
    Connection c = new org.postgresql.Driver().connect(settings.jdbcUrl(), props);
    if (c == null) {
      throw new SQLException("the PostgreSQL driver does not accept " + settings.jdbcUrl());
    }
    c.setAutoCommit(true);
    return c;
  }

  private void listen(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long lastPing = System.nanoTime();
    while (!stopping()) {
      PGNotification[] notices = pg.getNotifications(POLL_MS);
      if (notices != null && notices.length > 0) {
        deliver(notices);
      } else if (!undelivered.isEmpty()) {
        retryUndelivered();
      }
      if (System.nanoTime() - lastPing > TimeUnit.MILLISECONDS.toNanos(PING_EVERY_MS)) {
        // A silently dropped connection never errors on its own: ask it something.
        try (Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
        lastPing = System.nanoTime();
      }
    }
  }

  private void deliver(PGNotification[] notices) {
    boolean work = false;
    Set<UUID> changed = new LinkedHashSet<>();
    for (PGNotification n : notices) {
      String payload = n.getParameter();
      int bar = payload.indexOf('|');
      if (bar < 0 || payload.substring(0, bar).equals(sender)) {
        continue;
      }
      for (String token : payload.substring(bar + 1).split(",")) {
        if (token.equals(WORK)) {
          work = true;
        } else if (!token.isEmpty()) {
          try {
            changed.add(UUID.fromString(token));
          } catch (IllegalArgumentException e) {
            LOG.fine(() -> "ignoring a malformed notice token '" + token + "'");
          }
        }
      }
    }
    if (work) {
      safely(events::workAvailable);
    }
    changed.addAll(undelivered);
    undelivered.clear();
    deliverChanged(changed);
  }

  private void retryUndelivered() {
    Set<UUID> again = new LinkedHashSet<>(undelivered);
    undelivered.clear();
    deliverChanged(again);
  }

  /**
   * Tells the engine of changed tasks. When that fails (it re-reads the task, and the pool or
   * the database may be busy or away) the id is kept and tried again, so a long-poll parked on
   * this instance is not left waiting for a change it never heard of.
   */
  private void deliverChanged(Set<UUID> changed) {
    Iterator<UUID> ids = changed.iterator();
    while (ids.hasNext()) {
      UUID id = ids.next();
      try {
        events.taskChanged(id);
      } catch (RuntimeException e) {
        LOG.warning(() -> "telling the engine of a change to task " + id + " made by another "
            + "instance failed (" + e.getMessage() + "); trying again shortly");
        // The rest would most likely fail the same way: keep them all for the next round.
        undelivered.add(id);
        ids.forEachRemaining(rest -> {
          if (undelivered.size() < MAX_RETRIES) {
            undelivered.add(rest);
          }
        });
        return;
      }
    }
  }

  /** What precedes the comma-separated ids of a notice without work. */
  static String idsPayloadPrefix(String sender) {
    return sender + '|';
  }

  /** Payloads announcing {@code ids} (and new work, when {@code work}), within size limits. */
  static List<String> payloads(String sender, List<UUID> ids, boolean work) {
    List<String> out = new ArrayList<>();
    StringBuilder b = new StringBuilder(idsPayloadPrefix(sender));
    int inThis = 0;
    if (work) {
      b.append(WORK);
      inThis++;
    }
    for (UUID id : ids) {
      if (inThis == IDS_PER_NOTICE) {
        out.add(b.toString());
        b = new StringBuilder(idsPayloadPrefix(sender));
        inThis = 0;
      }
      if (inThis > 0) {
        b.append(',');
      }
      b.append(id);
      inThis++;
    }
    if (inThis > 0) {
      out.add(b.toString());
    }
    return out;
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      // The engine re-reads a changed task; while the database is away that fails, and the
      // next notice or the watcher's own time-out covers it.
      LOG.log(Level.FINE, "handling a PostgreSQL notification failed", e);
    }
  }

  private void awaitStop(long millis) {
    try {
      stop.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.countDown();
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        LOG.log(Level.FINE, "closing the listener connection failed", e);
      }
    }
  }
}
