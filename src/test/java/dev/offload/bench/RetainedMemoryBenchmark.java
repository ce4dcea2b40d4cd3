package dev.offload.bench;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import dev.offload.task.Task;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Benchmark 4, memory: heap per retained finished task, the time one sweep takes to expire them
 * all, and the submit latency while it runs. Drives the engine and the memory store directly,
 * in-process, with a clock the benchmark moves forward instead of waiting for the TTL.
 *
 * <p>Baselines from the same run: the bare {@link Task} snapshots held in an array (what any
 * store has to keep), removing the same keys from a plain {@link HashMap}, and the submit latency
 * over the same full store while no sweep runs.
 */
final class RetainedMemoryBenchmark {
  /** Submissions probing latency: removed as soon as they end (TTL 0), so they add nothing. */
  private static final SubmitRequest PROBE =
      new SubmitRequest("noop", "{\"probe\":true}", null, null, null, null, 0L, null);
  private static final long PROBE_PACE_NANOS = 50_000;

  private RetainedMemoryBenchmark() {}

  static Map<String, Double> run(int n) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>();
    MutableClock clock = new MutableClock();
    EngineConfig d = EngineConfig.defaults();
    // No periodic sweep: the benchmark calls the sweep itself, once, and times it.
    EngineConfig config = new EngineConfig(2, 2L * n + 100_000, d.defaultTimeout(),
        d.maxTimeout(), d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(),
        d.retryBase(), d.retryMax(), Duration.ofDays(1), d.shutdownGrace(), d.abandonAfter(),
        d.lease());
    CompletionCountingStore store =
        new CompletionCountingStore(new MemoryTaskStore(config.queueCapacity(), n + 1_000L));
    TaskEngine engine = TaskEngine.builder(config, store,
        HandlerRegistry.discover(RetainedMemoryBenchmark.class.getClassLoader())).clock(clock)
        .build();
    engine.start();
    try {
      long heapEmpty = Heap.usedAfterGc();

      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        // A fresh input text per task, as each HTTP request brings its own.
        engine.submit(new SubmitRequest("noop", "{\"n\":" + i + "}", null, null, null, null, null,
            null));
      }
      if (!store.awaitEnded(n, 10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the " + n + " tasks did not finish within 10 minutes");
      }
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      long heapFull = Heap.usedAfterGc();
      m.put("retained_tasks", (double) engine.health().retained());
      m.put("fill_tasks_per_s", n / fillSeconds);
      m.put("heap_per_task_bytes", (heapFull - heapEmpty) / (double) n);

      Task[] snapshots = snapshots(engine, n);

      // Submit latency over the full store with no sweep running: the baseline.
      Latency quiet =
          Probe.during(engine, () -> LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)));

      clock.advance(config.defaultResultTtl().plusMinutes(1));
      int[] removed = new int[1];
      double[] sweepMillis = new double[1];
      Latency during = Probe.during(engine, () -> {
        long s0 = System.nanoTime();
        removed[0] = engine.sweepExpired();
        sweepMillis[0] = (System.nanoTime() - s0) / 1e6;
      });
      if (removed[0] < n) {
        throw new IllegalStateException("the sweep removed " + removed[0] + " of " + n + " tasks");
      }
      m.put("sweep_removed", (double) removed[0]);
      m.put("sweep_ms", sweepMillis[0]);
      m.put("submit_p50_us_quiet", quiet.p50Micros());
      m.put("submit_p99_us_quiet", quiet.p99Micros());
      m.put("submit_max_us_quiet", quiet.maxMicros());
      m.put("submit_p50_us_sweep", during.p50Micros());
      m.put("submit_p99_us_sweep", during.p99Micros());
      m.put("submit_max_us_sweep", during.maxMicros());
      m.put("submit_samples_quiet", (double) quiet.samples());
      m.put("submit_samples_sweep", (double) during.samples());
      m.put("submit_p99_ratio", during.p99Micros() / quiet.p99Micros());

      // The store now holds nothing of them; the array still holds every snapshot.
      long heapBare = Heap.usedAfterGc();
      m.put("bare_task_bytes", (heapBare - heapEmpty) / (double) n);
      m.put("heap_ratio", m.get("heap_per_task_bytes") / m.get("bare_task_bytes"));

      Map<UUID, Task> plain = new HashMap<>(n * 2);
      for (Task t : snapshots) {
        plain.put(t.id(), t);
      }
      long h0 = System.nanoTime();
      for (Task t : snapshots) {
        plain.remove(t.id());
      }
      double plainMillis = (System.nanoTime() - h0) / 1e6;
      m.put("hashmap_remove_ms", plainMillis);
      m.put("sweep_ratio", sweepMillis[0] / plainMillis);
      if (!plain.isEmpty()) {
        throw new IllegalStateException("the baseline map is not empty");
      }
      return m;
    } finally {
      engine.shutdown();
    }
  }

  private static Task[] snapshots(TaskEngine engine, int n) {
    Task[] all = new Task[n];
    int i = 0;
    String after = null;
    do {
      TaskPage page = engine.list(new TaskQuery(null, null, 10_000, after));
      for (Task t : page.items()) {
        if (i < n) {
          all[i++] = t;
        }
      }
      after = page.next();
    } while (after != null);
    if (i != n) {
      throw new IllegalStateException("listed " + i + " of " + n + " retained tasks");
    }
    return all;
  }

  /** Submit latencies seen by the probe: percentiles only, so no sample array stays alive. */
  record Latency(double p50Micros, double p99Micros, double maxMicros, int samples) {}

  /** Submits a probe task every {@value #PROBE_PACE_NANOS} ns and records how long each took. */
  private static final class Probe extends Thread {
    private final TaskEngine engine;
    private final long[] nanos = new long[4_000_000];
    private volatile boolean stop;
    private int count;

    private Probe(TaskEngine engine) {
      super("bench-submit-probe");
      this.engine = engine;
      setDaemon(true);
    }

    /** Probes submit latency for as long as {@code work} runs on this thread. */
    static Latency during(TaskEngine engine, Runnable work) throws InterruptedException {
      Probe p = new Probe(engine);
      p.start();
      try {
        work.run();
      } finally {
        p.stop = true;
        p.join();
      }
      return new Latency(p.micros(50), p.micros(99), p.micros(100), p.count);
    }

    @Override
    public void run() {
      while (!stop && count < nanos.length) {
        long s = System.nanoTime();
        engine.submit(PROBE);
        nanos[count++] = System.nanoTime() - s;
        LockSupport.parkNanos(PROBE_PACE_NANOS);
      }
    }

    private double micros(double p) {
      return Stats.percentile(nanos, count, p) / 1_000.0;
    }
  }
}
