package dev.offload.engine;

import dev.offload.outbound.AddressRules;
import dev.offload.outbound.StandardWebhooks;
import dev.offload.outbound.Urls;
import dev.offload.task.Callback;
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
import java.net.InetAddress;
import java.net.URI;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every check a submission must pass before it becomes a pending task: a known type, limits
 * within range, an input its handler binds and accepts, a callback Offload may call. What
 * depends on what else is queued (capacity, an owner's quota, an idempotency key) the store
 * decides, exactly, when it inserts.
 */
final class Admission {
  private static final Logger LOG = Logger.getLogger(Admission.class.getName());

  private final EngineConfig config;
  private final HandlerRegistry handlers;
  private final JsonCodec json;
  private final Clock clock;
  private final AddressRules callbackRules;
  private final Interner<String> owners = new Interner<>(10_000);
  private final Interner<Task.Limits> limits = new Interner<>(1_000);

  /**
   * @param callbackRules where a callback may point (the {@code http} type's rules); null when
   *     this instance takes no callbacks
   */
  Admission(EngineConfig config, HandlerRegistry handlers, JsonCodec json, Clock clock,
      AddressRules callbackRules) {
    this.config = config;
    this.handlers = handlers;
    this.json = json;
    this.clock = clock;
    this.callbackRules = callbackRules;
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
    Callback callback = callback(r.callback());

    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Priority priority = r.priority() != null ? r.priority() : Priority.NORMAL;
    String fingerprint = r.idempotencyKey() == null ? null
        : fingerprint(r.type(), input, priority.wire(), timeout, attempts, delay, ttl,
            callback == null ? null : callback.url(),
            callback == null ? null : callback.secret());
    // The registry's own type name and one copy of each owner's name: a retained task then
    // holds no string of its own for either (the memory benchmark counts every byte).
    Task.Spec spec = new Task.Spec(UUID.randomUUID(), handler.type(), owners.of(r.owner()),
        priority, input, inputView, Utf8.length(input),
        limits.of(new Task.Limits((int) attempts, timeout, ttl)), now.toEpochMilli(),
        r.idempotencyKey(), fingerprint, retryOf, callback);
    return Task.pending(spec, now.plusSeconds(delay));
  }

  /**
   * The callback as it is kept (the URL without its fragment), or null. Refused (422) when the
   * URL is not one Offload calls, its host is an address the rules refuse without a lookup (a
   * literal address, a metadata name), or the secret is not {@code whsec_} and a key in base64.
   * A name that resolves to a refused address fails the delivery later, as for the http type:
   * what it resolves to at submission proves nothing about delivery time.
   */
  private Callback callback(Callback c) {
    if (c == null) {
      return null;
    }
    if (callbackRules == null) {
      throw new InvalidTaskException("this server takes no 'callback' (offload.webhook.enabled "
          + "is false)");
    }
    URI uri;
    try {
      uri = Urls.check(c.url(), "'callback.url'");
    } catch (Urls.BadUrl e) {
      throw new InvalidTaskException(e.getMessage());
    }
    Optional<InetAddress> literal = AddressRules.literal(uri.getHost());
    Optional<String> why = literal.isPresent()
        ? callbackRules.refusal(literal.get()) : callbackRules.nameRefusal(uri.getHost());
    if (why.isPresent()) {
      throw new InvalidTaskException("the host of 'callback.url' is " + why.get()
          + ", which Offload does not call (offload.http.allow names trusted destinations)");
    }
    if (c.secret() != null) {
      try {
        StandardWebhooks.key(c.secret());
      } catch (IllegalArgumentException e) {
        // The message says what is wrong with the form; it never quotes the secret.
        throw new InvalidTaskException("'callback.secret' " + e.getMessage());
      }
    }
    return new Callback(uri.toString(), c.secret());
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
