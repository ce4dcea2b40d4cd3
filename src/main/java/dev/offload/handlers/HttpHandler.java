package dev.offload.handlers;

import dev.offload.outbound.AddressRules;
import dev.offload.outbound.OutboundHttp;
import dev.offload.outbound.Urls;
import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpHeaders;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The {@code http} task type: calls an HTTP(S) endpoint with the JDK's HttpClient.
 *
 * <p>A 2xx or 3xx answer ends the task with {@link Result}; 429 and 5xx are retried with the
 * task's backoff, no sooner than the server's {@code Retry-After}; any other 4xx fails for good
 * ({@code http-<status>}); timeouts and connection failures are retried.
 *
 * <p>Destinations are checked against the {@link AddressRules} at submission (a literal address
 * or a metadata name: 422) and, after resolving the name, at every attempt and every redirect
 * hop ({@code forbidden-address}, permanent). The connection then goes to a checked address and
 * to nothing else: {@link OutboundHttp}, which the webhook deliverer uses too, does all that.
 *
 * <p>Owns threads (its {@link OutboundHttp}'s: {@code offload-http-proxy}, {@code
 * offload-http-pipe-N}, {@code offload-http-client-N}, and the JDK client's selector): built by
 * the servlet context listener and {@linkplain #close closed} when the application stops.
 */
public final class HttpHandler implements TaskHandler<HttpHandler.Input, HttpHandler.Result>,
    AutoCloseable {

  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
  private static final String USER_AGENT = "Offload";
  private static final int MAX_HEADERS = 64;
  private static final int MAX_HEADER_BYTES = 32 * 1024;
  /** What a caller may not set: the client or the proxy owns these. */
  private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length",
      "expect", "host", "upgrade", "keep-alive", "transfer-encoding", "te", "trailer");
  /** Response headers worth keeping in a result; Set-Cookie never is. */
  static final List<String> KEPT_HEADERS = List.of("cache-control", "content-disposition",
      "content-encoding", "content-language", "content-length", "content-type", "date", "etag",
      "expires", "last-modified", "location", "retry-after");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /**
   * The settings of the http task type.
   *
   * @param allow destinations the operator trusts (host names, IP literals, CIDR networks)
   * @param timeoutDefaultSeconds a request's timeout when its input names none
   * @param timeoutMaxSeconds the largest {@code timeoutSeconds} an input may ask for
   * @param connectTimeoutSeconds per address tried
   * @param responseMaxBytes the most of a response body kept; the rest is not read
   * @param redirectsMax redirects followed at most, when asked to follow them
   * @param connectionsMax open connections of the egress proxy at most
   */
  public record Settings(
      List<String> allow,
      int timeoutDefaultSeconds,
      int timeoutMaxSeconds,
      int connectTimeoutSeconds,
      int responseMaxBytes,
      int redirectsMax,
      int connectionsMax) {

    public Settings {
      allow = List.copyOf(allow);
      AddressRules.allowing(allow); // throws naming a bad entry
      require(timeoutDefaultSeconds >= 1 && timeoutDefaultSeconds <= timeoutMaxSeconds,
          "timeoutDefaultSeconds must be within 1..timeoutMaxSeconds");
      require(connectTimeoutSeconds >= 1, "connectTimeoutSeconds must be at least 1");
      require(responseMaxBytes >= 0, "responseMaxBytes must be at least 0");
      require(redirectsMax >= 0, "redirectsMax must be at least 0");
      require(connectionsMax >= 1, "connectionsMax must be at least 1");
    }

    public static Settings defaults() {
      return new Settings(List.of(), 30, 120, 10, 262_144, 5, 64);
    }

    public Settings withAllow(List<String> entries) {
      return new Settings(entries, timeoutDefaultSeconds, timeoutMaxSeconds,
          connectTimeoutSeconds, responseMaxBytes, redirectsMax, connectionsMax);
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /**
   * What to call. {@code method} defaults to GET; {@code json} (any JSON value, sent as
   * application/json) or {@code text} (sent as {@code contentType}, default text/plain) is the
   * body; {@code followRedirects} defaults to false; {@code timeoutSeconds} bounds the whole
   * exchange, redirects and body included.
   */
  @JsonbPropertyOrder({"method", "url", "headers", "json", "text", "contentType",
      "followRedirects", "timeoutSeconds"})
  public record Input(
      String method,
      String url,
      Map<String, String> headers,
      JsonValue json,
      String text,
      String contentType,
      Boolean followRedirects,
      Integer timeoutSeconds) {}

  /**
   * The answer: its status, the final URL (after redirects), the {@link #KEPT_HEADERS} it had
   * (lower-case names), and its body as {@code json} (a JSON answer that fits), {@code text} (a
   * textual one) or {@code base64} (anything else), {@code truncated} when cut at the cap.
   */
  @JsonbPropertyOrder({"status", "url", "redirects", "headers", "json", "text", "base64",
      "truncated"})
  public record Result(
      int status,
      String url,
      int redirects,
      Map<String, String> headers,
      JsonValue json,
      String text,
      String base64,
      boolean truncated) {}

  /** Turns a host name into addresses; the system resolver, or a test's. */
  @FunctionalInterface
  public interface Resolver extends OutboundHttp.Resolver {}

  private final Settings settings;
  private final Clock clock;
  private final OutboundHttp http;

  public HttpHandler(Settings settings) {
    this(settings, OutboundHttp.Resolver.system()::resolve, Clock.systemUTC(), null);
  }

  /**
   * @param sslContext the TLS context of the client, or null for the JVM's default
   */
  HttpHandler(Settings settings, Resolver resolver, Clock clock, SSLContext sslContext) {
    this.settings = settings;
    this.clock = clock;
    // Tunnels the client keeps for reuse may idle; one that idles longer than any request may
    // wait for its answer is closed.
    Duration idle = Duration.ofSeconds(settings.timeoutMaxSeconds() + 5L);
    this.http = new OutboundHttp("offload-http", AddressRules.allowing(settings.allow()),
        resolver, Duration.ofSeconds(settings.connectTimeoutSeconds()), idle,
        settings.connectionsMax(), sslContext);
  }

  @Override
  public String type() {
    return "http";
  }

  @Override
  public String description() {
    return "Calls 'url' with 'method' (GET, POST, PUT, PATCH, DELETE, HEAD), 'headers' and a "
        + "'json' or 'text' body; 429 and 5xx answers are retried, other 4xx fail.";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input example() {
    return new Input("POST", "https://example.com/hooks/orders",
        Map.of("Authorization", "Bearer YOUR-TOKEN"),
        Json.createObjectBuilder().add("order", 42).add("status", "paid").build(),
        null, null, false, 30);
  }

  @Override
  public void validate(Input in) throws InvalidInputException {
    Prepared p = prepare(in);
    Optional<String> why = http.refusalWithoutLookup(p.uri.getHost());
    if (why.isPresent()) {
      throw new InvalidInputException("the host of 'url' is " + why.get()
          + ", which Offload does not call (offload.http.allow names trusted destinations)");
    }
  }

  /** Secret header values and secret-looking query parameters masked. */
  @Override
  public Input redact(Input in) {
    Map<String, String> headers = in.headers();
    if (headers != null) {
      Map<String, String> masked = new LinkedHashMap<>();
      headers.forEach((k, v) -> masked.put(k, isSecret(k) ? Urls.MASK : v));
      headers = masked;
    }
    return new Input(in.method(), in.url() == null ? null : maskQuery(in.url()), headers,
        in.json(), in.text(), in.contentType(), in.followRedirects(), in.timeoutSeconds());
  }

  /**
   * Whether a header (or query parameter) name says its value is a credential: Authorization,
   * Proxy-Authorization, Cookie, X-Api-Key, or any name containing token, secret, key,
   * password, auth or signature, in any case.
   */
  static boolean isSecret(String name) {
    return Urls.isSecretName(name);
  }

  // ---------------------------------------------------------------- the request

  /** An input checked and put in the shape the client needs. */
  private record Prepared(String method, URI uri, Map<String, String> headers, byte[] body,
      boolean followRedirects, Duration timeout) {}

  private Prepared prepare(Input in) throws InvalidInputException {
    String method = in.method() == null ? "GET" : in.method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw new InvalidInputException("'method' must be one of GET, POST, PUT, PATCH, DELETE, "
          + "HEAD");
    }
    URI uri = checkUrl(in.url(), "'url'");
    Map<String, String> headers = checkHeaders(in.headers());
    if (in.json() != null && in.text() != null) {
      throw new InvalidInputException("give 'json' or 'text' as the body, not both");
    }
    byte[] body = null;
    String contentType = null;
    if (in.json() != null) {
      body = in.json().toString().getBytes(StandardCharsets.UTF_8);
      contentType = "application/json";
    } else if (in.text() != null) {
      body = in.text().getBytes(StandardCharsets.UTF_8);
      contentType = in.contentType() == null ? "text/plain; charset=utf-8" : in.contentType();
    }
    if (in.contentType() != null) {
      if (in.text() == null) {
        throw new InvalidInputException("'contentType' is the type of 'text'; there is none");
      }
      if (!validHeaderValue(in.contentType())) {
        throw new InvalidInputException("'contentType' must not contain control characters");
      }
      if (headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("content-type"))) {
        throw new InvalidInputException(
            "give the content type once: 'contentType' or a Content-Type header");
      }
    }
    if (body != null && (method.equals("GET") || method.equals("HEAD"))) {
      throw new InvalidInputException("a " + method + " request has no body");
    }
    if (contentType != null
        && headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("content-type"))) {
      headers.put("Content-Type", contentType);
    }
    int timeout = in.timeoutSeconds() == null
        ? settings.timeoutDefaultSeconds() : in.timeoutSeconds();
    if (timeout < 1 || timeout > settings.timeoutMaxSeconds()) {
      throw new InvalidInputException(
          "'timeoutSeconds' must be between 1 and " + settings.timeoutMaxSeconds());
    }
    return new Prepared(method, uri, headers, body, Boolean.TRUE.equals(in.followRedirects()),
        Duration.ofSeconds(timeout));
  }

  private static URI checkUrl(String url, String what) throws InvalidInputException {
    try {
      return Urls.check(url, what);
    } catch (Urls.BadUrl e) {
      throw new InvalidInputException(e.getMessage());
    }
  }

  private static Map<String, String> checkHeaders(Map<String, String> headers)
      throws InvalidInputException {
    Map<String, String> out = new LinkedHashMap<>();
    if (headers == null) {
      return out;
    }
    if (headers.size() > MAX_HEADERS) {
      throw new InvalidInputException("at most " + MAX_HEADERS + " 'headers'");
    }
    Set<String> seen = new HashSet<>();
    int bytes = 0;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      // Messages name the header, never its value: it may be a credential.
      if (name == null || !TOKEN.matcher(name).matches()) {
        throw new InvalidInputException("header names must be HTTP tokens");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (RESTRICTED_HEADERS.contains(lower) || lower.startsWith("proxy-")) {
        throw new InvalidInputException("header '" + name + "' is set by Offload, not by a task");
      }
      if (!seen.add(lower)) {
        throw new InvalidInputException("header '" + name + "' is given twice");
      }
      if (h.getValue() == null || !validHeaderValue(h.getValue())) {
        throw new InvalidInputException(
            "the value of header '" + name + "' is missing or contains control characters");
      }
      bytes += name.length() + h.getValue().length();
      out.put(name, h.getValue());
    }
    if (bytes > MAX_HEADER_BYTES) {
      throw new InvalidInputException("'headers' must be at most " + MAX_HEADER_BYTES + " bytes");
    }
    return out;
  }

  /** No CR, LF, NUL or other control character (a tab is fine): no header injection. */
  private static boolean validHeaderValue(String v) {
    return v.chars().allMatch(c -> c == '\t' || c >= 0x20 && c != 0x7f && c <= 0xff);
  }

  // ---------------------------------------------------------------- running

  @Override
  public Result run(Input in, TaskContext context) throws Exception {
    Prepared p;
    try {
      p = prepare(in);
    } catch (InvalidInputException e) {
      throw TaskFailedException.permanent("invalid-input", e.getMessage());
    }
    long deadline = System.nanoTime() + p.timeout.toNanos();
    URI uri = p.uri;
    String method = p.method;
    byte[] body = p.body;
    Map<String, String> headers = p.headers;
    for (int redirects = 0; ; redirects++) {
      context.checkInterrupted();
      context.progress(redirects == 0 ? 0 : 50, method + " " + origin(uri));
      OutboundHttp.Answer answer = exchange(uri, method, headers, body, p, deadline);
      int status = answer.status();
      Optional<String> location = answer.headers().firstValue("location");
      if (p.followRedirects && isRedirect(status) && location.isPresent()) {
        if (redirects == settings.redirectsMax()) {
          throw TaskFailedException.permanent("too-many-redirects", method + " " + origin(p.uri)
              + " redirected more than " + settings.redirectsMax() + " times");
        }
        URI next = redirectTarget(uri, location.get());
        if (!origin(next).equals(origin(uri))) {
          // Credentials meant for one origin are not handed to another.
          headers = withoutSecrets(headers);
        }
        if (status == 303 && !method.equals("HEAD")
            || (status == 301 || status == 302) && method.equals("POST")) {
          method = "GET";
          body = null;
          headers = withoutBodyHeaders(headers);
        }
        uri = next;
        continue;
      }
      context.progress(100, method + " " + origin(uri) + " answered " + status);
      return outcome(method, uri, redirects, answer);
    }
  }

  private OutboundHttp.Answer exchange(URI uri, String method, Map<String, String> headers,
      byte[] body, Prepared p, long deadline) throws Exception {
    Map<String, String> sent = headers;
    if (headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("user-agent"))) {
      sent = new LinkedHashMap<>(headers);
      sent.put("User-Agent", USER_AGENT);
    }
    int cap = settings.responseMaxBytes();
    try {
      // A redirect that will be followed needs no body: it is dropped unread.
      return http.exchange(new OutboundHttp.Request(method, uri, sent, body,
          info -> p.followRedirects && isRedirect(info.statusCode())
              && info.headers().firstValue("location").isPresent() ? 0 : cap,
          deadline, p.timeout));
    } catch (OutboundHttp.Failure f) {
      throw f.permanent() ? TaskFailedException.permanent(f.type(), f.getMessage())
          : new TaskFailedException(f.type(), f.getMessage());
    }
  }

  /** An exception's message for a client: no class names, on one line. */
  static String describe(Throwable t, String fallback) {
    return OutboundHttp.describe(t, fallback);
  }

  private Result outcome(String method, URI uri, int redirects, OutboundHttp.Answer r)
      throws TaskFailedException {
    int status = r.status();
    if (status >= 200 && status < 400) {
      return result(uri, redirects, r);
    }
    String message = method + " " + origin(uri) + " answered " + status;
    String type = "http-" + status;
    if (status == 429 || status >= 500 && status < 600) {
      Optional<Duration> after = r.headers().firstValue("retry-after")
          .flatMap(v -> retryAfter(v, clock));
      throw after.isPresent()
          ? TaskFailedException.retryAfter(type, message, after.get())
          : new TaskFailedException(type, message);
    }
    throw TaskFailedException.permanent(type, message);
  }

  private static Result result(URI uri, int redirects, OutboundHttp.Answer r) {
    Map<String, String> kept = new TreeMap<>();
    HttpHeaders h = r.headers();
    for (String name : KEPT_HEADERS) {
      List<String> values = h.allValues(name);
      if (!values.isEmpty()) {
        kept.put(name, String.join(", ", values));
      }
    }
    byte[] bytes = r.body();
    boolean truncated = r.truncated();
    JsonValue json = null;
    String text = null;
    String base64 = null;
    if (bytes.length > 0) {
      String type = h.firstValue("content-type").orElse("");
      String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
      boolean encoded = h.firstValue("content-encoding")
          .filter(e -> !e.equalsIgnoreCase("identity")).isPresent();
      boolean jsonType = mime.equals("application/json") || mime.endsWith("+json");
      if (!encoded && jsonType && !truncated) {
        json = parseJson(bytes);
      }
      if (json == null && !encoded && isText(mime)) {
        text = new String(bytes, charset(type));
      } else if (json == null) {
        base64 = Base64.getEncoder().encodeToString(bytes);
      }
    }
    return new Result(r.status(), maskQuery(uri.toString()), redirects, kept, json, text,
        base64, truncated);
  }

  private static boolean isText(String mime) {
    return mime.isEmpty() || mime.startsWith("text/") || mime.equals("application/json")
        || mime.endsWith("+json") || mime.equals("application/xml") || mime.endsWith("+xml")
        || mime.equals("application/javascript")
        || mime.equals("application/x-www-form-urlencoded");
  }

  private static JsonValue parseJson(byte[] bytes) {
    try (JsonReader reader = Json.createReader(
        new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8))) {
      return reader.readValue();
    } catch (RuntimeException e) {
      return null; // labelled JSON but is not: kept as text
    }
  }

  private static Charset charset(String contentType) {
    for (String param : contentType.split(";")) {
      String[] kv = param.trim().split("=", 2);
      if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("charset")) {
        try {
          return Charset.forName(kv[1].trim().replace("\"", ""));
        } catch (RuntimeException e) {
          return StandardCharsets.UTF_8;
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  /**
   * {@code Retry-After} as a delay: delta-seconds or an HTTP date (RFC 9110 10.2.3); empty when
   * it is neither. A date in the past means now.
   */
  static Optional<Duration> retryAfter(String value, Clock clock) {
    return OutboundHttp.retryAfter(value, clock);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static URI redirectTarget(URI from, String location) throws TaskFailedException {
    try {
      URI next = from.resolve(new URI(location.trim()));
      return checkUrl(next.toString(), "the redirect target");
    } catch (URISyntaxException | IllegalArgumentException | InvalidInputException e) {
      throw TaskFailedException.permanent("bad-redirect", origin(from)
          + " redirected to a location Offload does not follow: " + e.getMessage());
    }
  }

  private static Map<String, String> withoutSecrets(Map<String, String> headers) {
    Map<String, String> out = new LinkedHashMap<>(headers);
    out.keySet().removeIf(HttpHandler::isSecret);
    return out;
  }

  private static Map<String, String> withoutBodyHeaders(Map<String, String> headers) {
    Map<String, String> out = new LinkedHashMap<>(headers);
    out.keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).startsWith("content-"));
    return out;
  }

  /** {@code scheme://host:port}: what messages and logs show of a URL (paths carry tokens). */
  static String origin(URI uri) {
    return OutboundHttp.origin(uri);
  }

  /** The URL with the values of secret-looking query parameters replaced by {@code ***}. */
  static String maskQuery(String url) {
    return Urls.maskQuery(url);
  }

  // ---------------------------------------------------------------- the client and stopping

  /**
   * Stops the outbound client, its egress proxy and their threads, each wait bounded. Safe to
   * call twice. Called once the engine's workers have stopped.
   */
  @Override
  public void close() {
    http.close();
  }

  Settings settings() {
    return settings;
  }
}
