package dev.offload.engine.jarfixtures;

import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;

/** The parts every fixture shares: a text in, a text out. */
public abstract class FixtureHandler implements TaskHandler<FixtureHandler.Text, String> {

  /** The input of every fixture. */
  public record Text(String text) {}

  @Override
  public String description() {
    return "a test handler from a jar";
  }

  @Override
  public Class<Text> inputType() {
    return Text.class;
  }

  @Override
  public Text example() {
    return new Text("example");
  }

  @Override
  public String run(Text input, TaskContext context) throws Exception {
    return type() + ": " + input.text();
  }
}
