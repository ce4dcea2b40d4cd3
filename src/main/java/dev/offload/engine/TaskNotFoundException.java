package dev.offload.engine;

import java.util.UUID;

/** No task with this id: never submitted, or its result expired. */
public class TaskNotFoundException extends RuntimeException {
  public TaskNotFoundException(UUID id) {
    super("task " + id + " does not exist or its result has expired");
  }
}
