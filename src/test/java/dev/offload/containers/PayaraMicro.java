package dev.offload.containers;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The real Payara Micro (one jar from Maven Central, a full Jakarta EE 10 server) started as
 * {@code java -jar payara-micro.jar} with a runtime directory of its own under target/, on a free
 * loopback port. Offload's settings are {@code -Doffload.x} system properties of that JVM.
 *
 * <p>Two ways to deploy, both the WAR unchanged: {@link #deploy(Path)} is the README's
 * {@code --deploy ... --contextroot offload} (an exploded copy of the WAR redeploys when its
 * {@code .reload} file changes); {@link #autodeploy()} drops the WAR into Payara's autodeploy
 * directory, from which removing it undeploys the application while the server runs.
 */
final class PayaraMicro {
  private final String name;
  private final Path work;
  private final Path autodeployDir;
  private final int port = ContainerProcess.freePort();
  private final Map<String, String> systemProperties = new TreeMap<>();

  PayaraMicro(String name) {
    this.name = name;
    this.work = Distributions.workDir(name);
    this.autodeployDir = work.resolve("autodeploy");
    try {
      Files.createDirectories(autodeployDir);
      Files.createDirectories(work.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An Offload setting, given as -Dkey=value on Payara Micro's command line. */
  PayaraMicro systemProperty(String key, String value) {
    systemProperties.put(key, value);
    return this;
  }

  PayaraMicro systemProperties(Map<String, String> settings) {
    systemProperties.putAll(settings);
    return this;
  }

  /** Starts Payara Micro with {@code --deploy app --contextroot offload}. */
  ContainerProcess deploy(Path app) {
    return start(List.of("--deploy", app.toString(), "--contextroot", "offload"));
  }

  /**
   * Puts the WAR into the autodeploy directory as offload.war (the file name gives the context
   * root /offload) and starts Payara Micro, which deploys it on its first scan. The graceful
   * stop undeploys it by removing the file, then ends the JVM: see {@link #stopGracefully}.
   */
  ContainerProcess autodeploy() {
    try {
      Files.copy(Distributions.war(), autodeployDir.resolve("offload.war"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ContainerProcess c = start(List.of());
    return c.gracefulStop(() -> stopGracefully(c));
  }

  /**
   * Payara Micro has one way to stop: a signal, whose JVM shutdown hook stops the server while
   * the JDK's own hook resets java.util.logging, so Offload's stop lines are lost (the grace
   * period is still honoured: PayaraMicroRedeployIT times it). Its graceful stop that keeps
   * them is to undeploy the application first, with the JVM whole, then signal the empty server.
   */
  private void stopGracefully(ContainerProcess c) {
    undeploy();
    c.terminate();
  }

  /** Removes offload.war from the autodeploy directory and waits until Payara undeployed it. */
  void undeploy() {
    try {
      Files.delete(autodeployDir.resolve("offload.war"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The autodeployer leaves this marker when the undeploy has ended (the application's
    // listeners have returned), so the signal that follows finds nothing of Offload running.
    Path undeployed = autodeployDir.resolve("offload.war_undeployed");
    await(name + " undeploys offload.war").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Files.exists(undeployed));
  }

  /**
   * A byte-for-byte exploded copy of the built WAR in a directory named offload, for {@link
   * #deploy(Path)}: Payara Micro redeploys a directory deployment when its .reload changes.
   */
  Path explodedWar() {
    Path dir = work.resolve("exploded").resolve("offload");
    try (InputStream in = Files.newInputStream(Distributions.war());
        ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        Path target = dir.resolve(e.getName()).normalize();
        if (!target.startsWith(dir)) {
          throw new IllegalStateException("entry outside the WAR: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(zip, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /**
   * Sets the time of {@code app/.reload} to now. Payara's dynamic reloader (polling every second,
   * see the pre-boot commands) redeploys a directory deployment whose .reload is newer than the
   * moment it last recorded for it: when it first saw the application, or when its last reload
   * ended. A touch before that moment goes unnoticed, so a caller touches until the reload shows.
   */
  static void touchReload(Path app) {
    Path marker = app.resolve(".reload");
    try {
      if (!Files.exists(marker)) {
        Files.createFile(marker);
      }
      Files.setLastModifiedTime(marker, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The warning Payara writes at the first deploy of a WAR that carries a JDBC driver. Payara's
   * leak prevention calls DriverManager.getDrivers() while it discards the class loader it
   * scanned the WAR with; when that is the JVM's first use of DriverManager, the JDK loads the
   * drivers it finds through that very class loader, PostgreSQL's among them, and Payara then
   * unregisters the driver it just caused to be registered and warns about a "memory leak" of
   * the web application "[unknown]" (a JFR class-load trace shows the chain). Offload's own class
   * loader never registers the driver (the store names the driver class to HikariCP), and a leak
   * at a real undeploy would name the application, offload, not [unknown].
   */
  static boolean isDeployTimeDriverWarning(String line) {
    return line.contains("The web application [unknown] registered the JDBC driver "
        + "[org.postgresql.Driver] but failed to unregister it");
  }

  private ContainerProcess start(List<String> deployment) {
    Path preboot = work.resolve("pre-boot-commands.txt");
    try {
      // asadmin commands Payara Micro runs on its configuration before it boots: the HTTP
      // listener on loopback only; the autodeployer (on by default, in <rootdir>/autodeploy)
      // in the test's own directory; it and the dynamic reloader polling every second rather
      // than every two.
      Files.writeString(preboot, String.join("\n",
          "set configs.config.server-config.network-config.network-listeners"
              + ".network-listener.http-listener.address=127.0.0.1",
          "set configs.config.server-config.admin-service.das-config.autodeploy-dir="
              + autodeployDir,
          "set configs.config.server-config.admin-service.das-config"
              + ".autodeploy-polling-interval-in-seconds=1",
          "set configs.config.server-config.admin-service.das-config"
              + ".dynamic-reload-poll-interval-in-seconds=1",
          ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of(JettyDistribution.java(), "-Xmx384m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + work.resolve("tmp")));
    // A parallel change makes container authentication Offload's default; these tests are
    // about the managed executor and the deployment, so they run Offload open.
    cmd.add("-Doffload.auth=none");
    systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("-jar", Distributions.payaraMicroJar().toString(),
        // The runtime (about 100 MB unpacked) and the configuration in the test's own directory.
        "--rootdir", work.resolve("root").toString(),
        "--port", Integer.toString(port),
        // No data grid: Offload keeps no HTTP session, and without Hazelcast the server boots
        // faster and opens no cluster port beside the HTTP one.
        "--nohazelcast",
        "--disablephonehome",
        // A request pool of fixed size, so the live thread count only moves when a web
        // application starts or leaves threads (as the Tomcat tests do).
        "--minhttpthreads", "16", "--maxhttpthreads", "16",
        "--prebootcommandfile", preboot.toString()));
    cmd.addAll(deployment);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OFFLOAD_")
        || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
    return ContainerProcess.start(name, pb, work.resolve("logs"), port);
  }
}
