package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.engine.StrictJson;
import dev.offload.engine.SubmitRequest;
import dev.offload.task.Callback;
import dev.offload.task.Priority;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns a {@code POST /api/tasks} request into a {@link SubmitRequest}, checking everything that
 * is about HTTP and JSON shape: media type (415), size (413, without reading past the limit),
 * UTF-8, strict JSON (one value, no duplicate names, no lone surrogates, nesting depth; see
 * {@link StrictJson}), the top-level fields (400), and their JSON types (422). Whether the input
 * fits the task type is the engine's business.
 */
final class SubmitReader {
  static final List<String> FIELDS = List.of("type", "input", "priority", "timeoutSeconds",
      "maxAttempts", "delaySeconds", "resultTtlSeconds", "callback");
  static final List<String> CALLBACK_FIELDS = List.of("url", "secret");
  private static final int MAX_IDEMPOTENCY_KEY = 255;
  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private final JsonCodec json;
  private final long maxBytes;
  private final StrictJson strict;

  SubmitReader(JsonCodec json, long maxBytes, int maxDepth) {
    this.json = json;
    this.maxBytes = maxBytes;
    this.strict = new StrictJson(maxDepth);
  }

  /** The submission in {@code req}, made by {@code owner}. */
  SubmitRequest read(HttpServletRequest req, String owner) throws IOException {
    String key = idempotencyKey(req.getHeader("Idempotency-Key"));
    JsonObject obj = readObject(req, FIELDS);
    JsonValue input = obj.get("input");
    return new SubmitRequest(
        owner,
        string(obj, "type"),
        input == null ? null : json.toJson(input),
        priority(string(obj, "priority")),
        integer(obj, "timeoutSeconds"),
        integer(obj, "maxAttempts"),
        integer(obj, "delaySeconds"),
        integer(obj, "resultTtlSeconds"),
        key,
        callback(obj.get("callback")));
  }

  /**
   * {@code "callback": {"url": ..., "secret"?: ...}}, or null. A member it does not know is a
   * 400, as at the top level; a value of the wrong kind a 422. What the URL and the secret must
   * be (an address Offload calls, a {@code whsec_} key) the engine checks.
   */
  private static Callback callback(JsonValue v) {
    if (v == null || v == JsonValue.NULL) {
      return null;
    }
    if (!(v instanceof JsonObject c)) {
      throw Problem.unprocessable("'callback' must be an object with 'url' and optionally "
          + "'secret'").exception();
    }
    for (String field : c.keySet()) {
      if (!CALLBACK_FIELDS.contains(field)) {
        throw Problem.badRequest("unknown field 'callback." + field + "'; allowed fields: "
            + String.join(", ", CALLBACK_FIELDS)).exception();
      }
    }
    String url = string(c, "url", "callback.url");
    if (url == null) {
      throw Problem.unprocessable("'callback.url' is required").exception();
    }
    return new Callback(url, string(c, "secret", "callback.secret"));
  }

  /**
   * A JSON object body with no member but {@code fields}: media type (415), size (413), UTF-8
   * and strict JSON (400), an object with known members only (400).
   */
  JsonObject readObject(HttpServletRequest req, List<String> fields) throws IOException {
    checkMediaType(req.getContentType());
    String body = readBody(req);
    JsonValue parsed;
    try {
      parsed = strict.parse(body);
    } catch (StrictJson.Violation e) {
      throw Problem.badRequest("the body is not valid JSON: " + e.getMessage()).exception();
    }
    if (!(parsed instanceof JsonObject obj)) {
      throw Problem.badRequest("the body must be a JSON object, got "
          + (parsed == null ? "nothing" : parsed.getValueType().name().toLowerCase(Locale.ROOT)))
          .exception();
    }
    for (String field : obj.keySet()) {
      if (!fields.contains(field)) {
        throw Problem.badRequest("unknown field '" + field + "'; allowed fields: "
            + String.join(", ", fields)).exception();
      }
    }
    return obj;
  }

  /** A string member, or null when absent or null; 422 for another kind of value. */
  static String stringField(JsonObject obj, String field) {
    return string(obj, field);
  }

  /** A boolean member, or {@code dflt} when absent or null; 422 for another kind of value. */
  static boolean booleanField(JsonObject obj, String field, boolean dflt) {
    JsonValue v = obj.get(field);
    if (v == null || v == JsonValue.NULL) {
      return dflt;
    }
    if (v == JsonValue.TRUE || v == JsonValue.FALSE) {
      return v == JsonValue.TRUE;
    }
    throw Problem.unprocessable("'" + field + "' must be true or false").exception();
  }

  private static void checkMediaType(String contentType) {
    String mt = contentType == null ? "" : contentType.split(";", 2)[0].trim()
        .toLowerCase(Locale.ROOT);
    if (!mt.equals("application/json") && !(mt.startsWith("application/") && mt.endsWith("+json"))) {
      throw Problem.of(415, "Unsupported Media Type",
          "the body must be application/json, got "
              + (contentType == null ? "no Content-Type" : "'" + contentType + "'"))
          .exception();
    }
  }

  private static String idempotencyKey(String key) {
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY
        || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw Problem.badRequest("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY
          + " visible ASCII characters").exception();
    }
    return key;
  }

  private String readBody(HttpServletRequest req) throws IOException {
    long declared = req.getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge();
    }
    byte[] buf = new byte[(int) Math.min(maxBytes + 1, declared >= 0 ? declared + 1 : 8192)];
    int n = 0;
    try (InputStream in = req.getInputStream()) {
      for (int r; (r = in.read(buf, n, buf.length - n)) != -1; ) {
        n += r;
        if (n > maxBytes) {
          throw tooLarge();
        }
        if (n == buf.length) {
          buf = Arrays.copyOf(buf, (int) Math.min(maxBytes + 1, (long) buf.length * 2));
        }
      }
    }
    if (n == 0) {
      throw Problem.badRequest("the body is empty; expected a JSON object").exception();
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(buf, 0, n)).toString();
    } catch (CharacterCodingException e) {
      throw Problem.badRequest("the body is not valid UTF-8").exception();
    }
  }

  private ProblemException tooLarge() {
    return Problem.of(413, "Content Too Large", "the body exceeds " + maxBytes + " bytes")
        .exception();
  }

  private static String string(JsonObject obj, String field) {
    return string(obj, field, field);
  }

  /** As above; messages call the member {@code shown} ({@code callback.url}). */
  private static String string(JsonObject obj, String field, String shown) {
    JsonValue v = obj.get(field);
    if (v == null || v == JsonValue.NULL) {
      return null;
    }
    if (v instanceof JsonString s) {
      return s.getString();
    }
    throw Problem.unprocessable("'" + shown + "' must be a string").exception();
  }

  /**
   * A whole number that a long holds exactly (written 60, 60.0 or 6e1 alike). The number is kept
   * as written, so the range is compared first, on the exponent: {@code 1e999999999} is refused
   * without being expanded; only an in-range whole number is converted.
   */
  private static Long integer(JsonObject obj, String field) {
    JsonValue v = obj.get(field);
    if (v == null || v == JsonValue.NULL) {
      return null;
    }
    if (!(v instanceof JsonNumber n)) {
      throw Problem.unprocessable("'" + field + "' must be a whole number, got " + switch (
          v.getValueType()) {
            case STRING -> "a string";
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            default -> v.toString(); // true or false
          }).exception();
    }
    BigDecimal d = n.bigDecimalValue();
    if (d.compareTo(LONG_MIN) < 0 || d.compareTo(LONG_MAX) > 0) {
      throw Problem.unprocessable("'" + field + "' is out of range, got " + shortened(n))
          .exception();
    }
    if (d.signum() != 0 && d.scale() > 0 && d.stripTrailingZeros().scale() > 0) {
      throw Problem.unprocessable("'" + field + "' must be a whole number, got " + shortened(n))
          .exception();
    }
    return d.longValueExact();
  }

  private static String shortened(JsonNumber n) {
    String s = n.toString();
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static Priority priority(String wire) {
    if (wire == null) {
      return null;
    }
    return Priority.parse(wire).orElseThrow(() -> Problem.unprocessable(
        "'priority' must be one of high, normal, low; got '" + wire + "'").exception());
  }
}
