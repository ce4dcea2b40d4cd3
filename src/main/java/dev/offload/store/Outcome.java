package dev.offload.store;

import dev.offload.task.Task;
import dev.offload.task.TaskError;
import java.time.Instant;

/** How a running attempt ended. */
public sealed interface Outcome {

  /** The next snapshot of a running task. */
  Task applyTo(Task running);

  record Succeeded(String resultJson, Instant at) implements Outcome {
    @Override
    public Task applyTo(Task running) {
      return running.succeeded(resultJson, at);
    }
  }

  record Failed(TaskError error, Instant at) implements Outcome {
    @Override
    public Task applyTo(Task running) {
      return running.failed(error, at);
    }
  }

  record Retry(TaskError error, Instant dueAt) implements Outcome {
    @Override
    public Task applyTo(Task running) {
      return running.retrying(error, dueAt);
    }
  }

  /** Back to the queue without counting the attempt: a durable store on a graceful stop. */
  record HandedBack(Instant at) implements Outcome {
    @Override
    public Task applyTo(Task running) {
      return running.handedBack(at);
    }
  }
}
