package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs benchmark 4 on 20,000 tasks instead of 1,000,000, so the harness cannot rot. */
class RetainedMemorySmokeTest {

  @Test
  void measuresHeapSweepAndSubmitLatency() throws Exception {
    Map<String, Double> m = RetainedMemoryBenchmark.run(20_000);
    System.out.println("retained memory smoke: " + m);

    assertThat(m.get("retained_tasks")).isEqualTo(20_000.0);
    assertThat(m.get("sweep_removed")).isGreaterThanOrEqualTo(20_000.0);
    assertThat(m.get("heap_per_task_bytes")).isPositive();
    assertThat(m.get("bare_task_bytes")).isPositive();
    assertThat(m.get("sweep_ms")).isPositive();
    assertThat(m.get("submit_p99_us_quiet")).isPositive();
    assertThat(m).containsKeys("submit_p99_us_sweep", "heap_ratio", "sweep_ratio");
  }
}
