package dev.offload.web;

import java.util.Arrays;
import java.util.Optional;

/** Offload's roles, as the container or the tokens file grants them. */
enum Role {
  /** Submits tasks; reads, lists, streams and cancels its own. */
  USER("offload-user"),
  /** Reads and lists everyone's tasks; changes nothing. */
  VIEWER("offload-viewer"),
  /** Everything, to every task. */
  ADMIN("offload-admin"),
  /** Reads the metrics (a scraper). */
  METRICS("offload-metrics");

  private final String roleName;

  Role(String roleName) {
    this.roleName = roleName;
  }

  /** The name in the container's realm and the tokens file: {@code offload-user}. */
  String roleName() {
    return roleName;
  }

  static Optional<Role> of(String roleName) {
    return Arrays.stream(values()).filter(r -> r.roleName.equals(roleName)).findFirst();
  }
}
