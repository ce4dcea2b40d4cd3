package dev.offload.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Prometheus's own checker, {@code promtool} (Debian's package {@code prometheus}), so what
 * Offload serves and ships is judged by a real Prometheus parser. Without it the tests that need
 * it are skipped on a developer's machine and fail when {@code CI} is set: CI cannot pass by
 * skipping them ({@code .ci/run} installs it).
 */
public final class Promtool {
  static final Path PROMTOOL =
      Path.of(System.getProperty("offload.test.promtool", "/usr/bin/promtool"));

  private Promtool() {}

  /** What promtool said: its exit code and everything it printed. */
  public record Result(int exitCode, String output) {}

  /** Skips the calling test without promtool, or fails it when CI is set. */
  public static void require() {
    if (Files.isExecutable(PROMTOOL)) {
      return;
    }
    String why = "this test needs " + PROMTOOL + " (apt-get install prometheus)";
    if (System.getenv("CI") != null) {
      fail("CI is set and " + why);
    }
    Assumptions.abort("skipped: " + why);
  }

  /** {@code promtool check metrics}: parses and lints a scrape given on its standard input. */
  public static Result checkMetrics(String scrape) {
    return run(scrape, "check", "metrics");
  }

  /** {@code promtool check rules}: the rule files parse, and so does every PromQL in them. */
  public static Result checkRules(Path file) {
    return run(null, "check", "rules", file.toString());
  }

  /** {@code promtool check config}: a Prometheus configuration file. */
  public static Result checkConfig(Path file) {
    return run(null, "check", "config", file.toString());
  }

  private static Result run(String stdin, String... args) {
    require();
    List<String> cmd = new ArrayList<>(List.of(PROMTOOL.toString()));
    cmd.addAll(List.of(args));
    Path out = null;
    try {
      out = Files.createTempFile("promtool-", ".out");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      if (stdin == null) {
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      }
      Process p = pb.start();
      if (stdin != null) {
        try (var in = p.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("promtool " + String.join(" ", args) + " did not end within 60 s");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          // A temporary file left behind is not worth failing a test for.
        }
      }
    }
  }
}
