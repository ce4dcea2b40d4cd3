package dev.offload.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Where the build left what the container tests need: the WAR that {@code mvn package} built and
 * the distributions that the dependency plugin unpacked (or, for Payara Micro's single jar,
 * copied) into {@code target/containers} during {@code pre-integration-test}. A missing piece
 * fails the test: these tests never skip.
 */
final class Distributions {
  private Distributions() {}

  /** The WAR, exactly as {@code mvn package} built it. */
  static Path war() {
    String war = System.getProperty("offload.war");
    if (war == null) {
      throw new IllegalStateException(
          "system property offload.war is not set: run the container tests through `mvn verify`");
    }
    Path path = Path.of(war).toAbsolutePath();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("the built WAR " + path + " does not exist");
    }
    return path;
  }

  /**
   * The handler SPI's jar ({@code offload-<version>-api.jar}) that {@code mvn package} built
   * next to the WAR: what a handler project compiles against.
   */
  static Path apiJar() {
    String jar = System.getProperty("offload.api.jar");
    if (jar == null) {
      throw new IllegalStateException("system property offload.api.jar is not set: run the "
          + "container tests through `mvn verify`");
    }
    Path path = Path.of(jar).toAbsolutePath();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("the built api jar " + path + " does not exist");
    }
    return path;
  }

  static Path jettyHome() {
    return unpacked("jetty-home-12.");
  }

  static Path tomcat11Home() {
    return unpacked("apache-tomcat-11.");
  }

  static Path tomcat10Home() {
    return unpacked("apache-tomcat-10.1.");
  }

  /** The Payara Micro jar as the dependency plugin copied it (it runs as it is). */
  static Path payaraMicroJar() {
    return the("payara-micro-", ".jar", Files::isRegularFile, "containers-payara-micro",
        "copies");
  }

  /** The project's own jetty-base, used as it is in the repository. */
  static Path jettyBase() {
    Path base = projectDir().resolve("jetty-base");
    if (!Files.isRegularFile(base.resolve("webapps/offload.xml"))) {
      throw new IllegalStateException("no jetty-base/webapps/offload.xml under " + projectDir());
    }
    return base;
  }

  /** A directory of its own under target/ for one test's files (bases, logs, temp). */
  static Path workDir(String name) {
    Path dir = targetDir().resolve("container-its").resolve(name + "-" + System.nanoTime());
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path unpacked(String prefix) {
    return the(prefix, "", Files::isDirectory, "containers-dist", "unpacks");
  }

  /** The one entry of target/containers named prefix*suffix, or an error saying why not. */
  private static Path the(String prefix, String suffix, Predicate<Path> kind, String execution,
      String verb) {
    Path dir = Path.of(System.getProperty("offload.containers.dir",
        targetDir().resolve("containers").toString()));
    List<Path> found;
    try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
      found = s.filter(kind)
          .filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (found.isEmpty()) {
      throw new IllegalStateException("no " + prefix + "*" + suffix + " distribution in " + dir
          + ": the " + execution + " execution of maven-dependency-plugin " + verb + " it in "
          + "pre-integration-test; run the container tests through `mvn verify`");
    }
    if (found.size() > 1) {
      throw new IllegalStateException("several " + prefix + "*" + suffix + " distributions in "
          + dir + " " + found + " (a version changed in pom.xml?): run `mvn clean verify`");
    }
    return found.get(0);
  }

  private static Path targetDir() {
    return war().getParent();
  }

  /** The project's own directory (where pom.xml, jetty-base/ and examples/ are). */
  static Path projectDir() {
    return targetDir().getParent();
  }
}
