package dev.offload.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the wrk load generator (Debian's {@code wrk}) as a separate process and reads its figures. */
final class Wrk {
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
  private static final Pattern SOCKET_ERRORS = Pattern.compile(
      "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private Wrk() {}

  /** What one wrk run measured. */
  record Result(double requestsPerSecond, double p50Millis, double p99Millis, long requests,
      long errors) {

    /** Two runs of the same duration: mean rate and mean percentiles, summed counts. */
    static Result mean(Result a, Result b) {
      return new Result((a.requestsPerSecond + b.requestsPerSecond) / 2,
          (a.p50Millis + b.p50Millis) / 2, (a.p99Millis + b.p99Millis) / 2,
          a.requests + b.requests, a.errors + b.errors);
    }
  }

  static boolean installed() {
    try {
      Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(10, TimeUnit.SECONDS);
      return true;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** POSTs {@code json} to {@code url} for {@code seconds}, with a bounded wait for wrk. */
  static Result post(URI url, String json, int threads, int connections, int seconds)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("offload-wrk-", ".lua");
    try {
      Files.writeString(script, "wrk.method = \"POST\"\n"
          + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
          + "wrk.body = [[" + json + "]]\n", StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(List.of("wrk", "-t" + threads, "-c" + connections,
          "-d" + seconds + "s", "--timeout", "10s", "--latency", "-s", script.toString(),
          url.toString())).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("wrk did not end");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("wrk failed (" + p.exitValue() + "): " + text);
      }
      return parse(text);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  static Result parse(String text) {
    Matcher rps = RPS.matcher(text);
    Matcher total = TOTAL.matcher(text);
    if (!rps.find() || !total.find()) {
      throw new IllegalStateException("unexpected wrk output:\n" + text);
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher pm = PERCENTILE.matcher(text);
    while (pm.find()) {
      double ms = millis(Double.parseDouble(pm.group(2)), pm.group(3));
      if (pm.group(1).equals("50")) {
        p50 = ms;
      } else {
        p99 = ms;
      }
    }
    long errors = 0;
    Matcher non2xx = NON_2XX.matcher(text);
    if (non2xx.find()) {
      errors += Long.parseLong(non2xx.group(1));
    }
    Matcher socket = SOCKET_ERRORS.matcher(text);
    if (socket.find()) {
      for (int g = 1; g <= 4; g++) {
        errors += Long.parseLong(socket.group(g));
      }
    }
    return new Result(Double.parseDouble(rps.group(1)), p50, p99,
        Long.parseLong(total.group(1)), errors);
  }

  private static double millis(double v, String unit) {
    return switch (unit) {
      case "us" -> v / 1000;
      case "ms" -> v;
      case "s" -> v * 1000;
      case "m" -> v * 60_000;
      default -> throw new IllegalArgumentException(unit);
    };
  }
}
