package dev.offload.engine;

import dev.offload.task.Task;

/** The answer to a submit: the task, and whether it is new (false: an idempotent replay). */
public record Submission(Task task, boolean created) {}
