package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.engine.TaskWatcher;
import dev.offload.store.TaskStore;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.TestHandlers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two engines, each with its own store and pool, share one database, as two servers would: the
 * work is split between them, nothing runs twice, and a cancel or a watcher on one instance
 * reaches a task running on the other.
 */
@ExtendWith(PostgresExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedDatabaseEngineTest {
  private TestDatabase db;
  private final List<TaskEngine> engines = new ArrayList<>();
  private final List<PostgresTaskStore> stores = new ArrayList<>();

  @BeforeAll
  void database(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void emptyTable() throws SQLException {
    try (PostgresTaskStore s = PostgresTaskStore.open(db.settings(10));
        Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE offload_task");
    }
  }

  @AfterEach
  void stop() {
    engines.forEach(TaskEngine::shutdown);
    stores.forEach(PostgresTaskStore::close);
  }

  static EngineConfig config(int workers) {
    EngineConfig d = EngineConfig.defaults();
    return new EngineConfig(workers, 10_000, d.defaultTimeout(), d.maxTimeout(), 3,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofMillis(100),
        Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMillis(500),
        Duration.ofSeconds(2), Duration.ofSeconds(2));
  }

  private TaskEngine engine(String owner, TestHandlers.Gate gate, Map<String, AtomicInteger> runs,
      AtomicInteger ranHere) {
    PostgresTaskStore store = PostgresTaskStore.open(db.settings(10_000, 6));
    stores.add(store);
    HandlerRegistry handlers = new HandlerRegistry(List.of(gate,
        new TestHandlers.Simple("count", k -> {
          runs.computeIfAbsent(k.key(), x -> new AtomicInteger()).incrementAndGet();
          ranHere.incrementAndGet();
          return "1";
        })));
    TaskEngine e = TaskEngine.builder(config(4), store, handlers).instance(owner).build();
    e.start();
    engines.add(e);
    return e;
  }

  private static SubmitRequest req(String type, String key) {
    return new SubmitRequest(type, "{\"key\":\"" + key + "\"}", null, null, null, null, null,
        null);
  }

  @Test
  void twoEnginesShareTwoThousandTasksAndRunEachExactlyOnce() throws Exception {
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    AtomicInteger ranOnA = new AtomicInteger();
    AtomicInteger ranOnB = new AtomicInteger();
    TaskEngine a = engine("a", new TestHandlers.Gate(), runs, ranOnA);
    TaskEngine b = engine("b", new TestHandlers.Gate(), runs, ranOnB);
    int total = 2_000;
    List<UUID> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        int client = c;
        futures.add(clients.submit(() -> {
          for (int i = client; i < total; i += 4) {
            TaskEngine via = i % 2 == 0 ? a : b;
            ids.add(via.submit(req("count", "t" + i)).task().id());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> a.health().retained() == total);

    assertThat(runs).hasSize(total);
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    assertThat(ranOnA.get() + ranOnB.get()).isEqualTo(total);
    assertThat(ranOnA.get()).as("both instances took work").isPositive();
    assertThat(ranOnB.get()).as("both instances took work").isPositive();
    for (UUID id : ids.subList(0, 50)) {
      Task t = b.get(id).orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.SUCCESS);
      assertThat(t.attempts()).isEqualTo(1);
    }
    System.out.printf("shared database: %d tasks, %d ran on a, %d on b, none twice%n",
        total, ranOnA.get(), ranOnB.get());
  }

  @Test
  void idleWorkersDoNotPollTheDatabaseInALoop() {
    AtomicInteger claims = new AtomicInteger();
    PostgresTaskStore store = PostgresTaskStore.open(db.settings(10_000, 6));
    stores.add(store);
    TaskStore counting = (TaskStore) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {TaskStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("claim")) {
            claims.incrementAndGet();
          }
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    TaskEngine idle = TaskEngine.builder(config(4), counting,
        new HandlerRegistry(List.of(new TestHandlers.Gate()))).build();
    idle.start();
    engines.add(idle);

    // Four idle workers, woken at most once a second (maxIdle) and by nothing else: a handful
    // of claims in two seconds. Workers that wake each other after every empty claim make
    // thousands.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
        .until(() -> claims.get() <= 12);
  }

  @Test
  void aCancelOnOneInstanceInterruptsTheTaskRunningOnTheOther() throws Exception {
    TestHandlers.Gate gateA = new TestHandlers.Gate();
    TestHandlers.Gate gateB = new TestHandlers.Gate();
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    TaskEngine a = engine("a", gateA, runs, new AtomicInteger());
    TaskEngine b = engine("b", gateB, runs, new AtomicInteger());
    Task t = a.submit(req("gate", "k")).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> gateA.runs.get() + gateB.runs.get() == 1);
    boolean onA = gateA.runs.get() == 1;
    TaskEngine runner = onA ? a : b;
    TaskEngine other = onA ? b : a;
    TestHandlers.Gate runningGate = onA ? gateA : gateB;

    Task canceled = other.cancel(t.id());

    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    await().atMost(Duration.ofSeconds(10)).until(() -> runningGate.interrupts.get() == 1);
    assertThat(runner.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
  }

  @Test
  void aWatcherOnOneInstanceHearsOfATaskEndingOnTheOther() throws Exception {
    TestHandlers.Gate gateA = new TestHandlers.Gate();
    TestHandlers.Gate gateB = new TestHandlers.Gate();
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    TaskEngine a = engine("a", gateA, runs, new AtomicInteger());
    TaskEngine b = engine("b", gateB, runs, new AtomicInteger());
    Task t = a.submit(req("gate", "w")).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> gateA.runs.get() + gateB.runs.get() == 1);
    boolean onA = gateA.runs.get() == 1;
    TaskEngine other = onA ? b : a;
    CountDownLatch ended = new CountDownLatch(1);
    AtomicReference<Task> seen = new AtomicReference<>();
    TaskWatcher watcher = task -> {
      if (task.isTerminal()) {
        seen.set(task);
        ended.countDown();
      }
    };

    try (AutoCloseable w = other.watch(t.id(), watcher)) {
      (onA ? gateA : gateB).open("w");
      assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen.get().status()).isEqualTo(TaskStatus.SUCCESS);
    assertThat(seen.get().result()).isEqualTo("\"done w\"");
  }
}
