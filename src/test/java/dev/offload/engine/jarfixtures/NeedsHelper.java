package dev.offload.engine.jarfixtures;

/** A handler that needs a class its jar does not hold (a dependency the jar forgot). */
public final class NeedsHelper extends FixtureHandler {
  private final Helper helper = new Helper();

  @Override
  public String type() {
    return "needs-" + helper.help();
  }
}
