package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A handler jar in the real Jetty 12 distribution, as the README's walk-through runs it:
 * {@code -Doffload.handlers.dir=...} on the start.jar command line, the jetty-base as it is
 * (its realm included), and the tasks submitted by the demo user alice with BASIC.
 */
class HandlersDirJettyIT extends HandlersDirContract {
  private JettyDistribution jetty;

  @Override
  ContainerProcess launch(String label, Path handlersDir) {
    jetty = new JettyDistribution(label);
    return jetty.start(Map.of("offload.handlers.dir", handlersDir.toString()));
  }

  @Override
  String authorization() {
    return "Basic " + Base64.getEncoder()
        .encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
  }

  @Override
  String owner() {
    return "alice";
  }

  @Override
  Path containerTemp() {
    return jetty.tmp();
  }

  /**
   * The README's walk-through shows the example project's files in full, for copy and paste:
   * these very files, the ones this test compiles and runs, so the two cannot drift apart.
   */
  @Test
  @Order(0)
  void theReadmeWalkThroughShowsTheFilesThisTestRuns() throws IOException {
    String readme = Files.readString(Distributions.projectDir().resolve("README.md"));
    Path example = Distributions.projectDir().resolve("examples/word-count");
    for (String file : List.of("pom.xml", "src/main/java/com/example/WordCountHandler.java",
        "src/main/resources/META-INF/services/dev.offload.task.TaskHandler")) {
      assertThat(readme).as("README.md shows %s", file)
          .contains("\n" + Files.readString(example.resolve(file)) + "```\n");
    }
  }
}
