package dev.offload.bench;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.engine.TaskWatcher;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.Task;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 2, engine overhead: completed noop tasks per second through the engine (submit, store,
 * claim, run, finish, tell a watcher) against a plain {@link ThreadPoolExecutor} with {@link
 * CompletableFuture} and the same number of workers. One operation is a batch of {@link #BATCH}
 * tasks submitted by one thread and awaited until every one has completed; scores are tasks/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EngineThroughputBenchmark {
  static final int BATCH = 1000;
  /** The noop input, as a client would send it. */
  static final String INPUT = "{\"hello\":\"world\"}";

  @State(Scope.Benchmark)
  public static class OffloadState {
    @Param("2")
    public int workers;

    TaskEngine engine;
    SubmitRequest request;

    @Setup(Level.Trial)
    public void start() {
      EngineConfig d = EngineConfig.defaults();
      EngineConfig config = new EngineConfig(workers, 100_000, d.defaultTimeout(), d.maxTimeout(),
          d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), d.retryBase(),
          d.retryMax(), d.sweepInterval(), d.shutdownGrace(), d.abandonAfter(), d.lease());
      // Retained results are capped as in a real deployment (offload.retained.max), so the
      // steady state includes evicting the oldest finished task for each new one.
      MemoryTaskStore store = new MemoryTaskStore(config.queueCapacity(), 100_000);
      engine = TaskEngine.builder(config, store,
          HandlerRegistry.discover(EngineThroughputBenchmark.class.getClassLoader())).build();
      engine.start();
      request = new SubmitRequest("noop", INPUT, null, null, null, null, null, null);
    }

    @TearDown(Level.Trial)
    public void stop() {
      engine.shutdown();
    }
  }

  @State(Scope.Benchmark)
  public static class ExecutorState {
    @Param("2")
    public int workers;

    ThreadPoolExecutor pool;

    @Setup(Level.Trial)
    public void start() {
      pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(100_000));
      pool.prestartAllCoreThreads();
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
      pool.shutdown();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Counts one task down once, whether the watcher or the read after registering sees it end. */
  private static final class Completion implements TaskWatcher {
    private final CountDownLatch done;
    private final AtomicBoolean counted = new AtomicBoolean();
    AutoCloseable registration;

    Completion(CountDownLatch done) {
      this.done = done;
    }

    @Override
    public void onChange(Task task) {
      if (task.isTerminal()) {
        ended();
      }
    }

    void ended() {
      if (counted.compareAndSet(false, true)) {
        done.countDown();
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void offload(OffloadState s) throws Exception {
    runOffloadBatch(s.engine, s.request, BATCH);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void executor(ExecutorState s) throws InterruptedException {
    runExecutorBatch(s.pool, BATCH);
  }

  /** Submits {@code n} tasks and returns once all have ended, as a watching client sees it. */
  static void runOffloadBatch(TaskEngine engine, SubmitRequest request, int n) throws Exception {
    CountDownLatch done = new CountDownLatch(n);
    Completion[] completions = new Completion[n];
    for (int i = 0; i < n; i++) {
      UUID id = engine.submit(request).task().id();
      Completion c = new Completion(done);
      completions[i] = c;
      // Register first, then read: an end between the two is seen twice, never missed.
      c.registration = engine.watch(id, c);
      Optional<Task> now = engine.get(id);
      if (now.isEmpty() || now.get().isTerminal()) {
        c.ended();
      }
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + n + " tasks did not end in 60 s");
    }
    for (Completion c : completions) {
      c.registration.close();
    }
  }

  static void runExecutorBatch(ThreadPoolExecutor pool, int n) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      String input = INPUT;
      CompletableFuture.supplyAsync(() -> input, pool).whenComplete((r, e) -> done.countDown());
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + n + " tasks did not end in 60 s");
    }
  }
}
