package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void theCeilingDoublesPerAttemptUpToTheMaximum() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), () -> 0.0);
    assertThat(b.ceiling(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.ceiling(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.ceiling(4)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.ceiling(5)).isEqualTo(Duration.ofSeconds(10));
    assertThat(b.ceiling(1000)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void fullJitterSpreadsTheDelayOverTheWholeCeiling() {
    assertThat(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), () -> 0.0).delay(3))
        .isEqualTo(Duration.ZERO);
    assertThat(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), () -> 0.25).delay(3))
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), () -> 0.999).delay(3))
        .isEqualTo(Duration.ofMillis(3996));
  }
}
