package dev.offload.engine.jarfixtures;

/** A handler whose constructor throws, as one that finds its configuration missing. */
public final class ThrowingHandler extends FixtureHandler {
  public ThrowingHandler() {
    throw new IllegalStateException("no licence key configured");
  }

  @Override
  public String type() {
    return "throwing";
  }
}
