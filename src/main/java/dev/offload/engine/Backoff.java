package dev.offload.engine;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before attempt {@code n+1} wait a uniformly random time
 * in {@code [0, min(max, base * 2^(n-1))]}, so that many tasks failing together do not retry in
 * lockstep.
 */
public final class Backoff {
  private final Duration base;
  private final Duration max;
  private final DoubleSupplier random;

  /** @param random uniform in [0, 1); injectable so tests pin the jitter */
  public Backoff(Duration base, Duration max, DoubleSupplier random) {
    this.base = base;
    this.max = max;
    this.random = random;
  }

  /** The ceiling before the attempt after {@code failedAttempt} (1-based). */
  public Duration ceiling(int failedAttempt) {
    int shift = Math.min(Math.max(failedAttempt - 1, 0), 30);
    long millis = base.toMillis() << shift;
    return millis <= 0 || millis > max.toMillis() ? max : Duration.ofMillis(millis);
  }

  public Duration delay(int failedAttempt) {
    return Duration.ofMillis((long) (random.getAsDouble() * ceiling(failedAttempt).toMillis()));
  }
}
