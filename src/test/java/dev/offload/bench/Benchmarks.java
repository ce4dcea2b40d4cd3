package dev.offload.bench;

import dev.offload.bench.BenchMain.Bench;
import dev.offload.bench.BenchMain.Goal;
import dev.offload.bench.BenchMain.Metric;
import java.nio.file.Path;
import java.util.List;

/** The six benchmarks of BENCHMARKS.md: what each measures, against what, and its goal. */
final class Benchmarks {
  private static final String INT = "%,.0f";
  private static final String MS = "%.2f ms";
  private static final String US = "%,.0f µs";
  private static final String RATIO = "ratio";

  private Benchmarks() {}

  static List<Bench> all(Path basedir) {
    return List.of(http(), engine(), waiting(), memory(), durable(), fairness());
  }

  static Bench http() {
    HttpSubmitBenchmark.Settings s = HttpSubmitBenchmark.Settings.benchmark();
    return new Bench("http", "1. HTTP submit",
        "`POST /api/tasks` with `" + HttpSubmitBenchmark.BODY + "` (memory store, 2 workers, "
            + "queue capacity 1,000,000) against `BaselineSubmitServlet`, which reads the body "
            + "and answers 202 with a fixed 62-byte JSON body, deployed in the same web "
            + "application (same Jetty 12, same filters, 200-thread pool) in a fresh JVM per "
            + "run. Load: `wrk -t" + s.threads() + " -c" + s.connections() + " -d"
            + s.seconds() / 2 + "s --latency` with a Lua script for the POST, on 127.0.0.1, "
            + "after " + s.warmupSeconds() + " s of warm-up of each; measured four times, in "
            + "the order baseline, Offload, Offload, baseline, against the drift of the shared "
            + "machine's load (figures are the means of the two runs of each). wrk, the server "
            + "and Offload's workers (which also run every submitted task) share the 2 CPUs. Then "
            + "the same with `offload.store=postgres` (a PostgreSQL 14 on the same machine, "
            + "fsync and synchronous commit on: each 202 waits for its row's commit; submissions "
            + "that arrive together share one insert), against the baseline in that container. A "
            + "run fails if any request is not answered 2xx; `HttpSubmitBenchmark`.",
        List.of(
            new Metric("offload_rps", "Offload, requests/s", INT),
            new Metric("baseline_rps", "baseline servlet, requests/s", INT),
            new Metric("ratio", "ratio Offload / baseline, requests/s", RATIO),
            new Metric("offload_p50_ms", "Offload p50 latency", MS),
            new Metric("offload_p99_ms", "Offload p99 latency", MS),
            new Metric("baseline_p50_ms", "baseline p50 latency", MS),
            new Metric("baseline_p99_ms", "baseline p99 latency", MS),
            new Metric("p99_ratio", "ratio Offload / baseline, p99 latency", RATIO),
            new Metric("pg_offload_rps", "Offload on PostgreSQL, requests/s", INT),
            new Metric("pg_baseline_rps", "baseline servlet (same container), requests/s", INT),
            new Metric("pg_ratio", "ratio Offload on PostgreSQL / baseline, requests/s", RATIO),
            new Metric("pg_offload_p50_ms", "Offload on PostgreSQL p50 latency", MS),
            new Metric("pg_offload_p99_ms", "Offload on PostgreSQL p99 latency", MS)),
        new Goal("ratio", 0.8, "at least 0.8 of the baseline's requests/s (memory store)"),
        run -> ChildJvm.run("http", List.of("-Xms2g", "-Xmx2g"), 10));
  }

  static Bench engine() {
    return new Bench("engine", "2. Engine overhead (JMH)",
        "Noop tasks submitted by one thread to a `TaskEngine` with 2 workers on the memory store, "
            + "each watched until it has ended (`watch` + `get`, as a waiting client does), in "
            + "batches of " + EngineThroughputBenchmark.BATCH + ". Baseline: the same batches "
            + "as `CompletableFuture.supplyAsync` on a plain `ThreadPoolExecutor` with 2 "
            + "threads, awaited by `whenComplete`. JMH, one fresh fork per run, 3 × 1 s warm-up, "
            + "5 × 1 s measured; `EngineThroughputBenchmark`.",
        List.of(
            new Metric("offload_tasks_per_s", "Offload engine, tasks/s", INT),
            new Metric("executor_tasks_per_s", "ThreadPoolExecutor + CompletableFuture, tasks/s",
                INT),
            new Metric("ratio", "ratio Offload / executor", RATIO)),
        new Goal("ratio", 0.5, "at least 0.5 of the plain executor's throughput"),
        run -> EngineBench.runJmh(EngineBench.Settings.benchmark()).metrics());
  }

  static Bench waiting() {
    WaitingClientsBenchmark.Settings s = WaitingClientsBenchmark.Settings.benchmark();
    List<Metric> metrics = new java.util.ArrayList<>();
    for (String kind : new String[] {"poll", "sse"}) {
      String what = kind.equals("poll") ? "long-polls" : "SSE streams";
      for (String side : new String[] {"offload", "baseline"}) {
        String p = side + "_" + kind + "_";
        String who = side.equals("offload") ? "Offload" : "baseline";
        metrics.add(new Metric(p + "clients", who + " " + what + ": clients", INT));
        metrics.add(new Metric(p + "container_threads",
            who + " " + what + ": container threads while all wait", INT));
        metrics.add(new Metric(p + "container_threads_peak",
            who + " " + what + ": container threads, peak incl. answering", INT));
        metrics.add(new Metric(p + "jvm_threads", who + " " + what + ": JVM threads while all wait",
            INT));
        metrics.add(new Metric(p + "heap_per_client_bytes",
            who + " " + what + ": heap per waiting client, bytes", INT));
        metrics.add(new Metric(p + "delay_p50_ms", who + " " + what + ": end → answer p50", MS));
        metrics.add(new Metric(p + "delay_p99_ms", who + " " + what + ": end → answer p99", MS));
        metrics.add(new Metric(p + "span_ms",
            who + " " + what + ": first task end → last answer", MS));
      }
    }
    return new Bench("waiting", "3. Waiting clients",
        String.format(java.util.Locale.ROOT, "%,d concurrent long-polls (`GET /api/tasks/{id}"
            + "?wait=600`), then %,d SSE streams (`GET /api/tasks/{id}/events`), spread evenly "
            + "over %d running `sleep` tasks (%,d ms each; %d workers), in Jetty 12 with a "
            + "container thread pool of at most %d threads, in a fresh JVM per run. The clients "
            + "are Jetty `HttpClient`s in a second JVM, so the server's heap and threads are its "
            + "own. Baseline in the same container and run: `BaselineWaitServlet`, bare "
            + "`AsyncContext`s parked in a map and answered from the thread that ends their "
            + "\"task\", one thread per task, all released at once as Offload's tasks end "
            + "together (it sends one first event on a stream; Offload also sends 20 progress "
            + "events). Heap per client: heap after full GCs with all parked minus before, "
            + "divided. Delay: the client's receipt time of the final answer minus the task's "
            + "`finishedAt` (millisecond precision, same clock). Container threads: the Jetty "
            + "pool's threads; JVM threads include Offload's %d workers; "
            + "`WaitingClientsBenchmark`.", s.polls(), s.streams(), s.tasks(), s.sleepMillis(),
            s.tasks(), s.maxThreads(), s.tasks()),
        metrics, null,
        run -> ChildJvm.run("waiting", List.of("-Xms2g", "-Xmx2g"), 15));
  }

  static Bench memory() {
    return new Bench("memory", "4. Memory: retained tasks and the sweep",
        "1,000,000 noop tasks (input `{\"n\":i}`) submitted to and finished by the engine (2 "
            + "workers, memory store, TTL 1 h) in a fresh JVM with `-Xmx4g`; heap after full "
            + "GCs with all retained minus heap before, divided by 1,000,000. Then the clock is "
            + "moved past the TTL and one `sweepExpired()` call is timed, while a probe thread "
            + "submits a noop task every 50 µs and records each `submit` latency. Baselines in "
            + "the same run: the bare `Task` snapshots held in an array (heap after the sweep "
            + "with only the array left), removing the same 1,000,000 ids from a plain "
            + "`HashMap`, and the probe's latency over the same full store for 1 s with no "
            + "sweep; `RetainedMemoryBenchmark`. Then large inputs, through HTTP: per shape (a "
            + "long array of small numbers, deep objects (chains of 28 nested objects), many "
            + "short strings), a fresh Offload in the same JVM takes 60 noop tasks with a 1 MB "
            + "input each (the result repeats it), runs them, and is read one by one and in full "
            + "list pages; heap after full GCs minus before, divided by the input and result "
            + "bytes health reports retained (goal: at most about 2); and the time and size of "
            + "a list of 100 summaries and of every full page; `LargeInputMemory`.",
        List.of(
            new Metric("heap_per_task_bytes", "heap per retained finished task, bytes", INT),
            new Metric("bare_task_bytes", "baseline: bare Task snapshot, bytes", INT),
            new Metric("heap_ratio", "ratio retained / bare", RATIO),
            new Metric("sweep_ms", "one sweep expiring 1,000,000 tasks", MS),
            new Metric("hashmap_remove_ms", "baseline: HashMap removal of 1,000,000 ids", MS),
            new Metric("sweep_ratio", "ratio sweep / HashMap removal", RATIO),
            new Metric("submit_p50_us_quiet", "submit p50, no sweep (baseline)", US),
            new Metric("submit_p99_us_quiet", "submit p99, no sweep (baseline)", US),
            new Metric("submit_p50_us_sweep", "submit p50 during the sweep", US),
            new Metric("submit_p99_us_sweep", "submit p99 during the sweep", US),
            new Metric("submit_max_us_sweep", "submit max during the sweep", US),
            new Metric("submit_p99_ratio", "ratio p99 during sweep / no sweep", RATIO),
            new Metric("submit_samples_quiet", "submits measured in 1 s without a sweep", INT),
            new Metric("submit_samples_sweep", "submits measured during the sweep", INT),
            new Metric("fill_tasks_per_s", "filling: tasks submitted and finished per s", INT),
            new Metric("numbers_heap_per_byte",
                "large inputs, numbers: heap per byte of input and result retained", "%.2f"),
            new Metric("deep_heap_per_byte",
                "large inputs, deep objects: heap per byte retained", "%.2f"),
            new Metric("strings_heap_per_byte",
                "large inputs, short strings: heap per byte retained", "%.2f"),
            new Metric("numbers_list_summary_ms",
                "large inputs: list of the tasks as summaries (limit 100)", MS),
            new Metric("numbers_list_summary_bytes",
                "large inputs: that list's size, bytes", INT),
            new Metric("numbers_list_full_all_ms",
                "large inputs: every full page (view=full, 1 MiB each)", MS)),
        null,
        run -> ChildJvm.run("memory", List.of("-Xms4g", "-Xmx4g", "-XX:+UseG1GC"), 15));
  }

  static Bench fairness() {
    FairnessBenchmark.Settings s = FairnessBenchmark.Settings.benchmark();
    List<Metric> metrics = new java.util.ArrayList<>();
    for (String store : new String[] {"memory", "postgres"}) {
      for (String mode : new String[] {"fair", "fifo"}) {
        String who = store + ", " + (mode.equals("fair") ? "fair dispatch" : "without (FIFO)");
        metrics.add(new Metric(store + "_" + mode + "_b_wait_p50_ms", who + ": B's wait p50", MS));
        metrics.add(new Metric(store + "_" + mode + "_b_wait_p99_ms", who + ": B's wait p99", MS));
        metrics.add(new Metric(store + "_" + mode + "_b_samples", who + ": B's tasks", INT));
      }
      metrics.add(new Metric(store + "_p99_ratio_fifo_to_fair",
          store + ": ratio of B's p99 wait, FIFO / fair", RATIO));
    }
    return new Bench("fairness", "6. Fair share: one owner floods, another waits",
        String.format(java.util.Locale.ROOT, "Owner A submits %,d tasks of %d ms each at once; "
            + "owner B then submits one task every %,d ms until A's flood has drained; B's wait "
            + "is its task's start minus its submission. %d workers, the engine driven "
            + "directly, a fresh store per measurement: with fair dispatch "
            + "(`offload.dispatch.fair=true`) and without it (priority, due time, arrival), in "
            + "the same run. Goal: B's p99 wait within a few task durations, whatever A queued; "
            + "`FairnessBenchmark`.", s.flood(), s.taskMillis(), s.intervalMillis(),
            s.workers()),
        metrics, null,
        run -> ChildJvm.run("fairness", List.of("-Xmx1g"), 15));
  }

  static Bench durable() {
    DurableStoreBenchmark.Settings s = DurableStoreBenchmark.Settings.benchmark();
    List<Metric> metrics = new java.util.ArrayList<>();
    for (int[] c : DurableStoreBenchmark.CONFIGURATIONS) {
      String k = DurableStoreBenchmark.key(c[0], c[1]);
      String what = (c[0] == 1 ? "1 thread" : c[0] + " threads") + ", "
          + (c[1] == 1 ? "1 instance" : c[1] + " instances");
      metrics.add(new Metric("offload_" + k + "_tasks_per_s", "Offload, " + what + ", tasks/s",
          INT));
      metrics.add(new Metric("dbscheduler_" + k + "_tasks_per_s",
          "db-scheduler, " + what + ", tasks/s", INT));
      metrics.add(new Metric("ratio_" + k, "ratio Offload / db-scheduler, " + what, RATIO));
      metrics.add(new Metric("offload_" + k + "_round_trips_per_task",
          "Offload, " + what + ", round trips per task", "%.2f"));
      metrics.add(new Metric("dbscheduler_" + k + "_round_trips_per_task",
          "db-scheduler, " + what + ", round trips per task", "%.2f"));
      metrics.add(new Metric("offload_" + k + "_wal_bytes_per_task",
          "Offload, " + what + ", WAL bytes per task", INT));
      metrics.add(new Metric("dbscheduler_" + k + "_wal_bytes_per_task",
          "db-scheduler, " + what + ", WAL bytes per task", INT));
    }
    metrics.add(new Metric("ratio_min", "lowest ratio of the four configurations", RATIO));
    return new Bench("durable", "5. Durable store: Offload on PostgreSQL against db-scheduler",
        String.format(java.util.Locale.ROOT, "%,d noop tasks (after %,d of warm-up) submitted "
            + "by 1 thread and by %d concurrent threads, run to the end, timed from the first "
            + "submit to the last completion, on one PostgreSQL 14 with its durability defaults "
            + "(fsync and synchronous commit on: every commit waits for the disk), each "
            + "measurement in a fresh database. Offload: `TaskEngine` on `PostgresTaskStore`, "
            + "%d workers and %d connections per instance. Baseline in the same run: "
            + "db-scheduler 16.12.0 one-time tasks with a no-op body, `threads(%d)`, a HikariCP "
            + "pool of %d, lock-and-fetch polling every 1 s and immediate execution. Two "
            + "instances: two engines or two schedulers in this JVM, each with its own pool, "
            + "submissions alternating between them. Round trips: statements sent and "
            + "transactions ended, per task (Offload counts its own; db-scheduler's are counted "
            + "by a proxy around its `DataSource`); WAL bytes: what the server wrote to its "
            + "write-ahead log per task, which its commits flush to disk; "
            + "`DurableStoreBenchmark`.", s.tasks(),
            s.warmup(), DurableStoreBenchmark.CONCURRENT, s.workers(), s.poolSize(), s.workers(),
            s.poolSize()),
        metrics,
        new Goal("ratio_min", 1.5, "at least 1.5× db-scheduler in every configuration"),
        run -> ChildJvm.run("durable", List.of("-Xmx1g"), 30));
  }
}
