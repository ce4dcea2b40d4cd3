package dev.offload.store.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The parent's handle on an {@link OffloadInstance} child JVM: started with this test's class
 * path, its output copied to a log file under {@code target/}, stopped gracefully or killed with
 * SIGKILL. {@link #close()} always leaves no process behind.
 */
final class OffloadProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Thread pump;
  private final Path log;
  private final int port;

  private OffloadProcess(String name, Process process, Thread pump, Path log, int port) {
    this.name = name;
    this.process = process;
    this.pump = pump;
    this.log = log;
    this.port = port;
  }

  /** Settings of an instance on the PostgreSQL store, with short leases to keep tests quick. */
  static Map<String, String> postgres(TestDatabase db, int leaseSeconds) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("offload.store", "postgres");
    p.put("offload.jdbc.url", db.jdbcUrl());
    p.put("offload.jdbc.user", db.user());
    p.put("offload.jdbc.password", db.password());
    p.put("offload.jdbc.pool.size", "6");
    p.put("offload.workers", "4");
    p.put("offload.lease.seconds", Integer.toString(leaseSeconds));
    p.put("offload.shutdown.grace.seconds", "1");
    return p;
  }

  static OffloadProcess start(String name, Map<String, String> params) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1"));
    // System properties, as an operator would set them: they win over web.xml's context-params.
    params.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.addAll(List.of("-cp", classPath, OffloadInstance.class.getName()));
    Path log = Path.of("target", "offload-" + name + ".log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread pump = new Thread(() -> copyOutput(p, log, port), "offload-" + name + "-output");
    pump.setDaemon(true);
    pump.start();
    try {
      return new OffloadProcess(name, p, pump, log, port.get(60, TimeUnit.SECONDS));
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException("instance " + name + " did not start; see " + log, e);
    }
  }

  private static void copyOutput(Process p, Path log, CompletableFuture<Integer> port) {
    try (BufferedReader in = new BufferedReader(
            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
      for (String line; (line = in.readLine()) != null; ) {
        out.println(line);
        if (line.startsWith(OffloadInstance.PORT_LINE)) {
          port.complete(Integer.parseInt(line.substring(OffloadInstance.PORT_LINE.length())));
        }
      }
    } catch (IOException | RuntimeException e) {
      port.completeExceptionally(e);
    } finally {
      port.completeExceptionally(new IOException("the instance ended before it served"));
    }
  }

  URI baseUri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  /** A thread dump of the instance, for diagnosing a test that hangs. */
  String threadDump() {
    try {
      Process jcmd = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
      String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      jcmd.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "no thread dump: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "no thread dump: interrupted";
    }
  }

  /** SIGKILL: the instance gets no chance to hand anything back. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** A graceful stop, like a redeploy: returns the exit code. */
  int stop() throws IOException, InterruptedException {
    process.getOutputStream().close();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("instance " + name + " did not stop within 60 s; see " + log);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    pump.join(5_000);
  }
}
