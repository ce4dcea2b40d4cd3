package dev.offload.web;

import jakarta.json.JsonValue;
import jakarta.json.bind.serializer.JsonbSerializer;
import jakarta.json.bind.serializer.SerializationContext;
import jakarta.json.stream.JsonGenerator;

/**
 * Writes a {@link TaskView} field by field through JSON-B's generator, in the documented order,
 * nulls included. Every answer about a task goes through here: the submit benchmark showed
 * Yasson's reflective walk of the record costing more than everything else the submit does.
 */
public final class TaskViewSerializer implements JsonbSerializer<TaskView> {
  @Override
  public void serialize(TaskView v, JsonGenerator g, SerializationContext ctx) {
    g.writeStartObject();
    g.write("id", v.id());
    g.write("type", v.type());
    g.write("status", v.status());
    g.write("priority", v.priority());
    g.write("input", v.input() == null ? JsonValue.NULL : v.input());
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
    g.write("result", v.result() == null ? JsonValue.NULL : v.result());
    if (v.error() == null) {
      g.writeNull("error");
    } else {
      g.writeStartObject("error");
      string(g, "type", v.error().type());
      string(g, "message", v.error().message());
      g.writeEnd();
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
}
