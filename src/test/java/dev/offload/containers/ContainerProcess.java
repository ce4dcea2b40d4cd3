package dev.offload.containers;

import static org.awaitility.Awaitility.await;

import dev.offload.testing.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One servlet container running as a separate operating-system process that this test owns by
 * its PID. {@link #close()} always ends it: a graceful stop first, then a kill, and a JVM
 * shutdown hook does the same if the test JVM goes away before close() ran.
 */
final class ContainerProcess implements AutoCloseable {
  private static final Pattern JAVA_THREAD = Pattern.compile("^\"(.*)\" #\\d+ ", Pattern.MULTILINE);

  private final String name;
  private final Process process;
  private final Path logDir;
  private final Path console;
  private final int port;
  private final URI root;
  private final Thread killer;
  private Runnable gracefulStop;

  private ContainerProcess(String name, Process process, Path logDir, Path console, int port) {
    this.name = name;
    this.process = process;
    this.logDir = logDir;
    this.console = console;
    this.port = port;
    this.root = URI.create("http://127.0.0.1:" + port);
    this.gracefulStop = process::destroy;
    this.killer = new Thread(() -> process.destroyForcibly(), "kill-" + name + "-" + pid());
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /**
   * Starts the command with its output in {@code console} (under {@code logDir}, the directory
   * every log of this container is read from).
   */
  static ContainerProcess start(String name, ProcessBuilder builder, Path logDir, int port) {
    try {
      Files.createDirectories(logDir);
      Path console = logDir.resolve("console.log");
      builder.redirectErrorStream(true).redirectOutput(console.toFile());
      ContainerProcess started = new ContainerProcess(name, builder.start(), logDir, console, port);
      try {
        // The PID must be the container's JVM itself: catalina.sh run ends in exec java.
        await(name + " is a java process").atMost(Duration.ofSeconds(20))
            .pollInterval(Duration.ofMillis(20))
            .failFast(name + " exited; its log:\n" + started.logTail(), () -> !started.isAlive())
            .until(() -> started.process.info().command().orElse(""), c -> c.endsWith("/java"));
      } catch (RuntimeException | AssertionError e) {
        started.close();
        throw e;
      }
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port nobody listens on right now, for a process that binds it in a moment. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long pid() {
    return process.pid();
  }

  int port() {
    return port;
  }

  String name() {
    return name;
  }

  /** {@code http://127.0.0.1:port} + path. */
  URI uri(String path) {
    return root.resolve(path);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for {@code path} to answer 200, failing at once if the process dies. */
  void awaitOk(Http http, String path, Duration max) {
    await(name + " answers 200 at " + path)
        .atMost(max)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .failFast(name + " exited while starting; its log:\n" + logTail(), () -> !isAlive())
        .until(() -> http.get(path).status() == 200);
  }

  /** Sends SIGTERM (the way systemd or a terminal stops a server). */
  void terminate() {
    process.destroy();
  }

  /** Replaces SIGTERM as this container's graceful stop. */
  ContainerProcess gracefulStop(Runnable stop) {
    this.gracefulStop = stop;
    return this;
  }

  /** The container's own graceful stop; returns when it has been asked (or done). */
  void stopGracefully() {
    gracefulStop.run();
  }

  /** Waits for the process to exit; true if it did within {@code max}. */
  boolean awaitExit(Duration max) {
    try {
      return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  int exitValue() {
    return process.exitValue();
  }

  /** Everything every log file of this container holds so far. */
  String log() {
    List<Path> files;
    try (Stream<Path> s = Files.list(logDir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder all = new StringBuilder();
    for (Path f : files) {
      try {
        all.append("==> ").append(f.getFileName()).append(" <==\n")
            .append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return all.toString();
  }

  /** The process's own output (stdout and stderr). */
  String consoleLog() {
    try {
      return Files.readString(console, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String logTail() {
    String log = consoleLog();
    return log.length() <= 6000 ? log : log.substring(log.length() - 6000);
  }

  /**
   * The names of the JVM's live Java threads, read with {@code jcmd PID Thread.print}, without
   * the JIT compiler threads (the JVM starts and ends those by itself as load comes and goes).
   */
  List<String> liveThreads() {
    return threadDump().stream().map(DumpedThread::name).toList();
  }

  /** One Java thread of a dump: its name and its stack as jcmd printed it. */
  record DumpedThread(String name, String stack) {
    boolean runs(String frame) {
      return stack.contains(frame);
    }
  }

  /**
   * The JVM's live Java threads with their stacks, read with {@code jcmd PID Thread.print},
   * without the JIT compiler threads (see {@link #liveThreads()}).
   */
  List<DumpedThread> threadDump() {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Path out = logDir.getParent().resolve("threads-" + pid() + ".txt");
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "Thread.print")
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .start();
      boolean done = p.waitFor(30, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      String dump = Files.readString(out, StandardCharsets.UTF_8);
      if (!done || p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + pid() + " Thread.print failed:\n" + dump);
      }
      List<DumpedThread> threads = new ArrayList<>();
      Matcher m = JAVA_THREAD.matcher(dump);
      while (m.find()) {
        String n = m.group(1);
        // A thread's entry runs up to the blank line that ends its stack.
        int end = dump.indexOf("\n\n", m.start());
        String stack = dump.substring(m.start(), end < 0 ? dump.length() : end);
        if (!n.matches("C[12] CompilerThread\\d+") && !n.equals("Sweeper thread")) {
          threads.add(new DumpedThread(n, stack));
        }
      }
      if (threads.isEmpty()) {
        throw new IllegalStateException("no threads in the dump of " + pid() + ":\n" + dump);
      }
      return threads;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the process: SIGTERM, up to 60 s for a graceful exit, then SIGKILL. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!awaitExit(Duration.ofSeconds(60))) {
          process.destroyForcibly();
          awaitExit(Duration.ofSeconds(10));
        }
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or about to: it kills the process anyway.
      }
    }
  }

  @Override
  public String toString() {
    return name + "[pid " + pid() + ", port " + port + "]";
  }
}
