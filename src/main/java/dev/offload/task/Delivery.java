package dev.offload.task;

import java.time.Instant;

/**
 * The delivery of a task's {@link Callback}: a part of the task snapshot of its own, as it keeps
 * changing after the task's final state (which never changes). Times in epoch milliseconds,
 * {@link Task#NO_TIME} when they do not apply.
 *
 * @param attempts delivery attempts begun (claimed) so far, the one under way included
 * @param lastError why the last attempt failed; null before a failure and once delivered
 * @param nextAttemptAtMillis when a failed attempt is tried again; {@link Task#NO_TIME} for the
 *     first attempt, which is due when the task ends
 * @param deliveredAtMillis when the receiver accepted it
 */
public record Delivery(
    DeliveryState state,
    int attempts,
    TaskError lastError,
    long nextAttemptAtMillis,
    long deliveredAtMillis) {

  /** What every task with a callback starts with: owed, due when the task ends. */
  public static final Delivery OWED =
      new Delivery(DeliveryState.PENDING, 0, null, Task.NO_TIME, Task.NO_TIME);

  public Delivery {
    if (state == null || attempts < 0) {
      throw new IllegalArgumentException("a delivery needs a state and attempts >= 0");
    }
  }

  /** Still to be delivered (or retried). */
  public boolean owed() {
    return state == DeliveryState.PENDING;
  }

  public Instant nextAttemptAt() {
    return Task.instant(nextAttemptAtMillis);
  }

  public Instant deliveredAt() {
    return Task.instant(deliveredAtMillis);
  }

  /** An attempt begins: it counts from its claim, so a crash mid-attempt still counted one. */
  public Delivery claimed() {
    requireOwed();
    return new Delivery(state, attempts + 1, lastError, nextAttemptAtMillis, deliveredAtMillis);
  }

  /** The receiver answered 2xx. */
  public Delivery delivered(Instant at) {
    requireOwed();
    return new Delivery(DeliveryState.DELIVERED, attempts, null, Task.NO_TIME, Task.millis(at));
  }

  /** The attempt failed and another is due at {@code at}. */
  public Delivery retrying(TaskError error, Instant at) {
    requireOwed();
    return new Delivery(state, attempts, error, Task.millis(at), Task.NO_TIME);
  }

  /** The attempt failed and no other will be made. */
  public Delivery failed(TaskError error) {
    requireOwed();
    return new Delivery(DeliveryState.FAILED, attempts, error, Task.NO_TIME, Task.NO_TIME);
  }

  /** A claimed attempt given back unsent (its instance stopped): it does not count. */
  public Delivery handedBack() {
    requireOwed();
    return new Delivery(state, Math.max(0, attempts - 1), lastError, nextAttemptAtMillis,
        deliveredAtMillis);
  }

  private void requireOwed() {
    if (!owed()) {
      throw new IllegalStateException("the delivery is already " + state.wire());
    }
  }
}
