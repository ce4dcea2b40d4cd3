package dev.offload.engine.jarfixtures;

import dev.offload.engine.JarFixtureEvents;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;

/** A good handler that owns something to close; its result class is loaded by its first run. */
public final class GreetHandler implements TaskHandler<GreetHandler.Name, GreetHandler.Greeting>,
    AutoCloseable {

  public record Name(String name) {}

  public record Greeting(String greeting) {}

  @Override
  public String type() {
    return "greet";
  }

  @Override
  public String description() {
    return "greets";
  }

  @Override
  public Class<Name> inputType() {
    return Name.class;
  }

  @Override
  public Name example() {
    return new Name("Ada");
  }

  @Override
  public Greeting run(Name input, TaskContext context) {
    return new Greeting("hello " + input.name());
  }

  @Override
  public void close() {
    JarFixtureEvents.CLOSED.add(type());
  }
}
