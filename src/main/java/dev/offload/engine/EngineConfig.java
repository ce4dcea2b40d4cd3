package dev.offload.engine;

import java.time.Duration;

/**
 * The engine's settings, validated once.
 *
 * @param workers worker loops running tasks
 * @param queueCapacity pending tasks accepted before submissions are refused (shown by health)
 * @param defaultTimeout a task's timeout when it names none
 * @param maxTimeout the largest timeout a task may ask for
 * @param maxAttempts the most attempts a task may ask for
 * @param defaultResultTtl how long a finished task is kept when it names no TTL
 * @param maxResultTtl the longest TTL a task may ask for
 * @param maxDelay the longest start delay a task may ask for
 * @param retryBase the first retry's backoff ceiling; doubled each attempt (full jitter)
 * @param retryMax the largest backoff ceiling
 * @param sweepInterval how often expired results are swept
 * @param shutdownGrace how long running tasks may finish when the engine stops
 * @param abandonAfter how long an interrupted handler has to return before its worker is
 *     replaced
 * @param lease how long a claim lasts without a heartbeat (durable stores)
 * @param resultMaxBytes the largest result (UTF-8 bytes of its JSON) a handler may return; above
 *     it the attempt fails with error type {@code result-too-large}
 */
public record EngineConfig(
    int workers,
    long queueCapacity,
    Duration defaultTimeout,
    Duration maxTimeout,
    int maxAttempts,
    Duration defaultResultTtl,
    Duration maxResultTtl,
    Duration maxDelay,
    Duration retryBase,
    Duration retryMax,
    Duration sweepInterval,
    Duration shutdownGrace,
    Duration abandonAfter,
    Duration lease,
    long resultMaxBytes) {

  public EngineConfig {
    require(workers >= 1 && workers <= 1024, "workers must be within 1..1024");
    require(queueCapacity >= 1, "queueCapacity must be at least 1");
    require(positive(defaultTimeout) && positive(maxTimeout), "timeouts must be positive");
    require(defaultTimeout.compareTo(maxTimeout) <= 0, "defaultTimeout must not exceed maxTimeout");
    require(maxAttempts >= 1, "maxAttempts must be at least 1");
    require(!defaultResultTtl.isNegative() && !maxResultTtl.isNegative(), "TTLs must be >= 0");
    require(defaultResultTtl.compareTo(maxResultTtl) <= 0, "defaultResultTtl must not exceed max");
    require(!maxDelay.isNegative(), "maxDelay must be >= 0");
    require(positive(retryBase) && retryBase.compareTo(retryMax) <= 0, "retryBase within retryMax");
    require(positive(sweepInterval), "sweepInterval must be positive");
    require(!shutdownGrace.isNegative(), "shutdownGrace must be >= 0");
    require(positive(abandonAfter), "abandonAfter must be positive");
    require(positive(lease), "lease must be positive");
    require(resultMaxBytes >= 16, "resultMaxBytes must be at least 16");
  }

  /** With the default result limit (1 MiB). */
  public EngineConfig(int workers, long queueCapacity, Duration defaultTimeout,
      Duration maxTimeout, int maxAttempts, Duration defaultResultTtl, Duration maxResultTtl,
      Duration maxDelay, Duration retryBase, Duration retryMax, Duration sweepInterval,
      Duration shutdownGrace, Duration abandonAfter, Duration lease) {
    this(workers, queueCapacity, defaultTimeout, maxTimeout, maxAttempts, defaultResultTtl,
        maxResultTtl, maxDelay, retryBase, retryMax, sweepInterval, shutdownGrace, abandonAfter,
        lease, DEFAULT_RESULT_MAX_BYTES);
  }

  public static final long DEFAULT_RESULT_MAX_BYTES = 1L << 20;

  public EngineConfig withResultMaxBytes(long bytes) {
    return new EngineConfig(workers, queueCapacity, defaultTimeout, maxTimeout, maxAttempts,
        defaultResultTtl, maxResultTtl, maxDelay, retryBase, retryMax, sweepInterval,
        shutdownGrace, abandonAfter, lease, bytes);
  }

  /** Defaults suitable for a small server; every web.xml setting starts from these. */
  public static EngineConfig defaults() {
    return new EngineConfig(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        10_000,
        Duration.ofSeconds(300),
        Duration.ofSeconds(3600),
        10,
        Duration.ofSeconds(3600),
        Duration.ofDays(7),
        Duration.ofDays(1),
        Duration.ofSeconds(1),
        Duration.ofSeconds(60),
        Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30));
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
