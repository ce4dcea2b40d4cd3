package dev.offload.webhooks;

import dev.offload.engine.Backoff;
import dev.offload.engine.Deliveries;
import dev.offload.engine.OwnedThreadFactory;
import dev.offload.outbound.OutboundHttp;
import dev.offload.outbound.StandardWebhooks;
import dev.offload.outbound.Urls;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Announces the end of tasks that name a callback: POSTs the task's view to the callback's URL,
 * signed as Standard Webhooks describes, and tries again with exponential backoff (and no
 * sooner than the receiver's {@code Retry-After}) until a 2xx answer or the end of the retry
 * window, counted from the task's end.
 *
 * <p>It owes nothing itself: what is owed lives in the store, with the task ({@link
 * Deliveries}). A poller thread ({@code offload-webhook-poller}) claims due deliveries, each
 * under a lease of this instance, as many as it has free senders ({@code offload-webhook-N}),
 * and waits until the next one is due, until a task ends here, or at most {@code maxIdle} (for
 * what other instances leave behind). Each attempt's outcome is written fenced on its claim, so
 * an instance whose lease expired mid-attempt changes nothing; its delivery has been claimed
 * again elsewhere (at least once: the receiver may see a message twice, with the same {@code
 * webhook-id}).
 *
 * <p>Built, started and {@linkplain #close stopped} by the servlet context listener, every wait
 * bounded. A delivery in flight when it stops is interrupted and handed back, still owed: with
 * PostgreSQL another instance or the next start sends it; with the memory store it is lost with
 * the process.
 */
public final class WebhookDeliverer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WebhookDeliverer.class.getName());
  private static final String USER_AGENT = "Offload";

  /**
   * How deliveries are made.
   *
   * @param threads deliveries sent at once by this instance
   * @param retryWindow how long after the task's end a delivery is still tried
   * @param retryBase the first retry's backoff ceiling; doubled per attempt (full jitter)
   * @param retryMax the largest backoff ceiling
   * @param timeout one attempt, from connecting to the answer's head
   * @param lease how long a claimed delivery is this instance's: longer than an attempt
   * @param maxIdle the longest wait between two looks at the store
   */
  public record Settings(
      int threads,
      Duration retryWindow,
      Duration retryBase,
      Duration retryMax,
      Duration timeout,
      Duration lease,
      Duration maxIdle) {

    public Settings {
      if (threads < 1 || retryWindow.isNegative() || !positive(retryBase)
          || retryMax.compareTo(retryBase) < 0 || !positive(timeout)
          || lease.compareTo(timeout) <= 0 || !positive(maxIdle)) {
        throw new IllegalArgumentException("invalid webhook settings: " + this);
      }
    }

    /** 4 senders, an hour of retries from 5 s up to 10 min apart, 10 s per attempt. */
    public static Settings defaults() {
      return new Settings(4, Duration.ofHours(1), Duration.ofSeconds(5), Duration.ofMinutes(10),
          Duration.ofSeconds(10), Duration.ofSeconds(40), Duration.ofSeconds(1));
    }

    private static boolean positive(Duration d) {
      return !d.isNegative() && !d.isZero();
    }
  }

  /** What happened to delivery attempts here (metrics); quick, and must not throw. */
  public interface Events {
    /** Nothing to tell anyone. */
    Events NONE = new Events() {};

    /** An attempt ended and {@code next} was recorded: delivered, retrying or failed. */
    default void attempted(Task task, Delivery next) {}
  }

  private final Settings settings;
  private final Deliveries deliveries;
  private final OutboundHttp http;
  private final Function<Task, String> views;
  private final Backoff backoff;
  private final Events events;
  private final Clock clock;
  private final Semaphore free;
  private final OwnedThreadFactory senderThreads = OwnedThreadFactory.numbered("offload-webhook-");
  private final ExecutorService senders;
  private final OwnedThreadFactory pollerThread = OwnedThreadFactory.named("offload-webhook-poller");
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final AtomicInteger handedBack = new AtomicInteger();
  // Guarded by lock.
  private long wakeups;
  private long storeFailures;
  private boolean started;
  private volatile boolean stopping;
  private Thread poller;

  /**
   * @param http how it calls out; the deliverer owns it from now on and closes it when it stops
   * @param views a task as its view's JSON text: the body of every delivery
   * @param random uniform in [0, 1), for the backoff's jitter
   */
  public WebhookDeliverer(Settings settings, Deliveries deliveries, OutboundHttp http,
      Function<Task, String> views, DoubleSupplier random, Events events) {
    this.settings = settings;
    this.deliveries = deliveries;
    this.http = http;
    this.views = views;
    this.backoff = new Backoff(settings.retryBase(), settings.retryMax(), random);
    this.events = events;
    this.clock = deliveries.clock();
    this.free = new Semaphore(settings.threads());
    this.senders = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30,
        TimeUnit.SECONDS, new SynchronousQueue<>(), senderThreads);
    // A task that ends here is delivered now, not at the poller's next look.
    deliveries.onEnded(t -> wakeUp());
  }

  /** Starts the poller; deliveries already owed (from before a restart) are sent at once. */
  public void start() {
    lock.lock();
    try {
      if (started) {
        throw new IllegalStateException("the webhook deliverer was already started");
      }
      started = true;
      poller = pollerThread.newThread(this::pollLoop);
      poller.start();
    } finally {
      lock.unlock();
    }
    LOG.info(() -> "Offload webhook deliverer started: " + settings.threads() + " senders, "
        + "retries for " + settings.retryWindow().toSeconds() + " s after a task ends");
  }

  /** Look for due deliveries now. */
  public void wakeUp() {
    lock.lock();
    try {
      wakeups++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- the poller

  private void pollLoop() {
    while (!stopping) {
      long seen;
      lock.lock();
      try {
        seen = wakeups;
      } finally {
        lock.unlock();
      }
      Duration wait;
      try {
        wait = pollOnce();
      } catch (RuntimeException | Error e) {
        // A poller that died would leave every delivery owed: log once, back off, go on.
        wait = storeFailed(e);
      }
      if (wait.isZero()) {
        continue;
      }
      lock.lock();
      try {
        if (wakeups == seen && !stopping) {
          changed.awaitNanos(wait.toNanos());
        }
      } catch (InterruptedException e) {
        return; // stopping
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Claims what the free senders can take, when something is due, and hands it to them; returns
   * how long to wait before the next look (zero: look again at once). Idle, that is one read of
   * the next due time per look.
   */
  private Duration pollOnce() {
    int slots = free.availablePermits();
    if (slots == 0) {
      return settings.maxIdle(); // a sender that finishes wakes the poller
    }
    Optional<Instant> next = deliveries.nextDueAt();
    resetFailures();
    Duration max = settings.maxIdle();
    if (next.isEmpty()) {
      return max;
    }
    Duration until = Duration.between(clock.instant(), next.get());
    if (until.compareTo(Duration.ZERO) > 0) {
      return until.compareTo(max) > 0 ? max : until;
    }
    List<Task> claimed = deliveries.claim(settings.lease(), slots);
    for (Task t : claimed) {
      if (!free.tryAcquire()) {
        release(t); // cannot happen: only the poller takes permits
        continue;
      }
      try {
        senders.execute(() -> {
          try {
            deliver(t);
          } finally {
            free.release();
            wakeUp();
          }
        });
      } catch (RejectedExecutionException e) {
        free.release();
        release(t); // stopping
      }
    }
    // Due, yet nothing to claim: another instance's claim or write holds the row this moment
    // (PostgreSQL skips locked rows). A short pause keeps this from spinning.
    return claimed.isEmpty() ? Duration.ofMillis(10) : Duration.ZERO;
  }

  private Duration storeFailed(Throwable e) {
    long n;
    lock.lock();
    try {
      n = ++storeFailures;
    } finally {
      lock.unlock();
    }
    if (n == 1 || n % 100 == 0) {
      LOG.log(Level.WARNING, "looking for webhook deliveries failed (" + n + " times in a row); "
          + "the deliverer backs off and tries again", e);
    }
    long millis = Math.min(settings.maxIdle().toMillis(), 100L << Math.min(n, 10));
    return Duration.ofMillis(Math.max(1, millis));
  }

  private void resetFailures() {
    lock.lock();
    try {
      storeFailures = 0;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- one attempt

  /** The outcome of one attempt, before it is turned into the delivery's next state. */
  private record Attempt(TaskError error, boolean permanent, Duration retryAfter) {
    static final Attempt DELIVERED = new Attempt(null, false, null);
  }

  /** Sends one claimed delivery and records how it went. */
  void deliver(Task claimed) {
    Attempt outcome;
    try {
      outcome = send(claimed);
    } catch (InterruptedException e) {
      // Stopping: the delivery stays owed, as if never claimed.
      release(claimed);
      return;
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, claimed.logName() + ": callback delivery attempt "
          + claimed.delivery().attempts() + " failed unexpectedly", e);
      outcome = new Attempt(new TaskError(e.getClass().getSimpleName(),
          "the delivery failed inside Offload; the server log has the details"), false, null);
    }
    Instant now = now();
    Delivery next = next(claimed, outcome, now);
    Optional<Task> recorded;
    try {
      recorded = deliveries.record(claimed, next);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, claimed.logName() + ": the outcome of callback delivery attempt "
          + claimed.delivery().attempts() + " could not be recorded; it is tried again once "
          + "its lease expires", e);
      return;
    }
    if (recorded.isEmpty()) {
      LOG.info(() -> claimed.logName() + ": callback delivery attempt "
          + claimed.delivery().attempts() + " ended after its lease had expired; its outcome "
          + "is discarded (the delivery was claimed again)");
      return;
    }
    log(claimed, next);
    events.attempted(recorded.get(), next);
  }

  private Attempt send(Task t) throws InterruptedException {
    URI uri;
    try {
      uri = Urls.check(t.callback().url(), "the callback URL");
    } catch (Urls.BadUrl e) {
      return new Attempt(new TaskError("bad-callback", e.getMessage()), true, null);
    }
    // The view as it was when the task ended (its delivery owed, no attempt yet): the same
    // bytes on every attempt and on every instance, so one webhook-id names one payload.
    byte[] body = views.apply(t.withDelivery(Delivery.OWED)).getBytes(StandardCharsets.UTF_8);
    String id = messageId(t);
    long timestamp = clock.instant().getEpochSecond();
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("User-Agent", USER_AGENT);
    headers.put(StandardWebhooks.ID, id);
    headers.put(StandardWebhooks.TIMESTAMP, Long.toString(timestamp));
    if (t.callback().signed()) {
      headers.put(StandardWebhooks.SIGNATURE, StandardWebhooks.signature(
          StandardWebhooks.key(t.callback().secret()), id, timestamp, body));
    }
    Duration timeout = settings.timeout();
    OutboundHttp.Answer answer;
    try {
      // The answer's body is not wanted: its head says it all, and nothing unread is kept.
      answer = http.exchange(new OutboundHttp.Request("POST", uri, headers, body, info -> 0,
          System.nanoTime() + timeout.toNanos(), timeout));
    } catch (OutboundHttp.Failure f) {
      return new Attempt(new TaskError(f.type(), f.getMessage()), f.permanent()
          && f.type().equals("forbidden-address"), null);
    }
    int status = answer.status();
    if (status >= 200 && status < 300) {
      return Attempt.DELIVERED;
    }
    Duration after = answer.headers().firstValue("retry-after")
        .flatMap(v -> OutboundHttp.retryAfter(v, clock)).orElse(null);
    return new Attempt(new TaskError("http-" + status,
        "POST " + OutboundHttp.origin(uri) + " answered " + status), false, after);
  }

  /**
   * The next state after an attempt: delivered; failed for good (a forbidden address, or no
   * retry left within the window); else retrying after the backoff, and no sooner than the
   * receiver's Retry-After.
   */
  private Delivery next(Task claimed, Attempt a, Instant now) {
    Delivery d = claimed.delivery();
    if (a.error() == null) {
      return d.delivered(now);
    }
    if (a.permanent()) {
      return d.failed(a.error());
    }
    Duration delay = backoff.delay(d.attempts());
    if (a.retryAfter() != null && a.retryAfter().compareTo(delay) > 0) {
      delay = a.retryAfter();
    }
    Instant end = claimed.finishedAt().plus(settings.retryWindow());
    Instant at = now.plus(delay);
    return at.isAfter(end) ? d.failed(a.error()) : d.retrying(a.error(), at);
  }

  /**
   * The {@code webhook-id} of a task's one message: stable across its retries and instances,
   * so a receiver that saw it once can drop a repeat.
   */
  static String messageId(Task t) {
    return "msg_" + t.id();
  }

  private static void log(Task claimed, Delivery next) {
    String attempt = claimed.logName() + ": callback delivery attempt " + next.attempts()
        + " to " + origin(claimed);
    if (next.state() == DeliveryState.DELIVERED) {
      LOG.fine(() -> attempt + " delivered");
    } else if (next.state() == DeliveryState.FAILED) {
      LOG.warning(() -> attempt + " failed: " + next.lastError().type() + ": "
          + next.lastError().message() + "; the delivery failed, no more attempts");
    } else {
      LOG.warning(() -> attempt + " failed: " + next.lastError().type() + ": "
          + next.lastError().message() + "; retry at " + next.nextAttemptAt());
    }
  }

  /** What a log line shows of the callback: its origin (the path and query carry tokens). */
  private static String origin(Task t) {
    try {
      return OutboundHttp.origin(Urls.check(t.callback().url(), "the callback URL"));
    } catch (Urls.BadUrl e) {
      return "(an invalid URL)";
    }
  }

  private void release(Task claimed) {
    try {
      if (deliveries.release(claimed).isPresent()) {
        handedBack.incrementAndGet();
      }
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, claimed.logName() + ": handing the callback delivery back failed; "
          + "it is taken again when its lease expires", e);
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  // ---------------------------------------------------------------- stopping

  /**
   * Stops claiming, interrupts the deliveries in flight (they stay owed: handed back) and stops
   * every thread, the outbound client's too; each wait bounded. Safe to call twice.
   */
  @Override
  public void close() {
    Thread p;
    lock.lock();
    try {
      if (stopping) {
        return;
      }
      stopping = true;
      changed.signalAll();
      p = poller;
    } finally {
      lock.unlock();
    }
    try {
      if (p != null) {
        p.interrupt();
        p.join(2_000);
        if (p.isAlive()) {
          LOG.warning("offload-webhook-poller did not stop within 2 s");
        }
      }
      senders.shutdownNow();
      if (!senders.awaitTermination(5, TimeUnit.SECONDS) || !senderThreads.join(2_000)) {
        LOG.warning("offload-webhook senders did not stop within 5 s");
      }
      pollerThread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
    int back = handedBack.get();
    if (back > 0) {
      LOG.info(() -> back + " callback deliveries in flight were stopped and left owed; "
          + (deliveries.durable() ? "another instance or the next start delivers them"
              : "the memory store keeps nothing across a restart"));
    }
  }
}
