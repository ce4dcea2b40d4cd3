package dev.offload.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;

/**
 * The waiting clients of benchmark 3, in their own JVM so their memory and threads are not
 * counted as the server's: opens {@code count} long-polls or event streams, spread round-robin
 * over the given URLs, and for each records how long after the task's {@code finishedAt} its
 * final answer arrived.
 *
 * <p>{@code WaitingClients <max-clients> <timeout-seconds>}; prints {@code READY}, then runs
 * rounds read from standard input, each a line {@code poll|sse <count>} followed by the URLs and a
 * blank line; prints {@code SENT} once every request of the round is on the wire and {@code RESULT answered=.. failed=.. p50=.. p99=.. max=..}
 * (milliseconds) at the end.
 */
public final class WaitingClients {
  private static final Pattern FINISHED_AT = Pattern.compile("\"finishedAt\":\"([^\"]+)\"");
  private static final Pattern TERMINAL =
      Pattern.compile("\"status\":\"(success|failed|canceled)\"");
  /** Requests being connected and sent at once: a burst of 10,000 SYNs overflows the backlog. */
  private static final int IN_FLIGHT = 256;

  private WaitingClients() {}

  public static void main(String[] args) throws Exception {
    int maxClients = Integer.parseInt(args[0]);
    long timeoutSeconds = Long.parseLong(args[1]);
    // Started, and the client's classes loaded, before the tasks are: JVM start-up must not eat
    // into the tasks' running time.
    newClient(maxClients, timeoutSeconds).stop();
    System.out.println("READY");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String header; (header = in.readLine()) != null; ) {
      if (header.isBlank()) {
        continue;
      }
      String[] h = header.trim().split(" ");
      List<String> urls = new ArrayList<>();
      for (String l; (l = in.readLine()) != null && !l.isBlank(); ) {
        urls.add(l.trim());
      }
      // A fresh client per round: its connections close with it, so every round starts from
      // none and the server holds only the current round's connections.
      HttpClient client = newClient(maxClients, timeoutSeconds);
      try {
        round(client, h[0].equals("sse"), Integer.parseInt(h[1]), urls, timeoutSeconds);
      } finally {
        client.stop();
      }
    }
    System.exit(0);
  }

  private static HttpClient newClient(int maxClients, long timeoutSeconds) throws Exception {
    HttpClient client = new HttpClient();
    client.setMaxConnectionsPerDestination(maxClients + 100);
    client.setMaxRequestsQueuedPerDestination(maxClients + 100);
    client.setIdleTimeout(TimeUnit.SECONDS.toMillis(timeoutSeconds));
    client.setConnectTimeout(30_000);
    client.start();
    return client;
  }

  /** One round: {@code count} clients over {@code urls}, until each has its final answer. */
  private static void round(HttpClient client, boolean sse, int count, List<String> urls,
      long timeoutSeconds) throws InterruptedException {
    Delays delays = new Delays(count);
    long[] delayMicros = delays.micros();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(count);
    Semaphore sending = new Semaphore(IN_FLIGHT);
    for (int i = 0; i < count; i++) {
      sending.acquire();
      Request r = client.newRequest(urls.get(i % urls.size()))
          .timeout(timeoutSeconds, TimeUnit.SECONDS)
          .onRequestSuccess(req -> sending.release())
          .onRequestFailure((req, x) -> sending.release());
      if (sse) {
        sendStream(r, delays, answered, failed, done);
      } else {
        sendPoll(r, delays, answered, failed, done);
      }
    }
    sending.acquire(IN_FLIGHT);
    System.out.println("SENT");
    System.out.flush();
    boolean all = done.await(timeoutSeconds, TimeUnit.SECONDS);
    int n = answered.get();
    System.out.printf(java.util.Locale.ROOT,
        "RESULT answered=%d failed=%d missing=%d p50=%.3f p99=%.3f max=%.3f span=%.3f%n", n,
        failed.get(), all ? 0 : done.getCount(), Stats.percentile(delayMicros, n, 50) / 1000.0,
        Stats.percentile(delayMicros, n, 99) / 1000.0,
        Stats.percentile(delayMicros, n, 100) / 1000.0,
        n == 0 ? Double.NaN : (delays.lastReceipt().get() - delays.firstEnd().get()) / 1000.0);
    System.out.flush();
  }

  private static void sendPoll(Request r, Delays delays, AtomicInteger answered,
      AtomicInteger failed, CountDownLatch done) {
    r.send(new org.eclipse.jetty.client.BufferingResponseListener(64 * 1024) {
      @Override
      public void onComplete(Result result) {
        Instant receipt = Instant.now();
        try {
          String body = getContentAsString(StandardCharsets.UTF_8);
          if (result.isFailed() || result.getResponse().getStatus() != 200) {
            failed.incrementAndGet();
          } else {
            record(body, receipt, delays, answered, failed);
          }
        } finally {
          done.countDown();
        }
      }
    });
  }

  private static void sendStream(Request r, Delays delays, AtomicInteger answered,
      AtomicInteger failed, CountDownLatch done) {
    StringBuilder text = new StringBuilder();
    boolean[] seen = new boolean[1];
    r.onResponseContent((resp, buf) -> {
      Instant receipt = Instant.now();
      text.append(StandardCharsets.UTF_8.decode(buf));
      // Events end with a blank line; look at complete ones only.
      int end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        String event = text.substring(0, end);
        text.delete(0, end + 2);
        if (!seen[0] && TERMINAL.matcher(event).find()) {
          seen[0] = true;
          record(event, receipt, delays, answered, failed);
        }
      }
    }).send(result -> {
      if (!seen[0]) {
        failed.incrementAndGet();
      }
      done.countDown();
    });
  }

  /**
   * A round's delays, and its earliest task end and latest answer (epoch microseconds).
   */
  private record Delays(long[] micros, AtomicLong firstEnd, AtomicLong lastReceipt) {
    Delays(int count) {
      this(new long[count], new AtomicLong(Long.MAX_VALUE), new AtomicLong(Long.MIN_VALUE));
    }
  }

  private static long epochMicros(Instant i) {
    return TimeUnit.SECONDS.toMicros(i.getEpochSecond()) + i.getNano() / 1_000;
  }

  private static void record(String body, Instant receipt, Delays delays, AtomicInteger answered,
      AtomicInteger failed) {
    Matcher m = FINISHED_AT.matcher(body);
    if (!m.find()) {
      failed.incrementAndGet();
      return;
    }
    Instant finished = Instant.parse(m.group(1));
    long micros = TimeUnit.SECONDS.toMicros(receipt.getEpochSecond() - finished.getEpochSecond())
        + (receipt.getNano() - finished.getNano()) / 1_000;
    delays.firstEnd().accumulateAndGet(epochMicros(finished), Math::min);
    delays.lastReceipt().accumulateAndGet(epochMicros(receipt), Math::max);
    int slot = answered.getAndIncrement();
    synchronized (delays) {
      delays.micros()[slot] = micros;
    }
  }
}
