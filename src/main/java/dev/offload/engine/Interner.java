package dev.offload.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared copy of each of a few strings (owner names): every task of an owner then refers to
 * the same name instead of holding its own. Bounded: past {@code max} names it stops adding and
 * hands strings back as they are, so a flood of names costs nothing extra.
 */
final class Interner {
  private final int max;
  private final Map<String, String> names = new ConcurrentHashMap<>();

  Interner(int max) {
    this.max = max;
  }

  String of(String s) {
    String known = names.get(s);
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
