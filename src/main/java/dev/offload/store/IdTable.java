package dev.offload.store;

import java.util.UUID;
import java.util.function.Function;

/**
 * Items by their task id, in one open-addressing array (linear probing, backward-shift removal):
 * 5 to 11 bytes per item where a {@code HashMap} costs about 40 (a 32-byte node and its slot),
 * and the memory store keeps one for every task it holds. Ids are random UUIDs made by Offload,
 * never chosen by a client, so their bits spread evenly. Not thread-safe: the store's lock guards
 * it.
 *
 * @param <T> the items; {@code null} is not one
 */
final class IdTable<T> {
  private static final int MIN_CAPACITY = 16;

  private final Function<T, UUID> idOf;
  private Object[] slots = new Object[MIN_CAPACITY];
  private int size;

  IdTable(Function<T, UUID> idOf) {
    this.idOf = idOf;
  }

  int size() {
    return size;
  }

  /** The item with {@code id}, or null. */
  T get(UUID id) {
    int mask = slots.length - 1;
    for (int i = home(id, mask); ; i = (i + 1) & mask) {
      T item = at(i);
      if (item == null || idOf.apply(item).equals(id)) {
        return item;
      }
    }
  }

  /** Adds {@code item}; false (and nothing changes) when an item with its id is here already. */
  boolean add(T item) {
    if (size + 1 > slots.length - (slots.length >> 2)) {
      resize(slots.length * 2);
    }
    UUID id = idOf.apply(item);
    int mask = slots.length - 1;
    int i = home(id, mask);
    for (T there = at(i); there != null; i = (i + 1) & mask, there = at(i)) {
      if (idOf.apply(there).equals(id)) {
        return false;
      }
    }
    slots[i] = item;
    size++;
    return true;
  }

  /** Removes the item with {@code id}; returns it, or null when there was none. */
  T remove(UUID id) {
    int mask = slots.length - 1;
    int i = home(id, mask);
    T found;
    for (found = at(i); found != null; i = (i + 1) & mask, found = at(i)) {
      if (idOf.apply(found).equals(id)) {
        break;
      }
    }
    if (found == null) {
      return null;
    }
    // Backward shift: move later items of the probe run into the hole when their home allows,
    // so that no lookup stops early at it (no tombstones).
    int hole = i;
    for (int j = (hole + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
      int home = home(idOf.apply(at(j)), mask);
      boolean homeInRun = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!homeInRun) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = null;
    size--;
    if (slots.length > MIN_CAPACITY && size < slots.length >> 3) {
      resize(slots.length >> 1);
    }
    return found;
  }

  /** For the unit test: the slots of the array. */
  int capacity() {
    return slots.length;
  }

  @SuppressWarnings("unchecked")
  private T at(int i) {
    return (T) slots[i];
  }

  private void resize(int capacity) {
    Object[] old = slots;
    slots = new Object[capacity];
    int mask = capacity - 1;
    for (Object o : old) {
      if (o != null) {
        @SuppressWarnings("unchecked")
        T item = (T) o;
        int i = home(idOf.apply(item), mask);
        while (slots[i] != null) {
          i = (i + 1) & mask;
        }
        slots[i] = item;
      }
    }
  }

  private static int home(UUID id, int mask) {
    long h = (id.getMostSignificantBits() ^ id.getLeastSignificantBits()) * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 40) & mask;
  }
}
