package dev.offload.containers;

import java.util.Map;

/**
 * The built WAR in a real Tomcat 11 (11.0.24), deployed where it lies by a context file
 * (conf/Catalina/localhost/offload.xml) whose Parameters set Offload's settings; stopped by
 * SIGTERM, as a service manager stops it. Callers log in through the base's realm
 * (conf/tomcat-users.xml, see {@link TomcatBase}).
 */
class Tomcat11IT extends OffloadInContainerContract implements ContainerLoginContract {

  @Override
  ContainerProcess launch(String label, Map<String, String> settings) {
    return new TomcatBase("tomcat11-" + label, Distributions.tomcat11Home())
        .contextFile(settings)
        .start();
  }

  @Override
  Map<String, String> scenarioSettings() {
    return Map.of("offload.workers", "3");
  }

  @Override
  int expectedWorkers() {
    return 3;
  }
}
