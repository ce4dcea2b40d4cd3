package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.testing.EmbeddedOffload;
import dev.offload.testing.Http;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood: 200,000 submissions from 64 concurrent clients (four owners, one of them with half
 * the clients) at a queue capacity of 10,000. Every 202 reaches a final state, the excess is
 * refused with 503 (the queue) or 429 (an owner's share), never a 5xx, and the live heap stays
 * under a stated bound throughout.
 */
class FloodIT {
  static final int SUBMISSIONS = 200_000;
  static final int CLIENTS = 64;
  /** The live heap (after a full collection) the server may use during the flood. */
  static final long HEAP_BOUND = 256L << 20;

  @TempDir
  Path dir;

  @Test
  void everyAcceptedTaskEndsAndTheRestIsRefusedAsSpecified() throws Exception {
    List<String> owners = List.of("greedy", "b", "c", "d");
    List<String> tokens = new ArrayList<>();
    StringBuilder file = new StringBuilder();
    for (String owner : owners) {
      String token = "flood-" + owner + "-" + UUID.randomUUID();
      tokens.add(token);
      file.append(Tokens.line(token, owner, "offload-user")).append('\n');
    }
    Path tokensFile = dir.resolve("tokens");
    Files.writeString(tokensFile, file, StandardCharsets.UTF_8);
    try (EmbeddedOffload app = EmbeddedOffload.builder()
        .maxThreads(200)
        .param("offload.auth", "token")
        .param("offload.auth.tokens", tokensFile.toString())
        .param("offload.workers", "2")
        .param("offload.queue.capacity", "10000")
        .param("offload.owner.pending.max", "4000")
        .param("offload.result.ttl.seconds", "600")
        .param("offload.shutdown.grace.seconds", "0")
        .start()) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(4)).build();
      AtomicLongArray statuses = new AtomicLongArray(600);
      Set<String> accepted = ConcurrentHashMap.newKeySet();
      AtomicInteger next = new AtomicInteger();
      AtomicLong peakLiveHeap = new AtomicLong();
      CountDownLatch done = new CountDownLatch(CLIENTS);
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      long started = System.nanoTime();
      for (int c = 0; c < CLIENTS; c++) {
        // Half the clients are one owner's: it reaches its share long before the others.
        String token = tokens.get(c < CLIENTS / 2 ? 0 : 1 + c % 3);
        clients.execute(() -> {
          try {
            for (int i; (i = next.getAndIncrement()) < SUBMISSIONS; ) {
              HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                      app.url("/api/tasks"))
                  .header("Authorization", "Bearer " + token)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(
                      "{\"type\":\"sleep\",\"input\":{\"millis\":1},\"maxAttempts\":1}"))
                  .build(), HttpResponse.BodyHandlers.ofString());
              statuses.incrementAndGet(r.statusCode());
              if (r.statusCode() == 202) {
                accepted.add(Http.parse(r.body()).getString("id"));
              } else if (r.statusCode() == 429 || r.statusCode() == 503) {
                if (r.headers().firstValue("Retry-After").isEmpty()
                    || !r.headers().firstValue("Content-Type").orElse("")
                        .startsWith("application/problem+json")) {
                  statuses.incrementAndGet(599); // marks a refusal without its header or body
                }
              }
            }
          } catch (Exception e) {
            statuses.incrementAndGet(0);
          } finally {
            done.countDown();
          }
        });
      }
      while (!done.await(2, TimeUnit.SECONDS)) {
        peakLiveHeap.accumulateAndGet(liveHeap(), Math::max);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      clients.shutdown();
      peakLiveHeap.accumulateAndGet(liveHeap(), Math::max);

      Http http = new Http(app.baseUri());
      Map<String, String> auth = Map.of("Authorization", "Bearer " + tokens.get(1));
      await("the accepted tasks drain").atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(http.url("/api/health"));
            auth.forEach(b::header);
            var q = http.send(b.GET()).json();
            return q.getJsonObject("queue").getInt("depth") == 0 && q.getInt("running") == 0;
          });
      int notFinal = 0;
      int checked = 0;
      for (String id : accepted) {
        // Every 20th task is read back: all must be final (the queue is empty, none runs).
        if (checked++ % 20 != 0) {
          continue;
        }
        String owner = null;
        for (String t : tokens) {
          HttpRequest.Builder b = HttpRequest.newBuilder(http.url("/api/tasks/" + id))
              .header("Authorization", "Bearer " + t);
          Http.Response r = http.send(b.GET());
          if (r.status() == 200) {
            owner = r.json().getString("status");
            break;
          }
        }
        if (owner == null || !Set.of("success", "failed", "canceled").contains(owner)) {
          notFinal++;
        }
      }
      long refusedQueue = statuses.get(503);
      long refusedOwner = statuses.get(429);
      System.out.printf("flood: %,d submissions from %d clients in %.1f s (%.0f/s): %,d accepted"
          + " (202), %,d refused 503 (queue full), %,d refused 429 (owner share), other 5xx: %d; "
          + "peak live heap %,d MB (bound %,d MB)%n", SUBMISSIONS, CLIENTS, seconds,
          SUBMISSIONS / seconds, statuses.get(202), refusedQueue, refusedOwner,
          fivexx(statuses) - refusedQueue, peakLiveHeap.get() >> 20, HEAP_BOUND >> 20);

      assertThat(statuses.get(0)).as("client errors").isZero();
      assertThat(statuses.get(599)).as("refusals without Retry-After or a problem").isZero();
      assertThat(fivexx(statuses) - refusedQueue).as("5xx other than 503").isZero();
      assertThat(statuses.get(202) + refusedQueue + refusedOwner).isEqualTo(SUBMISSIONS);
      assertThat(accepted).hasSize((int) statuses.get(202));
      assertThat(refusedQueue + refusedOwner).as("the flood was refused in part").isPositive();
      assertThat(notFinal).as("accepted tasks that never ended").isZero();
      assertThat(peakLiveHeap.get()).isLessThan(HEAP_BOUND);
    }
  }

  private static long fivexx(AtomicLongArray statuses) {
    long n = 0;
    for (int s = 500; s < 599; s++) {
      n += statuses.get(s);
    }
    return n;
  }

  /** The live heap: used after a full collection (this JVM holds the server and the clients). */
  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
