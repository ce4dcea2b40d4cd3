package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the fairness benchmark on a small flood, so the harness cannot rot. */
class FairnessSmokeTest {

  @Test
  void measuresTheWaitOfTheSecondOwnerWithAndWithoutFairDispatch() throws Exception {
    Map<String, Double> m = FairnessBenchmark.memory(FairnessBenchmark.Settings.smoke());
    System.out.println("fairness smoke: " + m);

    assertThat(m.get("memory_fair_b_samples")).isPositive();
    assertThat(m.get("memory_fifo_b_samples")).isPositive();
    assertThat(m).containsKeys("memory_fair_b_wait_p99_ms", "memory_fifo_b_wait_p99_ms",
        "memory_p99_ratio_fifo_to_fair");
  }

  @Test
  void measuresItOnPostgresqlToo() throws Exception {
    Map<String, Double> m = FairnessBenchmark.postgres(FairnessBenchmark.Settings.smoke());
    System.out.println("fairness smoke (PostgreSQL): " + m);

    assertThat(m.get("postgres_fair_b_samples")).isPositive();
    assertThat(m.get("postgres_fifo_b_samples")).isPositive();
    assertThat(m).containsKeys("postgres_fair_b_wait_p99_ms", "postgres_fifo_b_wait_p99_ms",
        "postgres_p99_ratio_fifo_to_fair");
  }
}
