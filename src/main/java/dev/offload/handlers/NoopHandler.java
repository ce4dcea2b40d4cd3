package dev.offload.handlers;

import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import jakarta.json.Json;
import jakarta.json.JsonValue;

/** Returns its input unchanged: the cheapest task there is, used by benchmarks. */
public final class NoopHandler implements TaskHandler<JsonValue, JsonValue> {

  @Override
  public String type() {
    return "noop";
  }

  @Override
  public String description() {
    return "Returns its input unchanged.";
  }

  @Override
  public Class<JsonValue> inputType() {
    return JsonValue.class;
  }

  @Override
  public JsonValue example() {
    return Json.createObjectBuilder().add("hello", "world").build();
  }

  @Override
  public JsonValue run(JsonValue input, TaskContext context) {
    return input;
  }
}
