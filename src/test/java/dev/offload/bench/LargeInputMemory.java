package dev.offload.bench;

import dev.offload.testing.Http;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Heap per byte retained, with large inputs of the worst shapes, through the whole web
 * application: each shape's tasks are submitted over HTTP to a fresh Offload (noop tasks, so
 * the result repeats the input), run, read back one by one and in full list pages, and then the
 * heap after full collections is compared with the bytes of input and result text Offload
 * reports retaining. Also times a list of 100 such tasks (summaries and full).
 *
 * <p>Shapes: a long array of small numbers ({@code [0,0,...]}), deep objects (chains of 28
 * nested objects, side by side in an array), many short strings ({@code ["ab","cd",...]}): the
 * inputs that cost the most heap per byte as a parsed tree.
 */
final class LargeInputMemory {
  /** @param tasks per shape; @param bytes approximate size of each input */
  record Settings(int tasks, int bytes) {
    static Settings benchmark() {
      return new Settings(60, 1_000_000);
    }
  }

  private LargeInputMemory() {}

  static Map<String, Double> run(Settings s) throws Exception {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String shape : List.of("numbers", "deep", "strings")) {
      measure(shape, s, m);
    }
    return m;
  }

  static String input(String shape, int bytes) {
    StringBuilder b = new StringBuilder(bytes + 64).append('[');
    int i = 0;
    while (b.length() < bytes) {
      if (i++ > 0) {
        b.append(',');
      }
      switch (shape) {
        case "numbers" -> b.append(i % 10);
        case "strings" -> b.append('"').append((char) ('a' + i % 26))
            .append((char) ('a' + (i / 26) % 26)).append('"');
        case "deep" -> {
          b.append("{\"a\":".repeat(27)).append("{\"b\":").append(i % 10)
              .append("}".repeat(28));
        }
        default -> throw new IllegalArgumentException(shape);
      }
    }
    return b.append(']').toString();
  }

  private static void measure(String shape, Settings s, Map<String, Double> m) throws Exception {
    String body = "{\"type\":\"noop\",\"input\":" + input(shape, s.bytes()) + "}";
    String cap = Long.toString(4L * s.bytes());
    try (BenchServer server = BenchServer.start(50, Map.of(
        "offload.auth", "none",
        "offload.workers", "2",
        "offload.body.max.bytes", cap,
        "offload.result.max.bytes", cap,
        "offload.json.depth.max", "32",
        "offload.queue.bytes.max", Long.toString(1L << 40),
        "offload.retained.bytes.max", Long.toString(1L << 40)))) {
      Http http = new Http(server.url(""));
      long before = Heap.usedAfterGc();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < s.tasks(); i++) {
        Http.Response r = http.send(HttpRequest.newBuilder(http.url("/api/tasks"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.status() != 202 && r.status() != 200) {
          throw new IllegalStateException(shape + ": submit answered " + r.status());
        }
        ids.add(r.json().getString("id"));
      }
      for (String id : ids) {
        JsonObject t = http.get("/api/tasks/" + id + "?wait=60").json();
        if (!t.getString("status").equals("success")) {
          throw new IllegalStateException(shape + ": task " + id + " is " + t.getString("status"));
        }
      }
      // Read them every way a client would, so whatever a read keeps is counted.
      long t0 = System.nanoTime();
      Http.Response summaries = http.get("/api/tasks?limit=100");
      double summaryMillis = (System.nanoTime() - t0) / 1e6;
      long t1 = System.nanoTime();
      String after = null;
      long fullBytes = 0;
      do {
        HttpResponse<byte[]> page = http.client().send(HttpRequest.newBuilder(http.url(
            "/api/tasks?limit=100&view=full" + (after == null ? "" : "&after=" + after)))
            .timeout(Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        fullBytes += page.body().length;
        JsonObject json = Http.parse(new String(page.body(),
            java.nio.charset.StandardCharsets.UTF_8));
        after = json.isNull("next") ? null : json.getString("next");
      } while (after != null);
      double fullMillis = (System.nanoTime() - t1) / 1e6;
      long after0 = Heap.usedAfterGc();
      JsonObject health = http.get("/api/health").json();
      long retained = health.getJsonNumber("retainedBytes").longValue();
      m.put(shape + "_retained_bytes", (double) retained);
      m.put(shape + "_heap_per_byte", (after0 - before) / (double) retained);
      m.put(shape + "_list_summary_ms", summaryMillis);
      m.put(shape + "_list_summary_bytes", (double) summaries.body().length());
      m.put(shape + "_list_full_all_ms", fullMillis);
      m.put(shape + "_list_full_all_bytes", (double) fullBytes);
    }
  }
}
