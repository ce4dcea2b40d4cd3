package dev.offload.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IdTableTest {
  private record Item(UUID id, int n) {}

  @Test
  void addsFindsAndRemovesById() {
    IdTable<Item> t = new IdTable<>(Item::id);
    Item a = new Item(UUID.randomUUID(), 1);
    assertThat(t.add(a)).isTrue();
    assertThat(t.add(new Item(a.id(), 2))).as("one item per id").isFalse();
    assertThat(t.get(a.id())).isSameAs(a);
    assertThat(t.get(UUID.randomUUID())).isNull();
    assertThat(t.remove(UUID.randomUUID())).isNull();
    assertThat(t.remove(a.id())).isSameAs(a);
    assertThat(t.get(a.id())).isNull();
    assertThat(t.size()).isZero();
  }

  @Test
  void behavesAsAHashMapUnderRandomAddsAndRemovesAndGivesMemoryBack() {
    Random random = new Random(7);
    IdTable<Item> t = new IdTable<>(Item::id);
    Map<UUID, Item> model = new HashMap<>();
    List<UUID> ids = new ArrayList<>();
    for (int step = 0; step < 300_000; step++) {
      if (ids.isEmpty() || random.nextInt(5) < 3) {
        // Ids made to collide in the table's low bits too, so probe runs wrap and shift.
        UUID id = random.nextInt(4) == 0
            ? new UUID(random.nextInt(64), random.nextInt(64) * 31L + step)
            : new UUID(random.nextLong(), random.nextLong());
        Item item = new Item(id, step);
        assertThat(t.add(item)).isEqualTo(model.putIfAbsent(id, item) == null);
        ids.add(id);
      } else {
        UUID id = ids.remove(random.nextInt(ids.size()));
        assertThat(t.remove(id)).isSameAs(model.remove(id));
      }
      if (step % 1_000 == 0) {
        for (UUID id : ids.subList(Math.max(0, ids.size() - 50), ids.size())) {
          assertThat(t.get(id)).isSameAs(model.get(id));
        }
      }
    }
    assertThat(t.size()).isEqualTo(model.size());
    for (Map.Entry<UUID, Item> e : model.entrySet()) {
      assertThat(t.get(e.getKey())).isSameAs(e.getValue());
    }
    int peak = t.capacity();
    for (UUID id : new ArrayList<>(model.keySet())) {
      assertThat(t.remove(id)).isSameAs(model.remove(id));
    }
    assertThat(t.size()).isZero();
    assertThat(t.capacity()).isLessThan(peak).isLessThanOrEqualTo(32);
  }
}
