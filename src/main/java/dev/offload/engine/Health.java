package dev.offload.engine;

/**
 * What {@code GET /api/health} reports. Counts are -1 when the store cannot be read.
 *
 * @param pendingBytes bytes of input of the pending tasks
 * @param retainedBytes bytes of input and result of the finished tasks kept
 * @param pendingOwners owners with pending tasks
 * @param limits what the store holds at most
 * @param unclaimable pending tasks per type that no running instance runs (a shared store
 *     during a rolling deploy); empty when every pending task can be taken
 */
public record Health(
    String status,
    String store,
    int workersBusy,
    int workersTotal,
    long queueDepth,
    long queueCapacity,
    long running,
    long retained,
    long pendingBytes,
    long retainedBytes,
    long pendingOwners,
    Limits limits,
    java.util.Map<String, Long> unclaimable) {

  public Health {
    unclaimable = unclaimable == null ? java.util.Map.of() : java.util.Map.copyOf(unclaimable);
  }

  /** The store's pending limits, shown next to the counts. */
  public record Limits(long queueBytes, long ownerTasks, long ownerBytes) {}

  public static final String UP = "up";
  public static final String SHUTTING_DOWN = "shutting_down";
  public static final String STORE_UNAVAILABLE = "store_unavailable";
}
