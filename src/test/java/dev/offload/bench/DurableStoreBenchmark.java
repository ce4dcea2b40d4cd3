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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 5, the durable store: noop tasks per second end to end (submitted, claimed, run,
 * recorded) on one PostgreSQL, Offload's engine on its PostgreSQL store against db-scheduler
 * running one-time no-op tasks, with one and with two instances (in this JVM, each with its own
 * connection pool and workers). Each measurement gets a fresh database on the same server.
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

  static Map<String, Double> run(Settings s) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>();
    try (Postgres pg = Postgres.start()) {
      for (int instances = 1; instances <= 2; instances++) {
        Offload offload = offload(pg, s, instances);
        double dbScheduler = dbScheduler(pg, s, instances);
        m.put("offload_" + instances + "_tasks_per_s", offload.tasksPerSecond());
        m.put("dbscheduler_" + instances + "_tasks_per_s", dbScheduler);
        m.put("ratio_" + instances, offload.tasksPerSecond() / dbScheduler);
        m.put("offload_" + instances + "_store_calls_per_task", offload.callsPerTask());
        m.put("offload_" + instances + "_idle_calls_per_task", offload.idleCallsPerTask());
      }
    }
    return m;
  }

  private static String freshDatabase(Postgres pg) throws Exception {
    String name = "bench_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    pg.createDatabase(name);
    return name;
  }

  /** Offload's figures: throughput, and store calls per task (all, and idle ones). */
  record Offload(double tasksPerSecond, double callsPerTask, double idleCallsPerTask) {}

  private static long calls(List<CompletionCountingStore> stores) {
    return stores.stream().mapToLong(st -> st.calls.sum()).sum();
  }

  private static long idleCalls(List<CompletionCountingStore> stores) {
    return stores.stream().mapToLong(st -> st.idleCalls.sum()).sum();
  }

  static Offload offload(Postgres pg, Settings s, int instances) throws Exception {
    String db = freshDatabase(pg);
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(s.workers(), 1_000_000, d.defaultTimeout(),
        d.maxTimeout(), d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(),
        d.retryBase(), d.retryMax(), d.sweepInterval(), d.shutdownGrace(), d.abandonAfter(),
        d.lease());
    CompletionCountingStore.Ended ended = new CompletionCountingStore.Ended();
    List<TaskEngine> engines = new ArrayList<>();
    List<CompletionCountingStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        CompletionCountingStore store = new CompletionCountingStore(
            pg.openStore(db, s.poolSize(), config.queueCapacity()), ended);
        stores.add(store);
        TaskEngine e = TaskEngine.builder(config, store,
            HandlerRegistry.discover(DurableStoreBenchmark.class.getClassLoader()))
            .instance("bench-offload-" + i).build();
        e.start();
        engines.add(e);
      }
      submit(engines, 0, s.warmup());
      await(ended, s.warmup(), "Offload warm-up");
      long t0 = System.nanoTime();
      long callsBefore = calls(stores);
      long idleBefore = idleCalls(stores);
      submit(engines, s.warmup(), s.tasks());
      await(ended, s.warmup() + s.tasks(), "Offload");
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Offload(s.tasks() / seconds,
          (double) (calls(stores) - callsBefore) / s.tasks(),
          (double) (idleCalls(stores) - idleBefore) / s.tasks());
    } finally {
      for (TaskEngine e : engines) {
        e.shutdown();
      }
      for (TaskStore st : stores) {
        st.close(); // whoever opens a store closes it, after its engine stopped
      }
    }
  }

  private static void submit(List<TaskEngine> engines, int from, int count) {
    for (int i = from; i < from + count; i++) {
      engines.get(i % engines.size()).submit(new SubmitRequest("noop", "{\"n\":" + i + "}", null,
          null, null, null, null, null));
    }
  }

  private static void await(CompletionCountingStore.Ended ended, long n, String what)
      throws InterruptedException {
    if (!ended.await(n, 10, TimeUnit.MINUTES)) {
      throw new IllegalStateException(what + ": " + n + " tasks did not end within 10 minutes");
    }
  }

  static double dbScheduler(Postgres pg, Settings s, int instances) throws Exception {
    String db = freshDatabase(pg);
    CompletionCountingStore.Ended ended = new CompletionCountingStore.Ended();
    OneTimeTask<String> noop = Tasks.oneTime("noop", String.class)
        .execute((instance, context) -> ended.add());
    List<HikariDataSource> pools = new ArrayList<>();
    List<Scheduler> schedulers = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        HikariDataSource ds = pg.pool(db, s.poolSize());
        pools.add(ds);
        if (i == 0) {
          Postgres.execute(ds, DB_SCHEDULER_TABLE);
        }
        // Its recommended set-up for PostgreSQL: lock-and-fetch polling, and immediate
        // execution so a task scheduled for now is picked without waiting for the next poll.
        Scheduler scheduler = Scheduler.create(ds, noop)
            .threads(s.workers())
            .pollingInterval(Duration.ofSeconds(1))
            .pollUsingLockAndFetch(0.5, 1.0)
            .enableImmediateExecution()
            .schedulerName(new SchedulerName.Fixed("bench-dbscheduler-" + i))
            .build();
        scheduler.start();
        schedulers.add(scheduler);
      }
      schedule(schedulers, noop, 0, s.warmup());
      await(ended, s.warmup(), "db-scheduler warm-up");
      long t0 = System.nanoTime();
      schedule(schedulers, noop, s.warmup(), s.tasks());
      await(ended, s.warmup() + s.tasks(), "db-scheduler");
      return s.tasks() / ((System.nanoTime() - t0) / 1e9);
    } finally {
      for (Scheduler sc : schedulers) {
        sc.stop();
      }
      for (HikariDataSource ds : pools) {
        ds.close();
      }
    }
  }

  private static void schedule(List<Scheduler> schedulers, OneTimeTask<String> noop, int from,
      int count) {
    for (int i = from; i < from + count; i++) {
      schedulers.get(i % schedulers.size())
          .schedule(noop.instance("t" + i, "{\"n\":" + i + "}"), Instant.now());
    }
  }
}
