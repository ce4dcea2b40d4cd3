package dev.offload.store.postgres;

import dev.offload.testing.Tasks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
import dev.offload.store.StoreLimits;
import dev.offload.task.StoreUnavailableException;
import dev.offload.store.TaskStore;
import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What only a shared, durable store promises: leases and their reaper, fencing between
 * instances, concurrent claims, notifications between instances, schema migration. Each
 * "instance" is a store object of its own on the same database, as two servers would have.
 */
@ExtendWith(PostgresExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresTaskStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private TestDatabase db;
  private final List<TaskStore> opened = new ArrayList<>();

  @BeforeAll
  void database(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void emptyTable() throws SQLException {
    open(); // makes sure the schema exists
    sql("TRUNCATE offload_task");
  }

  @AfterEach
  void closeStores() {
    opened.forEach(TaskStore::close);
    opened.clear();
  }

  private PostgresTaskStore open() {
    PostgresTaskStore s = PostgresTaskStore.open(db.settings(10_000, 4));
    opened.add(s);
    return s;
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static Task task(int maxAttempts) {
    return Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(maxAttempts, 60, 3600), T0, T0, null, null);
  }

  // ---------------------------------------------------------------- leases

  @Test
  void anExpiredLeaseReturnsTheTaskToTheQueueCountingTheAttempt() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    Task t = task(3);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(10), 1);

    assertThat(b.reclaimExpiredLeases(T0.plusSeconds(9))).as("not expired yet").isEmpty();
    List<Task> reclaimed = b.reclaimExpiredLeases(T0.plusSeconds(11));

    assertThat(reclaimed).hasSize(1);
    Task back = reclaimed.get(0);
    assertThat(back.status()).isEqualTo(TaskStatus.PENDING);
    assertThat(back.attempts()).isEqualTo(1);
    assertThat(back.nextAttemptAt()).isEqualTo(T0.plusSeconds(11));
    assertThat(back.error().type()).isEqualTo(TaskError.LEASE_EXPIRED);
    assertThat(b.get(t.id())).contains(back);
    Task second = b.claim("b", T0.plusSeconds(11), T0.plusSeconds(21), 1).get(0);
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(a.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("\"late\"", T0.plusSeconds(12))))
        .as("the crashed instance woke up late").isEmpty();
    assertThat(b.get(t.id())).contains(second);
  }

  @Test
  void anExpiredLeaseOnTheLastAttemptFailsTheTask() {
    PostgresTaskStore a = open();
    Task t = task(1);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(10), 1);

    Task failed = a.reclaimExpiredLeases(T0.plusSeconds(11)).get(0);

    assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(failed.error().type()).isEqualTo(TaskError.LEASE_EXPIRED);
    assertThat(failed.expiresAt()).isEqualTo(T0.plusSeconds(11 + 3600));
    assertThat(a.get(t.id())).contains(failed);
  }

  @Test
  void onlyTheOwnerRenewsALease() {
    PostgresTaskStore a = open();
    Task t = task(3);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(10), 1);

    a.renewLeases("someone-else", List.of(t.id()), T0.plusSeconds(100));
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(11))).hasSize(1);

    a.claim("a", T0.plusSeconds(11), T0.plusSeconds(21), 1);
    a.renewLeases("a", List.of(t.id()), T0.plusSeconds(100));
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(99))).isEmpty();
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(101))).hasSize(1);
  }

  @Test
  void anotherInstanceCannotWriteTheOutcomeOfAnAttemptItDidNotClaim() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    Task t = task(3);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(10), 1);

    assertThat(b.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", T0))).isEmpty();
    assertThat(b.progress(Tasks.attempt(t, 1), new Progress(5, null))).isEmpty();
    assertThat(a.progress(Tasks.attempt(t, 1), new Progress(5, null))).isPresent();
    assertThat(a.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", T0))).isPresent();
  }

  @Test
  void aCancelByAnotherInstanceFencesOutTheRunningAttempt() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    Task t = task(3);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(10), 1);

    b.cancel(t.id(), T0.plusSeconds(1));

    assertThat(a.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", T0))).isEmpty();
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(60))).as("nothing left to reclaim")
        .isEmpty();
    assertThat(a.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
  }

  // ---------------------------------------------------------------- concurrent claims

  @Test
  void instancesClaimingAtOnceNeverGetTheSameTask() throws Exception {
    List<PostgresTaskStore> stores = List.of(open(), open(), open());
    int total = 300;
    for (int i = 0; i < total; i++) {
      stores.get(0).insert(task(1));
    }
    ConcurrentLinkedQueue<UUID> claimed = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 6; w++) {
        PostgresTaskStore s = stores.get(w % stores.size());
        String owner = "w" + w;
        futures.add(pool.submit(() -> {
          go.await();
          List<Task> batch;
          while (!(batch = s.claim(owner, T0, T0.plusSeconds(30), 7)).isEmpty()) {
            batch.forEach(t -> claimed.add(t.id()));
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Set<UUID> distinct = new HashSet<>(claimed);
    assertThat(claimed).hasSize(total);
    assertThat(distinct).hasSize(total);
    assertThat(stores.get(0).stats()).isEqualTo(new TaskStore.StoreStats(0, total, 0));
  }

  /**
   * The figures the triggers keep (migrations V2 and V4): pending tasks and bytes overall (what
   * submissions admitted plus the sessions' parts), per owner (likewise), running and retained;
   * and the lanes: none missing for pending work, none whose due time is after its earliest
   * task's (it may be earlier).
   */
  private static final String KEPT = "SELECT (SELECT (q.pending + c.p) || ' ' ||"
      + " (q.pending_bytes + c.b) FROM offload_queue q, (SELECT sum(pending) AS p,"
      + " sum(pending_bytes) AS b FROM offload_count) c),"
      + " (SELECT string_agg(owner || ' ' || n || ' ' || b, '; ' ORDER BY owner) FROM ("
      + " SELECT owner, sum(pending) AS n, sum(pending_bytes) AS b FROM (SELECT owner, pending,"
      + " pending_bytes FROM offload_owner UNION ALL SELECT owner, pending, pending_bytes"
      + " FROM offload_owner_delta) u GROUP BY owner HAVING sum(pending) <> 0"
      + " OR sum(pending_bytes) <> 0) o),"
      + " (SELECT sum(running) || ' ' || sum(retained) || ' ' || sum(retained_bytes)"
      + " FROM offload_count),"
      + " (SELECT count(*) FROM (SELECT owner, priority, min(next_attempt_at) AS due"
      + " FROM offload_task WHERE status = 'pending' GROUP BY owner, priority) t"
      + " LEFT JOIN offload_lane l USING (owner, priority) WHERE l.owner IS NULL"
      + " OR l.next_due > t.due)";
  /** A task kept: ended, and within its TTL or kept for its owed callback (V5). */
  private static final String RETAINED = "finished_at IS NOT NULL"
      + " AND (result_ttl_seconds > 0 OR delivery_state = 'pending')";
  /** The same figures, counted from the tasks. */
  private static final String COUNTED = "SELECT (SELECT count(*) || ' '"
      + " || coalesce(sum(input_bytes), 0) FROM offload_task WHERE status = 'pending'),"
      + " (SELECT string_agg(owner || ' ' || n || ' ' || b, '; ' ORDER BY owner) FROM ("
      + " SELECT owner, count(*) AS n, sum(input_bytes) AS b FROM offload_task"
      + " WHERE status = 'pending' GROUP BY owner) x),"
      + " (SELECT count(*) FILTER (WHERE status = 'running') || ' '"
      + " || count(*) FILTER (WHERE " + RETAINED + ") || ' '"
      + " || coalesce(sum(input_bytes + coalesce(octet_length(result), 0))"
      + " FILTER (WHERE " + RETAINED + "), 0)"
      + " FROM offload_task), 0";

  private List<String> row(String query) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      List<String> values = new ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        values.add(rs.getString(i));
      }
      return values;
    }
  }

  /** The figures the triggers keep equal a recount of the task table. */
  private void assertKeptFiguresMatchARecount() throws SQLException {
    assertThat(row(KEPT)).isEqualTo(row(COUNTED));
  }

  private static Task task(String owner, Priority priority, int inputBytes, long ttl,
      Instant due) {
    String input = "\"" + "x".repeat(inputBytes - 2) + "\"";
    return Tasks.pending(UUID.randomUUID(), "noop", owner, priority, input,
        new Task.Limits(2, 60, ttl), T0, due, null, null);
  }

  @Test
  void theKeptFiguresFollowEveryChange() throws SQLException {
    PostgresTaskStore a = open();
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Task t = task(i % 2 == 0 ? "alice" : "bob", i % 3 == 0 ? Priority.HIGH : Priority.NORMAL,
          3 + i, i == 5 ? 0 : 3600, T0.plusSeconds(i % 4));
      tasks.add(t);
      a.insert(t); // insert
    }
    Task delayed = task("carol", Priority.LOW, 9, 3600, T0.plusSeconds(500));
    a.insert(delayed);
    assertKeptFiguresMatchARecount();
    List<Task> claimed = a.claim("a", T0.plusSeconds(3), T0.plusSeconds(10), 6); // claim
    assertThat(claimed).hasSize(6);
    assertKeptFiguresMatchARecount();
    Task ttl0 = claimed.stream().filter(t -> t.limits().resultTtlSeconds() == 0).findFirst()
        .orElseGet(() -> claimed.get(5));
    List<Task> others = claimed.stream().filter(t -> t != ttl0).toList();
    a.finish(others.get(0), new Outcome.Retry(new TaskError("x", "y"), T0.plusSeconds(1)));
    assertKeptFiguresMatchARecount(); // retry
    a.finish(others.get(1), new Outcome.HandedBack(T0.plusSeconds(2)));
    assertKeptFiguresMatchARecount(); // hand-back
    a.finish(others.get(2), new Outcome.Succeeded("[1,2]", T0.plusSeconds(2)));
    assertKeptFiguresMatchARecount(); // success
    a.finish(ttl0, new Outcome.Succeeded("1", T0.plusSeconds(2)));
    assertKeptFiguresMatchARecount(); // TTL 0
    a.cancel(others.get(3).id(), T0.plusSeconds(3)); // cancel a running task
    a.cancel(delayed.id(), T0.plusSeconds(3)); // and a pending one
    assertKeptFiguresMatchARecount();
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(11))).hasSize(1);
    assertKeptFiguresMatchARecount(); // reaper
    List<Task> again = a.claim("a", T0.plusSeconds(11), T0.plusSeconds(12), 10);
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(13)))
        .as("last attempts fail, the others go back").hasSize(again.size());
    assertKeptFiguresMatchARecount();
    a.sweep(T0.plusSeconds(100_000), 100);
    assertKeptFiguresMatchARecount(); // sweep
    a.insert(task("dave", Priority.NORMAL, 4, 3600, T0));
    Task pending = task("dave", Priority.NORMAL, 5, 3600, T0.plusSeconds(1));
    a.insert(pending);
    sql("DELETE FROM offload_task WHERE id = '" + pending.id() + "'");
    assertKeptFiguresMatchARecount(); // DELETE of a pending task, not the lane's earliest
    sql("DELETE FROM offload_task WHERE status <> 'pending'");
    assertKeptFiguresMatchARecount(); // DELETE of finished and running tasks
    sql("DELETE FROM offload_task WHERE owner = 'dave'");
    assertKeptFiguresMatchARecount();
    a.insert(task("erin", Priority.NORMAL, 4, 3600, T0));
    sql("TRUNCATE offload_task");
    assertKeptFiguresMatchARecount(); // TRUNCATE
    assertThat(a.stats()).isEqualTo(new TaskStore.StoreStats(0, 0, 0, 0, 0, 0));
  }

  @Test
  void statsReadTheKeptFiguresAndTheSweepTidiesThem() throws SQLException {
    PostgresTaskStore a = open();
    a.insert(task(1));
    a.finish(a.claim("a", T0, T0.plusSeconds(10), 1).get(0),
        new Outcome.Succeeded("[1]", T0));
    a.insert(task("alice", Priority.NORMAL, 4, 3600, T0));
    TaskStore.StoreStats before = a.stats();
    assertThat(before).isEqualTo(new TaskStore.StoreStats(1, 0, 1, 4, 5, 1));

    // A row written with the triggers off is not seen: stats() reads the kept figures, it does
    // not count the table (health is polled by every page and load balancer).
    sql("SET session_replication_role = replica; INSERT INTO offload_task (id, type, owner,"
        + " priority, input, input_bytes, max_attempts, timeout_seconds, result_ttl_seconds,"
        + " status, attempts, created_at, next_attempt_at) VALUES (gen_random_uuid(), 'noop',"
        + " 'bob', 1, '{}', 2, 1, 60, 3600, 'pending', 0, now(), now())");
    assertThat(a.stats()).isEqualTo(before);
    sql("SET session_replication_role = replica; DELETE FROM offload_task WHERE owner = 'bob'");

    // The sessions that changed the figures ended (sql() closes its connection): the sweep folds
    // their rows into row 0, and deletes lanes without pending work.
    a.claim("a", T0, T0.plusSeconds(10), 1);
    a.close();
    PostgresTaskStore b = open();
    // A closed connection's server process ends a moment later: sweep until it has.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      b.sweep(T0, 100);
      assertThat(row("SELECT count(*) FROM offload_count WHERE backend NOT IN"
          + " (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)").get(0))
          .as("only row 0 is left of ended sessions").isEqualTo("1");
    });
    assertThat(row("SELECT count(*) FROM offload_lane l WHERE NOT EXISTS (SELECT 1"
        + " FROM offload_task t WHERE t.owner = l.owner AND t.priority = l.priority"
        + " AND t.status = 'pending')").get(0)).as("idle lanes are deleted").isEqualTo("0");
    assertThat(row("SELECT count(*) FROM offload_owner_delta").get(0))
        .as("the sessions' parts are folded").isEqualTo("0");
    assertThat(b.stats()).isEqualTo(new TaskStore.StoreStats(0, 1, 1, 0, 5, 0));
    assertKeptFiguresMatchARecount();
  }

  @Test
  void theCapacityHoldsAcrossInstancesInsertingAtOnce() throws Exception {
    PostgresTaskStore a = PostgresTaskStore.open(db.settings(50, 4));
    PostgresTaskStore b = PostgresTaskStore.open(db.settings(50, 4));
    opened.add(a);
    opened.add(b);
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        PostgresTaskStore s = w % 2 == 0 ? a : b;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 10; i++) {
            try {
              s.insert(task(1));
              accepted.incrementAndGet();
            } catch (dev.offload.task.LimitExceededException e) {
              refused.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(accepted.get()).isEqualTo(50);
    assertThat(refused.get()).isEqualTo(30);
    assertThat(a.stats().pending()).isEqualTo(50);
  }

  @Test
  void anOwnersLimitHoldsExactlyAcrossInstancesInsertingAtOnce() throws Exception {
    StoreLimits limits = new StoreLimits(10_000, Long.MAX_VALUE, 50, Long.MAX_VALUE, 10_000,
        Long.MAX_VALUE, true);
    PostgresTaskStore a = PostgresTaskStore.open(db.settings(limits, 4));
    PostgresTaskStore b = PostgresTaskStore.open(db.settings(limits, 4));
    opened.add(a);
    opened.add(b);
    AtomicInteger accepted = new AtomicInteger();
    ConcurrentLinkedQueue<dev.offload.task.Limit> refused = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        PostgresTaskStore s = w % 2 == 0 ? a : b;
        // Every priority: the owner's sum spans its lanes.
        Priority priority = Priority.values()[w % 3];
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < 10; i++) {
            try {
              s.insert(task("alice", priority, 2, 3600, T0));
              accepted.incrementAndGet();
            } catch (dev.offload.task.LimitExceededException e) {
              refused.add(e.limit());
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(accepted.get()).isEqualTo(50);
    assertThat(refused).hasSize(30).containsOnly(dev.offload.task.Limit.OWNER_TASKS);
    assertThat(b.ownerStats("alice")).contains(new TaskStore.OwnerStats(50, 100));
    assertThat(a.insert(task("bob", Priority.NORMAL, 2, 3600, T0)).created())
        .as("another owner is unaffected").isTrue();
    assertKeptFiguresMatchARecount();
  }

  // ---------------------------------------------------------------- batches

  @Test
  void aBatchOfSubmissionsIsOneStatementAndARefusalRefusesOnlyWhatDoesNotFit() {
    StoreLimits limits = new StoreLimits(10_000, Long.MAX_VALUE, 3, Long.MAX_VALUE, 10_000,
        Long.MAX_VALUE, true);
    PostgresTaskStore a = PostgresTaskStore.open(db.settings(limits, 2));
    opened.add(a);
    List<Task> fits = List.of(task("alice", Priority.NORMAL, 2, 3600, T0),
        task("bob", Priority.NORMAL, 2, 3600, T0), task("carol", Priority.NORMAL, 2, 3600, T0));
    long before = a.roundTrips();

    assertThat(a.insertBatch(fits)).allSatisfy(r -> assertThat(r.value()).isTrue());
    await().atMost(Duration.ofSeconds(10)).until(a::noticesSent);
    assertThat(a.roundTrips() - before).as("one statement for the batch, one notice")
        .isEqualTo(2);

    // Alice may have 3 pending: a batch with 3 more of hers fails as a whole in the database,
    // then goes row by row, so that only what does not fit is refused.
    List<Task> mixed = List.of(task("alice", Priority.NORMAL, 2, 3600, T0),
        task("alice", Priority.NORMAL, 2, 3600, T0), task("bob", Priority.NORMAL, 2, 3600, T0),
        task("alice", Priority.NORMAL, 2, 3600, T0));
    List<Batcher.Result<Boolean>> results = a.insertBatch(mixed);

    assertThat(results.get(0).value()).isTrue();
    assertThat(results.get(1).value()).isTrue();
    assertThat(results.get(2).value()).isTrue();
    assertThat(results.get(3).error()).isInstanceOfSatisfying(
        dev.offload.task.LimitExceededException.class,
        e -> assertThat(e.limit()).isEqualTo(dev.offload.task.Limit.OWNER_TASKS));
    assertThat(a.ownerStats("alice")).contains(new TaskStore.OwnerStats(3, 6));
    assertThat(a.get(mixed.get(3).id())).isEmpty();
  }

  @Test
  void aBatchOfEndsIsOneFencedStatement() {
    PostgresTaskStore a = open();
    for (int i = 0; i < 4; i++) {
      a.insert(task(3));
    }
    List<Task> claimed = a.claim("a", T0, T0.plusSeconds(10), 4);
    // The third attempt was reclaimed meanwhile: its end is fenced out, the others are written.
    a.cancel(claimed.get(2).id(), T0);
    await().atMost(Duration.ofSeconds(10)).until(a::noticesSent);
    long before = a.roundTrips();

    List<Batcher.Result<Optional<Task>>> results = a.finishBatch(List.of(
        new PostgresTaskStore.Ending(claimed.get(0), new Outcome.Succeeded("1", T0)),
        new PostgresTaskStore.Ending(claimed.get(1), new Outcome.Retry(new TaskError("x", "y"),
            T0.plusSeconds(5))),
        new PostgresTaskStore.Ending(claimed.get(2), new Outcome.Succeeded("late", T0)),
        new PostgresTaskStore.Ending(claimed.get(3), new Outcome.Failed(new TaskError("z", "w"),
            T0))));

    await().atMost(Duration.ofSeconds(10)).until(a::noticesSent);
    assertThat(a.roundTrips() - before).as("one statement for the ends, one notice naming them")
        .isEqualTo(2);
    assertThat(results.get(0).value()).hasValueSatisfying(
        t -> assertThat(t.status()).isEqualTo(TaskStatus.SUCCESS));
    assertThat(results.get(1).value()).hasValueSatisfying(
        t -> assertThat(t.status()).isEqualTo(TaskStatus.PENDING));
    assertThat(results.get(2).value()).as("fenced out").isEmpty();
    assertThat(results.get(3).value()).hasValueSatisfying(
        t -> assertThat(t.status()).isEqualTo(TaskStatus.FAILED));
    for (int i = 0; i < 4; i++) {
      Task stored = a.get(claimed.get(i).id()).orElseThrow();
      Optional<Task> written = results.get(i).value();
      assertThat(stored).isEqualTo(written.orElse(claimed.get(i).canceled(T0)));
    }
    assertThat(a.nextDueAt()).contains(T0.plusSeconds(5));
  }

  // ---------------------------------------------------------------- rolling deploys

  private static Task typed(String type) {
    return Tasks.pending(UUID.randomUUID(), type, Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 3600), T0, T0, null, null);
  }

  @Test
  void anInstanceClaimsOnlyTheTypesItRunsAndWakesOnlyForThem() {
    PostgresTaskStore old = open();
    PostgresTaskStore updated = open();
    Task known = typed("noop");
    Task added = Tasks.pending(UUID.randomUUID(), "resize", Priority.HIGH, "{}",
        new Task.Limits(1, 60, 3600), T0, T0.minusSeconds(5), null, null);
    updated.insert(added);
    old.insert(known);

    assertThat(old.nextDueAt(Set.of("noop"))).as("it does not wait for what it cannot run")
        .contains(T0);
    assertThat(old.claim("old", Set.of("noop"), T0, T0.plusSeconds(10), 10))
        .extracting(Task::id).containsExactly(known.id());
    assertThat(old.claim("old", Set.of("noop"), T0, T0.plusSeconds(10), 10)).isEmpty();
    assertThat(old.nextDueAt(Set.of("noop"))).isEmpty();
    assertThat(updated.nextDueAt(Set.of("noop", "resize"))).contains(T0.minusSeconds(5));
    assertThat(updated.claim("updated", Set.of("noop", "resize"), T0, T0.plusSeconds(10), 10))
        .extracting(Task::id).containsExactly(added.id());
  }

  @Test
  void pendingTasksOfATypeNoLiveInstanceRunsAreUnclaimable() {
    PostgresTaskStore a = open();
    Instant now = Instant.now();
    a.insert(typed("noop"));
    a.insert(typed("resize"));
    a.insert(typed("resize"));
    a.heartbeat("old", Set.of("noop"), List.of(), now, now.plusSeconds(30), now.plusSeconds(30));

    assertThat(open().unclaimable()).containsExactly(java.util.Map.entry("resize", 2L));

    a.heartbeat("new", Set.of("noop", "resize"), List.of(), now, now.plusSeconds(30),
        now.plusSeconds(30));
    assertThat(open().unclaimable()).isEmpty();

    a.leave("new");
    assertThat(open().unclaimable()).containsExactly(java.util.Map.entry("resize", 2L));
    a.heartbeat("new", Set.of("resize"), List.of(), now.minusSeconds(60), now.minusSeconds(30),
        now.minusSeconds(30));
    assertThat(open().unclaimable()).as("a silent instance no longer counts")
        .containsExactly(java.util.Map.entry("resize", 2L));
  }

  @Test
  void aTaskThatEndedWithATtlOfZeroIsGoneButForItsWatchersUntilTheSweep() {
    PostgresTaskStore a = open();
    Task t = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 0), T0, T0, "key-0", "fp");
    a.insert(t);
    Task running = a.claim("a", T0, T0.plusSeconds(10), 1).get(0);
    Task done = a.finish(running, new Outcome.Succeeded("42", T0.plusSeconds(1))).orElseThrow();

    assertThat(a.get(t.id())).isEmpty();
    assertThat(a.list(new dev.offload.task.TaskQuery(null, null, 10, null)).items()).isEmpty();
    assertThat(a.cancel(t.id(), T0.plusSeconds(2))).as("unknown, not finished").isEmpty();
    assertThat(a.lastState(t.id())).as("read once more by watchers elsewhere")
        .hasValueSatisfying(last -> {
          assertThat(last.status()).isEqualTo(TaskStatus.SUCCESS);
          assertThat(last.result()).isEqualTo("42");
          assertThat(last.id()).isEqualTo(done.id());
        });
    Task again = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 0), T0, T0, "key-0", "another");
    assertThat(a.insert(again).created()).as("its idempotency key is free at once").isTrue();

    assertThat(a.sweep(T0.plusSeconds(1), 100)).isEqualTo(1);
    assertThat(a.lastState(t.id())).isEmpty();
  }

  // ---------------------------------------------------------------- notifications

  /** Records what a store's listener reports. */
  private static final class Recorder implements StoreEvents {
    final ConcurrentLinkedQueue<UUID> changed = new ConcurrentLinkedQueue<>();
    final AtomicInteger work = new AtomicInteger();
    final AtomicInteger resyncs = new AtomicInteger();

    @Override
    public void taskChanged(UUID id) {
      changed.add(id);
    }

    @Override
    public void workAvailable() {
      work.incrementAndGet();
    }

    @Override
    public void resync() {
      resyncs.incrementAndGet();
    }
  }

  @Test
  void aListenerThatLostItsConnectionReconnectsAndAsksForAResync() throws SQLException {
    PostgresTaskStore a = open();
    Recorder heard = new Recorder();
    a.subscribe(heard);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          + "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    }
    // Notices sent while it was away are lost: the engine is told to re-read what it follows.
    await().atMost(Duration.ofSeconds(15)).until(() -> heard.resyncs.get() > 0);
    Task t = task(1);
    PostgresTaskStore b = open();
    b.insert(t);
    await().atMost(Duration.ofSeconds(5)).until(() -> heard.work.get() > 0);
  }

  @Test
  void otherInstancesHearOfNewWorkAndOfEveryChange() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    Recorder heardByA = new Recorder();
    Recorder heardByB = new Recorder();
    a.subscribe(heardByA);
    b.subscribe(heardByB);
    // subscribe() returns once the listener is in place: nothing is missed from here on.
    Task t = task(1);
    a.insert(t);
    await().atMost(Duration.ofSeconds(5)).until(() -> heardByB.work.get() > 0);
    a.claim("a", T0, T0.plusSeconds(30), 1);
    a.progress(Tasks.attempt(t, 1), new Progress(10, "x"));
    a.finish(Tasks.attempt(t, 1), new Outcome.Succeeded("1", T0));

    await().atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(heardByB.changed).contains(t.id()));
    assertThat(heardByA.changed).as("a store does not hear its own changes").isEmpty();
    assertThat(heardByA.work.get()).as("nor its own new work").isZero();
  }

  @Test
  void aCancelOnOneInstanceReachesTheInstanceRunningTheTask() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    Recorder heardByA = new Recorder();
    a.subscribe(heardByA);
    Task t = task(1);
    a.insert(t);
    a.claim("a", T0, T0.plusSeconds(30), 1);

    b.cancel(t.id(), T0);

    await().atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(heardByA.changed).contains(t.id()));
  }

  @Test
  void closingStopsTheListenerThread() {
    PostgresTaskStore a = PostgresTaskStore.open(db.settings(10, 2));
    a.subscribe(new Recorder());
    await().atMost(Duration.ofSeconds(5)).until(() -> listenerThreads() == 1);

    a.close();
    a.close();

    assertThat(listenerThreads()).isZero();
  }

  private static long listenerThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("offload-pg-listener") && t.isAlive())
        .count();
  }

  // ---------------------------------------------------------------- schema and failures

  @Test
  void theSchemaIsMigratedOnceAndRecorded() throws SQLException {
    open();
    open();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT version, description FROM offload_schema_version ORDER BY version")) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getInt(1) + " " + rs.getString(2));
      }
      assertThat(rows).containsExactly("1 create_offload_task", "2 count_pending_tasks",
          "3 task_owners", "4 owner_lanes_and_kept_figures", "5 callback_deliveries");
    }
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      assertThat(Migrations.apply(c)).as("nothing left to apply").isEmpty();
    }
  }

  @Test
  void everyMigrationFileIsListed() throws Exception {
    java.nio.file.Path dir = java.nio.file.Path.of(
        getClass().getClassLoader().getResource(Migrations.DIRECTORY).toURI());
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactlyElementsOf(Migrations.FILES);
    }
  }

  @Test
  void upgradingADatabaseWithTasksRecountsThemInTheKeptFigures() throws SQLException {
    sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      assertThat(Migrations.apply(c, 3)).containsExactly(1, 2, 3);
    }
    // A version-3 database in use: pending tasks of two owners, one running, one finished.
    String row = "INSERT INTO offload_task (id, type, owner, priority, input, input_bytes,"
        + " max_attempts, timeout_seconds, result_ttl_seconds, status, attempts, created_at,"
        + " next_attempt_at, lease_owner, lease_until, finished_at, result) VALUES"
        + " (gen_random_uuid(), 'noop', '%s', 1, '{}', %d, 1, 60, 3600, '%s', 0, now(), %s)";
    String pending = "now() + interval '%d seconds', NULL, NULL, NULL, NULL";
    sql(String.format(row, "alice", 5, "pending", String.format(pending, 10)));
    sql(String.format(row, "alice", 7, "pending", String.format(pending, 5)));
    sql(String.format(row, "bob", 3, "pending", String.format(pending, 0)));
    sql(String.format(row, "bob", 2, "running", "NULL, 'x', now(), NULL, NULL"));
    sql(String.format(row, "bob", 4, "success", "NULL, NULL, NULL, now(), '[1]'"));

    PostgresTaskStore upgraded = open();

    assertKeptFiguresMatchARecount();
    assertThat(upgraded.stats()).isEqualTo(new TaskStore.StoreStats(3, 1, 1, 15, 7, 2));
    assertThat(upgraded.ownerStats("alice")).contains(new TaskStore.OwnerStats(2, 12));
    upgraded.insert(task(1));
    assertKeptFiguresMatchARecount();
  }

  @Test
  void anAppliedMigrationThatChangedIsRefused() throws SQLException {
    open();
    sql("UPDATE offload_schema_version SET checksum = 'edited' WHERE version = 1");
    try {
      assertThatThrownBy(this::open).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("changed after it was applied");
    } finally {
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
        String sum = Migrations.load().get(1).checksum();
        try (var ps = c.prepareStatement(
            "UPDATE offload_schema_version SET checksum = ? WHERE version = 1")) {
          ps.setString(1, sum);
          ps.executeUpdate();
        }
      }
    }
  }

  @Test
  void anUnreachableDatabaseIsReportedAsUnavailable() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    PostgresSettings nowhere = new PostgresSettings("jdbc:postgresql://127.0.0.1:" + closedPort
        + "/offload", "u", "p", 1, dev.offload.store.StoreLimits.of(10, 10),
        Duration.ofSeconds(1));

    assertThatThrownBy(() -> PostgresTaskStore.open(nowhere))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("unavailable");
  }

  @Test
  void settingsNeverShowThePassword() {
    assertThat(db.settings(1).toString()).doesNotContain("password=");
    PostgresSettings s = new PostgresSettings("jdbc:postgresql://h/d", "u", "s3cret", 1, 1);
    assertThat(s.toString()).doesNotContain("s3cret");
    assertThatThrownBy(() -> new PostgresSettings("jdbc:mysql://h/d", "u", "p", 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
