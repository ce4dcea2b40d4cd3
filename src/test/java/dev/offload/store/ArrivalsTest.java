package dev.offload.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ArrivalsTest {

  private static List<Long> newestFirst(Arrivals<String> a, long before, int max) {
    List<Long> seen = new ArrayList<>();
    a.forEachNewestFirst(before, (n, item) -> {
      assertThat(item).isEqualTo("item" + n);
      seen.add(n);
      return seen.size() < max;
    });
    return seen;
  }

  @Test
  void walksNewestFirstFromBelowACursorSkippingWhatLeft() {
    Arrivals<String> a = new Arrivals<>();
    for (long n = 0; n < 10; n++) {
      a.add(n * 2, "item" + n * 2);
    }
    assertThat(a.remove(8)).isTrue();
    assertThat(a.remove(8)).isFalse();
    assertThat(a.remove(7)).isFalse();

    assertThat(newestFirst(a, Long.MAX_VALUE, 100)).containsExactly(18L, 16L, 14L, 12L, 10L,
        6L, 4L, 2L, 0L);
    assertThat(newestFirst(a, 12, 3)).containsExactly(10L, 6L, 4L);
    assertThat(newestFirst(a, 11, 100)).containsExactly(10L, 6L, 4L, 2L, 0L);
    assertThat(newestFirst(a, 0, 100)).isEmpty();
    assertThat(a.size()).isEqualTo(9);
  }

  @Test
  void numbersMustGrow() {
    Arrivals<String> a = new Arrivals<>();
    a.add(5, "item5");
    assertThatThrownBy(() -> a.add(5, "item5")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void gapsAreCompactedAwaySoSlotsFollowTheItems() {
    Arrivals<String> a = new Arrivals<>();
    for (long n = 0; n < 100_000; n++) {
      a.add(n, "item" + n);
      if (n >= 100) {
        a.remove(n - 100); // a sliding window of 100, as a store with a retained cap
      }
    }
    assertThat(a.size()).isEqualTo(100);
    assertThat(a.slots()).isLessThanOrEqualTo(400);
    assertThat(newestFirst(a, Long.MAX_VALUE, 1_000)).hasSize(100).first().isEqualTo(99_999L);
  }

  @Test
  void behavesAsASortedMapUnderRandomAddsAndRemoves() {
    Random random = new Random(42);
    Arrivals<String> a = new Arrivals<>();
    TreeMap<Long, String> model = new TreeMap<>();
    long next = 0;
    for (int step = 0; step < 200_000; step++) {
      if (model.isEmpty() || random.nextInt(3) > 0) {
        next += 1 + random.nextInt(3);
        a.add(next, "item" + next);
        model.put(next, "item" + next);
      } else {
        long victim = model.ceilingKey((long) random.nextInt((int) next + 1)) == null
            ? model.firstKey() : model.ceilingKey((long) random.nextInt((int) next + 1));
        assertThat(a.remove(victim)).isTrue();
        model.remove(victim);
      }
      if (step % 10_000 == 0) {
        long cursor = random.nextInt((int) next + 2);
        assertThat(newestFirst(a, cursor, 50))
            .containsExactlyElementsOf(model.headMap(cursor, false).descendingKeySet().stream()
                .limit(50).toList());
      }
    }
    assertThat(a.size()).isEqualTo(model.size());
    assertThat(newestFirst(a, Long.MAX_VALUE, Integer.MAX_VALUE))
        .containsExactlyElementsOf(model.descendingKeySet());
  }
}
