package dev.offload.store;

/** The memory store against the shared contract. */
class MemoryTaskStoreContractTest extends TaskStoreContractTest {
  @Override
  protected TaskStore createStore(long capacity) {
    return new MemoryTaskStore(capacity, 10_000);
  }
}
