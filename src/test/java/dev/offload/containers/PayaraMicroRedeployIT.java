package dev.offload.containers;

import static dev.offload.containers.OffloadInContainerContract.CTX;
import static dev.offload.containers.OffloadInContainerContract.LEAK_WARNING;
import static dev.offload.containers.PayaraMicroIT.MANAGED_THREAD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.containers.ContainerProcess.DumpedThread;
import dev.offload.testing.Http;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Payara Micro started the README's way, {@code --deploy <app> --contextroot offload}, with the
 * app an exploded copy of the WAR: Payara Micro redeploys a directory deployment when its
 * {@code .reload} file changes, and that is done here several times, each while tasks run and
 * clients wait on long-polls. Every undeploy must answer the parked clients, end the workers it
 * had on the container's managed threads and leave no thread behind. At the end Payara Micro is
 * stopped the only way it has, a signal, with tasks running: the running tasks still get their
 * grace period.
 */
class PayaraMicroRedeployIT {
  private static final int REDEPLOYS = 3;
  private static final int WORKERS = 2;
  private static final int GRACE_SECONDS = 2;
  private static final Duration DEPLOY = Duration.ofSeconds(90);
  /** The frame of Offload's worker loop, in whichever engine class holds it. */
  private static final Pattern WORKER_LOOP =
      Pattern.compile("at dev\\.offload\\.engine\\.\\w+\\.workerLoop\\(");
  /**
   * Payara's own pools that take on a thread now and then as redeploys come and go (deployment
   * commands, writes of its configuration), up to limits of their own; none runs Offload's code
   * (checked by stack), and the Tomcat tests' fixed-size pools have no counterpart here.
   */
  private static final Set<String> PAYARA_POOLS = Set.of("Executor-Service-N", "GF Domain XML",
      "payara-executor-service-task", "payara-executor-service-scheduled-task");
  private static final Pattern STOP_LINE = Pattern.compile(
      "Offload engine stopping: (\\d+) tasks were running; (\\d+) finished within the grace "
          + "period of " + GRACE_SECONDS + "s, (\\d+) were interrupted and failed with error "
          + "type shutdown");

  @Test
  void redeploysEndTheirWorkersAndLeaveNoThreadsAndNoHungClients() throws Exception {
    PayaraMicro payara = new PayaraMicro("payara-micro-redeploy")
        .systemProperty("offload.shutdown.grace.seconds", Integer.toString(GRACE_SECONDS))
        .systemProperty("offload.workers", Integer.toString(WORKERS));
    Path app = payara.explodedWar();
    try (ContainerProcess c = payara.deploy(app)) {
      Http http = new Http(c.uri(CTX));
      c.awaitOk(http, "/api/health", DEPLOY);
      assertThat(c.consoleLog()).contains("Offload engine started: " + WORKERS
          + " workers on the container's managed executor");

      // Payara Micro deploys before it serves, so there is no count of its threads without
      // Offload. The first redeploy warms up what Payara starts on demand (the managed threads
      // for the workers among them); the threads after it, counted by kind, are the baseline
      // that later redeploys must not exceed.
      redeployWhileBusy(c, http, app, "warm-up redeploy");
      c.awaitOk(http, "/api/health", DEPLOY);
      c.threadDump(); // the first jcmd starts the JVM's Attach Listener thread for good
      Map<String, Long> baseline = awaitOneInstanceOfOffload(c, null);

      for (int i = 1; i <= REDEPLOYS; i++) {
        redeployWhileBusy(c, http, app, "redeploy " + i);
        c.awaitOk(http, "/api/health", DEPLOY);
        awaitOneInstanceOfOffload(c, baseline);
      }

      String log = c.log();
      List<String> leaks = log.lines().filter(l -> LEAK_WARNING.matcher(l).find())
          .filter(l -> !PayaraMicro.isDeployTimeDriverWarning(l))
          .toList();
      assertThat(leaks).as("leak warnings in Payara Micro's log").isEmpty();
      Matcher stops = STOP_LINE.matcher(c.consoleLog());
      int stopLines = 0;
      while (stops.find()) {
        stopLines++;
        assertThat(Integer.parseInt(stops.group(3)))
            .as("tasks interrupted at undeploy %d: %s", stopLines, stops.group())
            .isEqualTo(2);
      }
      assertThat(stopLines).as("engine stop lines, one per undeploy").isEqualTo(REDEPLOYS + 1);

      // SIGTERM, as docker stop or a service manager sends it: Payara Micro stops from its JVM
      // shutdown hook. The JDK resets java.util.logging in a hook of its own at the same time,
      // so Offload's stop lines are not in the log here (the undeploys above check them): the
      // parked clients' answers and the JVM staying up for the grace period are what show it.
      ParkedLongPolls busy = ParkedLongPolls.onRunningTasks(http, 2, "stop");
      long signalled = System.nanoTime();
      c.terminate();
      busy.assertAnswered("stop");
      assertThat(c.awaitExit(Duration.ofSeconds(GRACE_SECONDS + 30))).as("%s exits", c).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled))
          .as("time from SIGTERM to exit with tasks running")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(GRACE_SECONDS));
    }
  }

  /**
   * Waits until one instance of Offload is left in the JVM: its named threads once each, no
   * worker thread of its own, exactly {@value #WORKERS} worker loops, all on the container's
   * managed threads (an old instance's loops have returned), and no other thread running
   * Offload's code. With a baseline, also no more threads of any kind than it had, Payara's own
   * pools aside. Returns the live threads by kind.
   */
  private static Map<String, Long> awaitOneInstanceOfOffload(ContainerProcess c,
      Map<String, Long> baseline) {
    AtomicReference<Map<String, Long>> last = new AtomicReference<>();
    await("one instance of Offload in " + c).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          List<DumpedThread> dump = c.threadDump();
          List<String> names = dump.stream().map(DumpedThread::name).toList();
          // offload-timer and offload-heartbeat start with their first job: at most once each.
          assertThat(names.stream().filter(n -> n.startsWith("offload-")))
              .as("Offload's own threads")
              .contains("offload-sweeper")
              .doesNotHaveDuplicates()
              .noneMatch(n -> n.startsWith("offload-worker-"));
          assertThat(dump.stream().filter(PayaraMicroRedeployIT::runsWorkerLoop))
              .as("threads running Offload's worker loop")
              .hasSize(WORKERS)
              .allSatisfy(t -> assertThat(t.name()).startsWith(MANAGED_THREAD));
          assertThat(dump.stream().filter(t -> t.runs("at dev.offload.")))
              .as("threads running Offload's code")
              .allMatch(t -> t.name().startsWith("offload-") || runsWorkerLoop(t));
          Map<String, Long> kinds = dump.stream()
              .collect(Collectors.groupingBy(t -> kind(t.name()), TreeMap::new,
                  Collectors.counting()));
          if (baseline != null) {
            kinds.forEach((kind, n) -> {
              if (!PAYARA_POOLS.contains(kind)) {
                assertThat(n).as("live threads %s; baseline %s, now %s", kind, baseline, kinds)
                    .isLessThanOrEqualTo(baseline.getOrDefault(kind, 0L));
              }
            });
          }
          last.set(kinds);
        });
    return last.get();
  }

  private static boolean runsWorkerLoop(DumpedThread t) {
    return WORKER_LOOP.matcher(t.stack()).find();
  }

  /** A thread's name with its numbers left out: the pool or the kind of thread it is. */
  private static String kind(String threadName) {
    return threadName.replaceAll("\\d+", "N");
  }

  /**
   * With two long tasks running and a client parked on a long-poll of each, redeploys the app;
   * the parked clients must get an answer and the old instance must be gone afterwards.
   */
  private static void redeployWhileBusy(ContainerProcess c, Http http, Path app, String step)
      throws Exception {
    ParkedLongPolls busy = ParkedLongPolls.onRunningTasks(http, 2, step);

    // The reloader misses a touch made before it last recorded the app (see touchReload), so
    // touch again until the undeploy has begun: its first act answers the parked clients. A
    // touch made after the reloader chose to reload is older than the moment it records when
    // the reload ends, so it causes no second reload.
    PayaraMicro.touchReload(app);
    await(step + ": Payara reloads " + app).atMost(DEPLOY).pollInterval(Duration.ofMillis(500))
        .failFast(c + " exited; log:\n" + c.logTail(), () -> !c.isAlive())
        .until(() -> {
          if (busy.anyAnswered()) {
            return true;
          }
          PayaraMicro.touchReload(app);
          return false;
        });

    busy.assertAnswered(step);
    // The old instance is gone: its tasks are unknown to the new one (an empty memory store).
    String first = busy.taskIds().get(0);
    await(step + ": old instance gone").atMost(DEPLOY).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .failFast(c + " exited; log:\n" + c.logTail(), () -> !c.isAlive())
        .until(() -> http.get("/api/tasks/" + first).status() == 404);
  }
}
