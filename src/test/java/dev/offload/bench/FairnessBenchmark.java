package dev.offload.bench;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.task.Task;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import dev.offload.task.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Fair share, measured: owner A floods the queue with short tasks, owner B submits one task
 * every interval while A's flood drains; B's wait from submit to start, p50 and p99, with fair
 * dispatch and without it (today's order: priority, due time, arrival), in the same run on the
 * same store kind. The engine is driven directly, as an application would; two workers.
 */
final class FairnessBenchmark {

  /** @param flood A's tasks; @param taskMillis each task's work; @param intervalMillis B's pace */
  record Settings(int flood, int taskMillis, int intervalMillis, int workers) {
    static Settings benchmark() {
      return new Settings(20_000, 2, 1_000, 2);
    }

    static Settings smoke() {
      return new Settings(400, 2, 50, 2);
    }
  }

  /** Makes the store of one measurement, fair or not. */
  @FunctionalInterface
  interface Stores {
    TaskStore open(boolean fair) throws Exception;
  }

  /** Holds a worker for the task's time, as a short real task would. */
  static final class Work implements TaskHandler<Integer, Integer> {
    @Override
    public String type() {
      return "work";
    }

    @Override
    public String description() {
      return "holds a worker for the given milliseconds";
    }

    @Override
    public Class<Integer> inputType() {
      return Integer.class;
    }

    @Override
    public Integer example() {
      return 2;
    }

    @Override
    public Integer run(Integer millis, TaskContext context) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
      return millis;
    }
  }

  private FairnessBenchmark() {}

  /** Both stores. */
  static Map<String, Double> all(Settings s) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>(memory(s));
    m.putAll(postgres(s));
    return m;
  }

  /**
   * On one real PostgreSQL at its durability defaults (as benchmark 5 runs it), a fresh database
   * per measurement: the claim is the fair one statement ({@code offload.dispatch.fair=true}) or
   * the plain queue order.
   */
  static Map<String, Double> postgres(Settings s) throws Exception {
    try (Postgres pg = Postgres.start()) {
      int[] n = {0};
      return run(s, "postgres", fair -> {
        String db = "fair" + (n[0]++);
        pg.createDatabase(db);
        return pg.openStore(db, 4, 10L * s.flood(), fair);
      });
    }
  }

  static Map<String, Double> memory(Settings s) throws Exception {
    return run(s, "memory", fair -> new MemoryTaskStore(
        new StoreLimits(10L * s.flood(), Long.MAX_VALUE, 10L * s.flood(), Long.MAX_VALUE,
            10L * s.flood(), Long.MAX_VALUE, fair)));
  }

  static Map<String, Double> run(Settings s, String prefix, Stores stores) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(prefix + "_task_ms", (double) s.taskMillis());
    for (boolean fair : new boolean[] {true, false}) {
      List<Long> waits = measure(s, stores.open(fair));
      String k = prefix + (fair ? "_fair" : "_fifo");
      m.put(k + "_b_wait_p50_ms", percentile(waits, 50));
      m.put(k + "_b_wait_p99_ms", percentile(waits, 99));
      m.put(k + "_b_samples", (double) waits.size());
    }
    m.put(prefix + "_p99_ratio_fifo_to_fair",
        m.get(prefix + "_fifo_b_wait_p99_ms") / Math.max(1, m.get(prefix + "_fair_b_wait_p99_ms")));
    return m;
  }

  /** B's waits in milliseconds, while A's flood drains. */
  private static List<Long> measure(Settings s, TaskStore store) throws Exception {
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(s.workers(), 10L * s.flood(), d.defaultTimeout(),
        d.maxTimeout(), d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(),
        d.retryBase(), d.retryMax(), d.sweepInterval(), Duration.ZERO, d.abandonAfter(),
        d.lease());
    TaskEngine engine = TaskEngine.builder(config, store, new HandlerRegistry(List.of(new Work())))
        .build();
    engine.start();
    try {
      String input = Integer.toString(s.taskMillis());
      List<UUID> flood = new ArrayList<>(s.flood());
      for (int i = 0; i < s.flood(); i++) {
        flood.add(engine.submit(new SubmitRequest("a", "work", input, null, null, null, null,
            null, null)).task().id());
      }
      UUID last = flood.get(flood.size() - 1);
      List<UUID> bs = new ArrayList<>();
      long next = System.nanoTime();
      while (!engine.get(last).map(Task::isTerminal).orElse(true)) {
        bs.add(engine.submit(new SubmitRequest("b", "work", input, null, null, null, null, null,
            null)).task().id());
        next += TimeUnit.MILLISECONDS.toNanos(s.intervalMillis());
        LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
      }
      List<Long> waits = new ArrayList<>(bs.size());
      for (UUID b : bs) {
        Task t = awaitEnd(engine, b);
        if (t.status() == TaskStatus.SUCCESS) {
          waits.add(t.startedAt().toEpochMilli() - t.createdAt().toEpochMilli());
        }
      }
      if (waits.isEmpty()) {
        throw new IllegalStateException("no task of B ran while A's flood drained");
      }
      return waits;
    } finally {
      engine.shutdown();
      store.close();
    }
  }

  private static Task awaitEnd(TaskEngine engine, UUID id) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      Task t = engine.get(id).orElseThrow();
      if (t.isTerminal()) {
        return t;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    throw new IllegalStateException("task " + id + " did not end within 5 minutes");
  }

  private static double percentile(List<Long> values, double p) {
    long[] a = values.stream().mapToLong(Long::longValue).sorted().toArray();
    return Stats.percentile(a, a.length, p);
  }
}
