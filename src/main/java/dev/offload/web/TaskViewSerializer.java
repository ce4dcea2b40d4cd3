package dev.offload.web;

import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.bind.serializer.JsonbSerializer;
import jakarta.json.bind.serializer.SerializationContext;
import java.io.StringReader;
import java.util.Map;

/**
 * Writes a {@link TaskView} field by field through JSON-B's generator, in the documented order,
 * nulls included (but {@code waitingFor}, written only when a task waits for a deploy). Every answer about a task goes through here: the submit benchmark showed
 * Yasson's reflective walk of the record costing more than everything else the submit does.
 *
 * <p>The input and result texts are copied into the generator event by event from a streaming
 * parser, so a large input costs no tree of objects, only the text it already is.
 */
public final class TaskViewSerializer implements JsonbSerializer<TaskView> {
  private static final JsonParserFactory PARSERS = Json.createParserFactory(Map.of());

  @Override
  public void serialize(TaskView v, JsonGenerator g, SerializationContext ctx) {
    g.writeStartObject();
    g.write("id", v.id());
    g.write("type", v.type());
    g.write("owner", v.owner());
    g.write("status", v.status());
    g.write("priority", v.priority());
    if (v.full()) {
      raw(g, "input", v.input());
    }
    if (v.progress() == null) {
      g.writeNull("progress");
    } else {
      g.writeStartObject("progress");
      g.write("percent", v.progress().percent());
      string(g, "message", v.progress().message());
      g.writeEnd();
    }
    g.write("attempts", v.attempts());
    g.write("maxAttempts", v.maxAttempts());
    g.write("timeoutSeconds", v.timeoutSeconds());
    g.write("resultTtlSeconds", v.resultTtlSeconds());
    string(g, "createdAt", v.createdAt());
    string(g, "startedAt", v.startedAt());
    string(g, "finishedAt", v.finishedAt());
    string(g, "nextAttemptAt", v.nextAttemptAt());
    string(g, "expiresAt", v.expiresAt());
    if (v.full()) {
      raw(g, "result", v.result());
    }
    if (v.error() == null) {
      g.writeNull("error");
    } else {
      g.writeStartObject("error");
      string(g, "type", v.error().type());
      string(g, "message", v.error().message());
      g.writeEnd();
    }
    string(g, "retryOf", v.retryOf());
    if (v.callback() == null) {
      g.writeNull("callback");
    } else {
      TaskView.DeliveryView d = v.callback().delivery();
      g.writeStartObject("callback");
      g.write("url", v.callback().url());
      g.writeStartObject("delivery");
      g.write("state", d.state());
      g.write("attempts", d.attempts());
      if (d.lastError() == null) {
        g.writeNull("lastError");
      } else {
        g.writeStartObject("lastError");
        string(g, "type", d.lastError().type());
        string(g, "message", d.lastError().message());
        g.writeEnd();
      }
      string(g, "nextAttemptAt", d.nextAttemptAt());
      string(g, "deliveredAt", d.deliveredAt());
      g.writeEnd();
      g.writeEnd();
    }
    if (v.waitingFor() != null) {
      g.write("waitingFor", v.waitingFor());
    }
    g.writeStartObject("links");
    g.write("self", v.links().self());
    g.write("events", v.links().events());
    g.writeEnd();
    g.writeEnd();
  }

  private static void string(JsonGenerator g, String name, String value) {
    if (value == null) {
      g.writeNull(name);
    } else {
      g.write(name, value);
    }
  }

  /** Copies the JSON text {@code json} (written by Offload itself) as the member {@code name}. */
  static void raw(JsonGenerator g, String name, String json) {
    if (json == null) {
      g.writeNull(name);
      return;
    }
    try (JsonParser p = PARSERS.createParser(new StringReader(json))) {
      String key = name;
      while (p.hasNext()) {
        switch (p.next()) {
          case START_OBJECT -> {
            if (key != null) {
              g.writeStartObject(key);
            } else {
              g.writeStartObject();
            }
            key = null;
          }
          case START_ARRAY -> {
            if (key != null) {
              g.writeStartArray(key);
            } else {
              g.writeStartArray();
            }
            key = null;
          }
          case END_OBJECT, END_ARRAY -> g.writeEnd();
          case KEY_NAME -> key = p.getString();
          case VALUE_STRING -> {
            if (key != null) {
              g.write(key, p.getString());
            } else {
              g.write(p.getString());
            }
            key = null;
          }
          case VALUE_NUMBER -> {
            // Up to 18 digits always fit a long; anything else goes through BigDecimal, exactly.
            if (p.isIntegralNumber() && p.getString().length() <= 18) {
              long n = p.getLong();
              if (key != null) {
                g.write(key, n);
              } else {
                g.write(n);
              }
            } else if (key != null) {
              g.write(key, p.getBigDecimal());
            } else {
              g.write(p.getBigDecimal());
            }
            key = null;
          }
          case VALUE_TRUE, VALUE_FALSE -> {
            boolean b = p.currentEvent() == JsonParser.Event.VALUE_TRUE;
            if (key != null) {
              g.write(key, b);
            } else {
              g.write(b);
            }
            key = null;
          }
          case VALUE_NULL -> {
            if (key != null) {
              g.writeNull(key);
            } else {
              g.writeNull();
            }
            key = null;
          }
          default -> throw new IllegalStateException("unexpected JSON event");
        }
      }
    }
  }
}
