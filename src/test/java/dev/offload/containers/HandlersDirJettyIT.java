package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A handler jar in the real Jetty 12 distribution, started as the README's walk-through starts
 * it: {@code -Doffload.handlers.dir=... -Doffload.types=http,word-count} on the start.jar
 * command line (the jetty-base offers only the types offload.types lists), the base's realm.
 */
class HandlersDirJettyIT extends HandlersDirContract {
  private JettyDistribution jetty;

  @Override
  ContainerProcess launch(String label, Path handlersDir) {
    jetty = new JettyDistribution(label);
    return jetty.start(Map.of("offload.handlers.dir", handlersDir.toString(),
        "offload.types", "http,word-count"));
  }

  @Override
  void assertTypes(Set<String> offered) {
    assertThat(offered).containsExactlyInAnyOrder("http", "word-count");
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
