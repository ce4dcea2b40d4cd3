package dev.offload.bench;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Runs one benchmark run in a fresh JVM (its own heap, JIT and threads), on this JVM's class
 * path, and reads its figures back from a properties file.
 */
final class ChildJvm {
  private ChildJvm() {}

  static Map<String, Double> run(String benchmark, List<String> jvmArgs, long timeoutMinutes)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("offload-bench-" + benchmark + "-", ".properties");
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmArgs);
      // For finding out where the time goes, e.g. BENCH_JVM_ARGS=-XX:StartFlightRecording=...
      String extra = System.getenv("BENCH_JVM_ARGS");
      if (extra != null && !extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(BenchChild.class.getName());
      cmd.add(benchmark);
      cmd.add(out.toString());
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "benchmark " + benchmark + " did not finish within " + timeoutMinutes + " minutes");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "benchmark " + benchmark + " failed with exit code " + p.exitValue());
      }
      return read(out);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  static void write(Map<String, Double> metrics, Path file) throws IOException {
    Properties p = new Properties();
    metrics.forEach((k, v) -> p.setProperty(k, Double.toString(v)));
    try (Writer w = Files.newBufferedWriter(file)) {
      p.store(w, "offload benchmark figures");
    }
  }

  static Map<String, Double> read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    Map<String, Double> m = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      m.put(k, Double.parseDouble(p.getProperty(k)));
    }
    return m;
  }
}
