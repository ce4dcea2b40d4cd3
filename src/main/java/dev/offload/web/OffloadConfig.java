package dev.offload.web;

import dev.offload.engine.EngineConfig;
import dev.offload.handlers.EmailHandler;
import dev.offload.handlers.HttpHandler;
import dev.offload.store.StoreLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Offload's settings, read once at start-up. Each setting {@code offload.x} comes from the
 * system property {@code offload.x}, else the environment variable {@code OFFLOAD_X} (dots become
 * underscores), else the web.xml context-param {@code offload.x}, else its default. An invalid
 * value stops the start-up with a message naming the setting.
 */
public record OffloadConfig(
    EngineConfig engine,
    StoreConfig store,
    WebConfig web,
    SecurityConfig security,
    OutboundConfig outbound) {

  /** Where the tasks live, and how much of them. */
  public record StoreConfig(
      String kind,
      StoreLimits limits,
      String jdbcUrl,
      String jdbcUser,
      String jdbcPassword,
      int jdbcPoolSize) {

    /** The password never appears in logs. */
    @Override
    public String toString() {
      return "StoreConfig[kind=" + kind + ", limits=" + limits + ", jdbcUrl=" + jdbcUrl
          + ", jdbcUser=" + jdbcUser + ", jdbcPoolSize=" + jdbcPoolSize + "]";
    }
  }

  /**
   * HTTP-side limits.
   *
   * @param waitsMax open long-polls, {@code Prefer: wait}s and event streams, all owners
   * @param ownerWaitsMax the same, per owner
   * @param sseMaxSeconds how long one event stream lasts at most (the client reconnects)
   */
  public record WebConfig(
      int waitMaxSeconds,
      long bodyMaxBytes,
      int jsonDepthMax,
      int sseHeartbeatSeconds,
      int waitsMax,
      int ownerWaitsMax,
      long sseMaxSeconds) {}

  /** How callers authenticate. */
  public enum AuthMode {
    /** The servlet container's authentication (BASIC, FORM, ...), and bearer tokens if set. */
    CONTAINER,
    /** Bearer tokens only. */
    TOKEN,
    /** Nobody authenticates: every caller is one owner with every right. */
    NONE
  }

  /**
   * Who may call, from where, and what this instance offers.
   *
   * @param tokensFile the bearer tokens file, or null
   * @param corsOrigins origins whose browser code may call the API
   * @param types the task types offered, or null for every type found
   * @param handlersDir the folder of handler jars loaded at start, or null for none: code the
   *     server runs, so it belongs with who may do what
   */
  public record SecurityConfig(
      AuthMode auth, Path tokensFile, List<String> corsOrigins, List<String> types,
      Path handlersDir) {}

  /**
   * What reaches the outside world: the built-in task types that do, and the callbacks.
   *
   * @param http the http task type's settings; its address rules ({@code offload.http.allow})
   *     and connect timeout apply to callbacks too
   * @param smtp the SMTP server of the email task type; null when {@code offload.smtp.host} is
   *     unset, and then there is no email task type
   * @param webhooks how callbacks are delivered
   */
  public record OutboundConfig(HttpHandler.Settings http, EmailHandler.Settings smtp,
      WebhookConfig webhooks) {

    /** With the default webhook settings. */
    public OutboundConfig(HttpHandler.Settings http, EmailHandler.Settings smtp) {
      this(http, smtp, WebhookConfig.defaults());
    }
  }

  /**
   * How the callbacks of tasks are delivered.
   *
   * @param enabled whether tasks may name a callback here (and a deliverer runs)
   * @param threads deliveries sent at once by one instance
   * @param retryWindow how long after a task's end its callback is still tried
   * @param retryBase the backoff ceiling before the second attempt; doubles per attempt
   * @param retryCeiling the largest backoff ceiling
   * @param timeout one attempt
   */
  public record WebhookConfig(boolean enabled, int threads, Duration retryWindow,
      Duration retryBase, Duration retryCeiling, Duration timeout) {

    public static WebhookConfig defaults() {
      return new WebhookConfig(true, 4, Duration.ofHours(1), Duration.ofSeconds(5),
          Duration.ofMinutes(10), Duration.ofSeconds(10));
    }
  }

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
    AuthMode auth = r.choice("offload.auth", AuthMode.CONTAINER, AuthMode.class);
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
        Duration.ofSeconds(r.seconds("offload.lease.seconds", d.lease(), 1)),
        r.number("offload.result.max.bytes", EngineConfig.DEFAULT_RESULT_MAX_BYTES, 16,
            1L << 30));

    String kind = r.text("offload.store", "memory").toLowerCase(Locale.ROOT);
    r.require(kind.equals("memory") || kind.equals("postgres"), "offload.store",
        "must be 'memory' or 'postgres', got '" + kind + "'");
    String jdbcUrl = r.text("offload.jdbc.url", null);
    r.require(!kind.equals("postgres") || jdbcUrl != null, "offload.jdbc.url",
        "is required when offload.store is postgres");
    long queueBytes = r.number("offload.queue.bytes.max", 256L << 20, 1, 1L << 40);
    // With authentication off there is one owner: its share is the whole queue by default.
    boolean oneOwner = auth == AuthMode.NONE;
    StoreLimits limits = new StoreLimits(
        capacity,
        queueBytes,
        r.number("offload.owner.pending.max", oneOwner ? capacity : Math.min(1_000, capacity), 1,
            100_000_000),
        r.number("offload.owner.pending.bytes.max",
            oneOwner ? queueBytes : Math.min(64L << 20, queueBytes), 1, 1L << 40),
        r.number("offload.retained.max", 100_000, 0, 100_000_000),
        r.number("offload.retained.bytes.max", 256L << 20, 0, 1L << 40),
        r.bool("offload.dispatch.fair", true));
    StoreConfig store = new StoreConfig(
        kind,
        limits,
        jdbcUrl,
        r.text("offload.jdbc.user", null),
        r.secret("offload.jdbc.password"),
        (int) r.number("offload.jdbc.pool.size", 10, 1, 1000));

    int waitsMax = (int) r.number("offload.waits.max", 10_000, 1, 1_000_000);
    WebConfig web = new WebConfig(
        (int) r.number("offload.wait.max.seconds", 60, 0, 3600),
        r.number("offload.body.max.bytes", 1_048_576, 64, 1L << 30),
        (int) r.number("offload.json.depth.max", 32, 2, 1000),
        (int) r.number("offload.sse.heartbeat.seconds", 15, 1, 3600),
        waitsMax,
        (int) r.number("offload.owner.waits.max", oneOwner ? waitsMax : Math.min(100, waitsMax),
            1, 1_000_000),
        r.seconds("offload.sse.max.seconds", Duration.ofHours(1), 1));

    String tokens = r.secret("offload.auth.tokens");
    r.require(auth != AuthMode.TOKEN || tokens != null, "offload.auth.tokens",
        "is required when offload.auth is token");
    Path tokensFile = tokens == null ? null : r.path("offload.auth.tokens", tokens);
    List<String> origins = r.list("offload.cors.origins");
    for (String o : origins) {
      r.require(o.matches("https?://[^/\\s]+"), "offload.cors.origins",
          "each origin must be scheme://host[:port] without a path, got '" + o + "'");
    }
    List<String> types = r.list("offload.types");
    String handlers = r.text("offload.handlers.dir", null);
    // Absolute, so the log names the folder whatever directory the container started in.
    Path handlersDir = handlers == null ? null
        : r.path("offload.handlers.dir", handlers).toAbsolutePath().normalize();
    // A folder that is not there is a typo, not "no handlers": the start says so.
    r.require(handlersDir == null || Files.isDirectory(handlersDir), "offload.handlers.dir",
        "'" + handlers + "' is not a directory");
    SecurityConfig security = new SecurityConfig(auth, tokensFile, origins,
        types.isEmpty() || types.equals(List.of("*")) ? null : types, handlersDir);
    return new OffloadConfig(engine, store, web, security, outbound(r));
  }

  private static OutboundConfig outbound(Reader r) {
    HttpHandler.Settings d = HttpHandler.Settings.defaults();
    List<String> allow = r.list("offload.http.allow");
    int timeoutMax = (int) r.number("offload.http.timeout.max.seconds", d.timeoutMaxSeconds(), 1,
        3600);
    int timeout = (int) r.number("offload.http.timeout.default.seconds",
        Math.min(d.timeoutDefaultSeconds(), timeoutMax), 1, 3600);
    r.require(timeout <= timeoutMax, "offload.http.timeout.default.seconds",
        "must not exceed offload.http.timeout.max.seconds (" + timeoutMax + ")");
    int connect =
        (int) r.number("offload.http.connect.timeout.seconds", d.connectTimeoutSeconds(), 1, 300);
    int responseMax =
        (int) r.number("offload.http.response.max.bytes", d.responseMaxBytes(), 0, 16_777_216);
    int redirects = (int) r.number("offload.http.redirects.max", d.redirectsMax(), 0, 20);
    int connections =
        (int) r.number("offload.http.connections.max", d.connectionsMax(), 1, 4096);
    HttpHandler.Settings http;
    try {
      // The numbers are checked above: what the record refuses now is an allow entry.
      http = new HttpHandler.Settings(allow, timeout, timeoutMax, connect, responseMax,
          redirects, connections);
    } catch (IllegalArgumentException e) {
      throw Reader.invalid("offload.http.allow", e.getMessage());
    }

    WebhookConfig dw = WebhookConfig.defaults();
    long base = r.number("offload.webhook.retry.base.millis", dw.retryBase().toMillis(), 1,
        3_600_000);
    long ceiling = r.number("offload.webhook.retry.ceiling.seconds",
        dw.retryCeiling().toSeconds(), 1, 86_400);
    r.require(base <= ceiling * 1000, "offload.webhook.retry.base.millis",
        "must not exceed offload.webhook.retry.ceiling.seconds (" + ceiling + ")");
    WebhookConfig webhooks = new WebhookConfig(
        r.bool("offload.webhook.enabled", dw.enabled()),
        (int) r.number("offload.webhook.threads", dw.threads(), 1, 256),
        Duration.ofSeconds(r.number("offload.webhook.retry.max.seconds",
            dw.retryWindow().toSeconds(), 0, 604_800)),
        Duration.ofMillis(base),
        Duration.ofSeconds(ceiling),
        Duration.ofSeconds(r.number("offload.webhook.timeout.seconds",
            dw.timeout().toSeconds(), 1, 300)));

    String host = r.text("offload.smtp.host", null);
    if (host == null) {
      return new OutboundConfig(http, null, webhooks);
    }
    EmailHandler.Tls tls = r.choice("offload.smtp.tls", EmailHandler.Tls.STARTTLS,
        EmailHandler.Tls.class);
    String from = r.text("offload.smtp.from", null);
    r.require(from != null, "offload.smtp.from", "is required when offload.smtp.host is set");
    try {
      new jakarta.mail.internet.InternetAddress(from, true).validate();
    } catch (jakarta.mail.internet.AddressException e) {
      throw Reader.invalid("offload.smtp.from", "'" + from + "' is not a valid email address");
    }
    String password = r.secret("offload.smtp.password");
    String user = r.text("offload.smtp.user", null);
    r.require(password == null || user != null, "offload.smtp.user",
        "is required when a password is set");
    EmailHandler.Settings smtp = new EmailHandler.Settings(
        host,
        (int) r.number("offload.smtp.port", EmailHandler.Settings.defaultPort(tls), 1, 65_535),
        tls,
        user,
        password,
        from,
        (int) r.number("offload.smtp.timeout.seconds", 30, 1, 600));
    return new OutboundConfig(http, smtp, webhooks);
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

    boolean bool(String name, boolean dflt) {
      String raw = source.get(name);
      if (raw == null) {
        return dflt;
      }
      return switch (raw.toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> throw invalid(name, "expected true or false, got '" + raw + "'");
      };
    }

    <E extends Enum<E>> E choice(String name, E dflt, Class<E> type) {
      String raw = source.get(name);
      if (raw == null) {
        return dflt;
      }
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(raw)) {
          return e;
        }
      }
      throw invalid(name, "must be one of " + Arrays.stream(type.getEnumConstants())
          .map(e -> e.name().toLowerCase(Locale.ROOT)).toList() + ", got '" + raw + "'");
    }

    /** A comma-separated list, blanks dropped; empty when unset. */
    List<String> list(String name) {
      String raw = source.get(name);
      if (raw == null) {
        return List.of();
      }
      return Arrays.stream(raw.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    Path path(String name, String raw) {
      try {
        return Path.of(raw);
      } catch (InvalidPathException e) {
        throw invalid(name, "not a file path: '" + raw + "'");
      }
    }

    /**
     * A secret: set directly, or read from the file that {@code name.file} names (the way
     * container secrets are mounted), so it need not appear on a command line or in a log.
     * Trailing line breaks of the file are dropped.
     */
    String secret(String name) {
      String direct = source.get(name);
      String file = source.get(name + ".file");
      if (file == null) {
        return direct;
      }
      require(direct == null, name, "set it or " + name + ".file, not both");
      try {
        String value = Files.readString(path(name + ".file", file), StandardCharsets.UTF_8)
            .replaceAll("[\\r\\n]+$", "");
        require(!value.isEmpty(), name + ".file", "the file " + file + " is empty");
        return value;
      } catch (IOException e) {
        throw invalid(name + ".file", "cannot read " + file + " (" + e.getClass().getSimpleName()
            + ")");
      }
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
