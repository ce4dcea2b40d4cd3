package dev.offload.engine.jarfixtures;

/** A library class that NeedsHelper uses; the test leaves it out of the jar. */
public final class Helper {
  public String help() {
    return "helped";
  }
}
