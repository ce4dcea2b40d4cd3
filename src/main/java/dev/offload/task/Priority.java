package dev.offload.task;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Queue priority; work is taken {@code high} first, FIFO within one priority. */
public enum Priority {
  HIGH,
  NORMAL,
  LOW;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Priority> parse(String wire) {
    return Arrays.stream(values()).filter(p -> p.wire().equals(wire)).findFirst();
  }
}
