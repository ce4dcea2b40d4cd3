package dev.offload.engine.jarfixtures;

/** A good handler of a jar of its own. */
public final class EchoHandler extends FixtureHandler {
  @Override
  public String type() {
    return "echo";
  }
}
