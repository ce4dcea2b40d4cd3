package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Benchmark 3 with 100 long-polls and 20 streams on 4 tasks, so the harness cannot rot. */
class WaitingClientsSmokeTest {

  @Test
  void everyClientIsAnsweredAndMeasured() throws Exception {
    WaitingClientsBenchmark.Settings s = WaitingClientsBenchmark.Settings.smoke();
    Map<String, Double> m = WaitingClientsBenchmark.run(s);

    for (String side : new String[] {"offload_", "baseline_"}) {
      assertThat(m.get(side + "poll_clients")).isEqualTo(s.polls());
      assertThat(m.get(side + "sse_clients")).isEqualTo(s.streams());
      for (String kind : new String[] {"poll_", "sse_"}) {
        // Waiting holds no container thread: the pool stays within its small cap.
        assertThat(m.get(side + kind + "container_threads")).isLessThanOrEqualTo(s.maxThreads());
        assertThat(m.get(side + kind + "delay_p99_ms"))
            .isGreaterThanOrEqualTo(m.get(side + kind + "delay_p50_ms"));
        assertThat(m).containsKey(side + kind + "heap_per_client_bytes");
      }
    }
  }
}
