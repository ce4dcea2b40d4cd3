package dev.offload.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Heap follows the bytes a client sent: with large inputs of the worst shapes, submitted,
 * finished, read one by one and listed in full, the heap grows by at most about twice the bytes
 * of input and result text retained, and a list of summaries stays small whatever the tasks
 * hold. (The benchmark runs the same with 60 inputs of 1 MB per shape; BENCHMARKS.md.)
 */
class LargeInputMemoryIT {

  @Test
  void heapGrowsByAboutTheBytesRetainedAndListsStaySmall() throws Exception {
    Map<String, Double> m = LargeInputMemory.run(new LargeInputMemory.Settings(24, 500_000));
    System.out.println("large-input memory: " + m);

    for (String shape : new String[] {"numbers", "deep", "strings"}) {
      assertThat(m.get(shape + "_retained_bytes")).as(shape)
          .isGreaterThan(2.0 * 24 * 500_000 * 0.9);
      assertThat(m.get(shape + "_heap_per_byte")).as(shape + ": heap per byte retained")
          .isLessThanOrEqualTo(2.2);
      assertThat(m.get(shape + "_list_summary_bytes")).as(shape + ": a page of summaries")
          .isLessThan(64_000);
    }
  }
}
