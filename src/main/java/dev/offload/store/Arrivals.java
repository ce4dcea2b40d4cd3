package dev.offload.store;

import java.util.Arrays;

/**
 * Items in the order they arrived, each under a number that grows with every arrival: an
 * append-only array with a gap where an item left, compacted once the gaps outnumber the items.
 * It costs about 12 to 20 bytes per item where a {@code TreeSet} costs 40 (its node), and the
 * memory store keeps one for every task it holds. Not thread-safe: the store's lock guards it.
 *
 * @param <T> the items; {@code null} is not one
 */
final class Arrivals<T> {
  private static final int MIN_CAPACITY = 16;

  private long[] numbers = new long[MIN_CAPACITY];
  private Object[] items = new Object[MIN_CAPACITY];
  /** Slots used, gaps included. */
  private int used;
  /** Items present. */
  private int size;

  int size() {
    return size;
  }

  /** Adds {@code item}, numbered {@code number}, greater than every number added before. */
  void add(long number, T item) {
    if (used > 0 && number <= numbers[used - 1]) {
      throw new IllegalArgumentException("arrival " + number + " after " + numbers[used - 1]);
    }
    if (used == items.length) {
      if (size <= used / 2) {
        compact();
      } else {
        int capacity = used + (used >> 1);
        numbers = Arrays.copyOf(numbers, capacity);
        items = Arrays.copyOf(items, capacity);
      }
    }
    numbers[used] = number;
    items[used] = item;
    used++;
    size++;
  }

  /** Removes the item numbered {@code number}; false when there is none. */
  boolean remove(long number) {
    int i = Arrays.binarySearch(numbers, 0, used, number);
    if (i < 0 || items[i] == null) {
      return false;
    }
    items[i] = null;
    size--;
    if (size == 0) {
      used = 0;
      shrink();
    } else if (size < used / 4 && used > MIN_CAPACITY) {
      compact();
    }
    return true;
  }

  /** Visits the items newest first from below {@code before}; stops when asked. */
  @SuppressWarnings("unchecked")
  void forEachNewestFirst(long before, Visitor<T> visitor) {
    int from = Arrays.binarySearch(numbers, 0, used, before);
    for (int i = skipGaps(from >= 0 ? from - 1 : -from - 2); i >= 0; i = skipGaps(i - 1)) {
      if (!visitor.visit(numbers[i], (T) items[i])) {
        return;
      }
    }
  }

  /** What {@link #forEachNewestFirst} calls for each item; false stops the walk. */
  @FunctionalInterface
  interface Visitor<T> {
    boolean visit(long number, T item);
  }

  private int skipGaps(int i) {
    while (i >= 0 && items[i] == null) {
      i--;
    }
    return i;
  }

  private void compact() {
    int j = 0;
    for (int i = 0; i < used; i++) {
      if (items[i] != null) {
        numbers[j] = numbers[i];
        items[j] = items[i];
        j++;
      }
    }
    Arrays.fill(items, j, used, null);
    used = j;
    shrink();
  }

  /** Gives back an array much larger than what it holds (after a flood drained). */
  private void shrink() {
    int capacity = Math.max(MIN_CAPACITY, used + (used >> 1));
    if (items.length > 2 * capacity) {
      numbers = Arrays.copyOf(numbers, capacity);
      items = Arrays.copyOf(items, capacity);
    }
  }

  /** For the unit test: the slots in use, gaps included. */
  int slots() {
    return used;
  }
}
