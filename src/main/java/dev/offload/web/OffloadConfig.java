package dev.offload.web;

import dev.offload.engine.EngineConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Offload's settings, read once at start-up. Each setting {@code offload.x} comes from the
 * system property {@code offload.x}, else the environment variable {@code OFFLOAD_X} (dots become
 * underscores), else the web.xml context-param {@code offload.x}, else its default. An invalid
 * value stops the start-up with a message naming the setting.
 */
public record OffloadConfig(EngineConfig engine, StoreConfig store, WebConfig web) {

  /** Where the tasks live. */
  public record StoreConfig(
      String kind,
      long retainedMax,
      String jdbcUrl,
      String jdbcUser,
      String jdbcPassword,
      int jdbcPoolSize) {

    /** The password never appears in logs. */
    @Override
    public String toString() {
      return "StoreConfig[kind=" + kind + ", retainedMax=" + retainedMax + ", jdbcUrl=" + jdbcUrl
          + ", jdbcUser=" + jdbcUser + ", jdbcPoolSize=" + jdbcPoolSize + "]";
    }
  }

  /** HTTP-side limits. */
  public record WebConfig(
      int waitMaxSeconds, long bodyMaxBytes, int jsonDepthMax, int sseHeartbeatSeconds) {}

  /** Looks a setting up by its dotted name; null when unset. */
  @FunctionalInterface
  public interface Source {
    String get(String name);

    /** System property, then environment, then the context-params. */
    static Source standard(UnaryOperator<String> contextParams) {
      return standard(System.getProperties()::getProperty, System.getenv(), contextParams);
    }

    static Source standard(
        UnaryOperator<String> systemProperties,
        Map<String, String> env,
        UnaryOperator<String> contextParams) {
      return name -> {
        String v = systemProperties.apply(name);
        if (v == null) {
          v = env.get(envName(name));
        }
        if (v == null) {
          v = contextParams.apply(name);
        }
        return v == null || v.isBlank() ? null : v.trim();
      };
    }
  }

  /** {@code offload.queue.capacity} -> {@code OFFLOAD_QUEUE_CAPACITY}. */
  public static String envName(String name) {
    return name.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  public static OffloadConfig load(Source source) {
    Reader r = new Reader(source);
    EngineConfig d = EngineConfig.defaults();
    long ttl = r.seconds("offload.result.ttl.seconds", d.defaultResultTtl(), 0);
    long ttlMax = r.seconds("offload.result.ttl.max.seconds", d.maxResultTtl(), 0);
    long timeout = r.seconds("offload.timeout.default.seconds", d.defaultTimeout(), 1);
    long timeoutMax = r.seconds("offload.timeout.max.seconds", d.maxTimeout(), 1);
    long retryBase = r.number("offload.retry.base.millis", d.retryBase().toMillis(), 1,
        Long.MAX_VALUE);
    long retryMax = r.number("offload.retry.max.millis", d.retryMax().toMillis(), 1,
        Long.MAX_VALUE);
    r.require(ttl <= ttlMax, "offload.result.ttl.seconds",
        "must not exceed offload.result.ttl.max.seconds (" + ttlMax + ")");
    r.require(timeout <= timeoutMax, "offload.timeout.default.seconds",
        "must not exceed offload.timeout.max.seconds (" + timeoutMax + ")");
    r.require(retryBase <= retryMax, "offload.retry.base.millis",
        "must not exceed offload.retry.max.millis (" + retryMax + ")");
    long capacity = r.number("offload.queue.capacity", d.queueCapacity(), 1, 100_000_000);
    EngineConfig engine = new EngineConfig(
        (int) r.number("offload.workers", d.workers(), 1, 1024),
        capacity,
        Duration.ofSeconds(timeout),
        Duration.ofSeconds(timeoutMax),
        (int) r.number("offload.attempts.max", d.maxAttempts(), 1, 1000),
        Duration.ofSeconds(ttl),
        Duration.ofSeconds(ttlMax),
        Duration.ofSeconds(r.seconds("offload.delay.max.seconds", d.maxDelay(), 0)),
        Duration.ofMillis(retryBase),
        Duration.ofMillis(retryMax),
        Duration.ofSeconds(r.seconds("offload.sweep.interval.seconds", d.sweepInterval(), 1)),
        Duration.ofSeconds(r.seconds("offload.shutdown.grace.seconds", d.shutdownGrace(), 0)),
        d.abandonAfter(),
        Duration.ofSeconds(r.seconds("offload.lease.seconds", d.lease(), 1)));

    String kind = r.text("offload.store", "memory").toLowerCase(Locale.ROOT);
    r.require(kind.equals("memory") || kind.equals("postgres"), "offload.store",
        "must be 'memory' or 'postgres', got '" + kind + "'");
    String jdbcUrl = r.text("offload.jdbc.url", null);
    r.require(!kind.equals("postgres") || jdbcUrl != null, "offload.jdbc.url",
        "is required when offload.store is postgres");
    StoreConfig store = new StoreConfig(
        kind,
        r.number("offload.retained.max", 100_000, 0, 100_000_000),
        jdbcUrl,
        r.text("offload.jdbc.user", null),
        r.text("offload.jdbc.password", null),
        (int) r.number("offload.jdbc.pool.size", 10, 1, 1000));

    WebConfig web = new WebConfig(
        (int) r.number("offload.wait.max.seconds", 60, 0, 3600),
        r.number("offload.body.max.bytes", 1_048_576, 64, 1L << 30),
        (int) r.number("offload.json.depth.max", 32, 2, 1000),
        (int) r.number("offload.sse.heartbeat.seconds", 15, 1, 3600));
    return new OffloadConfig(engine, store, web);
  }

  /** Reads and checks one value at a time; the first bad value stops the start-up. */
  private static final class Reader {
    private final Source source;

    Reader(Source source) {
      this.source = source;
    }

    long number(String name, long dflt, long min, long max) {
      String raw = source.get(name);
      if (raw == null) {
        return dflt;
      }
      long v;
      try {
        v = Long.parseLong(raw.replace("_", ""));
      } catch (NumberFormatException e) {
        throw invalid(name, "expected a whole number, got '" + raw + "'");
      }
      if (v < min || v > max) {
        throw invalid(name, "must be between " + min + " and " + max + ", got " + v);
      }
      return v;
    }

    long seconds(String name, Duration dflt, long min) {
      return number(name, dflt.toSeconds(), min, 315_360_000L);
    }

    String text(String name, String dflt) {
      String raw = source.get(name);
      return raw == null ? dflt : raw;
    }

    void require(boolean ok, String name, String why) {
      if (!ok) {
        throw invalid(name, why);
      }
    }

    private static InvalidConfigException invalid(String name, String why) {
      return new InvalidConfigException("invalid setting " + name + ": " + why
          + " (set by system property " + name + ", environment variable " + envName(name)
          + " or web.xml context-param " + name + ")");
    }
  }

  /** A setting with a value Offload cannot start with. */
  public static final class InvalidConfigException extends IllegalArgumentException {
    public InvalidConfigException(String message) {
      super(message);
    }
  }
}
