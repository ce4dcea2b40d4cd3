package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.Http;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The built WAR in the real Jetty 12 distribution (jetty-home 12.1.12), deployed by the
 * project's jetty-base. Settings come from jetty-base/webapps/offload.xml (the scenario runs on
 * its values: 4 workers) or from -Doffload.x on the start.jar command line; the container is
 * stopped with Jetty's own {@code start.jar --stop}. Callers log in through the base's realm,
 * etc/offload-realm.properties, as it is in the repository.
 */
class JettyDistributionIT extends OffloadInContainerContract implements ContainerLoginContract {

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

  /**
   * Ctrl-C or SIGTERM: Jetty stops from a JVM shutdown hook, and a running task still gets the
   * whole grace period before it is interrupted. java.util.logging's own shutdown hook closes
   * the log handlers at the same moment, so Offload's stop lines are not in the log here (the
   * graceful-stop test above, with start.jar --stop, checks those): the JVM staying up for the
   * grace period is what shows it.
   */
  @Test
  @Order(101)
  void sigtermStillGivesARunningTaskTheGracePeriod() {
    int grace = 3;
    try (ContainerProcess c = launch("sigterm",
        Map.of("offload.shutdown.grace.seconds", Integer.toString(grace)))) {
      Http h = DemoUser.ALICE.on(new Http(c.uri(CTX)));
      c.awaitOk(h, "/api/health", START);
      String id = submit(h, "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}");
      awaitStatus(h, id, "running");

      long signalled = System.nanoTime();
      c.terminate();

      assertThat(c.awaitExit(Duration.ofSeconds(grace + 30))).as("%s exits", c).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled))
          .as("time from SIGTERM to exit with a task running")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(grace));
    }
  }
}
