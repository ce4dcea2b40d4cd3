package dev.offload.containers;

import static dev.offload.containers.OffloadInContainerContract.CTX;
import static dev.offload.containers.OffloadInContainerContract.LEAK_WARNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hot redeploys into a running Tomcat, each while tasks run and clients wait on long-polls: the
 * WAR in webapps/ is replaced five times and finally deleted. Every undeploy must answer the
 * parked clients, leave no thread behind and give Tomcat nothing to warn about.
 */
class TomcatRedeployIT {
  private static final int REDEPLOYS = 5;
  private static final int GRACE_SECONDS = 1;
  private static final Duration DEPLOY = Duration.ofSeconds(90);
  private static final Pattern STOP_LINE = Pattern.compile(
      "Offload engine stopping: (\\d+) tasks were running; (\\d+) finished within the grace "
          + "period of " + GRACE_SECONDS + "s, (\\d+) were interrupted and failed with error "
          + "type shutdown");

  static Stream<Arguments> tomcats() {
    return Stream.of(
        Arguments.of("tomcat11", Distributions.tomcat11Home()),
        Arguments.of("tomcat10", Distributions.tomcat10Home()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tomcats")
  void redeploysLeaveNoThreadsNoWarningsAndNoHungClients(String name, Path home)
      throws Exception {
    TomcatBase tomcat = new TomcatBase(name + "-redeploy", home)
        .systemProperty("offload.shutdown.grace.seconds", Integer.toString(GRACE_SECONDS))
        .systemProperty("offload.workers", "2");
    try (ContainerProcess c = tomcat.start()) {
      // Authenticated as alice through the base's realm, which outlives every redeploy.
      Http http = DemoUser.ALICE.on(new Http(c.uri(CTX)));
      Http root = new Http(c.uri(""));
      // Tomcat alone, no web application: any answer at / means it is up.
      await(name + " up").atMost(DEPLOY).ignoreExceptions()
          .pollInterval(Duration.ofMillis(200))
          .failFast(name + " exited; log:\n" + c.logTail(), () -> !c.isAlive())
          .until(() -> root.get("/").status() == 404);
      c.liveThreads(); // the first jcmd starts the JVM's Attach Listener thread for good
      List<String> baseline = c.liveThreads();

      tomcat.dropInWar();
      c.awaitOk(http, "/api/health", DEPLOY);
      assertThat(c.liveThreads()).as("Offload's threads while deployed")
          .anyMatch(t -> t.startsWith("offload-worker-"));

      for (int i = 1; i <= REDEPLOYS; i++) {
        undeployWhileBusy(c, http, () -> tomcat.dropInWar(), "redeploy " + i);
        c.awaitOk(http, "/api/health", DEPLOY);
      }
      undeployWhileBusy(c, http, tomcat::removeWar, "final undeploy");
      await("Offload undeployed").atMost(DEPLOY).pollInterval(Duration.ofMillis(200))
          .until(() -> http.get("/api/health").status() == 404);

      await(name + "'s live threads back to the baseline without Offload")
          .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(c.liveThreads())
              .as("live threads after %d redeploys and an undeploy; baseline %s",
                  REDEPLOYS, baseline)
              .noneMatch(t -> t.startsWith("offload-"))
              .hasSizeLessThanOrEqualTo(baseline.size()));

      String log = c.log();
      List<String> leaks = log.lines().filter(l -> LEAK_WARNING.matcher(l).find()).toList();
      assertThat(leaks).as("leak warnings in %s's logs", name).isEmpty();
      Matcher stops = STOP_LINE.matcher(c.consoleLog());
      int stopLines = 0;
      while (stops.find()) {
        stopLines++;
        assertThat(Integer.parseInt(stops.group(3)))
            .as("tasks interrupted at undeploy %d: %s", stopLines, stops.group())
            .isEqualTo(2);
      }
      assertThat(stopLines).as("engine stop lines, one per undeploy").isEqualTo(REDEPLOYS + 1);
    }
  }

  /**
   * With two long tasks running and a client parked on a long-poll of each, undeploys the
   * application; the parked clients must get an HTTP answer (the current view, or 503) rather
   * than a connection that hangs, and the old instance must be gone afterwards.
   */
  private static void undeployWhileBusy(ContainerProcess c, Http http, Runnable undeploy,
      String step) throws Exception {
    ParkedLongPolls busy = ParkedLongPolls.onRunningTasks(http, 2, step);

    undeploy.run();

    busy.assertAnswered(step);
    List<String> ids = busy.taskIds();
    // The old instance is gone: its tasks are unknown to whatever answers now (a new instance
    // with an empty memory store, or Tomcat's own 404 once undeployed).
    await(step + ": old instance gone").atMost(DEPLOY).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .failFast(c + " exited; log:\n" + c.logTail(), () -> !c.isAlive())
        .until(() -> http.get("/api/tasks/" + ids.get(0)).status() == 404);
  }
}
