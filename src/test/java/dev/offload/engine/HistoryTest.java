package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.testing.SettableClock;
import dev.offload.testing.Tasks;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HistoryTest {
  private final SettableClock clock = new SettableClock();
  private final History history = new History(clock, Set.of("sleep", "noop"));

  private Task running(String type, int maxAttempts) {
    Task t = Tasks.pending(UUID.randomUUID(), type, Priority.NORMAL, "{}",
        new Task.Limits(maxAttempts, 60, 60), clock.instant(), clock.instant(), null, null);
    history.submitted(t);
    return t.started(clock.instant());
  }

  @Test
  void countsPerTypeAndMinuteWithRunTimePercentiles() {
    for (int i = 0; i < 9; i++) {
      Task r = running("sleep", 1);
      history.attemptEnded(r, r.succeeded("1", clock.instant()), Duration.ofMillis(100));
    }
    Task slow = running("sleep", 1);
    history.attemptEnded(slow, slow.failed(new TaskError("x", "y"), clock.instant()),
        Duration.ofSeconds(10));
    Task retried = running("sleep", 2);
    history.attemptEnded(retried, retried.retrying(new TaskError("x", "y"), clock.instant()),
        Duration.ofMillis(100));
    Task handedBack = running("sleep", 2);
    history.attemptEnded(handedBack, handedBack.handedBack(clock.instant()), Duration.ZERO);
    history.canceled(running("noop", 1).canceled(clock.instant()));
    history.submitted(Tasks.pending(UUID.randomUUID(), "made-up", Priority.NORMAL, "{}",
        new Task.Limits(1, 60, 60), clock.instant(), clock.instant(), null, null));

    History.Snapshot s = history.snapshot();

    assertThat(s.types()).extracting(History.TypeFigures::type)
        .containsExactly("noop", "sleep", "unknown");
    History.TypeFigures sleep = s.types().get(1);
    assertThat(sleep.submitted()).isEqualTo(12);
    assertThat(sleep.succeeded()).isEqualTo(9);
    assertThat(sleep.failed()).isEqualTo(1);
    assertThat(sleep.retried()).as("a hand-back is not a retry").isEqualTo(1);
    assertThat(sleep.successRate()).isEqualTo(0.9);
    assertThat(sleep.runTimeP50Seconds()).isBetween(0.1, 0.1 * 1.2);
    assertThat(sleep.runTimeP95Seconds()).isBetween(10.0, 10.0 * 1.2);
    assertThat(s.types().get(0).canceled()).isEqualTo(1);
    assertThat(s.minutes()).hasSize(60);
    History.MinuteFigures now = s.minutes().get(59);
    assertThat(now.succeeded()).isEqualTo(9);
    assertThat(now.failed()).isEqualTo(1);
    assertThat(now.canceled()).isEqualTo(1);
  }

  @Test
  void minutesRollOverAndOldOnesDropOut() {
    Task r = running("noop", 1);
    history.attemptEnded(r, r.succeeded("1", clock.instant()), Duration.ofMillis(5));
    Instant first = history.snapshot().minutes().get(59).minute();

    clock.advance(Duration.ofMinutes(1));
    Task r2 = running("noop", 1);
    history.attemptEnded(r2, r2.succeeded("1", clock.instant()), Duration.ofMillis(5));
    History.Snapshot after = history.snapshot();
    assertThat(after.minutes().get(58).minute()).isEqualTo(first);
    assertThat(after.minutes().get(58).succeeded()).isEqualTo(1);
    assertThat(after.minutes().get(59).succeeded()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(60));
    assertThat(history.snapshot().minutes()).allSatisfy(m -> assertThat(m.succeeded()).isZero());
    assertThat(history.snapshot().types().get(0).succeeded()).as("since the start").isEqualTo(2);
  }
}
