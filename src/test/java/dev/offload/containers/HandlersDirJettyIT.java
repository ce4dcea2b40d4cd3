package dev.offload.containers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

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
}
