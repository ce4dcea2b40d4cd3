package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.containers.ContainerProcess.DumpedThread;
import dev.offload.testing.Http;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The built WAR in the real Payara Micro 6.2025.10, a full Jakarta EE 10 server: it offers
 * {@code java:comp/DefaultManagedExecutorService}, so Offload's workers run on the container's
 * managed threads instead of threads of its own. Settings are -Doffload.x system properties; the
 * WAR is deployed through Payara's autodeploy directory (as offload.war, so at /offload) because
 * that is the one way to undeploy it while the JVM stays whole, which the stop test needs (see
 * {@link PayaraMicro#autodeploy()}). The README's {@code --deploy ... --contextroot offload} runs
 * in {@link PayaraMicroRedeployIT}.
 *
 * <p>Payara Micro boots in several seconds: the stop test stops this same container at the end
 * rather than booting a second one, so the scenario runs on the stop test's settings.
 */
class PayaraMicroIT extends OffloadInContainerContract {
  /** The threads of Payara's default managed executor, as its managed thread factory names them. */
  static final String MANAGED_THREAD =
      "concurrent/__defaultManagedExecutorService-managedThreadFactory-Thread-";
  /** The frame every thread of Payara's managed thread factory starts from. */
  static final String MANAGED_THREAD_RUN =
      "org.glassfish.enterprise.concurrent.ManagedThreadFactoryImpl$ManagedThread.run";
  static final String SLEEPING_TASK = "dev.offload.handlers.SleepHandler.run";
  private static final String MINUTE_SLEEP = "{\"type\":\"sleep\",\"input\":{\"millis\":60000}}";

  @Override
  ContainerProcess launch(String label, Map<String, String> settings) {
    return new PayaraMicro("payara-micro-" + label).systemProperties(settings).autodeploy();
  }

  @Override
  Map<String, String> scenarioSettings() {
    return stopSettings();
  }

  @Override
  int expectedWorkers() {
    return 4;
  }

  @Override
  boolean stopsTheScenarioContainer() {
    return true;
  }

  /** See {@link PayaraMicro#isDeployTimeDriverWarning}: Payara's doing, not Offload's. */
  @Override
  boolean isContainerNoise(String line) {
    return PayaraMicro.isDeployTimeDriverWarning(line);
  }

  /**
   * The engine says it uses the container's executor, and a thread dump of the Payara JVM shows
   * each running task on one of Payara's managed threads and no worker thread of Offload's own.
   * Canceling them frees those threads at once: the interrupt reached the handler on them.
   */
  @Test
  @Order(11)
  void workersAreTheContainersManagedThreads() {
    assertThat(container().consoleLog()).contains("Offload engine started: " + expectedWorkers()
        + " workers on the container's managed executor");
    List<String> ids = IntStream.range(0, expectedWorkers())
        .mapToObj(i -> submit(http(), MINUTE_SLEEP))
        .toList();
    ids.forEach(id -> awaitStatus(http(), id, "running"));

    List<DumpedThread> dump = container().threadDump();
    assertThat(dump).extracting(DumpedThread::name)
        .noneMatch(n -> n.startsWith("offload-worker-"));
    assertThat(dump.stream().filter(t -> t.runs(SLEEPING_TASK)))
        .as("threads running a task")
        .hasSize(expectedWorkers())
        .allSatisfy(t -> {
          assertThat(t.name()).startsWith(MANAGED_THREAD);
          assertThat(t.stack()).contains(MANAGED_THREAD_RUN);
        });

    for (String id : ids) {
      assertThat(http().delete("/api/tasks/" + id).status()).isEqualTo(200);
    }
    // A sleep of a minute that was not interrupted would hold its worker for that minute.
    awaitNoTaskRuns(Duration.ofSeconds(10));
    assertThat(container().threadDump()).noneMatch(t -> t.runs(SLEEPING_TASK));
  }

  /** A timeout ends the attempt and interrupts the handler on its managed thread. */
  @Test
  @Order(12)
  void aTimeoutInterruptsTheTaskOnItsManagedThread() {
    String id = submit(http(),
        "{\"type\":\"sleep\",\"input\":{\"millis\":60000},\"timeoutSeconds\":1}");
    awaitStatus(http(), id, "failed");
    assertThat(http().get("/api/tasks/" + id).json().getJsonObject("error").getString("type"))
        .isEqualTo("timeout");
    awaitNoTaskRuns(Duration.ofSeconds(10));
  }

  /** Every worker idle again: no handler is still running on a thread. */
  private void awaitNoTaskRuns(Duration max) {
    Http h = http();
    await("every worker idle").atMost(max).pollInterval(Duration.ofMillis(100))
        .until(() -> h.get("/api/health").json().getJsonObject("workers").getInt("busy") == 0);
  }
}
