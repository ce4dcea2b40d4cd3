package dev.offload.store.postgres;

import dev.offload.testing.Tasks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.offload.store.Outcome;
import dev.offload.store.StoreEvents;
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

  /** The pending count kept by migration V2's triggers, and the real one. */
  private long[] pendingCounts() throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT (SELECT pending FROM offload_queue),"
            + " (SELECT count(*) FROM offload_task WHERE status = 'pending')")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  private void assertPendingCount(long expected) throws SQLException {
    assertThat(pendingCounts()).containsExactly(expected, expected);
  }

  @Test
  void thePendingCountFollowsEveryChange() throws SQLException {
    PostgresTaskStore a = open();
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Task t = i == 5
          ? Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
              new Task.Limits(1, 60, 0), T0, T0, null, null) // result not kept
          : task(2);
      tasks.add(t);
      a.insert(t);
    }
    assertPendingCount(6);
    List<Task> claimed = a.claim("a", T0, T0.plusSeconds(10), 6);
    assertPendingCount(0);
    a.finish(Tasks.attempt(claimed.get(0), 1), new Outcome.Retry(new TaskError("x", "y"), T0));
    assertPendingCount(1);
    a.finish(Tasks.attempt(claimed.get(1), 1), new Outcome.Succeeded("1", T0));
    a.finish(Tasks.attempt(claimed.get(2), 1), new Outcome.HandedBack(T0));
    assertPendingCount(2);
    Task forgotten = claimed.stream().filter(t -> t.limits().resultTtlSeconds() == 0)
        .findFirst().orElseThrow();
    a.finish(Tasks.attempt(forgotten, 1), new Outcome.Succeeded("1", T0));
    assertPendingCount(2);
    a.cancel(claimed.get(0).id(), T0);
    assertPendingCount(1);
    assertThat(a.reclaimExpiredLeases(T0.plusSeconds(11))).hasSize(2);
    assertPendingCount(3);
    a.sweep(T0.plusSeconds(100_000), 100);
    assertPendingCount(3);
    sql("DELETE FROM offload_task WHERE id = '" + claimed.get(2).id() + "'");
    assertPendingCount(2);
    sql("TRUNCATE offload_task");
    assertPendingCount(0);
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
          "3 task_owners");
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
  void upgradingADatabaseWithPendingTasksCountsThem() throws SQLException {
    PostgresTaskStore a = open();
    for (int i = 0; i < 4; i++) {
      a.insert(task(1));
    }
    a.claim("a", T0, T0.plusSeconds(10), 1);
    a.close();
    // Back to a database of version 1, with 3 pending tasks and 1 running.
    sql("DROP TRIGGER offload_queue_insert ON offload_task;"
        + " DROP TRIGGER offload_queue_update ON offload_task;"
        + " DROP TRIGGER offload_queue_delete ON offload_task;"
        + " DROP TRIGGER offload_queue_truncate ON offload_task;"
        + " DROP FUNCTION offload_queue_count(); DROP TABLE offload_queue;"
        + " DELETE FROM offload_schema_version WHERE version = 2");

    PostgresTaskStore upgraded = open();

    assertPendingCount(3);
    upgraded.insert(task(1));
    assertPendingCount(4);
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
        + "/offload", "u", "p", 1, 10, Duration.ofSeconds(1));

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
