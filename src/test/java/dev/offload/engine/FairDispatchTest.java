package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.store.MemoryTaskStore;
import dev.offload.store.StoreLimits;
import dev.offload.task.Priority;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskStatus;
import dev.offload.testing.TestHandlers.Gate;
import dev.offload.testing.TestHandlers.Key;
import dev.offload.testing.TestHandlers.KeyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fair dispatch through the engine on the memory store: an owner with thousands of queued tasks
 * delays another owner's new task by about one task per busy owner, not by thousands.
 */
class FairDispatchTest {
  private final Gate gate = new Gate();
  private final Step step = new Step();
  private final List<TaskEngine> engines = new ArrayList<>();

  /** Records which owner's task started, in order, and returns at once. */
  static final class Step extends KeyHandler {
    final List<String> order = Collections.synchronizedList(new ArrayList<>());

    Step() {
      super("step");
    }

    @Override
    public String run(Key input, TaskContext context) {
      order.add(input.key());
      return "ok";
    }
  }

  private TaskEngine engine(boolean fair) {
    return engine(fair, 2);
  }

  private TaskEngine engine(boolean fair, int workers) {
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(workers, 10_000, d.defaultTimeout(), d.maxTimeout(), 1,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), d.retryBase(), d.retryMax(),
        Duration.ofHours(1), Duration.ZERO, Duration.ofMillis(300), d.lease());
    MemoryTaskStore store = new MemoryTaskStore(StoreLimits.of(10_000, 10_000).withFair(fair));
    TaskEngine e = TaskEngine.builder(config, store, new HandlerRegistry(List.of(gate, step)))
        .build();
    e.start();
    engines.add(e);
    return e;
  }

  @AfterEach
  void stop() {
    gate.open("a1");
    gate.open("a2");
    engines.forEach(TaskEngine::shutdown);
  }

  private static SubmitRequest as(String owner, String type, String key, Priority p) {
    return new SubmitRequest(owner, type, "{\"key\":\"" + key + "\"}", p, null, null, null,
        null, null);
  }

  /** Both workers busy with A's gates, A's flood queued, then B's one task; where does it run? */
  private int positionOfB(boolean fair, int flood) throws InterruptedException {
    TaskEngine e = engine(fair);
    e.submit(as("a", "gate", "a1", Priority.NORMAL));
    e.submit(as("a", "gate", "a2", Priority.NORMAL));
    assertThat(gate.awaitStarted("a1") && gate.awaitStarted("a2")).isTrue();
    for (int i = 0; i < flood; i++) {
      e.submit(as("a", "step", "a", Priority.NORMAL));
    }
    UUID b = e.submit(as("b", "step", "b", Priority.NORMAL)).task().id();
    gate.open("a1");
    gate.open("a2");
    await().atMost(Duration.ofSeconds(30))
        .until(() -> e.get(b).map(t -> t.status() == TaskStatus.SUCCESS).orElse(false));
    return step.order.indexOf("b");
  }

  @Test
  void anotherOwnersTaskRunsWithinTheNextFewDispatchesWhateverTheFloodBefore()
      throws InterruptedException {
    int position = positionOfB(true, 2_000);

    // Two workers take turns between two owners: B is among the first dispatches.
    assertThat(position).isLessThanOrEqualTo(2);
  }

  @Test
  void withoutFairDispatchItWaitsForTheWholeFlood() throws InterruptedException {
    int position = positionOfB(false, 2_000);

    // (The last two of the 2,001 run side by side on the two workers.)
    assertThat(position).isGreaterThanOrEqualTo(1_999);
  }

  @Test
  void priorityStillComesFirst() throws InterruptedException {
    TaskEngine e = engine(true, 1); // one worker: the start order is the dispatch order
    e.submit(as("a", "gate", "a1", Priority.NORMAL));
    assertThat(gate.awaitStarted("a1")).isTrue();
    e.submit(as("b", "step", "b-low", Priority.LOW));
    for (int i = 0; i < 50; i++) {
      e.submit(as("a", "step", "a-high", Priority.HIGH));
    }
    UUID last = e.submit(as("b", "step", "b-normal", Priority.NORMAL)).task().id();
    gate.open("a1");
    await().atMost(Duration.ofSeconds(30))
        .until(() -> step.order.size() == 52);

    assertThat(step.order.subList(0, 50)).containsOnly("a-high");
    assertThat(step.order.subList(50, 52)).containsExactly("b-normal", "b-low");
    assertThat(e.get(last).orElseThrow().status()).isEqualTo(TaskStatus.SUCCESS);
  }
}
