package dev.offload.bench;

import dev.offload.engine.TaskEngine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark 3, waiting clients: many long-polls and event streams parked on running tasks in a
 * container with a small thread pool. For each kind of wait, Offload ({@code GET
 * /api/tasks/{id}?wait=N}, {@code GET /api/tasks/{id}/events} on running {@code sleep} tasks) and
 * the baseline ({@link BaselineWaitServlet}, bare {@code AsyncContext}s in the same container) are
 * measured one after the other with the same number of clients on the same number of tasks. The
 * clients run in their own JVM ({@link WaitingClients}), so the server's heap and threads are the
 * server's alone.
 */
final class WaitingClientsBenchmark {
  private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");
  private static final Pattern RESULT = Pattern.compile(
      "RESULT answered=(\\d+) failed=(\\d+) missing=(\\d+) p50=([0-9.NaN]+) p99=([0-9.NaN]+) "
          + "max=([0-9.NaN]+) span=([0-9.NaN]+)");

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private WaitingClientsBenchmark() {}

  /**
   * @param polls long-poll clients
   * @param streams event-stream clients
   * @param tasks running tasks the clients wait on (as many workers)
   * @param sleepMillis how long each task runs: long enough for every client to be parked
   * @param maxThreads the container's thread pool
   */
  record Settings(int polls, int streams, int tasks, int sleepMillis, int maxThreads) {
    static Settings benchmark() {
      return new Settings(10_000, 1_000, 50, 30_000, 20);
    }

    static Settings smoke() {
      return new Settings(100, 20, 4, 2_500, 20);
    }
  }

  static Map<String, Double> run(Settings s) throws Exception {
    Map<String, String> params = Map.of(
        "offload.workers", Integer.toString(s.tasks()),
        "offload.wait.max.seconds", "600");
    Map<String, Double> m = new LinkedHashMap<>();
    try (BenchServer server = BenchServer.start(s.maxThreads(), params);
        Clients clients = Clients.start(Math.max(s.polls(), s.streams()))) {
      m.put("container_max_threads", (double) server.containerMaxThreads());
      // Warm-up: loads the classes of both JVMs' request paths before anything is measured.
      for (boolean sse : new boolean[] {false, true}) {
        warmUp(server, clients, sse);
      }
      offloadPhase(server, clients, s, false, m);
      phase(server, clients, s, s.sleepMillis(), false, false, m);
      offloadPhase(server, clients, s, true, m);
      phase(server, clients, s, s.sleepMillis(), true, false, m);
    }
    return m;
  }

  /**
   * Offload's tasks end on their own; on a loaded machine the clients may not all be parked by
   * then, and the phase is run again with tasks twice as long.
   */
  private static void offloadPhase(BenchServer server, Clients clients, Settings s,
      boolean sse, Map<String, Double> m) throws Exception {
    int sleep = s.sleepMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        phase(server, clients, s, sleep, sse, true, m);
        return;
      } catch (NotParkedInTime e) {
        if (attempt == 3) {
          throw e;
        }
        System.out.println("[bench] " + e.getMessage() + "; again with tasks of " + 2 * sleep
            + " ms");
        sleep *= 2;
      }
    }
  }

  /** A few clients on short tasks and on the baseline, nothing measured. */
  private static void warmUp(BenchServer server, Clients clients, boolean sse) throws Exception {
    List<String> urls = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      String id = submitSleep(server, 500);
      urls.add(server.url("/api/tasks/" + id + (sse ? "/events" : "?wait=600")).toString());
      urls.add(server.url("/baseline/wait/" + (sse ? "events" : "poll") + "?key=warm" + t)
          .toString());
    }
    CompletableFuture<String> result = clients.round(sse, 40, urls);
    while (server.waits().parked() < 20 && !result.isDone()) {
      TimeUnit.MILLISECONDS.sleep(20); // polling the server's own counter; not a test
    }
    server.waits().end("warm0");
    server.waits().end("warm1");
    result.get(2, TimeUnit.MINUTES);
  }

  /** The clients were not all parked while the tasks still ran. */
  static final class NotParkedInTime extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    NotParkedInTime(String message) {
      super(message);
    }
  }

  /** One kind of wait (polls or streams) on one side (Offload or the baseline). */
  private static void phase(BenchServer server, Clients clientsJvm, Settings s, int sleepMillis,
      boolean sse, boolean offload, Map<String, Double> m) throws Exception {
    int clients = sse ? s.streams() : s.polls();
    String prefix = (offload ? "offload_" : "baseline_") + (sse ? "sse_" : "poll_");
    TaskEngine engine = server.engine();
    // The previous round's connections close when its client stops; wait until the server has
    // let them go, so they are not counted (at most 30 s).
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.connections() > 2 && System.nanoTime() < settle) {
      TimeUnit.MILLISECONDS.sleep(20); // polling the server's own counter; not a test
    }
    long heapBefore = Heap.usedAfterGc();
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();

    List<String> urls = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    long tasksStarted = System.nanoTime();
    for (int t = 0; t < s.tasks(); t++) {
      if (offload) {
        String id = submitSleep(server, sleepMillis);
        urls.add(server.url("/api/tasks/" + id + (sse ? "/events" : "?wait=600")).toString());
      } else {
        String key = prefix + t;
        keys.add(key);
        urls.add(server.url("/baseline/wait/" + (sse ? "events" : "poll") + "?key=" + key)
            .toString());
      }
    }
    CompletableFuture<String> result = clientsJvm.round(sse, clients, urls);
    IntSupplier parked = offload ? engine::watcherCount : server.waits()::parked;
    ThreadPeak peak = new ThreadPeak(server::containerThreads);
    peak.start();
    try {
      long deadline = tasksStarted + TimeUnit.MILLISECONDS.toNanos(sleepMillis)
          - TimeUnit.SECONDS.toNanos(1);
      while (parked.getAsInt() < clients) {
        if (offload && System.nanoTime() > deadline) {
          throw new NotParkedInTime("only " + parked.getAsInt() + " of " + clients
              + " clients were parked within " + sleepMillis + " ms");
        }
        if (result.isDone()) {
          throw new IllegalStateException("the clients ended early: " + result.get());
        }
        if (System.nanoTime() - tasksStarted > TimeUnit.MINUTES.toNanos(5)) {
          throw new IllegalStateException("only " + parked.getAsInt() + " of " + clients
              + " clients were parked after 5 minutes");
        }
        TimeUnit.MILLISECONDS.sleep(20); // polling the server's own counter; not a test
      }
      int containerThreads = server.containerThreads();
      int jvmThreads = ManagementFactory.getThreadMXBean().getThreadCount();
      long heapWaiting = Heap.usedAfterGc();
      if (offload && System.nanoTime() > deadline) {
        throw new NotParkedInTime("the tasks of " + sleepMillis
            + " ms may have ended before the heap was measured");
      }
      if (!offload) {
        endAtOnce(server, keys);
      }
      String line = result.get(sleepMillis / 1000 + 120, TimeUnit.SECONDS);
      Matcher r = RESULT.matcher(line);
      if (!r.find()) {
        throw new IllegalStateException("unexpected output of the clients: " + line);
      }
      int answered = Integer.parseInt(r.group(1));
      if (answered != clients) {
        throw new IllegalStateException(prefix + ": " + answered + " of " + clients
            + " clients got their answer (" + line + ")");
      }
      m.put(prefix + "clients", (double) clients);
      m.put(prefix + "container_threads", (double) containerThreads);
      m.put(prefix + "container_threads_peak", (double) peak.finish());
      m.put(prefix + "jvm_threads", (double) jvmThreads);
      m.put(prefix + "jvm_threads_before", (double) threadsBefore);
      m.put(prefix + "heap_per_client_bytes", (heapWaiting - heapBefore) / (double) clients);
      m.put(prefix + "delay_p50_ms", Double.parseDouble(r.group(4)));
      m.put(prefix + "delay_p99_ms", Double.parseDouble(r.group(5)));
      m.put(prefix + "delay_max_ms", Double.parseDouble(r.group(6)));
      m.put(prefix + "span_ms", Double.parseDouble(r.group(7)));
    } finally {
      peak.finish();
      // A failed phase still lets its round end (the tasks end), so the next one starts clean.
      if (!offload) {
        keys.forEach(server.waits()::end);
      }
      try {
        result.get(sleepMillis / 1000 + 120, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        System.out.println("[bench] the clients' round did not end: " + e);
      }
    }
  }

  private static String submitSleep(BenchServer server, int millis) throws Exception {
    HttpResponse<String> r = HTTP.send(
        HttpRequest.newBuilder(server.url("/api/tasks"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"type\":\"sleep\",\"input\":{\"millis\":" + millis + "}}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    Matcher id = ID.matcher(r.body());
    if (r.statusCode() != 202 || !id.find()) {
      throw new IllegalStateException("submitting a sleep task failed: " + r.statusCode() + " "
          + r.body());
    }
    return id.group(1);
  }

  /** The clients' JVM, kept for the whole run and given one round per phase. */
  private static final class Clients implements AutoCloseable {
    private final Process process;
    private final Writer input;
    private final BlockingQueue<String> results = new LinkedBlockingQueue<>();
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private Clients(Process process) {
      this.process = process;
      this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(this::echo, "bench-clients-output");
      reader.setDaemon(true);
      reader.start();
    }

    static Clients start(int maxClients) throws Exception {
      Process p = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx3g", "-cp", System.getProperty("java.class.path"),
          WaitingClients.class.getName(), Integer.toString(maxClients), "600")
          .redirectErrorStream(true).start();
      Clients c = new Clients(p);
      c.ready.get(60, TimeUnit.SECONDS);
      return c;
    }

    /** Starts a round; completes with its RESULT line. */
    CompletableFuture<String> round(boolean sse, int count, List<String> urls)
        throws IOException {
      input.write((sse ? "sse " : "poll ") + count + "\n" + String.join("\n", urls) + "\n\n");
      input.flush();
      return CompletableFuture.supplyAsync(() -> {
        try {
          String line = results.poll(15, TimeUnit.MINUTES);
          return line != null ? line : "no RESULT from the clients within 15 minutes";
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return "interrupted";
        }
      });
    }

    private void echo() {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          if (!l.startsWith("SLF4J")) {
            System.out.println("[clients] " + l);
          }
          if (l.startsWith("READY")) {
            ready.complete(l);
          } else if (l.startsWith("RESULT")) {
            results.add(l);
          }
        }
      } catch (IOException e) {
        // The process ended; close() reports how.
      } finally {
        ready.complete("the clients' JVM ended");
        results.add("the clients' JVM ended without a RESULT");
      }
    }

    @Override
    public void close() throws Exception {
      input.close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Samples a thread count every 50 ms and keeps the highest. */
  private static final class ThreadPeak extends Thread {
    private final IntSupplier count;
    private final AtomicInteger peak = new AtomicInteger();
    private volatile boolean stop;

    ThreadPeak(IntSupplier count) {
      super("bench-thread-peak");
      this.count = count;
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!stop) {
        peak.accumulateAndGet(count.getAsInt(), Math::max);
        try {
          TimeUnit.MILLISECONDS.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    int finish() throws InterruptedException {
      stop = true;
      interrupt();
      join();
      return peak.accumulateAndGet(count.getAsInt(), Math::max);
    }
  }

  /**
   * Ends the baseline's "tasks" as Offload's end: each on its own thread, all at once (Offload's
   * tasks, started together with one worker each, end within a few milliseconds of each other).
   */
  private static void endAtOnce(BenchServer server, List<String> keys)
      throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> enders = new ArrayList<>();
    for (String key : keys) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          server.waits().end(key);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "baseline-end-" + key);
      t.start();
      enders.add(t);
    }
    go.countDown();
    for (Thread t : enders) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
  }
}