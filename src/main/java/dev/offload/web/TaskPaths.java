package dev.offload.web;

import java.util.UUID;

/** The URLs Offload emits; each starts with the context path. */
final class TaskPaths {
  private TaskPaths() {}

  static String tasks(String contextPath) {
    return contextPath + "/api/tasks";
  }

  static String task(String contextPath, UUID id) {
    return tasks(contextPath) + "/" + id;
  }
}
