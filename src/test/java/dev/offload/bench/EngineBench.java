package dev.offload.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link EngineThroughputBenchmark} through JMH and reads both scores back. */
final class EngineBench {
  private EngineBench() {}

  /** How long JMH measures; forks 0 runs in this JVM (smoke), 1 in a fresh one (benchmark). */
  record Settings(int forks, int warmups, int iterations, TimeValue time) {
    static Settings benchmark() {
      return new Settings(1, 3, 5, TimeValue.seconds(1));
    }

    static Settings smoke() {
      return new Settings(0, 0, 1, TimeValue.milliseconds(200));
    }
  }

  record Result(double offloadTasksPerSecond, double executorTasksPerSecond) {
    Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("offload_tasks_per_s", offloadTasksPerSecond);
      m.put("executor_tasks_per_s", executorTasksPerSecond);
      m.put("ratio", offloadTasksPerSecond / executorTasksPerSecond);
      return m;
    }
  }

  static Result runJmh(Settings s) throws Exception {
    ChainedOptionsBuilder o = new OptionsBuilder()
        .include(EngineThroughputBenchmark.class.getName() + "\\.")
        .forks(s.forks())
        .warmupIterations(s.warmups())
        .measurementIterations(s.iterations())
        .warmupTime(s.time())
        .measurementTime(s.time())
        .shouldFailOnError(true);
    if (s.forks() == 0) {
      o.verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT);
    }
    double offload = Double.NaN;
    double executor = Double.NaN;
    for (RunResult r : new Runner(o.build()).run()) {
      String method = r.getParams().getBenchmark();
      double score = r.getPrimaryResult().getScore();
      if (method.endsWith(".offload")) {
        offload = score;
      } else if (method.endsWith(".executor")) {
        executor = score;
      }
    }
    if (Double.isNaN(offload) || Double.isNaN(executor)) {
      throw new IllegalStateException("JMH did not report both benchmarks");
    }
    return new Result(offload, executor);
  }
}
