package dev.offload.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What the figures were measured on, read from /proc and the JVM. */
final class Machine {
  private Machine() {}

  static String describe(Instant date, String command, int runs) {
    return "\n## Latest run\n\n"
        + "| | |\n|---|---|\n"
        + "| date (UTC) | " + date + " |\n"
        + "| command | `" + command + "` |\n"
        + "| runs per benchmark | " + runs + " (min / median / max below) |\n"
        + "| CPUs (nproc) | " + Runtime.getRuntime().availableProcessors() + " |\n"
        + "| CPU model | " + cpuModel() + " |\n"
        + "| memory | " + memory() + " |\n"
        + "| load average at start | " + loadAverage() + " |\n"
        + "| JDK | " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor")
        + ") |\n"
        + "| OS | " + System.getProperty("os.name") + " " + System.getProperty("os.version")
        + " " + System.getProperty("os.arch") + " |\n";
  }

  /** The 1, 5 and 15 minute load averages: how busy the shared machine was. */
  static String loadAverage() {
    return firstLine("/proc/loadavg").map(l -> String.join(" ",
        java.util.Arrays.asList(l.split(" ")).subList(0, 3))).orElse("?");
  }

  private static String cpuModel() {
    return lines("/proc/cpuinfo").stream().filter(l -> l.startsWith("model name"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
  }

  private static String memory() {
    return lines("/proc/meminfo").stream().filter(l -> l.startsWith("MemTotal:"))
        .map(l -> l.replaceAll("\\D", "")).filter(s -> !s.isEmpty())
        .map(kb -> String.format(java.util.Locale.ROOT, "%.1f GiB",
            Long.parseLong(kb) / 1024.0 / 1024.0))
        .findFirst().orElse("?");
  }

  private static Optional<String> firstLine(String file) {
    return lines(file).stream().findFirst();
  }

  private static List<String> lines(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException e) {
      return List.of();
    }
  }
}
