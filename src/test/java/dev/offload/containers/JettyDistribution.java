package dev.offload.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real Jetty 12 distribution (jetty-home from Maven Central) started with the project's
 * jetty-base, exactly as the README tells a user to: {@code java -jar start.jar
 * jetty.base=jetty-base -Doffload.war=...}. Only the ports and the temp directory differ, and the
 * shutdown module is added for a graceful stop.
 */
final class JettyDistribution {
  private final Path home = Distributions.jettyHome();
  private final Path base = Distributions.jettyBase();
  private final Path work;
  private final int stopPort = ContainerProcess.freePort();
  private final String stopKey = UUID.randomUUID().toString();

  JettyDistribution(String testName) {
    this.work = Distributions.workDir("jetty-" + testName);
  }

  /**
   * Starts Jetty with the built WAR deployed by jetty-base/webapps/offload.xml; {@code
   * systemProperties} are Offload settings given as {@code -Doffload.x=v} on the command line.
   */
  ContainerProcess start(Map<String, String> systemProperties) {
    int port = ContainerProcess.freePort();
    Path tmp = tmp();
    try {
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp,
        "-jar", home.resolve("start.jar").toString(),
        "jetty.home=" + home, "jetty.base=" + base,
        "jetty.http.host=127.0.0.1", "jetty.http.port=" + port,
        "--module=shutdown", "jetty.shutdown.port=" + stopPort, "jetty.shutdown.key=" + stopKey,
        "-Doffload.war=" + Distributions.war()));
    if (!systemProperties.containsKey("offload.types")) {
      // The base offers only http, as production should; the scenario runs the demo types.
      cmd.add("-Doffload.types=*");
    }
    systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
    return ContainerProcess.start("jetty", pb, work.resolve("logs"), port)
        .gracefulStop(() -> stop(Duration.ofSeconds(60)));
  }

  /**
   * Jetty's own graceful stop ({@code start.jar --stop} to the shutdown module's port): the
   * server stops its contexts while the JVM is whole, then exits. A SIGTERM stops Jetty from a
   * JVM shutdown hook instead, which runs alongside java.util.logging's own hook that closes
   * every log handler, so Offload's stop lines would be lost there.
   */
  void stop(Duration wait) {
    try {
      Process p = new ProcessBuilder(java(), "-jar", home.resolve("start.jar").toString(),
          "--stop", "STOP.PORT=" + stopPort, "STOP.KEY=" + stopKey,
          "STOP.WAIT=" + wait.toSeconds())
          .redirectErrorStream(true)
          .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(wait.toSeconds() + 10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("start.jar --stop did not return:\n" + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The JVM's temp directory, where Jetty puts each web application's own. */
  Path tmp() {
    return work.resolve("tmp");
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
