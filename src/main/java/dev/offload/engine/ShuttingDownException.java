package dev.offload.engine;

/** The engine is stopping and takes no new work. */
public class ShuttingDownException extends RuntimeException {
  public ShuttingDownException() {
    super("Offload is shutting down and accepts no new tasks");
  }
}
