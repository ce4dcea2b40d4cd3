package dev.offload.task;

/** How far a running task has come, as reported by its handler. */
public record Progress(int percent, String message) {
  public Progress {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("percent must be within 0..100, got " + percent);
    }
  }
}
