package dev.offload.task;

/**
 * One task type. Implement this, list the class in {@code
 * META-INF/services/dev.offload.task.TaskHandler}, and the type is available over HTTP.
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
   * Does the work on a worker thread. Throwing anything fails the attempt; an interrupt means
   * the task was canceled, timed out, or the server is stopping.
   */
  O run(I input, TaskContext context) throws Exception;
}
