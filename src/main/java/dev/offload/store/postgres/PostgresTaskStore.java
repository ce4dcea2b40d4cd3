package dev.offload.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.Delivery;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A durable task store shared by every instance that points at the same PostgreSQL database.
 *
 * <p>Workers claim due tasks with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so instances never
 * wait on each other's claims, and hold them under a lease (owner, attempt, expiry) that they
 * renew by heartbeat, over a connection of their own. The reaper of any instance returns tasks of
 * a dead instance to the queue once their lease expires. Every write of an attempt's outcome or
 * progress is fenced on the attempt number and on an owner that claimed through this store
 * object, so a stale instance that wakes up late changes nothing. Every change is announced with
 * {@code NOTIFY} once committed ({@link Notifier}); the other instances' listeners wake their idle
 * workers and watchers.
 *
 * <p>What the database can batch, it batches: submissions that arrive together are inserted by
 * one statement (group commit, see {@link Batcher}), each caller answered once its own row is
 * committed; ends of attempts are gathered for a moment and written by one statement ({@link
 * Completer}) while the workers go on. Pending limits, owner quotas, fair dispatch's lanes and
 * the figures health reads are kept by the triggers of migration V4.
 *
 * <p>Instants are stored with microsecond precision (PostgreSQL {@code timestamptz}); the engine
 * hands in millisecond instants, which round-trip exactly. Lease expiry compares instants from
 * the instances' clocks, which therefore must agree to well within a lease (NTP).
 */
public final class PostgresTaskStore implements TaskStore {
  private static final Logger LOG = Logger.getLogger(PostgresTaskStore.class.getName());

  private static final int RECLAIM_BATCH = 500;
  private static final int TRIES = 3;
  /** Submissions one insert takes at most. */
  private static final int INSERT_BATCH = 100;
  /** Ends one statement writes at most. */
  private static final int FINISH_BATCH = 150;
  /**
   * How long the first end waits for others: a task's end is recorded (and told to watchers)
   * that much later, and several ends share one statement and one flush to disk.
   */
  private static final long FINISH_LINGER_MS = 2;
  /** How long a read of the types no live instance runs is reused (health asks often). */
  private static final long UNCLAIMABLE_MAX_AGE_NANOS = 2_000_000_000L;

  private static final String SELECT = "SELECT " + TaskRows.COLUMNS + " FROM offload_task";
  private static final String BY_ID = SELECT + " WHERE id = ? AND " + TaskRows.VISIBLE;
  /** Also a task that ended with a TTL of 0, until the sweep deletes it: for its watchers. */
  private static final String LAST_STATE = SELECT + " WHERE id = ?";
  private static final String BY_KEY = SELECT + " WHERE owner = ? AND idempotency_key = ?";
  /**
   * Inserts; no row comes back for a known idempotency key. The pending limits are checked by a
   * trigger (migration V4) against the session's settings, which every pooled connection sets
   * when it opens.
   */
  private static final String ON_KEY = " ON CONFLICT (owner, idempotency_key)"
      + " WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id";
  private static final String INSERT_ONE = TaskRows.INSERT + ON_KEY;
  /** {@link #INSERT_ONE} for a batch: one array per column. */
  private static final String INSERT_MANY = TaskRows.INSERT_MANY + ON_KEY;
  /** The earliest due time of any pending task: one probe of the claim index per priority. */
  private static final String NEXT_DUE = "SELECT min(x.due) FROM (VALUES (0), (1), (2)) AS k(p),"
      + " LATERAL (SELECT min(t.next_attempt_at) AS due FROM offload_task t"
      + " WHERE t.status = 'pending' AND t.input_bytes >= 0 AND t.priority = k.p) x";
  /** The earliest due time of some types: one index probe per type. */
  private static final String NEXT_DUE_OF = "SELECT min(x.due) FROM unnest(?::text[]) AS k(type),"
      + " LATERAL (SELECT min(t.next_attempt_at) AS due FROM offload_task t"
      + " WHERE t.status = 'pending' AND t.type = k.type) x";
  private static final String CURRENT = " WHERE id = ? AND status = 'running' AND attempts = ?"
      + " AND lease_owner = ANY (?)";
  private static final String PROGRESS = "UPDATE offload_task SET"
      + " progress_percent = ?, progress_message = ?" + CURRENT + " RETURNING " + TaskRows.COLUMNS;
  /**
   * Ends attempts in one statement, from the snapshots this store's instances claimed, one array
   * per column: the fence (attempt, running, an owner that claimed here) guarantees each row
   * still is its snapshot but for its progress, which is kept (cleared for a hand-back) and
   * returned, with whether it went back to the queue.
   */
  private static final String FINISH = "WITH o AS (SELECT * FROM unnest(?::text[]::uuid[],"
      + " ?::text[]::integer[], ?::text[], ?::text[]::integer[], ?::text[]::boolean[],"
      + " ?::text[]::timestamptz[], ?::text[]::timestamptz[], ?::text[]::timestamptz[],"
      + " ?::text[]::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[]::boolean[])"
      + " AS o(id, attempt, status, attempts, clear, started_at, finished_at, next_attempt_at,"
      + " expires_at, result, error_type, error_message, forget)),"
      + " up AS (UPDATE offload_task t SET status = o.status, attempts = o.attempts,"
      + " progress_percent = CASE WHEN o.clear THEN NULL ELSE t.progress_percent END,"
      + " progress_message = CASE WHEN o.clear THEN NULL ELSE t.progress_message END,"
      + " started_at = o.started_at, finished_at = o.finished_at,"
      + " next_attempt_at = o.next_attempt_at, expires_at = o.expires_at, result = o.result,"
      + " error_type = o.error_type, error_message = o.error_message,"
      + " idempotency_key = CASE WHEN o.forget THEN NULL ELSE t.idempotency_key END,"
      + " lease_owner = NULL, lease_until = NULL FROM o"
      // The ANY names the rows as an index condition (see ClaimSql.START).
      + " WHERE t.id = o.id AND t.id = ANY (ARRAY(SELECT id FROM o)) AND t.status = 'running'"
      + " AND t.attempts = o.attempt AND t.lease_owner = ANY (?)"
      + " RETURNING t.id, t.progress_percent, t.progress_message, t.status = 'pending' AS back)"
      + " SELECT * FROM up";
  private static final String LOCK_BY_ID = LAST_STATE + " FOR UPDATE";
  /**
   * Renews this instance's leases and its entry among the live instances, in one statement.
   * Parameters: instance, types, seen, alive until; lease until, ids, instance.
   */
  private static final String HEARTBEAT = "WITH me AS (INSERT INTO offload_instance"
      + " (id, types, seen_at, alive_until) VALUES (?, ?::text[], ?, ?) ON CONFLICT (id) DO UPDATE"
      + " SET types = EXCLUDED.types, seen_at = EXCLUDED.seen_at,"
      + " alive_until = EXCLUDED.alive_until RETURNING 1),"
      + " renewed AS (UPDATE offload_task SET lease_until = ? WHERE id = ANY (?::uuid[])"
      + " AND status = 'running' AND lease_owner = ? RETURNING 1)"
      + " SELECT (SELECT count(*) FROM me), (SELECT count(*) FROM renewed)";
  private static final String RENEW = "UPDATE offload_task SET lease_until = ?"
      + " WHERE id = ANY (?) AND status = 'running' AND lease_owner = ?";
  private static final String LEAVE = "DELETE FROM offload_instance WHERE id = ?";
  /**
   * Pending tasks per type that no live instance runs. The pending types are found by skipping
   * through the pending-type index (one probe per type, however deep the queue), and only the
   * unclaimable ones are counted.
   */
  private static final String UNCLAIMABLE = "WITH RECURSIVE live AS ("
      + " SELECT coalesce(array_agg(DISTINCT k), '{}'::text[]) AS types"
      + " FROM offload_instance, unnest(types) AS k WHERE alive_until > now()),"
      + " pending(type) AS (SELECT min(type) FROM offload_task WHERE status = 'pending'"
      + " UNION ALL SELECT (SELECT min(t.type) FROM offload_task t WHERE t.status = 'pending'"
      + " AND t.type > p.type) FROM pending p WHERE p.type IS NOT NULL)"
      + " SELECT p.type, (SELECT count(*) FROM offload_task t WHERE t.status = 'pending'"
      + " AND t.type = p.type) FROM pending p, live"
      + " WHERE p.type IS NOT NULL AND p.type <> ALL (live.types)";
  private static final String EXPIRED_LEASES = SELECT + " WHERE status = 'running'"
      + " AND lease_until < ? ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED";
  /** Expired tasks, but none whose callback delivery is owed (its index says so too, V5). */
  private static final String SWEEP = "DELETE FROM offload_task WHERE id IN ("
      + " SELECT id FROM offload_task WHERE expires_at <= ? AND expires_at IS NOT NULL"
      + " AND " + TaskRows.NOT_OWED + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)"
      + " AND " + TaskRows.NOT_OWED;
  /** Arbitrary, fixed: one instance at a time evicts, or two would each evict the excess. */
  private static final long EVICT_LOCK = 0x0ff10ad_e71c7L;
  /**
   * Deletes the oldest finished tasks beyond the retained caps, up to a batch: the k-th oldest
   * goes while k is within the excess count, or while the bytes of the older ones do not yet
   * cover the excess bytes. Reads the kept figures (migration V4), and the finished tasks only
   * when a cap is passed. Parameters: retained tasks and bytes, the batch, the same caps.
   */
  private static final String EVICT = "WITH mine AS (SELECT pg_try_advisory_xact_lock("
      + EVICT_LOCK + ") AS ok),"
      + " counted AS (SELECT coalesce(sum(retained), 0) AS n,"
      + " coalesce(sum(retained_bytes), 0) AS b FROM offload_count),"
      // The kept figures count the tasks kept for their owed delivery too (migration V5); the
      // caps do not (nor does the memory store's): those are taken out, counted only when a cap
      // seems passed (from the owed deliveries' index).
      + " kept AS MATERIALIZED (SELECT c.n - coalesce(w.n, 0) AS n, c.b - coalesce(w.b, 0) AS b"
      // (a condition on c alone: a one-time filter, the index is not read below the caps)
      + " FROM counted c, LATERAL (SELECT count(*) AS n,"
      + " sum(input_bytes + coalesce(octet_length(result), 0)) AS b FROM offload_task"
      + " WHERE " + TaskRows.OWED + " AND finished_at IS NOT NULL AND (c.n > ? OR c.b > ?)) w),"
      + " oldest AS (SELECT id, row_number() OVER w AS k, sum(bytes) OVER w AS upto, bytes"
      + " FROM (SELECT id, finished_at, seq, input_bytes + coalesce(octet_length(result), 0)"
      + " AS bytes FROM offload_task WHERE finished_at IS NOT NULL AND result_ttl_seconds > 0"
      + " AND " + TaskRows.NOT_OWED
      + " AND ((SELECT n FROM kept) > ? OR (SELECT b FROM kept) > ?)"
      + " ORDER BY finished_at, seq LIMIT ?) o WINDOW w AS (ORDER BY finished_at, seq))"
      + " DELETE FROM offload_task t USING oldest o, kept, mine"
      + " WHERE mine.ok AND t.id = o.id AND t.finished_at IS NOT NULL AND t." + TaskRows.NOT_OWED
      + " AND (o.k <= kept.n - ? OR o.upto - o.bytes < kept.b - ?)";
  /**
   * Lanes without pending work go (a new task makes its lane again), so that claims walk only
   * busy ones. Holding the queue's row, no submission is under way (a submission makes or reads
   * its lane without a lock); lanes locked by a retry, a hand-back or a claim are skipped; the
   * delete re-checks in a statement of its own, whose snapshot sees every task committed before.
   */
  private static final String LOCK_IDLE_LANES = "WITH q AS (SELECT 1 FROM offload_queue"
      + " FOR UPDATE) SELECT owner, priority FROM offload_lane l, q"
      + " WHERE NOT EXISTS (SELECT 1 FROM offload_task t WHERE t.owner = l.owner"
      + " AND t.priority = l.priority AND t.status = 'pending') LIMIT ?"
      + " FOR UPDATE OF l SKIP LOCKED";
  private static final String DELETE_IDLE_LANES = "DELETE FROM offload_lane l"
      + " USING unnest(?::text[], ?::smallint[]) AS k(owner, priority)"
      + " WHERE l.owner = k.owner AND l.priority = k.priority AND NOT EXISTS (SELECT 1"
      + " FROM offload_task t WHERE t.owner = l.owner AND t.priority = l.priority"
      + " AND t.status = 'pending')";
  /**
   * The sessions' parts of the owners' figures are added to what was admitted (rows another
   * transaction holds are skipped), so those tables stay small; owners with nothing pending go.
   */
  private static final String FOLD_OWNERS = "WITH k AS (SELECT backend, owner"
      + " FROM offload_owner_delta LIMIT ? FOR UPDATE SKIP LOCKED),"
      + " gone AS (DELETE FROM offload_owner_delta d USING k WHERE d.backend = k.backend"
      + " AND d.owner = k.owner RETURNING d.owner, d.pending, d.pending_bytes)"
      + " INSERT INTO offload_owner AS o (owner, pending, pending_bytes)"
      + " SELECT owner, sum(pending), sum(pending_bytes) FROM gone GROUP BY owner ORDER BY owner"
      + " ON CONFLICT (owner) DO UPDATE SET pending = o.pending + EXCLUDED.pending,"
      + " pending_bytes = o.pending_bytes + EXCLUDED.pending_bytes";
  private static final String IDLE_OWNERS = "DELETE FROM offload_owner WHERE owner IN ("
      + " SELECT owner FROM offload_owner WHERE pending = 0 AND pending_bytes = 0 LIMIT ?"
      + " FOR UPDATE SKIP LOCKED)";
  /**
   * The sessions' parts of the pending figures are added to the queue's row (locked first: a
   * session's row is then skipped, never waited for), and the rows of sessions that ended go,
   * their running and retained parts added to row 0.
   */
  private static final String FOLD_COUNTS = "WITH q AS (SELECT 1 FROM offload_queue FOR UPDATE),"
      + " k AS (SELECT c.backend, c.pending, c.pending_bytes, c.running, c.retained,"
      + " c.retained_bytes, c.backend NOT IN (SELECT pid FROM pg_stat_activity"
      + " WHERE pid IS NOT NULL) AS ended FROM offload_count c, q WHERE c.backend <> 0"
      + " FOR UPDATE OF c SKIP LOCKED),"
      + " zeroed AS (UPDATE offload_count c SET pending = 0, pending_bytes = 0 FROM k"
      + " WHERE c.backend = k.backend AND NOT k.ended),"
      + " ended AS (DELETE FROM offload_count c USING k WHERE c.backend = k.backend AND k.ended),"
      + " base AS (UPDATE offload_count SET"
      + " running = running + (SELECT coalesce(sum(running), 0) FROM k WHERE ended),"
      + " retained = retained + (SELECT coalesce(sum(retained), 0) FROM k WHERE ended),"
      + " retained_bytes = retained_bytes"
      + " + (SELECT coalesce(sum(retained_bytes), 0) FROM k WHERE ended)"
      + " WHERE backend = 0)"
      + " UPDATE offload_queue SET pending = pending + (SELECT coalesce(sum(pending), 0) FROM k),"
      + " pending_bytes = pending_bytes + (SELECT coalesce(sum(pending_bytes), 0) FROM k)";
  /** Instances silent for a day are forgotten (a crashed one never left). */
  private static final String DEAD_INSTANCES =
      "DELETE FROM offload_instance WHERE alive_until < now() - interval '1 day'";
  /**
   * The figures the triggers keep (migration V4): never a count of the task table, as health is
   * polled by every page and load balancer. A pending figure is what submissions admitted plus
   * the sessions' parts (claims, retries, cancels); owners are counted over those rows.
   */
  private static final String STATS = "SELECT q.pending + c.pending, c.running, c.retained,"
      + " q.pending_bytes + c.pending_bytes, c.retained_bytes, (SELECT count(*) FROM ("
      + " SELECT owner FROM (SELECT owner, pending FROM offload_owner UNION ALL"
      + " SELECT owner, pending FROM offload_owner_delta) u GROUP BY owner"
      + " HAVING sum(pending) > 0) o)"
      + " FROM offload_queue q, (SELECT coalesce(sum(pending), 0) AS pending,"
      + " coalesce(sum(pending_bytes), 0) AS pending_bytes, coalesce(sum(running), 0) AS running,"
      + " coalesce(sum(retained), 0) AS retained,"
      + " coalesce(sum(retained_bytes), 0) AS retained_bytes FROM offload_count) c";
  private static final String OWNER_STATS = "SELECT coalesce(sum(pending), 0),"
      + " coalesce(sum(pending_bytes), 0) FROM (SELECT pending, pending_bytes FROM offload_owner"
      + " WHERE owner = ? UNION ALL SELECT pending, pending_bytes FROM offload_owner_delta"
      + " WHERE owner = ?) u";

  private final HikariDataSource pool;
  private final PostgresSettings settings;
  private final LeaseLine leaseLine;
  /** Tells this store's own notices from other instances' ones. */
  private final String sender = UUID.randomUUID().toString();
  /** Instances that claimed through this store; only they may write an attempt's outcome. */
  private final Set<String> instances = ConcurrentHashMap.newKeySet();
  /** Instances that claimed callback deliveries through this store; only they may record one. */
  private final Set<String> deliverers = ConcurrentHashMap.newKeySet();
  private final Batcher<Task, Boolean> inserts = new Batcher<>(INSERT_BATCH, this::insertBatch);
  /** Ends of attempts, gathered for a moment and written together (the batch completer). */
  private final Completer<Ending, Optional<Task>> finishes =
      new Completer<>("offload-pg-completer", FINISH_BATCH, FINISH_LINGER_MS, this::finishBatch);
  /** Statements sent to the database: its round trips, for benchmarks. */
  private final LongAdder roundTrips = new LongAdder();
  /** Announces this store's changes to the other instances, after they committed. */
  private final Notifier notifier;
  private final LongAdder insertStatements = new LongAdder();
  private final LongAdder claimStatements = new LongAdder();
  private final LongAdder finishStatements = new LongAdder();
  private final Object lifecycle = new Object();
  // Guarded by lifecycle.
  private PgListener listener;
  private boolean closed;
  // Guarded by itself.
  private final Object unclaimableLock = new Object();
  private Map<String, Long> unclaimable;
  private long unclaimableReadAt;

  private PostgresTaskStore(HikariDataSource pool, PostgresSettings settings) {
    this.pool = pool;
    this.settings = settings;
    this.leaseLine = new LeaseLine(settings);
    this.notifier = new Notifier(settings, sender, roundTrips);
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
    hc.setConnectionInitSql(sessionLimits(settings.limits()));
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

  /**
   * The statement every pooled connection runs when it opens: the pending limits the insert
   * trigger (migration V4) checks, as session settings. Numbers only, so nothing needs quoting.
   */
  static String sessionLimits(StoreLimits l) {
    return "SELECT set_config('offload.queue_capacity', '" + limit(l.queueTasks()) + "', false),"
        + " set_config('offload.queue_bytes', '" + limit(l.queueBytes()) + "', false),"
        + " set_config('offload.owner_tasks', '" + limit(l.ownerTasks()) + "', false),"
        + " set_config('offload.owner_bytes', '" + limit(l.ownerBytes()) + "', false)";
  }

  /** A limit as the trigger reads it: none (empty) when it cannot be reached. */
  private static String limit(long value) {
    return value == Long.MAX_VALUE ? "" : Long.toString(value);
  }

  /**
   * Statements this store has sent to the database (its round trips: notices to the other
   * instances and commits of transactions included), for benchmarks.
   */
  public long roundTrips() {
    return roundTrips.sum();
  }

  /**
   * Of {@link #roundTrips()}, those of each kind: {@code insert} (a batch of submissions each),
   * {@code claim}, {@code finish} (a batch of ends each) and {@code notice}; for benchmarks.
   */
  public Map<String, Long> roundTripsByKind() {
    return Map.of("insert", insertStatements.sum(), "claim", claimStatements.sum(),
        "finish", finishStatements.sum(), "notice", notifier.statements());
  }

  /** For tests: whether every change announced so far has been sent to the other instances. */
  boolean noticesSent() {
    return notifier.idle();
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
        created = inserts.submit(task);
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
        // The task holding the key was deleted between our insert and our read, again and
        // again: only a storm of replays against a deleting hand does that.
        throw new IllegalStateException("idempotency key '" + key + "' keeps changing hands");
      }
    }
  }

  /**
   * Inserts a batch of submissions in one statement. A trigger refuses a whole statement when
   * one row passes a limit, and a duplicate id fails it too: then each is inserted alone, so that
   * only the submissions that do not fit are refused, each with its own answer.
   */
  List<Batcher.Result<Boolean>> insertBatch(List<Task> batch) {
    return call("inserting " + batch.size() + " tasks", c -> {
      if (batch.size() > 1) {
        try {
          Set<UUID> created = insertAll(c, batch);
          notifier.announce(List.of(), !created.isEmpty());
          return batch.stream().map(t -> Batcher.Result.of(created.contains(t.id()))).toList();
        } catch (SQLException e) {
          if (SqlErrors.refusedLimit(e).isEmpty()
              && !SqlErrors.isUniqueViolation(e, "offload_task_pkey")) {
            throw e;
          }
        }
      }
      List<Batcher.Result<Boolean>> results = new ArrayList<>(batch.size());
      for (Task t : batch) {
        results.add(insertAlone(c, t));
      }
      notifier.announce(List.of(), results.stream().anyMatch(r -> Boolean.TRUE.equals(r.value())));
      return results;
    });
  }

  /** The ids the statement created (not those whose owner's idempotency key was taken). */
  private Set<UUID> insertAll(Connection c, List<Task> batch) throws SQLException {
    Set<UUID> created = new java.util.HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(batch.size() == 1 ? INSERT_ONE : INSERT_MANY)) {
      if (batch.size() == 1) {
        TaskRows.bindInsert(ps, batch.get(0));
      } else {
        TaskRows.bindInsertMany(c, ps, batch);
      }
      insertStatements.increment();
      try (ResultSet rs = query(ps)) {
        while (rs.next()) {
          created.add(rs.getObject(1, UUID.class));
        }
      }
    }
    return created;
  }

  private Batcher.Result<Boolean> insertAlone(Connection c, Task t) {
    try {
      return Batcher.Result.of(insertAll(c, List.of(t)).contains(t.id()));
    } catch (SQLException e) {
      Optional<Limit> refused = SqlErrors.refusedLimit(e);
      if (refused.isPresent()) {
        return Batcher.Result.failed(new LimitExceededException(refused.get(),
            value(refused.get())));
      }
      if (SqlErrors.isUniqueViolation(e, "offload_task_pkey")) {
        return Batcher.Result.failed(
            new IllegalArgumentException("task " + t.id() + " already exists", e));
      }
      return Batcher.Result.failed(SqlErrors.translate("inserting task " + t.id(), e));
    }
  }

  /** The configured value of a pending limit. */
  private long value(Limit limit) {
    StoreLimits l = settings.limits();
    return switch (limit) {
      case QUEUE_TASKS -> l.queueTasks();
      case QUEUE_BYTES -> l.queueBytes();
      case OWNER_TASKS -> l.ownerTasks();
      case OWNER_BYTES -> l.ownerBytes();
      default -> throw new IllegalArgumentException(limit + " is not a store limit");
    };
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
  public Optional<Task> lastState(UUID id) {
    return call("reading task " + id, c -> queryOne(c, LAST_STATE, ps -> ps.setObject(1, id)));
  }

  @Override
  public TaskPage list(TaskQuery q) {
    Long before = q.afterSeq();
    StringBuilder sql = new StringBuilder("SELECT seq, " + TaskRows.COLUMNS
        + " FROM offload_task WHERE " + TaskRows.VISIBLE);
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
        try (ResultSet rs = query(ps)) {
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
    int n = Math.min(max, ClaimSql.MAX);
    String sql = settings.limits().fair() ? ClaimSql.FAIR : ClaimSql.IN_ORDER;
    return call("claiming tasks", c -> {
      record Claimed(Task task, short k1, long k2, long k3) {}
      List<Claimed> claimed = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        TaskRows.setInstant(ps, i++, now);
        ps.setBoolean(i++, types == null);
        ps.setArray(i++, c.createArrayOf("text", types == null ? new Object[0] : types.toArray()));
        ps.setInt(i++, n);
        TaskRows.setInstant(ps, i++, now);
        ps.setString(i++, instance);
        TaskRows.setInstant(ps, i, leaseUntil);
        claimStatements.increment();
        try (ResultSet rs = query(ps)) {
          while (rs.next()) {
            claimed.add(new Claimed(TaskRows.read(rs, 4), rs.getShort(1), rs.getLong(2),
                rs.getLong(3)));
          }
        }
      }
      if (claimed.isEmpty()) {
        return List.of();
      }
      notifier.announce(claimed.stream().map(x -> x.task().id()).toList(), false);
      // RETURNING keeps no order: restore the queue's.
      claimed.sort(Comparator.comparingInt((Claimed x) -> x.k1())
          .thenComparingLong(Claimed::k2)
          .thenComparingLong(Claimed::k3));
      return claimed.stream().map(Claimed::task).toList();
    });
  }

  @Override
  public Optional<Instant> nextDueAt() {
    return call("reading the next due time", c -> {
      try (PreparedStatement ps = c.prepareStatement(NEXT_DUE);
          ResultSet rs = query(ps)) {
        rs.next();
        return Optional.ofNullable(TaskRows.instant(rs, 1));
      }
    });
  }

  @Override
  public Optional<Instant> nextDueAt(Set<String> types) {
    if (types == null) {
      return nextDueAt();
    }
    return call("reading the next due time", c -> {
      try (PreparedStatement ps = c.prepareStatement(NEXT_DUE_OF)) {
        ps.setArray(1, c.createArrayOf("text", types.toArray()));
        try (ResultSet rs = query(ps)) {
          rs.next();
          return Optional.ofNullable(TaskRows.instant(rs, 1));
        }
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
        try (ResultSet rs = query(ps)) {
          if (!rs.next()) {
            return Optional.empty();
          }
          notifier.announce(List.of(id), false);
          return Optional.of(TaskRows.read(rs));
        }
      }
    });
  }

  /** The end of one attempt, as {@link #finish} hands it to the batch. */
  record Ending(Task claimed, Outcome outcome, Task next) {
    Ending(Task claimed, Outcome outcome) {
      this(claimed, outcome, outcome.applyTo(claimed));
    }

    /** A hand-back clears the progress: the next attempt starts afresh. */
    boolean clearsProgress() {
      return outcome instanceof Outcome.HandedBack;
    }
  }

  /**
   * The fenced write of the next state from the attempt's running snapshot, with the ends that
   * arrive meanwhile: one round trip for all of them. The store keeps no copy of what the engine
   * runs: the engine hands the snapshot back. The last progress is kept (the engine's snapshot
   * has none), except by a hand-back; a task that ended with a TTL of 0 gives up its idempotency
   * key and stays, for its watchers only, until the sweep.
   */
  @Override
  public Optional<Task> finish(Task claimed, Outcome outcome) {
    try {
      return finishAsync(claimed, outcome).join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** {@link #finish}, gathered with the ends that arrive within a moment: one statement. */
  @Override
  public CompletableFuture<Optional<Task>> finishAsync(Task claimed, Outcome outcome) {
    if (claimed.status() != TaskStatus.RUNNING) {
      throw new IllegalArgumentException("task " + claimed.id() + " is not a running attempt");
    }
    return finishes.submit(new Ending(claimed, outcome));
  }

  List<Batcher.Result<Optional<Task>>> finishBatch(List<Ending> batch) {
    return call("recording the end of " + batch.size() + " attempts", c -> {
      Map<UUID, Progress> ended = new HashMap<>();
      boolean requeued = false;
      try (PreparedStatement ps = c.prepareStatement(FINISH)) {
        int i = 1;
        List<Task> next = batch.stream().map(Ending::next).toList();
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::id).toList()));
        ps.setArray(i++, TaskRows.textArray(c,
            batch.stream().map(e -> e.claimed().attempts()).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(t -> t.status().wire()).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::attempts).toList()));
        ps.setArray(i++, TaskRows.textArray(c, batch.stream().map(Ending::clearsProgress)
            .toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::startedAt).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::finishedAt).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::nextAttemptAt).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::expiresAt).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(Task::result).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream()
            .map(t -> t.error() == null ? null : t.error().type()).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream()
            .map(t -> t.error() == null ? null : t.error().message()).toList()));
        ps.setArray(i++, TaskRows.textArray(c, next.stream().map(TaskRows::forgotten).toList()));
        ps.setArray(i, instanceArray(c));
        finishStatements.increment();
        try (ResultSet rs = query(ps)) {
          while (rs.next()) {
            ended.put(rs.getObject(1, UUID.class), TaskRows.progress(rs, 2));
            requeued |= rs.getBoolean(4);
          }
        }
      }
      notifier.announce(ended.keySet(), requeued);
      List<Batcher.Result<Optional<Task>>> results = new ArrayList<>(batch.size());
      for (Ending e : batch) {
        if (!ended.containsKey(e.claimed().id())) {
          results.add(Batcher.Result.of(Optional.empty()));
          continue;
        }
        Progress kept = ended.get(e.claimed().id());
        results.add(Batcher.Result.of(Optional.of(e.clearsProgress() || kept == null ? e.next()
            : e.outcome().applyTo(e.claimed().withProgress(kept)))));
      }
      return results;
    });
  }

  @Override
  public Optional<Task> cancel(UUID id, Instant now) {
    Optional<Task> canceled = inTransaction("canceling task " + id, c -> {
      Optional<Task> current = queryOne(c, LOCK_BY_ID, ps -> ps.setObject(1, id));
      if (current.isEmpty() || TaskRows.forgotten(current.get())) {
        return Optional.empty();
      }
      if (current.get().isTerminal()) {
        throw new AlreadyFinishedException(current.get());
      }
      Task next = current.get().canceled(now);
      write(c, next);
      return Optional.of(next);
    });
    // The instance running it hears this and interrupts the attempt.
    canceled.ifPresent(t -> notifier.announce(List.of(id), false));
    return canceled;
  }

  @Override
  public void renewLeases(String instance, Collection<UUID> running, Instant leaseUntil) {
    if (running.isEmpty()) {
      return;
    }
    onLeaseLine("renewing leases", c -> {
      try (PreparedStatement ps = c.prepareStatement(RENEW)) {
        TaskRows.setInstant(ps, 1, leaseUntil);
        ps.setArray(2, c.createArrayOf("uuid", running.toArray()));
        ps.setString(3, instance);
        return update(ps);
      }
    });
  }

  /**
   * One statement on the lease thread's own connection: the leases of everything this instance
   * runs, and its entry among the live instances with the types it runs.
   */
  @Override
  public void heartbeat(String instance, Set<String> types, Collection<UUID> running,
      Instant now, Instant leaseUntil, Instant aliveUntil) {
    onLeaseLine("renewing leases", c -> {
      try (PreparedStatement ps = c.prepareStatement(HEARTBEAT)) {
        ps.setString(1, instance);
        ps.setArray(2, c.createArrayOf("text", types.stream().sorted().toArray()));
        TaskRows.setInstant(ps, 3, now);
        TaskRows.setInstant(ps, 4, aliveUntil);
        TaskRows.setInstant(ps, 5, leaseUntil);
        ps.setArray(6, c.createArrayOf("uuid", running.toArray()));
        ps.setString(7, instance);
        try (ResultSet rs = query(ps)) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public void leave(String instance) {
    onLeaseLine("leaving the live instances", c -> {
      try (PreparedStatement ps = c.prepareStatement(LEAVE)) {
        ps.setString(1, instance);
        return update(ps);
      }
    });
  }

  @Override
  public Map<String, Long> unclaimable() {
    synchronized (unclaimableLock) {
      if (unclaimable != null
          && System.nanoTime() - unclaimableReadAt < UNCLAIMABLE_MAX_AGE_NANOS) {
        return unclaimable;
      }
      unclaimable = call("reading the types no instance runs", c -> {
        Map<String, Long> byType = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(UNCLAIMABLE);
            ResultSet rs = query(ps)) {
          while (rs.next()) {
            byType.put(rs.getString(1), rs.getLong(2));
          }
        }
        return Map.copyOf(byType);
      });
      unclaimableReadAt = System.nanoTime();
      return unclaimable;
    }
  }

  /** The reaper runs on the lease thread: on its connection too, not behind busy requests. */
  @Override
  public List<Task> reclaimExpiredLeases(Instant now) {
    return onLeaseLine("reclaiming expired leases", c -> {
      c.setAutoCommit(false);
      try {
        List<Task> changed = reclaim(c, now);
        commit(c);
        notifier.announce(changed.stream().map(Task::id).toList(),
            changed.stream().anyMatch(t -> !t.isTerminal()));
        return changed;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  private List<Task> reclaim(Connection c, Instant now) throws SQLException {
    List<Task> expired = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(EXPIRED_LEASES)) {
      TaskRows.setInstant(ps, 1, now);
      ps.setInt(2, RECLAIM_BATCH);
      try (ResultSet rs = query(ps)) {
        while (rs.next()) {
          expired.add(TaskRows.read(rs));
        }
      }
    }
    if (expired.isEmpty()) {
      return List.of();
    }
    List<Task> changed = new ArrayList<>(expired.size());
    for (Task t : expired) {
      TaskError error = new TaskError(TaskError.LEASE_EXPIRED, "attempt " + t.attempts()
          + " stopped renewing its lease: its instance crashed, stopped or lost the database");
      Task next = t.hasAttemptsLeft() ? t.retrying(error, now) : t.failed(error, now);
      write(c, next);
      changed.add(next);
    }
    LOG.warning(() -> "reclaimed " + changed.size() + " tasks whose lease expired: "
        + changed.stream().map(t -> t.id() + " -> " + t.status().wire()).toList());
    return changed;
  }

  /**
   * Writes a snapshot that is no longer running. A finished task with TTL 0 stays for its
   * watchers, without its idempotency key, until the sweep.
   */
  private void write(Connection c, Task t) throws SQLException {
    if (t.status() == TaskStatus.RUNNING) {
      throw new IllegalStateException("task " + t.id() + ": a running state is written by claim");
    }
    try (PreparedStatement ps = c.prepareStatement(TaskRows.UPDATE_STATE)) {
      TaskRows.bindUpdateState(ps, t);
      update(ps);
    }
  }

  // ---------------------------------------------------------------- callback deliveries

  /**
   * Claims owed deliveries of ended tasks, earliest claimable first, in one statement: rows
   * another claim or write holds are skipped ({@code SKIP LOCKED}), and a row that another claim
   * leased meanwhile is read again under its lock and fails the due condition, so two instances
   * never get one delivery. Counts the attempt and sets the lease. Parameters: now, the most to
   * claim, the owner and the lease's end.
   */
  private static final String CLAIM_DELIVERIES = "WITH due AS (SELECT id, seq,"
      + " " + TaskRows.DELIVERY_CLAIMABLE + " AS k FROM offload_task"
      + " WHERE " + TaskRows.OWED + " AND finished_at IS NOT NULL"
      + " AND " + TaskRows.DELIVERY_CLAIMABLE + " <= ?"
      + " ORDER BY " + TaskRows.DELIVERY_CLAIMABLE + ", seq LIMIT ? FOR UPDATE SKIP LOCKED)"
      + " UPDATE offload_task t SET delivery_attempts = t.delivery_attempts + 1,"
      + " delivery_lease_owner = ?, delivery_lease_until = ? FROM due"
      + " WHERE t.id = due.id AND t.id = ANY (ARRAY(SELECT id FROM due))"
      + " RETURNING due.k, due.seq, " + TaskRows.columns("t");
  /** When the next owed delivery can be claimed: one probe of migration V5's index. */
  private static final String NEXT_DELIVERY = "SELECT min(" + TaskRows.DELIVERY_CLAIMABLE
      + ") FROM offload_task WHERE " + TaskRows.OWED + " AND finished_at IS NOT NULL";

  @Override
  public List<Task> claimDeliveries(String instance, Instant now, Instant leaseUntil, int max) {
    Objects.requireNonNull(instance, "instance");
    if (max < 1) {
      return List.of();
    }
    deliverers.add(instance);
    return call("claiming callback deliveries", c -> {
      record Claimed(Task task, Instant k, long seq) {}
      List<Claimed> claimed = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(CLAIM_DELIVERIES)) {
        TaskRows.setInstant(ps, 1, now);
        ps.setInt(2, Math.min(max, ClaimSql.MAX));
        ps.setString(3, instance);
        TaskRows.setInstant(ps, 4, leaseUntil);
        try (ResultSet rs = query(ps)) {
          while (rs.next()) {
            claimed.add(new Claimed(TaskRows.read(rs, 3), TaskRows.instant(rs, 1),
                rs.getLong(2)));
          }
        }
      }
      // RETURNING keeps no order: earliest claimable first, then arrival.
      claimed.sort(Comparator.comparing(Claimed::k).thenComparingLong(Claimed::seq));
      return claimed.stream().map(Claimed::task).toList();
    });
  }

  /**
   * Fenced as attempts are: the row must still be owed, with the attempt the claim counted,
   * leased to an instance that claimed deliveries through this store. A delivery that ends
   * leaves its task to the sweep, as its TTL says (one with a TTL of 0 is gone at once).
   */
  @Override
  public Optional<Task> recordDelivery(Task claimed, Delivery next) {
    Objects.requireNonNull(next, "next");
    if (claimed.delivery() == null) {
      return Optional.empty();
    }
    UUID id = claimed.id();
    Task written = claimed.withDelivery(next);
    // No notice: as on the memory store, a delivery's progress is read, not watched.
    return call("recording the callback delivery of task " + id, c -> {
      try (PreparedStatement ps = c.prepareStatement(TaskRows.RECORD_DELIVERY)) {
        int i = TaskRows.bindDelivery(ps, written);
        ps.setObject(i++, id);
        ps.setInt(i++, claimed.delivery().attempts());
        ps.setArray(i, c.createArrayOf("text", deliverers.toArray()));
        try (ResultSet rs = query(ps)) {
          return rs.next() ? Optional.of(TaskRows.read(rs)) : Optional.<Task>empty();
        }
      }
    });
  }

  @Override
  public Optional<Instant> nextDeliveryAt() {
    return call("reading the next callback delivery", c -> {
      try (PreparedStatement ps = c.prepareStatement(NEXT_DELIVERY);
          ResultSet rs = query(ps)) {
        rs.next();
        return Optional.ofNullable(TaskRows.instant(rs, 1));
      }
    });
  }

  // ---------------------------------------------------------------- upkeep

  /**
   * Deletes up to {@code batch} tasks: expired results first (and the rows kept for watchers of
   * tasks with a TTL of 0), then the oldest finished tasks beyond the retained caps, so the
   * table's size stays bounded. The last call of a sweep (the one that finds less than a batch)
   * also tidies the bookkeeping: idle lanes, the count rows of sessions that ended, instances
   * long dead.
   */
  @Override
  public int sweep(Instant now, int batch) {
    return call("sweeping expired tasks", c -> {
      int deleted;
      try (PreparedStatement ps = c.prepareStatement(SWEEP)) {
        TaskRows.setInstant(ps, 1, now);
        ps.setInt(2, batch);
        deleted = update(ps);
      }
      StoreLimits l = settings.limits();
      if (deleted < batch) {
        try (PreparedStatement ps = c.prepareStatement(EVICT)) {
          ps.setLong(1, l.retainedTasks());
          ps.setLong(2, l.retainedBytes());
          ps.setLong(3, l.retainedTasks());
          ps.setLong(4, l.retainedBytes());
          ps.setInt(5, batch - deleted);
          ps.setLong(6, l.retainedTasks());
          ps.setLong(7, l.retainedBytes());
          deleted += update(ps);
        }
      }
      if (deleted < batch) {
        tidy(c, batch);
      }
      return deleted;
    });
  }

  /** The bookkeeping of migration V4, kept small: idle lanes and owners, folded parts. */
  private void tidy(Connection c, int batch) throws SQLException {
    c.setAutoCommit(false);
    try {
      List<String> owners = new ArrayList<>();
      List<Short> priorities = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(LOCK_IDLE_LANES)) {
        ps.setInt(1, batch);
        try (ResultSet rs = query(ps)) {
          while (rs.next()) {
            owners.add(rs.getString(1));
            priorities.add(rs.getShort(2));
          }
        }
      }
      if (!owners.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(DELETE_IDLE_LANES)) {
          ps.setArray(1, c.createArrayOf("text", owners.toArray()));
          ps.setArray(2, c.createArrayOf("int2", priorities.toArray()));
          update(ps);
        }
      }
      commit(c);
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly(c);
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
    for (String tidy : List.of(FOLD_OWNERS, IDLE_OWNERS)) {
      try (PreparedStatement ps = c.prepareStatement(tidy)) {
        ps.setInt(1, batch * 10);
        update(ps);
      }
    }
    for (String tidy : List.of(FOLD_COUNTS, DEAD_INSTANCES)) {
      try (PreparedStatement ps = c.prepareStatement(tidy)) {
        update(ps);
      }
    }
  }

  @Override
  public StoreStats stats() {
    return call("reading the kept figures", c -> {
      try (PreparedStatement ps = c.prepareStatement(STATS);
          ResultSet rs = query(ps)) {
        rs.next();
        return new StoreStats(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
            rs.getLong(5), rs.getLong(6));
      }
    });
  }

  @Override
  public Optional<OwnerStats> ownerStats(String owner) {
    return call("reading the pending tasks of " + owner, c -> {
      try (PreparedStatement ps = c.prepareStatement(OWNER_STATS)) {
        ps.setString(1, owner);
        ps.setString(2, owner);
        try (ResultSet rs = query(ps)) {
          rs.next();
          return Optional.of(new OwnerStats(rs.getLong(1), rs.getLong(2)));
        }
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
    return settings.limits();
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

  /** Stops the listener, closes the lease connection and the pool; safe to call twice. */
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
    if (!finishes.stop(5_000)) {
      LOG.warning("the PostgreSQL completer thread did not stop within 5 s");
    }
    if (!notifier.stop(2_000)) {
      LOG.warning("the PostgreSQL notifier thread did not stop within 2.5 s");
    }
    leaseLine.close();
    pool.close();
  }

  // ---------------------------------------------------------------- JDBC plumbing

  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode. */
  <T> T call(String what, SqlWork<T> work) {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw SqlErrors.translate(what, e);
    }
  }

  /** Runs {@code work} on the lease thread's own connection. */
  private <T> T onLeaseLine(String what, SqlWork<T> work) {
    try {
      return leaseLine.run(work::run);
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
          commit(c);
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

  /** Commits, counting the round trip. */
  private void commit(Connection c) throws SQLException {
    roundTrips.increment();
    c.commit();
  }

  /** Executes a query, counting the round trip. */
  private ResultSet query(PreparedStatement ps) throws SQLException {
    roundTrips.increment();
    return ps.executeQuery();
  }

  /** Executes an update, counting the round trip. */
  private int update(PreparedStatement ps) throws SQLException {
    roundTrips.increment();
    return ps.executeUpdate();
  }

  private Optional<Task> queryOne(Connection c, String sql, Binder binder) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = query(ps)) {
        return rs.next() ? Optional.of(TaskRows.read(rs)) : Optional.empty();
      }
    }
  }

  private Array instanceArray(Connection c) throws SQLException {
    return c.createArrayOf("text", instances.toArray());
  }
}
