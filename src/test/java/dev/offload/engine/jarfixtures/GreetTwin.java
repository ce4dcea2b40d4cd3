package dev.offload.engine.jarfixtures;

/** Brings the type of GreetHandler, from another jar. */
public final class GreetTwin extends FixtureHandler {
  @Override
  public String type() {
    return "greet";
  }
}
