package dev.offload.store.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach PostgreSQL and how big the shared queue is.
 *
 * @param jdbcUrl e.g. {@code jdbc:postgresql://db:5432/offload}
 * @param user database user, or null to take it from the URL
 * @param password database password, or null
 * @param poolSize connections in this instance's pool (the listener holds one more of its own)
 * @param queueCapacity pending tasks accepted, counted over all instances
 * @param connectTimeout how long a call waits for a connection before the database counts as
 *     unavailable (submissions then get 503 instead of hanging)
 */
public record PostgresSettings(
    String jdbcUrl,
    String user,
    String password,
    int poolSize,
    long queueCapacity,
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
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1");
    }
    Objects.requireNonNull(connectTimeout, "connectTimeout");
  }

  public PostgresSettings(
      String jdbcUrl, String user, String password, int poolSize, long queueCapacity) {
    this(jdbcUrl, user, password, poolSize, queueCapacity, DEFAULT_CONNECT_TIMEOUT);
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "PostgresSettings[jdbcUrl=" + jdbcUrl + ", user=" + user + ", poolSize=" + poolSize
        + ", queueCapacity=" + queueCapacity + ", connectTimeout=" + connectTimeout + "]";
  }
}
