package dev.offload.store.postgres;

import dev.offload.store.StoreLimits;

/** One empty database of the test PostgreSQL server, for one test class. */
public record TestDatabase(String jdbcUrl, String user, String password) {

  public PostgresSettings settings(long queueCapacity) {
    return new PostgresSettings(jdbcUrl, user, password, 4, queueCapacity);
  }

  public PostgresSettings settings(long queueCapacity, int poolSize) {
    return new PostgresSettings(jdbcUrl, user, password, poolSize, queueCapacity);
  }

  public PostgresSettings settings(StoreLimits limits, int poolSize) {
    return new PostgresSettings(jdbcUrl, user, password, poolSize, limits);
  }
}
