package dev.offload.web.metrics;

import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.offload.engine.Health;
import dev.offload.engine.TaskEvents;
import dev.offload.store.TaskStore;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Task;
import dev.offload.webhooks.WebhookDeliverer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Collection;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Offload's metrics: one Micrometer registry with the Prometheus text format, owned by the web
 * application (built by its listener, closed when it stops; never Micrometer's global registry,
 * which would outlive an undeploy and mix two deployments' meters).
 *
 * <p>It gathers what happens to tasks ({@link #events()}, told by the engine), the calls of the
 * task store ({@link #timed}), the PostgreSQL pool ({@link #connectionPool()}) and listener
 * ({@link #listenerReconnects}), the state the engine reports in its health (read once per
 * scrape), the open waits, and the JVM's memory, garbage collection and threads.
 *
 * <p>A plain library: no servlet here, so a test drives it without a container.
 */
public final class OffloadMetrics implements AutoCloseable {
  /** The Prometheus text format, version 0.0.4, which every Prometheus scrapes. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final TaskMetrics tasks;
  private final WebhookDeliverer.Events webhooks;
  private volatile Supplier<Health> healthSource;
  /** What the engine's health said at the last scrape; null before the first. */
  private volatile Health health;
  /**
   * Held here: a function counter keeps its object only weakly, and a method reference nobody
   * else holds would be collected, leaving the counter reading NaN.
   */
  private volatile LongSupplier listenerReconnects = () -> 0;
  private boolean closed;

  /** @param types the task types this instance offers: the values of the {@code type} label */
  public OffloadMetrics(Collection<String> types) {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    // Listens to the JVM's GC notifications: removed again by close(), or the listener would
    // keep this web application's class loader alive after an undeploy.
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    tasks = new TaskMetrics(registry, types);
    webhooks = webhookEvents();
  }

  /**
   * {@code offload_webhook_deliveries_total{outcome}}: delivery attempts made here that were
   * {@code delivered}, will be tried again ({@code retry}), or ended the delivery as {@code
   * failed}. Registered up front, so every series exists at 0.
   */
  private WebhookDeliverer.Events webhookEvents() {
    java.util.Map<String, Counter> byOutcome = new java.util.HashMap<>();
    for (String outcome : java.util.List.of("delivered", "retry", "failed")) {
      byOutcome.put(outcome, Counter.builder("offload.webhook.deliveries")
          .description("Callback delivery attempts made by this instance, by outcome: "
              + "delivered, retry (failed, tried again later), failed (no more attempts)")
          .tag("outcome", outcome)
          .register(registry));
    }
    return new WebhookDeliverer.Events() {
      @Override
      public void attempted(Task task, Delivery next) {
        String outcome = next.state() == DeliveryState.DELIVERED ? "delivered"
            : next.state() == DeliveryState.FAILED ? "failed" : "retry";
        byOutcome.get(outcome).increment();
      }
    };
  }

  /** What the webhook deliverer tells of its attempts, counted. */
  public WebhookDeliverer.Events webhooks() {
    return webhooks;
  }

  /** What the engine tells of tasks, counted. */
  public TaskEvents events() {
    return tasks;
  }

  /** {@code store}, with every call timed by operation. */
  public TaskStore timed(TaskStore store) {
    return new TimedTaskStore(store, registry);
  }

  /** HikariCP's own Micrometer meters ({@code hikaricp_connections_*}) for a pool. */
  public MetricsTrackerFactory connectionPool() {
    return new MicrometerMetricsTrackerFactory(registry);
  }

  /** The reconnects of the PostgreSQL notification listener, as the store counts them. */
  public void listenerReconnects(LongSupplier reconnects) {
    this.listenerReconnects = reconnects;
    FunctionCounter.builder("offload.pg.listener.reconnects", this,
            m -> m.listenerReconnects.getAsLong())
        .description("Times the PostgreSQL notification listener connected again after it "
            + "lost its connection")
        .register(registry);
  }

  /**
   * Gauges of the queue, workers and retained tasks, read from {@code health} once per scrape
   * (with PostgreSQL that is a query; the figures are the whole database's, so in a shared
   * store every instance reports the same queue). A figure the store could not give is NaN.
   */
  public void engine(Supplier<Health> health) {
    this.healthSource = health;
    gauge("offload.queue.depth", null, "Pending tasks", Health::queueDepth);
    gauge("offload.queue.capacity", null, "Pending tasks accepted at most "
        + "(offload.queue.capacity)", Health::queueCapacity);
    gauge("offload.queue.bytes", "bytes", "Bytes of input of the pending tasks",
        Health::pendingBytes);
    gauge("offload.queue.capacity.bytes", "bytes", "Bytes of pending input accepted at most "
        + "(offload.queue.bytes.max; +Inf: no limit)", h -> h.limits().queueBytes());
    gauge("offload.queue.owners", null, "Owners with pending tasks", Health::pendingOwners);
    gauge("offload.tasks.running", null, "Running tasks", Health::running);
    gauge("offload.workers.busy", null, "Workers of this instance running a task",
        h -> h.workersBusy());
    gauge("offload.workers", null, "Workers of this instance (offload.workers)",
        h -> h.workersTotal());
    gauge("offload.tasks.retained", null, "Finished tasks kept until they expire",
        Health::retained);
    gauge("offload.retained.bytes", "bytes", "Bytes of input and result of the finished tasks "
        + "kept", Health::retainedBytes);
  }

  /** The open long-polls ({@code ?wait}, {@code Prefer: wait}) and event streams. */
  public void waits(IntSupplier polls, IntSupplier streams, int max) {
    Gauge.builder("offload.waits.open", polls, IntSupplier::getAsInt)
        .description("Open waits: long-polls and Prefer: wait (poll), event streams (stream)")
        .tag("kind", "poll").strongReference(true).register(registry);
    Gauge.builder("offload.waits.open", streams, IntSupplier::getAsInt)
        .description("Open waits: long-polls and Prefer: wait (poll), event streams (stream)")
        .tag("kind", "stream").strongReference(true).register(registry);
    Gauge.builder("offload.waits.max", () -> max)
        .description("Open waits accepted at most, all owners (offload.waits.max)")
        .strongReference(true).register(registry);
  }

  private void gauge(String name, String unit, String description, ToLongFunction<Health> f) {
    Gauge.builder(name, this, m -> m.read(f))
        .description(description)
        .baseUnit(unit)
        .strongReference(true)
        .register(registry);
  }

  private double read(ToLongFunction<Health> f) {
    Health h = health;
    if (h == null) {
      return Double.NaN;
    }
    long v = f.applyAsLong(h);
    if (v == Long.MAX_VALUE) {
      return Double.POSITIVE_INFINITY; // a limit that is not set
    }
    return v < 0 ? Double.NaN : v; // -1: the store could not be read
  }

  /** Every meter in the Prometheus text format ({@link #CONTENT_TYPE}). */
  public String scrape() {
    Supplier<Health> source = healthSource;
    // Once per scrape, not once per gauge: with PostgreSQL, health is a query.
    health = source == null ? null : source.get();
    return registry.scrape();
  }

  /** Stops listening to the JVM's GC notifications and closes the registry; safe twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    gc.close();
    registry.close();
  }
}
