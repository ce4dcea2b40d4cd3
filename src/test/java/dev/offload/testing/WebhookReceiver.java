package dev.offload.testing;

import com.sun.net.httpserver.HttpExchange;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A receiver of Offload's callbacks on a {@link LocalHttpServer}: it checks every delivery the
 * way a receiver following Standard Webhooks would, with its own implementation of the
 * signature (never Offload's signer), and records what it saw. How it answers is up to the
 * test, per path and per call.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One delivery as the receiver saw and judged it. */
  public record Received(
      String path,
      int call,
      String id,
      String timestamp,
      String signature,
      String contentType,
      String body,
      List<String> problems) {

    /** The body as JSON: the task view. */
    public JsonObject json() {
      try (JsonReader r = Json.createReader(new StringReader(body))) {
        return r.readObject();
      }
    }
  }

  /** How the receiver answers delivery {@code call} (1-based) to a path. */
  @FunctionalInterface
  public interface Answer {
    void answer(HttpExchange exchange, int call) throws IOException;
  }

  private final LocalHttpServer server;
  private final Map<String, String> secrets = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Duration tolerance;

  private WebhookReceiver(LocalHttpServer server, Duration tolerance) {
    this.server = server;
    this.tolerance = tolerance;
  }

  /** A receiver accepting timestamps within 5 minutes of its clock, as the libraries do. */
  public static WebhookReceiver start() {
    return new WebhookReceiver(LocalHttpServer.start(), Duration.ofMinutes(5));
  }

  /**
   * Answers deliveries to {@code path} with {@code answer}, checking their signature with
   * {@code secret} (null: they must come unsigned).
   */
  public WebhookReceiver route(String path, String secret, Answer answer) {
    if (secret != null) {
      secrets.put(path, secret);
    }
    server.route(path, (ex, call) -> {
      record(path, call, ex);
      answer.answer(ex, call);
    });
    return this;
  }

  /** {@code http://127.0.0.1:port} + path. */
  public String url(String path) {
    return server.url(path);
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  public List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** Answers {@code status} with an empty body. */
  public static void status(HttpExchange ex, int status) throws IOException {
    LocalHttpServer.send(ex, status, null, "");
  }

  private void record(String path, int call, HttpExchange ex) throws IOException {
    String body = (String) ex.getAttribute(LocalHttpServer.BODY);
    String id = ex.getRequestHeaders().getFirst("webhook-id");
    String timestamp = ex.getRequestHeaders().getFirst("webhook-timestamp");
    String signature = ex.getRequestHeaders().getFirst("webhook-signature");
    List<String> problems = new ArrayList<>();
    if (!"POST".equals(ex.getRequestMethod())) {
      problems.add("method " + ex.getRequestMethod());
    }
    if (id == null || id.isEmpty()) {
      problems.add("no webhook-id");
    }
    if (timestamp == null || !timestamp.matches("[0-9]+")) {
      problems.add("webhook-timestamp is not unix seconds: " + timestamp);
    } else {
      Duration skew = Duration.between(Instant.ofEpochSecond(Long.parseLong(timestamp)),
          Instant.now()).abs();
      if (skew.compareTo(tolerance) > 0) {
        problems.add("webhook-timestamp is " + skew + " away from now");
      }
    }
    String secret = secrets.get(path);
    if (secret == null) {
      if (signature != null) {
        problems.add("signed although no secret was given");
      }
    } else if (signature == null) {
      problems.add("no webhook-signature");
    } else if (id != null && timestamp != null && !verifies(secret, id, timestamp, body,
        signature)) {
      problems.add("webhook-signature does not verify: " + signature);
    }
    received.add(new Received(path, call, id, timestamp, signature,
        ex.getRequestHeaders().getFirst("Content-Type"), body, List.copyOf(problems)));
  }

  /**
   * Standard Webhooks verification, written here independently of Offload: HMAC-SHA256 keyed
   * with the base64-decoded secret after {@code whsec_}, over {@code id.timestamp.body}; the
   * header is a space-separated list of {@code v1,<base64>}, any of which may match. Compared
   * in constant time, as a receiver should.
   */
  public static boolean verifies(String secret, String id, String timestamp, String body,
      String header) {
    try {
      byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] expected = mac.doFinal((id + "." + timestamp + "." + body)
          .getBytes(StandardCharsets.UTF_8));
      for (String candidate : header.split(" ")) {
        if (candidate.startsWith("v1,")) {
          byte[] given = Base64.getDecoder().decode(candidate.substring(3));
          if (MessageDigest.isEqual(expected, given)) {
            return true;
          }
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /** A random secret in the {@code whsec_} form. */
  public static String newSecret() {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    return "whsec_" + Base64.getEncoder().encodeToString(key);
  }

  @Override
  public void close() {
    server.close();
  }
}
