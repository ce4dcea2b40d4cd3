package dev.offload.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A durable task store shared by every instance that points at the same PostgreSQL database.
 *
 * <p>Workers claim due tasks with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so instances never
 * wait on each other's claims, and hold them under a lease (owner, attempt, expiry) that they
 * renew by heartbeat. The reaper of any instance returns tasks of a dead instance to the queue
 * once their lease expires. Every write of an attempt's outcome or progress is fenced on the
 * attempt number and on an owner that claimed through this store object, so a stale instance
 * that wakes up late changes nothing. Every change is announced with {@code NOTIFY}; the other
 * instances' listeners wake their idle workers and watchers.
 *
 * <p>Instants are stored with microsecond precision (PostgreSQL {@code timestamptz}); the engine
 * hands in millisecond instants, which round-trip exactly. Lease expiry compares instants from
 * the instances' clocks, which therefore must agree to well within a lease (NTP).
 */
public final class PostgresTaskStore implements TaskStore {
  private static final Logger LOG = Logger.getLogger(PostgresTaskStore.class.getName());

  private static final int RECLAIM_BATCH = 500;
  private static final int TRIES = 3;

  private static final String SELECT = "SELECT " + TaskRows.COLUMNS + " FROM offload_task";
  private static final String BY_ID = SELECT + " WHERE id = ?";
  private static final String BY_KEY = SELECT + " WHERE owner = ? AND idempotency_key = ?";
  private static final String NOTIFY_ONE = "pg_notify('" + PgListener.CHANNEL + "', ?)";
  /**
   * Inserts and announces in one statement; no row comes back for a known idempotency key. The
   * queue's capacity is checked by a trigger (migration V2) against offload.queue_capacity,
   * which every pooled connection sets when it opens.
   */
  private static final String INSERT = "WITH ins AS (" + TaskRows.INSERT
      + " ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
      + " RETURNING id) SELECT " + NOTIFY_ONE + " FROM ins";
  private static final String CLAIM_ONLY = "WITH due AS ("
      + " SELECT id, next_attempt_at AS due_at, seq FROM offload_task"
      + " WHERE status = 'pending' AND next_attempt_at <= ? AND (? OR type = ANY (?))"
      + " ORDER BY priority, next_attempt_at, seq LIMIT ? FOR UPDATE SKIP LOCKED)"
      + " UPDATE offload_task t SET status = 'running', attempts = t.attempts + 1,"
      + " progress_percent = NULL, progress_message = NULL, started_at = ?, finished_at = NULL,"
      + " expires_at = NULL, result = NULL,"
      + " lease_owner = ?, lease_until = ?"
      + " FROM due WHERE t.id = due.id RETURNING due.due_at, due.seq, " + TaskRows.columns("t");
  /**
   * {@link #CLAIM_ONLY} and its announcement in one statement: the notice names every claimed
   * id (the sub-select runs once, and only when a row was claimed).
   */
  private static final String CLAIM = "WITH up AS (" + CLAIM_ONLY + ") SELECT up.*, (SELECT "
      + "pg_notify('" + PgListener.CHANNEL + "', ? || string_agg(up.id::text, ',')) FROM up) "
      + "FROM up";
  private static final String NEXT_DUE =
      "SELECT min(next_attempt_at) FROM offload_task WHERE status = 'pending'";
  private static final String CURRENT = " WHERE id = ? AND status = 'running' AND attempts = ?"
      + " AND lease_owner = ANY (?)";
  private static final String PROGRESS = "WITH up AS (UPDATE offload_task SET"
      + " progress_percent = ?, progress_message = ?" + CURRENT + " RETURNING "
      + TaskRows.COLUMNS + ") SELECT up.*, " + NOTIFY_ONE + " FROM up";
  /**
   * Ends the current attempt in one statement, from the snapshot this store claimed: the fence
   * guarantees the row still is that snapshot but for its progress, which is kept (or cleared
   * for a hand-back) and returned.
   */
  private static final String FINISH = "WITH up AS (UPDATE offload_task SET status = ?,"
      + " attempts = ?, progress_percent = CASE WHEN ? THEN NULL ELSE progress_percent END,"
      + " progress_message = CASE WHEN ? THEN NULL ELSE progress_message END, started_at = ?,"
      + " finished_at = ?, next_attempt_at = ?, expires_at = ?, result = ?, error_type = ?,"
      + " error_message = ?, lease_owner = NULL, lease_until = NULL" + CURRENT
      + " RETURNING progress_percent, progress_message) SELECT up.*, " + NOTIFY_ONE + " FROM up";
  /** Ends the current attempt of a task whose result is not kept (TTL 0). */
  private static final String FINISH_FORGET = "WITH d AS (DELETE FROM offload_task" + CURRENT
      + " RETURNING progress_percent, progress_message) SELECT d.*, " + NOTIFY_ONE + " FROM d";
  private static final String LOCK_BY_ID = BY_ID + " FOR UPDATE";
  private static final String DELETE = "DELETE FROM offload_task WHERE id = ?";
  private static final String RENEW = "UPDATE offload_task SET lease_until = ?"
      + " WHERE id = ANY (?) AND status = 'running' AND lease_owner = ?";
  private static final String EXPIRED_LEASES = SELECT + " WHERE status = 'running'"
      + " AND lease_until < ? ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED";
  private static final String SWEEP = "DELETE FROM offload_task WHERE id IN ("
      + " SELECT id FROM offload_task WHERE expires_at <= ? ORDER BY expires_at LIMIT ?"
      + " FOR UPDATE SKIP LOCKED)";
  private static final String STATS = "SELECT count(*) FILTER (WHERE status = 'pending'),"
      + " count(*) FILTER (WHERE status = 'running'),"
      + " count(*) FILTER (WHERE status IN ('success', 'failed', 'canceled')),"
      + " coalesce(sum(input_bytes) FILTER (WHERE status = 'pending'), 0),"
      + " coalesce(sum(input_bytes + coalesce(octet_length(result), 0))"
      + " FILTER (WHERE status IN ('success', 'failed', 'canceled')), 0),"
      + " count(DISTINCT owner) FILTER (WHERE status = 'pending') FROM offload_task";
  private static final String NOTIFY = "SELECT pg_notify('" + PgListener.CHANNEL + "', ?)";

  private final HikariDataSource pool;
  private final PostgresSettings settings;
  /** Tells this store's own notices from other instances' ones. */
  private final String sender = UUID.randomUUID().toString();
  /** Instances that claimed through this store; only they may write an attempt's outcome. */
  private final Set<String> instances = ConcurrentHashMap.newKeySet();
  private final Object lifecycle = new Object();
  // Guarded by lifecycle.
  private PgListener listener;
  private boolean closed;

  private PostgresTaskStore(HikariDataSource pool, PostgresSettings settings) {
    this.pool = pool;
    this.settings = settings;
  }

  /**
   * Connects, creates or upgrades the schema, and returns a store that owns its pool.
   *
   * @throws dev.offload.task.StoreUnavailableException when PostgreSQL cannot be reached
   */
  public static PostgresTaskStore open(PostgresSettings settings) {
    return open(settings, null);
  }

  /** As {@link #open(PostgresSettings)}, with the pool reporting to {@code poolMetrics}. */
  public static PostgresTaskStore open(PostgresSettings settings,
      MetricsTrackerFactory poolMetrics) {
    HikariConfig hc = new HikariConfig();
    if (poolMetrics != null) {
      hc.setMetricsTrackerFactory(poolMetrics);
    }
    hc.setPoolName("offload-pg");
    hc.setDriverClassName("org.postgresql.Driver");
    hc.setJdbcUrl(settings.jdbcUrl());
    if (settings.user() != null) {
      hc.setUsername(settings.user());
    }
    if (settings.password() != null) {
      hc.setPassword(settings.password());
    }
    hc.setMaximumPoolSize(settings.poolSize());
    hc.setMinimumIdle(Math.min(2, settings.poolSize()));
    hc.setConnectionTimeout(Math.max(250, settings.connectTimeout().toMillis()));
    hc.setValidationTimeout(Math.max(250, Math.min(2_000, settings.connectTimeout().toMillis())));
    // Start even while the database is away: the migration below reports that clearly.
    hc.setInitializationFailTimeout(-1);
    hc.addDataSourceProperty("ApplicationName", "offload");
    hc.setConnectionInitSql("SET offload.queue_capacity = " + settings.queueCapacity());
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    hc.addDataSourceProperty("connectTimeout",
        Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
    // No query here runs long; a hung server must not hang a request thread forever.
    hc.addDataSourceProperty("socketTimeout", "30");
    HikariDataSource pool = new HikariDataSource(hc);
    try (Connection c = pool.getConnection()) {
      Migrations.apply(c);
    } catch (SQLException e) {
      pool.close();
      throw SqlErrors.translate("creating the schema at " + settings.jdbcUrl(), e);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    LOG.info(() -> "PostgreSQL task store ready: " + settings);
    return new PostgresTaskStore(pool, settings);
  }

  // ---------------------------------------------------------------- the queue

  @Override
  public Inserted insert(Task task) {
    if (task.status() != TaskStatus.PENDING) {
      throw new IllegalArgumentException("only pending tasks can be inserted");
    }
    String key = task.idempotencyKey();
    for (int round = 1; ; round++) {
      boolean created;
      try {
        created = call("inserting task " + task.id(), c -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            TaskRows.bindInsert(ps, task);
            ps.setString(TaskRows.INSERT_PARAMETERS + 1, PgListener.workPayload(sender));
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          } catch (SQLException e) {
            if (SqlErrors.isQueueFull(e)) {
              throw new LimitExceededException(Limit.QUEUE_TASKS, settings.queueCapacity());
            }
            if (SqlErrors.isUniqueViolation(e, "offload_task_pkey")) {
              throw new IllegalArgumentException("task " + task.id() + " already exists", e);
            }
            throw e;
          }
        });
      } catch (LimitExceededException full) {
        // A replay is answered even when the queue is full.
        return (key == null ? Optional.<Inserted>empty() : replay(task)).orElseThrow(() -> full);
      }
      if (created) {
        return new Inserted(task, true);
      }
      Optional<Inserted> replay = replay(task);
      if (replay.isPresent()) {
        return replay.get();
      }
      if (round == TRIES) {
        // The task holding the key ended and was swept between our insert and our read, again
        // and again: only a result TTL of 0 under a storm of replays does that.
        throw new IllegalStateException("idempotency key '" + key + "' keeps changing hands");
      }
    }
  }

  /** The task already stored under {@code task}'s idempotency key, if any. */
  private Optional<Inserted> replay(Task task) {
    String key = task.idempotencyKey();
    Optional<Task> existing = call("reading idempotency key " + key,
        c -> queryOne(c, BY_KEY, ps -> {
          ps.setString(1, task.owner());
          ps.setString(2, key);
        }));
    if (existing.isPresent()
        && !Objects.equals(existing.get().fingerprint(), task.fingerprint())) {
      throw new IdempotencyConflictException(key, existing.get().id());
    }
    return existing.map(t -> new Inserted(t, false));
  }

  @Override
  public Optional<Task> get(UUID id) {
    return call("reading task " + id, c -> queryOne(c, BY_ID, ps -> ps.setObject(1, id)));
  }

  @Override
  public TaskPage list(TaskQuery q) {
    Long before = q.afterSeq();
    StringBuilder sql = new StringBuilder("SELECT seq, " + TaskRows.COLUMNS
        + " FROM offload_task WHERE true");
    if (q.owner() != null) {
      sql.append(" AND owner = ?");
    }
    if (q.status() != null) {
      sql.append(" AND status = ?");
    }
    if (q.type() != null) {
      sql.append(" AND type = ?");
    }
    if (q.idempotencyKey() != null) {
      sql.append(" AND idempotency_key = ?");
    }
    if (before != null) {
      sql.append(" AND seq < ?");
    }
    sql.append(" ORDER BY seq DESC LIMIT ?");
    return call("listing tasks", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int i = 1;
        if (q.owner() != null) {
          ps.setString(i++, q.owner());
        }
        if (q.status() != null) {
          ps.setString(i++, q.status().wire());
        }
        if (q.type() != null) {
          ps.setString(i++, q.type());
        }
        if (q.idempotencyKey() != null) {
          ps.setString(i++, q.idempotencyKey());
        }
        if (before != null) {
          ps.setLong(i++, before);
        }
        ps.setInt(i, q.limit() + 1);
        List<Task> items = new ArrayList<>();
        List<String> cursors = new ArrayList<>();
        boolean more = false;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (items.size() == q.limit()) {
              more = true;
              break;
            }
            cursors.add(Long.toString(rs.getLong(1)));
            items.add(TaskRows.read(rs, 2));
          }
        }
        return new TaskPage(items, more ? cursors.get(cursors.size() - 1) : null, cursors);
      }
    });
  }

  @Override
  public List<Task> claim(
      String instance, Set<String> types, Instant now, Instant leaseUntil, int max) {
    Objects.requireNonNull(instance, "instance");
    if (max < 1) {
      return List.of();
    }
    instances.add(instance);
    // One notice names them all, and a notice holds at most IDS_PER_NOTICE ids.
    int n = Math.min(max, PgListener.IDS_PER_NOTICE);
    return call("claiming tasks", c -> {
      record Claimed(Task task, Instant dueAt, long seq) {}
      List<Claimed> claimed = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
        int i = 1;
        TaskRows.setInstant(ps, i++, now);
        ps.setBoolean(i++, types == null);
        ps.setArray(i++, c.createArrayOf("text", types == null ? new Object[0] : types.toArray()));
        ps.setInt(i++, n);
        TaskRows.setInstant(ps, i++, now);
        ps.setString(i++, instance);
        TaskRows.setInstant(ps, i++, leaseUntil);
        ps.setString(i, PgListener.idsPayloadPrefix(sender));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            claimed.add(new Claimed(TaskRows.read(rs, 3), TaskRows.instant(rs, 1), rs.getLong(2)));
          }
        }
      }
      if (claimed.isEmpty()) {
        return List.of();
      }
      // RETURNING keeps no order: restore the queue's.
      claimed.sort(Comparator.comparing((Claimed x) -> x.task().priority())
          .thenComparing(Claimed::dueAt)
          .thenComparingLong(Claimed::seq));
      return claimed.stream().map(Claimed::task).toList();
    });
  }

  @Override
  public Optional<Instant> nextDueAt() {
    return call("reading the next due time", c -> {
      try (PreparedStatement ps = c.prepareStatement(NEXT_DUE);
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Optional.ofNullable(TaskRows.instant(rs, 1));
      }
    });
  }

  // ---------------------------------------------------------------- attempts

  @Override
  public Optional<Task> progress(Task attempt, Progress progress) {
    UUID id = attempt.id();
    return call("recording progress of task " + id, c -> {
      try (PreparedStatement ps = c.prepareStatement(PROGRESS)) {
        ps.setInt(1, progress.percent());
        ps.setString(2, progress.message());
        ps.setObject(3, id);
        ps.setInt(4, attempt.attempts());
        ps.setArray(5, instanceArray(c));
        ps.setString(6, PgListener.payloads(sender, List.of(id), false).get(0));
        return readOne(ps);
      }
    });
  }

  /**
   * One round trip: the fenced write of the next state from the attempt's running snapshot. The
   * store keeps no copy of what the engine runs: the engine hands the snapshot back.
   */
  @Override
  public Optional<Task> finish(Task claimed, Outcome outcome) {
    if (claimed.status() != TaskStatus.RUNNING) {
      throw new IllegalArgumentException("task " + claimed.id() + " is not a running attempt");
    }
    Task next = outcome.applyTo(claimed);
    boolean forget = next.isTerminal() && next.limits().resultTtlSeconds() == 0;
    boolean clearProgress = next.progress() == null;
    return call("recording the end of attempt " + claimed.attempts() + " of task " + claimed.id(),
        c -> {
          try (PreparedStatement ps = c.prepareStatement(forget ? FINISH_FORGET : FINISH)) {
            int i = 1;
            if (!forget) {
              i = TaskRows.bindFinish(ps, next, clearProgress);
            }
            ps.setObject(i++, claimed.id());
            ps.setInt(i++, claimed.attempts());
            ps.setArray(i++, instanceArray(c));
            ps.setString(i, PgListener.payloads(sender, List.of(claimed.id()), !next.isTerminal())
                .get(0));
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              Progress kept = TaskRows.progress(rs, 1);
              return Optional.of(clearProgress || kept == null ? next
                  : outcome.applyTo(claimed.withProgress(kept)));
            }
          }
        });
  }

  @Override
  public Optional<Task> cancel(UUID id, Instant now) {
    return inTransaction("canceling task " + id, c -> {
      Optional<Task> current = queryOne(c, LOCK_BY_ID, ps -> ps.setObject(1, id));
      if (current.isEmpty()) {
        return Optional.empty();
      }
      if (current.get().isTerminal()) {
        throw new AlreadyFinishedException(current.get());
      }
      Task canceled = current.get().canceled(now);
      write(c, canceled);
      // The instance running it hears this and interrupts the attempt.
      notify(c, List.of(id), false);
      return Optional.of(canceled);
    });
  }

  @Override
  public void renewLeases(String instance, Collection<UUID> running, Instant leaseUntil) {
    if (running.isEmpty()) {
      return;
    }
    call("renewing leases", c -> {
      try (PreparedStatement ps = c.prepareStatement(RENEW)) {
        TaskRows.setInstant(ps, 1, leaseUntil);
        ps.setArray(2, c.createArrayOf("uuid", running.toArray()));
        ps.setString(3, instance);
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public List<Task> reclaimExpiredLeases(Instant now) {
    return inTransaction("reclaiming expired leases", c -> {
      List<Task> expired = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(EXPIRED_LEASES)) {
        TaskRows.setInstant(ps, 1, now);
        ps.setInt(2, RECLAIM_BATCH);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            expired.add(TaskRows.read(rs));
          }
        }
      }
      if (expired.isEmpty()) {
        return List.of();
      }
      List<Task> changed = new ArrayList<>(expired.size());
      boolean requeued = false;
      for (Task t : expired) {
        TaskError error = new TaskError(TaskError.LEASE_EXPIRED, "attempt " + t.attempts()
            + " stopped renewing its lease: its instance crashed, stopped or lost the database");
        Task next = t.hasAttemptsLeft() ? t.retrying(error, now) : t.failed(error, now);
        requeued |= !next.isTerminal();
        write(c, next);
        changed.add(next);
      }
      notify(c, changed.stream().map(Task::id).toList(), requeued);
      LOG.warning(() -> "reclaimed " + changed.size() + " tasks whose lease expired: "
          + changed.stream().map(t -> t.id() + " -> " + t.status().wire()).toList());
      return changed;
    });
  }

  /** Writes a snapshot that is no longer running; a finished task with TTL 0 is forgotten. */
  private static void write(Connection c, Task t) throws SQLException {
    if (t.isTerminal() && t.limits().resultTtlSeconds() == 0) {
      try (PreparedStatement ps = c.prepareStatement(DELETE)) {
        ps.setObject(1, t.id());
        ps.executeUpdate();
      }
      return;
    }
    if (t.status() == TaskStatus.RUNNING) {
      throw new IllegalStateException("task " + t.id() + ": a running state is written by claim");
    }
    try (PreparedStatement ps = c.prepareStatement(TaskRows.UPDATE_STATE)) {
      TaskRows.bindUpdateState(ps, t);
      ps.executeUpdate();
    }
  }

  // ---------------------------------------------------------------- callback deliveries

  // TODO(webhooks): the durable deliveries come with the reworked store (h-postgres); until
  // then this store owes none.
  @Override
  public List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max) {
    return List.of();
  }

  @Override
  public Optional<Task> recordDelivery(Task claimed, dev.offload.task.Delivery next) {
    return Optional.empty();
  }

  @Override
  public Optional<Instant> nextDeliveryAt() {
    return Optional.empty();
  }

  // ---------------------------------------------------------------- upkeep

  @Override
  public int sweep(Instant now, int batch) {
    return call("sweeping expired tasks", c -> {
      try (PreparedStatement ps = c.prepareStatement(SWEEP)) {
        TaskRows.setInstant(ps, 1, now);
        ps.setInt(2, batch);
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public StoreStats stats() {
    return call("counting tasks", c -> {
      try (PreparedStatement ps = c.prepareStatement(STATS);
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new StoreStats(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
            rs.getLong(5), rs.getLong(6));
      }
    });
  }

  @Override
  public void subscribe(StoreEvents events) {
    PgListener started;
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the store is closed");
      }
      if (listener != null) {
        throw new IllegalStateException("the store already has a subscriber");
      }
      started = new PgListener(settings, sender, events);
      listener = started;
      started.start();
    }
    // Bounded: with the database away the listener keeps trying on its own thread.
    long wait = settings.connectTimeout().toMillis() + 2_000;
    if (!started.awaitListening(wait)) {
      LOG.warning(() -> "not yet listening to PostgreSQL notifications after " + wait + " ms; "
          + "changes made by other instances are noticed once the listener connects");
    }
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public StoreLimits limits() {
    return StoreLimits.of(settings.queueCapacity(), Long.MAX_VALUE);
  }

  @Override
  public String name() {
    return "postgres";
  }

  /** How often the notification listener connected again after losing its connection. */
  public long listenerReconnects() {
    synchronized (lifecycle) {
      return listener == null ? 0 : listener.reconnects();
    }
  }

  /** Stops the listener and closes the pool; safe to call twice. */
  @Override
  public void close() {
    PgListener l;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      l = listener;
    }
    if (l != null && !l.stop(2_000)) {
      LOG.warning("the PostgreSQL listener thread did not stop within 2.5 s");
    }
    pool.close();
  }

  // ---------------------------------------------------------------- JDBC plumbing

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode. */
  private <T> T call(String what, SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw SqlErrors.translate(what, e);
    }
  }

  /** Runs {@code work} in one transaction, again when it lost a race with another one. */
  private <T> T inTransaction(String what, SqlWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c);
          throw e;
        }
      } catch (SQLException e) {
        if (attempt < TRIES && SqlErrors.isRetryable(e)) {
          continue;
        }
        throw SqlErrors.translate(what, e);
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      LOG.log(Level.FINE, "rollback failed (the connection is probably gone)", e);
    }
  }

  private static Optional<Task> queryOne(Connection c, String sql, Binder binder)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      return readOne(ps);
    }
  }

  private static Optional<Task> readOne(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(TaskRows.read(rs)) : Optional.empty();
    }
  }

  private Array instanceArray(Connection c) throws SQLException {
    return c.createArrayOf("text", instances.toArray());
  }

  /** Announces changed tasks (and new work) to the other instances when the transaction ends. */
  private void notify(Connection c, List<UUID> ids, boolean work) throws SQLException {
    for (String payload : PgListener.payloads(sender, ids, work)) {
      try (PreparedStatement ps = c.prepareStatement(NOTIFY)) {
        ps.setString(1, payload);
        ps.execute();
      }
    }
  }
}
