package dev.offload.engine;

import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.json.bind.JsonbException;
import java.lang.reflect.Type;

/**
 * The one JSON-B instance of an Offload instance. Null values are written (a task view shows
 * {@code "progress": null}); unknown properties in a task input are an error, so a typo in a
 * field name is a 422 instead of a silently ignored setting.
 */
public final class JsonCodec implements AutoCloseable {

  private final Jsonb jsonb;

  public JsonCodec() {
    this.jsonb =
        JsonbBuilder.create(
            new JsonbConfig()
                .withNullValues(true)
                .setProperty("jsonb.fail-on-unknown-properties", true));
  }

  public String toJson(Object value) {
    return jsonb.toJson(value);
  }

  public <T> T fromJson(String json, Class<T> type) throws JsonbException {
    return jsonb.fromJson(json, type);
  }

  public <T> T fromJson(String json, Type type) throws JsonbException {
    return jsonb.fromJson(json, type);
  }

  /** Parses any JSON text into a tree. */
  public JsonValue parse(String json) throws JsonbException {
    return jsonb.fromJson(json, JsonValue.class);
  }

  /**
   * The innermost message of a JSON-B failure (Yasson wraps the parser's precise one), or
   * {@code fallback} when there is none.
   */
  public static String rootMessage(Throwable e, String fallback) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() != null ? t.getMessage() : e.getMessage();
    return m == null ? fallback : m;
  }

  public Jsonb jsonb() {
    return jsonb;
  }

  @Override
  public void close() {
    try {
      jsonb.close();
    } catch (Exception e) {
      // Closing Yasson releases caches only; nothing to report.
    }
  }
}
