package dev.offload.web;

import dev.offload.store.MemoryTaskStore;
import dev.offload.store.TaskStore;
import dev.offload.store.postgres.PostgresSettings;
import dev.offload.store.postgres.PostgresTaskStore;
import dev.offload.web.metrics.OffloadMetrics;

/**
 * Builds the store the configuration names, reporting to the metrics (the PostgreSQL pool and
 * listener); part of the composition root. The store returned is the store itself: the caller
 * wraps it for the metrics of its calls ({@link OffloadMetrics#timed}).
 */
final class StoreFactory {
  private StoreFactory() {}

  static TaskStore create(OffloadConfig.StoreConfig store, OffloadMetrics metrics) {
    return switch (store.kind()) {
      case "memory" -> new MemoryTaskStore(store.limits());
      case "postgres" -> {
        PostgresTaskStore pg = PostgresTaskStore.open(new PostgresSettings(store.jdbcUrl(),
            store.jdbcUser(), store.jdbcPassword(), store.jdbcPoolSize(),
            store.limits()), metrics.connectionPool());
        metrics.listenerReconnects(pg::listenerReconnects);
        yield pg;
      }
      default -> throw new OffloadConfig.InvalidConfigException(
          "invalid setting offload.store: '" + store.kind() + "' is not available in this build");
    };
  }
}
