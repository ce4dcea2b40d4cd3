package dev.offload.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.TaskStore;
import dev.offload.store.postgres.PostgresTaskStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import javax.sql.DataSource;

/**
 * Benchmark 5, the durable store: noop tasks per second end to end (submitted, claimed, run,
 * recorded) on one PostgreSQL with fsync and synchronous commit on, Offload's engine on its
 * PostgreSQL store against db-scheduler running one-time no-op tasks: submitted by one thread and
 * by 32 concurrent threads, with one and with two instances (in this JVM, each with its own
 * connection pool and workers). Each measurement gets a fresh database on the same server. Also
 * counts the database round trips per task of both (statements sent, and commits).
 */
final class DurableStoreBenchmark {
  /** db-scheduler's table for PostgreSQL, as its documentation gives it. */
  private static final String DB_SCHEDULER_TABLE = """
      CREATE TABLE scheduled_tasks (
        task_name TEXT NOT NULL,
        task_instance TEXT NOT NULL,
        task_data BYTEA,
        execution_time TIMESTAMP WITH TIME ZONE NOT NULL,
        picked BOOLEAN NOT NULL,
        picked_by TEXT,
        last_success TIMESTAMP WITH TIME ZONE,
        last_failure TIMESTAMP WITH TIME ZONE,
        consecutive_failures INT,
        last_heartbeat TIMESTAMP WITH TIME ZONE,
        version BIGINT NOT NULL,
        priority SMALLINT,
        PRIMARY KEY (task_name, task_instance));
      CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
      CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
      CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time);
      """;

  /** The submitting threads of the concurrent configuration. */
  static final int CONCURRENT = 32;

  private DurableStoreBenchmark() {}

  /**
   * @param tasks measured tasks per measurement
   * @param warmup tasks run first, not measured
   * @param workers worker threads per instance (db-scheduler: {@code threads})
   * @param poolSize connections per instance
   */
  record Settings(int tasks, int warmup, int workers, int poolSize) {
    static Settings benchmark() {
      return new Settings(5_000, 500, 4, 10);
    }

    static Settings smoke() {
      return new Settings(100, 20, 2, 4);
    }
  }

  private static final AtomicLong DATABASES = new AtomicLong();

  /** The configurations measured: submitting threads, then instances. */
  static final int[][] CONFIGURATIONS = {{1, 1}, {1, 2}, {CONCURRENT, 1}, {CONCURRENT, 2}};

  /** A configuration's key in the figures: {@code t32_i2} is 32 threads, 2 instances. */
  static String key(int threads, int instances) {
    return "t" + threads + "_i" + instances;
  }

  static Map<String, Double> run(Settings s) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>();
    double worst = Double.MAX_VALUE;
    // For experiments only (BENCH_JVM_ARGS=-Doffload.bench.fsync=false): the figures of
    // BENCHMARKS.md are measured with the server's defaults.
    boolean fsync = Boolean.parseBoolean(System.getProperty("offload.bench.fsync", "true"));
    try (Postgres pg = Postgres.start(fsync)) {
      System.out.println("[bench] durable: PostgreSQL with " + pg.durability());
      for (int[] c : CONFIGURATIONS) {
        int threads = c[0];
        int instances = c[1];
        String k = key(threads, instances);
        Figures offload = offload(pg, s, instances, threads);
        Figures dbScheduler = dbScheduler(pg, s, instances, threads);
        double ratio = offload.tasksPerSecond() / dbScheduler.tasksPerSecond();
        worst = Math.min(worst, ratio);
        m.put("offload_" + k + "_tasks_per_s", offload.tasksPerSecond());
        m.put("dbscheduler_" + k + "_tasks_per_s", dbScheduler.tasksPerSecond());
        m.put("ratio_" + k, ratio);
        m.put("offload_" + k + "_round_trips_per_task", offload.roundTripsPerTask());
        m.put("dbscheduler_" + k + "_round_trips_per_task", dbScheduler.roundTripsPerTask());
        m.put("offload_" + k + "_wal_bytes_per_task", offload.walBytesPerTask());
        m.put("dbscheduler_" + k + "_wal_bytes_per_task", dbScheduler.walBytesPerTask());
        System.out.printf("[bench] durable %s: Offload %.0f tasks/s (%.2f round trips, %.0f WAL"
            + " bytes per task), db-scheduler %.0f tasks/s (%.2f, %.0f)%n", k,
            offload.tasksPerSecond(), offload.roundTripsPerTask(), offload.walBytesPerTask(),
            dbScheduler.tasksPerSecond(), dbScheduler.roundTripsPerTask(),
            dbScheduler.walBytesPerTask());
      }
    }
    m.put("ratio_min", worst);
    return m;
  }

  private static String freshDatabase(Postgres pg) throws Exception {
    String name = "bench_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    pg.createDatabase(name);
    return name;
  }

  /** One side's figures: throughput, database round trips and WAL bytes per task. */
  record Figures(double tasksPerSecond, double roundTripsPerTask, double walBytesPerTask) {}

  static Figures offload(Postgres pg, Settings s, int instances, int threads) throws Exception {
    String db = freshDatabase(pg);
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(s.workers(), 1_000_000, d.defaultTimeout(),
        d.maxTimeout(), d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(),
        d.retryBase(), d.retryMax(), d.sweepInterval(), d.shutdownGrace(), d.abandonAfter(),
        d.lease());
    CompletionCountingStore.Ended ended = new CompletionCountingStore.Ended();
    List<TaskEngine> engines = new ArrayList<>();
    List<PostgresTaskStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        PostgresTaskStore store = pg.openStore(db, s.poolSize(), config.queueCapacity(),
            Boolean.parseBoolean(System.getProperty("offload.bench.fair", "true")));
        stores.add(store);
        if (i == 0 && !Boolean.parseBoolean(System.getProperty("offload.bench.triggers", "true"))) {
          // Experiments only: what the bookkeeping of migration V4 costs (counts go wrong).
          pg.execute(db, "ALTER TABLE offload_task DISABLE TRIGGER USER");
        }
        TaskEngine e = TaskEngine.builder(config, new CompletionCountingStore(store, ended),
            HandlerRegistry.discover(DurableStoreBenchmark.class.getClassLoader()))
            .instance("bench-offload-" + i).build();
        e.start();
        engines.add(e);
      }
      IntConsumer submit = i -> engines.get(i % engines.size()).submit(new SubmitRequest(
          "noop", "{\"n\":" + i + "}", null, null, null, null, null, null));
      submit(1, 0, s.warmup(), submit);
      await(ended, s.warmup(), "Offload warm-up");
      long trips = stores.stream().mapToLong(PostgresTaskStore::roundTrips).sum();
      Map<String, Long> kinds = byKind(stores);
      long wal = pg.walBytes();
      long t0 = System.nanoTime();
      submit(threads, s.warmup(), s.tasks(), submit);
      await(ended, s.warmup() + s.tasks(), "Offload");
      double seconds = (System.nanoTime() - t0) / 1e9;
      long measured = stores.stream().mapToLong(PostgresTaskStore::roundTrips).sum() - trips;
      Map<String, Long> after = byKind(stores);
      StringBuilder split = new StringBuilder();
      after.forEach((kind, n) -> split.append(String.format(java.util.Locale.ROOT, " %s %.2f",
          kind, (double) (n - kinds.get(kind)) / s.tasks())));
      System.out.println("[bench] durable " + key(threads, instances)
          + ": Offload round trips per task by kind:" + split);
      return new Figures(s.tasks() / seconds, (double) measured / s.tasks(),
          (double) (pg.walBytes() - wal) / s.tasks());
    } finally {
      for (TaskEngine e : engines) {
        e.shutdown();
      }
      for (TaskStore st : stores) {
        st.close(); // whoever opens a store closes it, after its engine stopped
      }
    }
  }

  private static Map<String, Long> byKind(List<PostgresTaskStore> stores) {
    Map<String, Long> sum = new java.util.TreeMap<>();
    for (PostgresTaskStore st : stores) {
      st.roundTripsByKind().forEach((k, v) -> sum.merge(k, v, Long::sum));
    }
    return sum;
  }

  /**
   * Submits tasks {@code from .. from + count - 1} from {@code threads} threads at once (each
   * taking every threads-th), and returns when all were accepted.
   */
  private static void submit(int threads, int from, int count, IntConsumer submit)
      throws Exception {
    if (threads == 1) {
      for (int i = from; i < from + count; i++) {
        submit.accept(i);
      }
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = from + t;
        futures.add(pool.submit(() -> {
          go.await();
          for (int i = first; i < from + count; i += threads) {
            submit.accept(i);
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(CompletionCountingStore.Ended ended, long n, String what)
      throws InterruptedException {
    if (!ended.await(n, 10, TimeUnit.MINUTES)) {
      throw new IllegalStateException(what + ": " + n + " tasks did not end within 10 minutes");
    }
  }

  static Figures dbScheduler(Postgres pg, Settings s, int instances, int threads)
      throws Exception {
    String db = freshDatabase(pg);
    CompletionCountingStore.Ended ended = new CompletionCountingStore.Ended();
    OneTimeTask<String> noop = Tasks.oneTime("noop", String.class)
        .execute((instance, context) -> ended.add());
    List<HikariDataSource> pools = new ArrayList<>();
    List<Scheduler> schedulers = new ArrayList<>();
    LongAdder trips = new LongAdder();
    try {
      for (int i = 0; i < instances; i++) {
        HikariDataSource ds = pg.pool(db, s.poolSize());
        pools.add(ds);
        if (i == 0) {
          Postgres.execute(ds, DB_SCHEDULER_TABLE);
        }
        // Its recommended set-up for PostgreSQL: lock-and-fetch polling, and immediate
        // execution so a task scheduled for now is picked without waiting for the next poll.
        Scheduler scheduler = Scheduler.create(counting(ds, trips), noop)
            .threads(s.workers())
            .pollingInterval(Duration.ofSeconds(1))
            .pollUsingLockAndFetch(0.5, 1.0)
            .enableImmediateExecution()
            .schedulerName(new SchedulerName.Fixed("bench-dbscheduler-" + i))
            .build();
        scheduler.start();
        schedulers.add(scheduler);
      }
      IntConsumer schedule = i -> schedulers.get(i % schedulers.size())
          .schedule(noop.instance("t" + i, "{\"n\":" + i + "}"), Instant.now());
      submit(1, 0, s.warmup(), schedule);
      await(ended, s.warmup(), "db-scheduler warm-up");
      long before = trips.sum();
      long wal = pg.walBytes();
      long t0 = System.nanoTime();
      submit(threads, s.warmup(), s.tasks(), schedule);
      await(ended, s.warmup() + s.tasks(), "db-scheduler");
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Figures(s.tasks() / seconds, (double) (trips.sum() - before) / s.tasks(),
          (double) (pg.walBytes() - wal) / s.tasks());
    } finally {
      for (Scheduler sc : schedulers) {
        sc.stop();
      }
      for (HikariDataSource ds : pools) {
        ds.close();
      }
    }
  }

  /** Executions and ends of transactions that go to the database: one round trip each. */
  private static final Set<String> ROUND_TRIPS = Set.of("execute", "executeQuery",
      "executeUpdate", "executeLargeUpdate", "executeBatch", "executeLargeBatch", "commit",
      "rollback");

  /** {@code ds}, counting into {@code trips} the round trips of the statements it runs. */
  static DataSource counting(DataSource ds, LongAdder trips) {
    return proxy(DataSource.class, ds, trips);
  }

  private static <T> T proxy(Class<T> type, T target, LongAdder trips) {
    InvocationHandler h = (p, method, args) -> {
      if (ROUND_TRIPS.contains(method.getName())) {
        trips.increment();
      }
      Object result;
      try {
        result = method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (result instanceof PreparedStatement ps
          && method.getReturnType() == PreparedStatement.class) {
        return proxy(PreparedStatement.class, ps, trips);
      }
      if (result instanceof Statement st && method.getReturnType() == Statement.class) {
        return proxy(Statement.class, st, trips);
      }
      if (result instanceof Connection c && method.getReturnType() == Connection.class) {
        return proxy(Connection.class, c, trips);
      }
      return result;
    };
    return type.cast(Proxy.newProxyInstance(DurableStoreBenchmark.class.getClassLoader(),
        new Class<?>[] {type}, h));
  }
}
