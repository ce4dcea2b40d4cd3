package dev.offload.bench;

import java.nio.file.Path;
import java.util.Map;

/** Entry point of one benchmark run in its own JVM: {@code BenchChild <benchmark> <out-file>}. */
public final class BenchChild {
  private BenchChild() {}

  public static void main(String[] args) throws Exception {
    String benchmark = args[0];
    Path out = Path.of(args[1]);
    Map<String, Double> m = switch (benchmark) {
      case "http" -> HttpSubmitBenchmark.run(HttpSubmitBenchmark.Settings.benchmark());
      case "waiting" -> WaitingClientsBenchmark.run(WaitingClientsBenchmark.Settings.benchmark());
      case "durable" -> DurableStoreBenchmark.run(DurableStoreBenchmark.Settings.benchmark());
      case "fairness" -> FairnessBenchmark.all(FairnessBenchmark.Settings.benchmark());
      case "memory" -> {
        Map<String, Double> small = new java.util.LinkedHashMap<>(
            RetainedMemoryBenchmark.run(1_000_000));
        small.putAll(LargeInputMemory.run(LargeInputMemory.Settings.benchmark()));
        yield small;
      }
      default -> throw new IllegalArgumentException("unknown benchmark " + benchmark);
    };
    ChildJvm.write(m, out);
    // Containers and engines were stopped; daemon threads must not keep this JVM alive.
    System.exit(0);
  }
}
