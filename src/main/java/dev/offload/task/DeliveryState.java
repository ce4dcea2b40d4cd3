package dev.offload.task;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the delivery of a task's callback stands: {@code pending} (owed: the task has not ended
 * yet, or it has and the delivery is due or being retried) until it is {@code delivered} (the
 * receiver answered 2xx) or {@code failed} (not delivered within the retry window, or to an
 * address Offload does not call). Both of those are final.
 */
public enum DeliveryState {
  PENDING,
  DELIVERED,
  FAILED;

  /** The lower-case name used on the wire and in the database. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<DeliveryState> parse(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(wire)).findFirst();
  }
}
