package dev.offload.bench;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;

/**
 * Drives the engine benchmark's batch loop for a fixed time, for a profiler: run it with {@code
 * -XX:StartFlightRecording=filename=engine.jfr,settings=profile} and read the samples with {@code
 * jfr print --events jdk.ExecutionSample engine.jfr}. Argument: seconds (default 20).
 */
public final class EngineProfile {
  private EngineProfile() {}

  public static void main(String[] args) throws Exception {
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 20;
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(2, 100_000, d.defaultTimeout(), d.maxTimeout(),
        d.maxAttempts(), d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), d.retryBase(),
        d.retryMax(), d.sweepInterval(), d.shutdownGrace(), d.abandonAfter(), d.lease());
    TaskEngine engine = TaskEngine.builder(config, new MemoryTaskStore(100_000, 100_000),
        HandlerRegistry.discover(EngineProfile.class.getClassLoader())).build();
    engine.start();
    SubmitRequest request = new SubmitRequest("noop", EngineThroughputBenchmark.INPUT, null,
        null, null, null, null, null);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long tasks = 0;
    long start = System.nanoTime();
    while (System.nanoTime() < end) {
      EngineThroughputBenchmark.runOffloadBatch(engine, request, EngineThroughputBenchmark.BATCH);
      tasks += EngineThroughputBenchmark.BATCH;
    }
    System.out.printf("%,d tasks in %d s: %,.0f tasks/s%n", tasks, seconds,
        tasks / ((System.nanoTime() - start) / 1e9));
    engine.shutdown();
    System.exit(0);
  }
}
