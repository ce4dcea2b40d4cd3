package dev.offload.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared copy of each of a few equal values (owner names, the usual limits): every task then
 * refers to the same object instead of holding its own. Bounded: past {@code max} values it
 * stops adding and hands values back as they are, so a flood of distinct ones costs nothing
 * extra.
 */
final class Interner<T> {
  private final int max;
  private final Map<T, T> names = new ConcurrentHashMap<>();

  Interner(int max) {
    this.max = max;
  }

  T of(T s) {
    T known = names.get(s);
    if (known != null) {
      return known;
    }
    if (names.size() >= max) {
      return s;
    }
    known = names.putIfAbsent(s, s);
    return known != null ? known : s;
  }
}
