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
  // Task inputs: the shapes of the handlers' input types, and a strict reader for inputs that
  // arrive as text only (Java callers of the engine; HTTP hands the engine the tree it read).
  private final InputShape shapes = new InputShape();
  private final StrictJson strict = new StrictJson(StrictJson.DEFAULT_MAX_DEPTH);

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

  /**
   * Binds a task input to {@code type} exactly, or refuses it. The tree is checked against the
   * type first ({@link InputShape}), so JSON-B never narrows a number, reads a string as a
   * number or meets a member the type lacks; a handler whose type is a JSON tree gets the tree
   * itself.
   *
   * @param text the input as JSON text, or null when there is none
   * @param tree the same input as a tree when the caller has it, else null: the text is then
   *     read here, as strictly as a request body
   * @param name what the input is called in messages, e.g. {@code input}
   * @return the bound input, or null when there is none (absent, or JSON null for a type that
   *     is not a JSON tree; a {@code JsonValue} input gets {@code JsonValue.NULL})
   * @throws InputShape.Mismatch when the input does not fit the type (the message names the
   *     field and is written for a client)
   * @throws StrictJson.Violation when {@code text} is not strict JSON (only without a tree)
   * @throws JsonbException when JSON-B refuses what the check let through; its message may name
   *     Java classes and is not for clients
   */
  public <T> T bindInput(Class<T> type, String text, JsonValue tree, String name) {
    JsonValue value = tree != null ? tree : text == null ? null : strict.parse(text);
    shapes.check(type, value, name);
    if (value == null) {
      return null;
    }
    if (type.isInstance(value)) {
      return type.cast(value);
    }
    return jsonb.fromJson(text != null ? text : jsonb.toJson(value), type);
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
