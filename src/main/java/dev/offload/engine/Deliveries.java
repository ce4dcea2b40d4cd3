package dev.offload.engine;

import dev.offload.store.TaskStore;
import dev.offload.task.Delivery;
import dev.offload.task.Task;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The engine's side of callback deliveries: the owed deliveries a deliverer claims from the
 * store, under a lease of this instance, and the fenced record of how each attempt went. Who
 * sends them (and how) is the deliverer's business; the engine only tells it when a task ended
 * here ({@link #onEnded}), so it need not wait for its next look at the store.
 */
public final class Deliveries {
  private final TaskStore store;
  private final Clock clock;
  private final String instance;
  private final List<Consumer<Task>> ended = new CopyOnWriteArrayList<>();

  Deliveries(TaskStore store, Clock clock, String instance) {
    this.store = store;
    this.clock = clock;
    this.instance = instance;
  }

  /**
   * Claims up to {@code max} deliveries due now (see {@link TaskStore#claimDeliveries}), each
   * leased to this instance for {@code lease}: long enough for one attempt, after which another
   * instance (or a later look here) takes it over.
   */
  public List<Task> claim(Duration lease, int max) {
    Instant now = now();
    return store.claimDeliveries(instance, now, now.plus(lease), max);
  }

  /** Records how a claimed attempt went; empty when the claim was lost (its lease expired). */
  public Optional<Task> record(Task claimed, Delivery next) {
    return store.recordDelivery(claimed, next);
  }

  /** Gives a claimed attempt back unsent, not counted: this instance stops. */
  public Optional<Task> release(Task claimed) {
    return store.recordDelivery(claimed, claimed.delivery().handedBack());
  }

  /** When the earliest owed delivery is due, if one is. */
  public Optional<Instant> nextDueAt() {
    return store.nextDeliveryAt();
  }

  /** Whether a delivery this instance sends survives its stop (another instance or the next
   * start delivers it). */
  public boolean durable() {
    return store.durable();
  }

  public Clock clock() {
    return clock;
  }

  /** Tells {@code listener} of every task that ends through this instance. */
  public void onEnded(Consumer<Task> listener) {
    ended.add(listener);
  }

  /** A task ended here (an attempt, a cancel, the reaper). */
  void ended(Task t) {
    if (t.deliveryOwed()) {
      for (Consumer<Task> l : ended) {
        Events.tell(() -> l.accept(t));
      }
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
