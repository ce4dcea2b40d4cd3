package dev.offload.web;

import dev.offload.store.MemoryTaskStore;
import dev.offload.store.TaskStore;
import dev.offload.store.postgres.PostgresSettings;
import dev.offload.store.postgres.PostgresTaskStore;

/** Builds the store the configuration names; part of the composition root. */
final class StoreFactory {
  private StoreFactory() {}

  static TaskStore create(OffloadConfig.StoreConfig store) {
    return switch (store.kind()) {
      case "memory" -> new MemoryTaskStore(store.limits());
      case "postgres" -> PostgresTaskStore.open(new PostgresSettings(store.jdbcUrl(),
          store.jdbcUser(), store.jdbcPassword(), store.jdbcPoolSize(),
          store.limits().queueTasks()));
      default -> throw new OffloadConfig.InvalidConfigException(
          "invalid setting offload.store: '" + store.kind() + "' is not available in this build");
    };
  }
}
