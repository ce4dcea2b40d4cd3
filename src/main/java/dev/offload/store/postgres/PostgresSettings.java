package dev.offload.store.postgres;

import dev.offload.store.StoreLimits;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach PostgreSQL and what the shared store holds at most.
 *
 * @param jdbcUrl e.g. {@code jdbc:postgresql://db:5432/offload}
 * @param user database user, or null to take it from the URL
 * @param password database password, or null
 * @param poolSize connections in this instance's pool (the listener, the notifier and the lease
 *     thread hold one more each, of their own)
 * @param limits pending limits (counted over all instances), retained caps and fair dispatch
 * @param connectTimeout how long a call waits for a connection before the database counts as
 *     unavailable (submissions then get 503 instead of hanging)
 */
public record PostgresSettings(
    String jdbcUrl,
    String user,
    String password,
    int poolSize,
    StoreLimits limits,
    Duration connectTimeout) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);

  public PostgresSettings {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "offload.jdbc.url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db), got '"
              + jdbcUrl + "'");
    }
    if (poolSize < 1) {
      throw new IllegalArgumentException("offload.jdbc.pool.size must be at least 1");
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
  }

  public PostgresSettings(
      String jdbcUrl, String user, String password, int poolSize, StoreLimits limits) {
    this(jdbcUrl, user, password, poolSize, limits, DEFAULT_CONNECT_TIMEOUT);
  }

  /** Only a task capacity: no other pending limit, no retained cap, fair dispatch. */
  public PostgresSettings(
      String jdbcUrl, String user, String password, int poolSize, long queueCapacity) {
    this(jdbcUrl, user, password, poolSize, StoreLimits.of(queueCapacity, Long.MAX_VALUE));
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "PostgresSettings[jdbcUrl=" + jdbcUrl + ", user=" + user + ", poolSize=" + poolSize
        + ", limits=" + limits + ", connectTimeout=" + connectTimeout + "]";
  }
}
