package dev.offload.engine.jarfixtures;

/** A type name no client could use. */
public final class BadTypeHandler extends FixtureHandler {
  @Override
  public String type() {
    return "Bad Type";
  }
}
