package dev.offload.testing;

import jakarta.json.JsonObject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * A small real HTTP client for tests, with JSON-B for bodies. {@link #withBasic} gives a client
 * that sends a user's credentials with every request it builds.
 */
public final class Http {
  private static final Jsonb JSONB = JsonbBuilder.create();

  private final HttpClient client;
  private final URI base;
  /** The Authorization header every request carries, or null for none. */
  private final String authorization;

  public Http(URI base) {
    this(HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build(), base, null);
  }

  private Http(HttpClient client, URI base, String authorization) {
    this.client = client;
    this.base = base;
    this.authorization = authorization;
  }

  /**
   * The same server, as {@code user}: every request built by {@link #request} (and so every
   * get, delete and postJson) carries {@code Authorization: Basic}, sent up front rather than
   * after a challenge, so each call is one exchange and a 401 means the credentials were
   * refused. Shares this client's connections.
   */
  public Http withBasic(String user, String password) {
    String pair = user + ":" + password;
    return new Http(client, base, "Basic "
        + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
  }

  public HttpClient client() {
    return client;
  }

  public URI url(String path) {
    return URI.create(base + path);
  }

  /** A request to {@code path} with this client's credentials, if it has any. */
  public HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(url(path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  public Response get(String path) {
    return send(request(path).GET());
  }

  public Response delete(String path) {
    return send(request(path).DELETE());
  }

  public Response postJson(String path, String json, Map<String, String> headers) {
    HttpRequest.Builder b = request(path)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    headers.forEach(b::header);
    return send(b);
  }

  public Response postJson(String path, String json) {
    return postJson(path, json, Map.of());
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(120)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A response with its body parsed on demand. */
  public record Response(HttpResponse<String> raw) {
    public int status() {
      return raw.statusCode();
    }

    public String body() {
      return raw.body();
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public JsonObject json() {
      return JSONB.fromJson(raw.body(), JsonObject.class);
    }

    public <T> T as(Class<T> type) {
      return JSONB.fromJson(raw.body(), type);
    }

    @Override
    public String toString() {
      return raw.statusCode() + " " + raw.body();
    }
  }

  /** A JSON object from its text, through JSON-B. */
  public static JsonObject parse(String json) {
    return JSONB.fromJson(json, JsonObject.class);
  }

  /** JSON text of any value, through JSON-B. */
  public static String json(Object value) {
    return JSONB.toJson(value);
  }
}
