package dev.offload.task;

import java.time.Instant;
import java.util.UUID;

/**
 * An immutable snapshot of one task: what was asked for ({@link Spec}, fixed at submission),
 * where it stands ({@link State}, a new one for every change) and, for a task that names a
 * {@link Callback}, where the announcement of its end stands ({@link Delivery}, null without a
 * callback: it goes on changing after the task's final state). Stores hand these out and take
 * them in.
 *
 * <p>{@code input} and {@code result} are JSON texts, kept as compact strings: cheaper to retain
 * than a parsed tree, and what the database stores anyway. Times are kept as epoch milliseconds
 * ({@link #NO_TIME} when they do not apply yet) and handed out as {@link Instant}s: a retained
 * task then holds no time objects (the memory benchmark counts every one).
 */
public record Task(Spec spec, State state, Delivery delivery) {

  /** The owner of tasks when authentication is switched off ({@code offload.auth=none}). */
  public static final String ANONYMOUS = "anonymous";

  /** A time that does not apply (yet): what null is for the {@link Instant} accessors. */
  public static final long NO_TIME = Long.MIN_VALUE;

  public Task {
    if (spec == null || state == null) {
      throw new IllegalArgumentException("a task needs a spec and a state");
    }
    if ((spec.callback() == null) != (delivery == null)) {
      throw new IllegalArgumentException("task " + spec.id() + ": a delivery goes with a "
          + "callback, and only with one");
    }
  }

  /** A snapshot whose delivery, if it has a callback, is still owed from the start. */
  public Task(Spec spec, State state) {
    this(spec, state, spec == null || spec.callback() == null ? null : Delivery.OWED);
  }

  /**
   * What a client asked for; never changes.
   *
   * @param owner who submitted it (the authenticated principal's name); only they, viewers and
   *     admins see it
   * @param input the input as compact JSON text, as the handler binds it
   * @param inputView the input as views and logs may show it (secrets masked by the handler's
   *     {@link TaskHandler#redact}), or null when that is {@code input} itself
   * @param inputBytes the UTF-8 length of {@code input}: what the byte budgets count
   * @param createdAtMillis when it was submitted, in epoch milliseconds
   * @param fingerprint what makes two submissions "the same request" for an idempotency key
   * @param retryOf the failed or canceled task this one retries (an operator's retry), or null
   * @param callback where its end is announced, or null
   */
  public record Spec(
      UUID id,
      String type,
      String owner,
      Priority priority,
      String input,
      String inputView,
      long inputBytes,
      Limits limits,
      long createdAtMillis,
      String idempotencyKey,
      String fingerprint,
      UUID retryOf,
      Callback callback) {

    public Spec {
      if (id == null || type == null || owner == null || priority == null || limits == null
          || createdAtMillis == NO_TIME) {
        throw new IllegalArgumentException("id, type, owner, priority, limits and createdAt "
            + "are required");
      }
    }

    /** Without a callback (what a task had before callbacks existed). */
    public Spec(UUID id, String type, String owner, Priority priority, String input,
        String inputView, long inputBytes, Limits limits, long createdAtMillis,
        String idempotencyKey, String fingerprint, UUID retryOf) {
      this(id, type, owner, priority, input, inputView, inputBytes, limits, createdAtMillis,
          idempotencyKey, fingerprint, retryOf, null);
    }

    /** The input as a client may see it. */
    public String visibleInput() {
      return inputView != null ? inputView : input;
    }
  }

  /**
   * Where a task stands; each change makes a new one. Times in epoch milliseconds, {@link
   * #NO_TIME} when they do not apply; when a finished task expires follows from {@code
   * finishedAtMillis} and its TTL.
   */
  public record State(
      TaskStatus status,
      int attempts,
      Progress progress,
      long startedAtMillis,
      long finishedAtMillis,
      long nextAttemptAtMillis,
      String result,
      TaskError error) {

    public State {
      if (status == null) {
        throw new IllegalArgumentException("a state needs a status");
      }
    }
  }

  /** Per-task limits, fixed at submission. */
  public record Limits(int maxAttempts, long timeoutSeconds, long resultTtlSeconds) {}

  /** A new pending task, due at {@code dueAt}. */
  public static Task pending(Spec spec, Instant dueAt) {
    return new Task(spec,
        new State(TaskStatus.PENDING, 0, null, NO_TIME, NO_TIME, millis(dueAt), null, null));
  }

  /** Epoch milliseconds of {@code at}, or {@link #NO_TIME} for null. */
  public static long millis(Instant at) {
    return at == null ? NO_TIME : at.toEpochMilli();
  }

  /** The instant of {@code millis}, or null for {@link #NO_TIME}. */
  public static Instant instant(long millis) {
    return millis == NO_TIME ? null : Instant.ofEpochMilli(millis);
  }

  // ---------------------------------------------------------------- the spec, for short

  public UUID id() {
    return spec.id();
  }

  public String type() {
    return spec.type();
  }

  public String owner() {
    return spec.owner();
  }

  public Priority priority() {
    return spec.priority();
  }

  public String input() {
    return spec.input();
  }

  public Limits limits() {
    return spec.limits();
  }

  public Instant createdAt() {
    return Instant.ofEpochMilli(spec.createdAtMillis());
  }

  public String idempotencyKey() {
    return spec.idempotencyKey();
  }

  public String fingerprint() {
    return spec.fingerprint();
  }

  public UUID retryOf() {
    return spec.retryOf();
  }

  public Callback callback() {
    return spec.callback();
  }

  // ---------------------------------------------------------------- the state, for short

  public TaskStatus status() {
    return state.status();
  }

  public int attempts() {
    return state.attempts();
  }

  public Progress progress() {
    return state.progress();
  }

  public Instant startedAt() {
    return instant(state.startedAtMillis());
  }

  public Instant finishedAt() {
    return instant(state.finishedAtMillis());
  }

  /** When a pending task is due; null for any other status. */
  public Instant nextAttemptAt() {
    return status() == TaskStatus.PENDING ? instant(state.nextAttemptAtMillis()) : null;
  }

  /** When the pending task, or the running attempt, was due; else null. */
  public Instant dueAt() {
    return status() == TaskStatus.PENDING || status() == TaskStatus.RUNNING
        ? instant(state.nextAttemptAtMillis()) : null;
  }

  /** When a finished task is forgotten: {@code finishedAt + resultTtlSeconds}; else null. */
  public Instant expiresAt() {
    return instant(expiresAtMillis());
  }

  /** {@link #expiresAt()} in epoch milliseconds, or {@link #NO_TIME}. */
  public long expiresAtMillis() {
    return isTerminal() && state.finishedAtMillis() != NO_TIME
        ? state.finishedAtMillis() + limits().resultTtlSeconds() * 1000
        : NO_TIME;
  }

  public String result() {
    return state.result();
  }

  public TaskError error() {
    return state.error();
  }

  public boolean isTerminal() {
    return state.status().isTerminal();
  }

  /**
   * Whether the end of this task is still to be announced: it has a callback whose delivery is
   * neither delivered nor failed (also while the task has not ended yet). A store keeps such a
   * task past its TTL and its retained caps until the delivery ends.
   */
  public boolean deliveryOwed() {
    return delivery != null && delivery.owed();
  }

  /**
   * When the callback delivery is due, in epoch milliseconds: when the task ended for the first
   * attempt, the retry time after that; {@link #NO_TIME} while the task runs or nothing is owed.
   */
  public long deliveryDueAtMillis() {
    if (!deliveryOwed() || !isTerminal()) {
      return NO_TIME;
    }
    return delivery.nextAttemptAtMillis() != NO_TIME ? delivery.nextAttemptAtMillis()
        : state.finishedAtMillis();
  }

  /** The same task with its delivery at {@code next}. */
  public Task withDelivery(Delivery next) {
    return new Task(spec, state, next);
  }

  /** Bytes of input and result text this snapshot holds (UTF-8). */
  public long bytes() {
    return spec.inputBytes() + Utf8.length(state.result());
  }

  /**
   * How every log line names a task: {@code task 6f1c… (owner alice, type sleep)}. One form
   * everywhere, so that one grep for the id (or for {@code owner alice}) follows a task through
   * its submit, attempts, retries and end, on every instance. Control characters in the owner
   * (a principal's name is the container's business) are shown as {@code ?}, so a name cannot
   * forge a log line of its own.
   */
  public String logName() {
    return "task " + id() + " (owner " + printable(owner()) + ", type " + type() + ")";
  }

  private static String printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars().forEach(c -> b.append(Character.isISOControl(c) ? '?' : (char) c));
        return b.toString();
      }
    }
    return s;
  }

  // ---------------------------------------------------------------- transitions

  /**
   * Claimed by a worker: the next attempt starts. The running snapshot remembers when the
   * attempt was due ({@link #dueAt()}), so how long it waited in the queue can be told.
   */
  public Task started(Instant now) {
    requireStatus(TaskStatus.PENDING);
    return with(new State(TaskStatus.RUNNING, attempts() + 1, null, millis(now), NO_TIME,
        state.nextAttemptAtMillis(), null, error()));
  }



  public Task withProgress(Progress p) {
    requireStatus(TaskStatus.RUNNING);
    State s = state;
    return with(new State(s.status(), s.attempts(), p, s.startedAtMillis(),
        s.finishedAtMillis(), s.nextAttemptAtMillis(), s.result(), s.error()));
  }

  /** The last progress is kept: it shows how the attempt ended (both stores agree on this). */
  public Task succeeded(String resultJson, Instant now) {
    requireStatus(TaskStatus.RUNNING);
    return with(new State(TaskStatus.SUCCESS, attempts(), progress(), state.startedAtMillis(),
        millis(now), NO_TIME, resultJson, null));
  }

  public Task failed(TaskError e, Instant now) {
    return with(new State(TaskStatus.FAILED, attempts(), progress(), state.startedAtMillis(),
        millis(now), NO_TIME, null, e));
  }

  /** Back to pending after a failed attempt; {@code attempts} keeps counting. */
  public Task retrying(TaskError e, Instant dueAt) {
    requireStatus(TaskStatus.RUNNING);
    return with(new State(TaskStatus.PENDING, attempts(), progress(), state.startedAtMillis(),
        NO_TIME, millis(dueAt), null, e));
  }

  /** Handed back to the queue without counting the attempt (graceful stop of a durable store). */
  public Task handedBack(Instant now) {
    requireStatus(TaskStatus.RUNNING);
    return with(new State(TaskStatus.PENDING, attempts() - 1, null, state.startedAtMillis(),
        NO_TIME, millis(now), null, error()));
  }

  public Task canceled(Instant now) {
    if (isTerminal()) {
      throw new IllegalStateException("task " + id() + " is already " + status().wire());
    }
    return with(new State(TaskStatus.CANCELED, attempts(), progress(), state.startedAtMillis(),
        millis(now), NO_TIME, null, null));
  }

  /** Whether another attempt is allowed after the current one fails. */
  public boolean hasAttemptsLeft() {
    return attempts() < limits().maxAttempts();
  }

  private Task with(State next) {
    return new Task(spec, next, delivery);
  }

  private void requireStatus(TaskStatus expected) {
    if (status() != expected) {
      throw new IllegalStateException(
          "task " + id() + " is " + status().wire() + ", expected " + expected.wire());
    }
  }
}
