package dev.offload.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.outbound.AddressRules;
import dev.offload.store.Outcome;
import dev.offload.store.StoreLimits;
import dev.offload.store.TaskStore;
import dev.offload.outbound.OutboundHttp;
import dev.offload.task.Callback;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import dev.offload.testing.Tasks;
import dev.offload.testing.TestHandlers;
import dev.offload.testing.WebhookReceiver;
import dev.offload.testing.WebhookReceiver.Received;
import dev.offload.webhooks.WebhookDeliverer;
import jakarta.json.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Callback deliveries on the PostgreSQL store, with engines and deliverers as separate instances
 * would run them (each its own store and pool): what one instance owes survives its stop and is
 * delivered by the next, a delivery claimed by an instance that died is taken over once its
 * lease has run out (and the dead one's late write changes nothing), and a task the reaper fails
 * is announced too.
 */
@ExtendWith(PostgresExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresDeliveriesTest {
  private static final String SECRET = WebhookReceiver.newSecret();
  private TestDatabase db;
  private final List<AutoCloseable> running = new ArrayList<>();
  private WebhookReceiver receiver;

  @BeforeAll
  void database(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void emptyTable() throws SQLException {
    try (PostgresTaskStore s = PostgresTaskStore.open(db.settings(10));
        Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("TRUNCATE offload_task");
    }
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    running.clear();
    receiver.close();
  }

  /** One instance: a store, an engine and (unless {@code deliver} is false) a deliverer. */
  private record Instance(PostgresTaskStore store, TaskEngine engine, WebhookDeliverer deliverer)
      implements AutoCloseable {
    @Override
    public void close() {
      engine.shutdown();
      if (deliverer != null) {
        deliverer.close();
      }
      store.close();
    }
  }

  private Instance instance(String name, boolean deliver) {
    PostgresTaskStore store = PostgresTaskStore.open(db.settings(10_000, 6));
    EngineConfig d = EngineConfig.defaults();
    EngineConfig config = new EngineConfig(2, 10_000, d.defaultTimeout(), d.maxTimeout(), 3,
        d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMillis(300),
        Duration.ofSeconds(2), Duration.ofSeconds(1));
    AddressRules rules = AddressRules.allowing(List.of("127.0.0.1"));
    TaskEngine engine = TaskEngine.builder(config, store, new HandlerRegistry(List.of(
            new TestHandlers.Simple("ok", k -> "done " + k.key()), new TestHandlers.Gate())))
        .instance(name).callbackRules(rules).build();
    WebhookDeliverer deliverer = null;
    if (deliver) {
      deliverer = new WebhookDeliverer(new WebhookDeliverer.Settings(2, Duration.ofMinutes(1),
          Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1),
          Duration.ofSeconds(2), Duration.ofMillis(200)), engine.deliveries(),
          new OutboundHttp("offload-webhook", rules, OutboundHttp.Resolver.system(),
              Duration.ofSeconds(1), Duration.ofSeconds(5), 4, null),
          t -> Json.createObjectBuilder().add("id", t.id().toString())
              .add("status", t.status().wire()).build().toString(),
          () -> 0.5, WebhookDeliverer.Events.NONE);
    }
    engine.start();
    if (deliverer != null) {
      deliverer.start();
    }
    Instance i = new Instance(store, engine, deliverer);
    running.add(i);
    return i;
  }

  private Task submit(TaskEngine engine, String type, String key, String path, long ttl) {
    return submit(engine, type, key, path, ttl, 0);
  }

  /** One attempt at most, due after {@code delay} seconds. */
  private Task submit(TaskEngine engine, String type, String key, String path, long ttl,
      long delay) {
    return engine.submit(new SubmitRequest(type, "{\"key\":\"" + key + "\"}", null, null, 1L,
        delay, ttl, null).withCallback(new Callback(receiver.url(path), SECRET))).task();
  }

  private static Task awaitDelivery(TaskEngine via, UUID id, DeliveryState state) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> via.get(id).map(t -> t.delivery().state() == state).orElse(false));
    return via.get(id).orElseThrow();
  }

  @Test
  void aDeliveryOwedWhenItsInstanceStopsIsMadeByTheNext() {
    AtomicBoolean up = new AtomicBoolean(false);
    receiver.route("/down", SECRET, (ex, call) -> WebhookReceiver.status(ex, up.get() ? 200 : 503));
    Instance first = instance("first", true);
    Task t = submit(first.engine(), "ok", "a", "/down", 3600);
    await().atMost(Duration.ofSeconds(20))
        .until(() -> first.engine().get(t.id()).orElseThrow().delivery().attempts() >= 2);
    first.close();
    running.remove(first);
    Task owed = readBack(t.id());
    assertThat(owed.delivery().state()).as("still owed across the stop")
        .isEqualTo(DeliveryState.PENDING);
    up.set(true);

    Instance next = instance("next", true);
    Task done = awaitDelivery(next.engine(), t.id(), DeliveryState.DELIVERED);

    assertThat(done.delivery().attempts()).isGreaterThan(owed.delivery().attempts());
    List<Received> got = receiver.received("/down");
    // At least once: the stop may cut off an attempt whose request had reached the receiver
    // (its claim is counted before it is sent); it is handed back uncounted and made again.
    assertThat(got).hasSizeBetween(done.delivery().attempts(), done.delivery().attempts() + 1)
        .allSatisfy(r -> assertThat(r.problems()).isEmpty());
    assertThat(got).extracting(Received::id).containsOnly("msg_" + t.id());
  }

  @Test
  void aDeliveryClaimedByAnInstanceThatDiedIsTakenOverAfterItsLease() {
    receiver.route("/hook", SECRET, (ex, call) -> WebhookReceiver.status(ex, 200));
    Instance quiet = instance("quiet", false); // runs the task, delivers nothing
    Task t = submit(quiet.engine(), "ok", "b", "/hook", 3600);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> quiet.engine().get(t.id()).orElseThrow().isTerminal());
    // A deliverer that claims the delivery and dies before it writes anything.
    PostgresTaskStore dead = PostgresTaskStore.open(db.settings(10_000, 2));
    running.add(dead);
    Instant now = Instant.now();
    Task claimed = dead.claimDeliveries("dead", now, now.plusSeconds(2), 1).get(0);
    assertThat(claimed.id()).isEqualTo(t.id());

    Instance live = instance("live", true);
    Task done = awaitDelivery(live.engine(), t.id(), DeliveryState.DELIVERED);

    assertThat(Duration.between(now, done.delivery().deliveredAt()))
        .as("not before the dead claim's lease ran out").isGreaterThanOrEqualTo(
            Duration.ofMillis(1_900));
    assertThat(done.delivery().attempts()).as("the dead attempt counted").isEqualTo(2);
    assertThat(receiver.received("/hook")).singleElement()
        .satisfies(r -> assertThat(r.problems()).isEmpty());
    assertThat(dead.recordDelivery(claimed, claimed.delivery().failed(
        new TaskError("timeout", "late")))).as("the dead claim's late write is fenced out")
        .isEmpty();
    assertThat(readBack(t.id()).delivery().state()).isEqualTo(DeliveryState.DELIVERED);
  }

  @Test
  void aTaskTheReaperFailsIsAnnouncedAndATtlOfZeroWaitsForItsDelivery() {
    receiver.route("/reaped", SECRET, (ex, call) -> WebhookReceiver.status(ex, 200));
    Instance live = instance("live", true);
    // Due in a minute, so no worker here takes it; an instance that then dies claims it now.
    Task t = submit(live.engine(), "ok", "r", "/reaped", 0, 60);
    PostgresTaskStore dead = PostgresTaskStore.open(db.settings(10_000, 2));
    running.add(dead);
    List<Task> taken = dead.claim("dead", null, Instant.now().plusSeconds(61),
        Instant.now().plusSeconds(1), 1);
    assertThat(taken).extracting(Task::id).containsExactly(t.id());

    // Its lease runs out; the live instance's reaper fails the task (it had one attempt), and
    // its deliverer announces that. A TTL of 0 keeps it until then; once delivered it is gone
    // for every reader (so the test watches the receiver, not the task).
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> !receiver.received("/reaped").isEmpty());

    assertThat(receiver.received("/reaped")).singleElement().satisfies(r -> {
      assertThat(r.problems()).isEmpty();
      assertThat(r.json().getString("status")).isEqualTo("failed");
    });
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> live.engine().get(t.id()).isEmpty());
    live.store().lastState(t.id()).ifPresent(last -> {
      // Until the sweep deletes the row, its watchers read how it ended.
      assertThat(last.status()).isEqualTo(TaskStatus.FAILED);
      assertThat(last.error().type()).isEqualTo(TaskError.LEASE_EXPIRED);
      assertThat(last.delivery().state()).isEqualTo(DeliveryState.DELIVERED);
    });
    assertThat(receiver.received("/reaped")).as("delivered once").hasSize(1);
  }

  // ---------------------------------------------------------------- the store alone

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Task stored(long ttl) {
    return Tasks.withCallback(Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL,
        "{\"n\":1}", new Task.Limits(1, 60, ttl), T0, T0, null, null),
        new Callback("https://hooks.example/done?t=1", SECRET));
  }

  /** Inserts {@code tasks} (one batched statement when several), runs and ends them at T0. */
  private static List<Task> ended(PostgresTaskStore store, List<Task> tasks) {
    if (tasks.size() == 1) {
      store.insert(tasks.get(0));
    } else {
      store.insertBatch(tasks).forEach(r -> assertThat(r.value()).isTrue());
    }
    List<Task> done = new ArrayList<>();
    for (Task running : store.claim("worker", T0, T0.plusSeconds(60), tasks.size())) {
      done.add(store.finish(running, new Outcome.Succeeded("[1]", T0)).orElseThrow());
    }
    assertThat(done).hasSize(tasks.size());
    return done;
  }

  @Test
  void aBatchedInsertKeepsEachCallbackAndItsDelivery() {
    try (PostgresTaskStore store = PostgresTaskStore.open(db.settings(10_000, 2))) {
      Task signed = stored(3600);
      Task unsigned = Tasks.withCallback(stored(3600), new Callback("http://127.0.0.1/h", null));
      Task none = Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
          new Task.Limits(1, 60, 3600), T0, T0, null, null);
      store.insertBatch(List.of(signed, unsigned, none));

      assertThat(store.get(signed.id())).contains(signed);
      assertThat(store.get(unsigned.id())).contains(unsigned);
      assertThat(store.get(none.id())).contains(none);
      assertThat(store.get(signed.id()).orElseThrow().delivery()).isEqualTo(Delivery.OWED);
    }
  }

  @Test
  void twoStoresClaimingAtOnceNeverGetOneDelivery() throws Exception {
    int n = 60;
    try (PostgresTaskStore a = PostgresTaskStore.open(db.settings(10_000, 4));
        PostgresTaskStore b = PostgresTaskStore.open(db.settings(10_000, 4))) {
      List<Task> tasks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        tasks.add(stored(3600));
      }
      ended(a, tasks);
      Map<UUID, String> owners = new ConcurrentHashMap<>();
      List<String> twice = new CopyOnWriteArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> claimers = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          PostgresTaskStore store = k % 2 == 0 ? a : b;
          String instance = "deliverer-" + k;
          claimers.add(pool.submit(() -> {
            go.await();
            while (true) {
              List<Task> got = store.claimDeliveries(instance, T0.plusSeconds(1),
                  T0.plusSeconds(3600), 3);
              for (Task t : got) {
                String before = owners.putIfAbsent(t.id(), instance);
                if (before != null) {
                  twice.add(t.id() + " by " + before + " and " + instance);
                }
                assertThat(t.delivery().attempts()).isEqualTo(1);
              }
              if (got.isEmpty() && a.nextDeliveryAt().map(at -> at.isAfter(T0.plusSeconds(1)))
                  .orElse(true)) {
                return null;
              }
            }
          }));
        }
        go.countDown();
        for (Future<?> f : claimers) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(twice).as("deliveries claimed twice").isEmpty();
      assertThat(owners).hasSize(n);
      assertThat(a.nextDeliveryAt()).as("all leased until their lease ends")
          .contains(T0.plusSeconds(3600));
      // Each claim's outcome goes through its own store only (the owners that claimed there).
      Task one = a.get(tasks.get(0).id()).orElseThrow();
      String owner = owners.get(one.id());
      PostgresTaskStore mine = owner.equals("deliverer-0") || owner.equals("deliverer-2") ? a : b;
      PostgresTaskStore other = mine == a ? b : a;
      assertThat(other.recordDelivery(one, one.delivery().delivered(T0.plusSeconds(2))))
          .as("fenced: the other store's instances did not claim it").isEmpty();
      assertThat(mine.recordDelivery(one, one.delivery().delivered(T0.plusSeconds(2))))
          .isPresent();
    }
  }

  @Test
  void theSweepAndTheCapsKeepATaskWhoseDeliveryIsOwedPastItsTtl() throws SQLException {
    // At most 2 finished tasks retained.
    try (PostgresTaskStore store = PostgresTaskStore.open(db.settings(StoreLimits.of(100, 2),
        2))) {
      List<Task> owed = ended(store, List.of(stored(10), stored(0)));
      List<Task> plain = ended(store, List.of(
          Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
              new Task.Limits(1, 60, 7200), T0, T0, null, null),
          Tasks.pending(UUID.randomUUID(), "noop", Priority.NORMAL, "{}",
              new Task.Limits(1, 60, 7200), T0, T0, null, null)));
      assertThat(store.stats().counts()).as("the owed ones count as kept")
          .isEqualTo(new TaskStore.StoreStats(0, 0, 4));

      assertThat(store.sweep(T0.plusSeconds(3600), 100))
          .as("past the TTLs, and four kept where the cap is two: nothing goes").isZero();
      for (Task t : owed) {
        assertThat(store.get(t.id())).as("kept for its delivery").isPresent();
      }
      for (Task t : plain) {
        assertThat(store.get(t.id())).as("within the cap without the owed ones").isPresent();
      }

      List<Task> claimed = store.claimDeliveries("d", T0.plusSeconds(3600),
          T0.plusSeconds(3610), 10);
      assertThat(claimed).extracting(Task::id)
          .containsExactlyInAnyOrderElementsOf(owed.stream().map(Task::id).toList());
      for (Task c : claimed) {
        assertThat(store.recordDelivery(c, c.delivery().delivered(T0.plusSeconds(3601))))
            .isPresent();
      }
      Task ttl0 = owed.get(1);
      assertThat(store.get(ttl0.id())).as("a TTL of 0: gone once delivered").isEmpty();
      assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 3));
      assertThat(store.sweep(T0.plusSeconds(3602), 100)).as("both owed ones expire now")
          .isEqualTo(2);
      assertThat(store.get(owed.get(0).id())).isEmpty();
      assertThat(store.stats().counts()).isEqualTo(new TaskStore.StoreStats(0, 0, 2));
    }
  }

  private Task readBack(UUID id) {
    try (PostgresTaskStore s = PostgresTaskStore.open(db.settings(10_000, 1))) {
      return s.get(id).orElseThrow();
    }
  }
}
