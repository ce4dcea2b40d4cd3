package dev.offload.engine;

/** What {@code GET /api/health} reports. */
public record Health(
    String status,
    String store,
    int workersBusy,
    int workersTotal,
    long queueDepth,
    long queueCapacity,
    long running,
    long retained) {

  public static final String UP = "up";
  public static final String SHUTTING_DOWN = "shutting_down";
  public static final String STORE_UNAVAILABLE = "store_unavailable";
}
