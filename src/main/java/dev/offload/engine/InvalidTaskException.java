package dev.offload.engine;

import java.util.List;

/**
 * A submission that cannot run: unknown type, input its handler refuses, a limit out of range.
 * The message is written for the client.
 */
public class InvalidTaskException extends RuntimeException {
  private final List<String> knownTypes;

  public InvalidTaskException(String message) {
    this(message, List.of());
  }

  public InvalidTaskException(String message, List<String> knownTypes) {
    super(message);
    this.knownTypes = List.copyOf(knownTypes);
  }

  /** For an unknown type: the types that exist. */
  public List<String> knownTypes() {
    return knownTypes;
  }
}
