package dev.offload.engine.jarfixtures;

/** Brings a type the WAR offers already. */
public final class NoopTwin extends FixtureHandler {
  @Override
  public String type() {
    return "noop";
  }
}
