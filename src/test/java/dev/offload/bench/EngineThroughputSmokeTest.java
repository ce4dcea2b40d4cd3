package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs benchmark 2 through JMH for a fraction of a second, so the harness cannot rot. */
class EngineThroughputSmokeTest {

  @Test
  void bothSidesCompleteTasksAndAreCompared() throws Exception {
    EngineBench.Result r = EngineBench.runJmh(EngineBench.Settings.smoke());

    assertThat(r.offloadTasksPerSecond()).isPositive();
    assertThat(r.executorTasksPerSecond()).isPositive();
    assertThat(r.metrics()).containsKeys("offload_tasks_per_s", "executor_tasks_per_s", "ratio");
    assertThat(r.metrics().get("ratio"))
        .isEqualTo(r.offloadTasksPerSecond() / r.executorTasksPerSecond());
  }
}
