package dev.offload.handlers;

import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;

/**
 * Sleeps in steps, reporting progress; fails its first {@code failTimes} attempts, so retries
 * can be watched. Honours interrupts: a cancel or timeout ends it within one step.
 */
public final class SleepHandler implements TaskHandler<SleepHandler.Input, SleepHandler.Result> {

  /** The longest sleep accepted: one day. */
  public static final long MAX_MILLIS = 86_400_000L;

  private static final int STEPS = 20;

  /** {@code millis} to sleep; {@code failTimes} attempts to fail first (default 0). */
  public record Input(Long millis, Integer failTimes) {}

  public record Result(long sleptMillis, int attempt) {}

  @Override
  public String type() {
    return "sleep";
  }

  @Override
  public String description() {
    return "Sleeps for 'millis' in " + STEPS + " steps with progress; fails its first "
        + "'failTimes' attempts.";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input example() {
    return new Input(3000L, 0);
  }

  @Override
  public void validate(Input in) throws InvalidInputException {
    if (in.millis() == null) {
      throw new InvalidInputException("'millis' is required");
    }
    if (in.millis() < 0 || in.millis() > MAX_MILLIS) {
      throw new InvalidInputException("'millis' must be between 0 and " + MAX_MILLIS);
    }
    if (in.failTimes() != null && (in.failTimes() < 0 || in.failTimes() > 100)) {
      throw new InvalidInputException("'failTimes' must be between 0 and 100");
    }
  }

  @Override
  public Result run(Input in, TaskContext context) throws Exception {
    long total = in.millis();
    long step = Math.max(1, total / STEPS);
    long slept = 0;
    context.progress(0, "sleeping " + total + " ms");
    while (slept < total) {
      long chunk = Math.min(step, total - slept);
      Thread.sleep(chunk); // the work itself; throws when the attempt is interrupted
      slept += chunk;
      context.progress((int) (slept * 100 / Math.max(1, total)), slept + " of " + total + " ms");
    }
    int failTimes = in.failTimes() == null ? 0 : in.failTimes();
    if (context.attempt() <= failTimes) {
      throw new TaskFailedException("planned-failure",
          "failing attempt " + context.attempt() + " of the first " + failTimes + " as asked");
    }
    return new Result(slept, context.attempt());
  }
}
