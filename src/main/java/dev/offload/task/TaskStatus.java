package dev.offload.task;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Life cycle of a task: {@code pending -> running -> success | failed | canceled}. */
public enum TaskStatus {
  PENDING,
  RUNNING,
  SUCCESS,
  FAILED,
  CANCELED;

  /** The lower-case name used on the wire and in the database. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Terminal states never change again. */
  public boolean isTerminal() {
    return this == SUCCESS || this == FAILED || this == CANCELED;
  }

  public static Optional<TaskStatus> parse(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(wire)).findFirst();
  }
}
