package dev.offload.web;

import dev.offload.engine.EngineConfig;
import dev.offload.store.MemoryTaskStore;
import dev.offload.store.TaskStore;
import dev.offload.store.postgres.PostgresSettings;
import dev.offload.store.postgres.PostgresTaskStore;

/** Builds the store the configuration names. */
final class StoreFactory {
  private StoreFactory() {}

  static TaskStore create(OffloadConfig.StoreConfig store, EngineConfig engine) {
    return switch (store.kind()) {
      case "memory" -> new MemoryTaskStore(engine.queueCapacity(), store.retainedMax());
      case "postgres" -> PostgresTaskStore.open(new PostgresSettings(store.jdbcUrl(),
          store.jdbcUser(), store.jdbcPassword(), store.jdbcPoolSize(), engine.queueCapacity()));
      default -> throw new OffloadConfig.InvalidConfigException(
          "invalid setting offload.store: '" + store.kind() + "' is not available in this build");
    };
  }
}
