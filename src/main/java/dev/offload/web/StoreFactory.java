package dev.offload.web;

import dev.offload.engine.EngineConfig;
import dev.offload.store.MemoryTaskStore;
import dev.offload.store.TaskStore;

/** Builds the store the configuration names. */
final class StoreFactory {
  private StoreFactory() {}

  static TaskStore create(OffloadConfig.StoreConfig store, EngineConfig engine) {
    return switch (store.kind()) {
      case "memory" -> new MemoryTaskStore(engine.queueCapacity(), store.retainedMax());
      default -> throw new OffloadConfig.InvalidConfigException(
          "invalid setting offload.store: '" + store.kind() + "' is not available in this build");
    };
  }
}
