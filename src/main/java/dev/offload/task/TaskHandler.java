package dev.offload.task;

/**
 * One task type. Implement this, list the class in {@code
 * META-INF/services/dev.offload.task.TaskHandler} of a jar, put the jar in the folder that
 * {@code offload.handlers.dir} names, and the type is available over HTTP. Offload builds it once
 * at start with its public no-argument constructor and calls it from many workers at once: keep
 * it free of per-task state.
 *
 * @param <I> the input type the request's {@code input} is bound to with JSON-B
 * @param <O> the result, serialised with JSON-B
 */
public interface TaskHandler<I, O> {

  /** The name clients use in {@code "type"}: lower case, stable. */
  String type();

  String description();

  Class<I> inputType();

  /** An example input, shown by {@code GET /api/types} and the status page. */
  I example();

  /**
   * Checks an input at submission time, so a bad input is a 422 at once rather than a failed
   * task later. {@code input} is never null.
   */
  default void validate(I input) throws InvalidInputException {}

  /**
   * The input as views, lists, event streams and logs may show it: a handler whose input holds
   * secrets (a password, an API key in a header) returns a copy with them masked. The task still
   * runs with the input as given. By default the input is shown as it is.
   */
  default I redact(I input) {
    return input;
  }

  /**
   * Does the work on a worker thread. Throwing anything fails the attempt (retried while the
   * task has attempts left, unless it is a {@link TaskFailedException#permanent} failure); an
   * interrupt means the task was canceled, timed out, or the server is stopping.
   */
  O run(I input, TaskContext context) throws Exception;
}
