package dev.offload.bench;

import java.lang.management.ManagementFactory;

/** Heap in use after full collections: the live set, as near as a running JVM can tell. */
final class Heap {
  private Heap() {}

  static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    // A few rounds: finalizable and weakly held objects need a second collection to go.
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
