package dev.offload.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the handlers of the test jars report back. They run in the jars' own class loaders, and
 * this class is outside the hidden fixtures, so they all see this one copy of it.
 */
public final class JarFixtureEvents {
  /** The types of the handlers that were closed. */
  public static final Set<String> CLOSED = ConcurrentHashMap.newKeySet();

  private JarFixtureEvents() {}
}
