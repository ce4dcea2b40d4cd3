package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Benchmark 5 on 100 tasks, once Offload's PostgreSQL store is on the branch. */
class DurableStoreSmokeTest {

  @Test
  void bothSchedulersRunEveryTaskWithOneAndTwoInstances() throws Exception {
    assumeTrue(Postgres.available(), "Offload's PostgreSQL store is not on this branch yet");
    Map<String, Double> m = DurableStoreBenchmark.run(DurableStoreBenchmark.Settings.smoke());
    for (int instances = 1; instances <= 2; instances++) {
      assertThat(m.get("offload_" + instances + "_tasks_per_s")).isPositive();
      assertThat(m.get("dbscheduler_" + instances + "_tasks_per_s")).isPositive();
      assertThat(m).containsKey("ratio_" + instances);
    }
  }

  @Test
  void saysNotYetMeasuredWithoutTheStore() {
    assumeTrue(!Postgres.available(), "the store is here: the other test measures");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DurableStoreBenchmark.run(DurableStoreBenchmark.Settings.smoke()))
        .isInstanceOf(BenchMain.NotMeasured.class);
  }
}
