package dev.offload.engine;

import dev.offload.task.InvalidInputException;
import dev.offload.task.Priority;
import dev.offload.task.Task;
import dev.offload.task.TaskHandler;
import dev.offload.task.Utf8;
import jakarta.json.JsonValue;
import jakarta.json.bind.JsonbException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every check a submission must pass before it becomes a pending task: a known type, limits
 * within range, an input its handler binds and accepts. What depends on what else is queued
 * (capacity, an owner's quota, an idempotency key) the store decides, exactly, when it inserts.
 */
final class Admission {
  private static final Logger LOG = Logger.getLogger(Admission.class.getName());

  private final EngineConfig config;
  private final HandlerRegistry handlers;
  private final JsonCodec json;
  private final Clock clock;
  private final Interner<String> owners = new Interner<>(10_000);
  private final Interner<Task.Limits> limits = new Interner<>(1_000);

  Admission(EngineConfig config, HandlerRegistry handlers, JsonCodec json, Clock clock) {
    this.config = config;
    this.handlers = handlers;
    this.json = json;
    this.clock = clock;
  }

  /**
   * The pending task {@code r} asks for.
   *
   * @throws InvalidTaskException with a message for the client
   */
  Task admit(SubmitRequest r) {
    return admit(r, null);
  }

  /** The pending task {@code r} asks for, retrying task {@code retryOf} (or null). */
  Task admit(SubmitRequest r, UUID retryOf) {
    TaskHandler<?, ?> handler = handlerFor(r.type());
    long timeout = range("timeoutSeconds", r.timeoutSeconds(),
        config.defaultTimeout().toSeconds(), 1, config.maxTimeout().toSeconds());
    long attempts = range("maxAttempts", r.maxAttempts(), 1, 1, config.maxAttempts());
    long delay = range("delaySeconds", r.delaySeconds(), 0, 0, config.maxDelay().toSeconds());
    long ttl = range("resultTtlSeconds", r.resultTtlSeconds(),
        config.defaultResultTtl().toSeconds(), 0, config.maxResultTtl().toSeconds());
    String input = r.input() == null ? "null" : r.input();
    String inputView = bindAndValidate(handler, input);

    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Priority priority = r.priority() != null ? r.priority() : Priority.NORMAL;
    String fingerprint = r.idempotencyKey() == null ? null
        : fingerprint(r.type(), input, priority.wire(), timeout, attempts, delay, ttl);
    // The registry's own type name and one copy of each owner's name: a retained task then
    // holds no string of its own for either (the memory benchmark counts every byte).
    Task.Spec spec = new Task.Spec(UUID.randomUUID(), handler.type(), owners.of(r.owner()),
        priority, input, inputView, Utf8.length(input),
        limits.of(new Task.Limits((int) attempts, timeout, ttl)), now.toEpochMilli(),
        r.idempotencyKey(), fingerprint, retryOf);
    return Task.pending(spec, now.plusSeconds(delay));
  }

  private TaskHandler<?, ?> handlerFor(String type) {
    if (type == null || type.isBlank()) {
      throw new InvalidTaskException(
          "'type' is required; known types: " + String.join(", ", handlers.types()),
          handlers.types());
    }
    return handlers.find(type).orElseThrow(() -> new InvalidTaskException(
        "unknown task type '" + type + "'; known types: " + String.join(", ", handlers.types()),
        handlers.types()));
  }

  private static long range(String name, Long value, long dflt, long min, long max) {
    long v = value == null ? dflt : value;
    if (v < min || v > max) {
      throw new InvalidTaskException(
          "'" + name + "' must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  /**
   * Binds the input as the handler will at run time and lets the handler check it; returns the
   * input as views may show it, or null when that is the input itself.
   */
  private <I> String bindAndValidate(TaskHandler<I, ?> handler, String input) {
    I bound;
    try {
      // The input's shape is checked against the type before JSON-B binds it: exact or refused.
      bound = json.bindInput(handler.inputType(), input, null, "input");
    } catch (InputShape.Mismatch e) {
      throw new InvalidTaskException(
          "'input' does not fit type '" + handler.type() + "': " + e.getMessage());
    } catch (StrictJson.Violation e) {
      throw new InvalidTaskException("'input' is not valid JSON: " + e.getMessage());
    } catch (JsonbException e) {
      // JSON-B's messages name Java classes: the client gets the type, the log the reason.
      LOG.log(Level.FINE, "input of type '" + handler.type() + "' passed the shape check but "
          + "JSON-B refused it", e);
      throw new InvalidTaskException("'input' does not fit type '" + handler.type() + "'");
    }
    if (bound == null) {
      throw new InvalidTaskException("'input' is required for type '" + handler.type() + "'");
    }
    if (!handler.inputType().isInstance(bound)) {
      // JSON-B hands any JSON tree to a handler asking for one kind (an array for an object).
      throw new InvalidTaskException("'input' does not fit type '" + handler.type() + "': got "
          + (bound instanceof JsonValue v
              ? "a JSON " + v.getValueType().name().toLowerCase(Locale.ROOT)
              : "another kind of value"));
    }
    try {
      handler.validate(bound);
    } catch (InvalidInputException e) {
      throw new InvalidTaskException(
          "invalid input for type '" + handler.type() + "': " + e.getMessage());
    }
    I shown = handler.redact(bound);
    return shown == bound || Objects.equals(shown, bound) ? null : json.toJson(shown);
  }

  private static String fingerprint(Object... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Object p : parts) {
        sha.update(String.valueOf(p).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
