package dev.offload.containers;

import java.util.Map;

/**
 * The built WAR in the real Jetty 12 distribution (jetty-home 12.1.12), deployed by the
 * project's jetty-base. Settings come from jetty-base/webapps/offload.xml (the scenario runs on
 * its values: 4 workers) or from -Doffload.x on the start.jar command line; the container is
 * stopped with Jetty's own {@code start.jar --stop}.
 */
class JettyDistributionIT extends OffloadInContainerContract {

  @Override
  ContainerProcess launch(String label, Map<String, String> settings) {
    return new JettyDistribution(label).start(settings);
  }

  @Override
  Map<String, String> scenarioSettings() {
    return Map.of();
  }

  @Override
  int expectedWorkers() {
    return 4;
  }
}
