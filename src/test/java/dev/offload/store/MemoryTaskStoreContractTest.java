package dev.offload.store;

/** The memory store against the shared contract. */
class MemoryTaskStoreContractTest extends TaskStoreContractTest {
  @Override
  protected TaskStore createStore(StoreLimits limits) {
    return new MemoryTaskStore(limits);
  }
}
