package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Benchmark 5 on 100 tasks on a real PostgreSQL, so the harness cannot rot. */
class DurableStoreSmokeTest {

  @Test
  void bothSchedulersRunEveryTaskInEveryConfiguration() throws Exception {
    Map<String, Double> m = DurableStoreBenchmark.run(DurableStoreBenchmark.Settings.smoke());
    for (int[] c : DurableStoreBenchmark.CONFIGURATIONS) {
      String k = DurableStoreBenchmark.key(c[0], c[1]);
      assertThat(m.get("offload_" + k + "_tasks_per_s")).as(k).isPositive();
      assertThat(m.get("dbscheduler_" + k + "_tasks_per_s")).as(k).isPositive();
      assertThat(m).containsKey("ratio_" + k);
      assertThat(m.get("offload_" + k + "_round_trips_per_task"))
          .as("%s: a share of an insert, a claim and an end per task", k).isPositive();
      assertThat(m.get("dbscheduler_" + k + "_round_trips_per_task")).as(k).isPositive();
    }
    assertThat(m).containsKey("ratio_min");
  }
}
