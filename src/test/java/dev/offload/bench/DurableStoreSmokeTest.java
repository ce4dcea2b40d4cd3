package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Benchmark 5 on 100 tasks on a real PostgreSQL, so the harness cannot rot. */
class DurableStoreSmokeTest {

  @Test
  void bothSchedulersRunEveryTaskWithOneAndTwoInstances() throws Exception {
    Map<String, Double> m = DurableStoreBenchmark.run(DurableStoreBenchmark.Settings.smoke());
    for (int instances = 1; instances <= 2; instances++) {
      assertThat(m.get("offload_" + instances + "_tasks_per_s")).isPositive();
      assertThat(m.get("dbscheduler_" + instances + "_tasks_per_s")).isPositive();
      assertThat(m).containsKey("ratio_" + instances);
      assertThat(m.get("offload_" + instances + "_store_calls_per_task"))
          .as("at least an insert and a finish per task").isGreaterThanOrEqualTo(2.0);
    }
  }
}
