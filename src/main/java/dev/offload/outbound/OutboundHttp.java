package dev.offload.outbound;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/**
 * Offload's one way of calling out over HTTP(S), shared by the {@code http} task type and the
 * webhook deliverer: every exchange resolves the URL's host once, checks each of its addresses
 * against the {@link AddressRules}, and connects to one of those checked addresses and nowhere
 * else, through the in-process {@link EgressProxy} (see there why a proxy); a response body is
 * read up to a cap and the connection dropped there ({@link CappedBody}). Redirects are never
 * followed here: a caller that follows them sends each hop as an exchange of its own, so each
 * hop is checked.
 *
 * <p>Owns threads, named after it ({@code <name>-proxy}, {@code <name>-pipe-N}, {@code
 * <name>-client-N}, and the JDK client's selector): {@link #close} stops them, each wait
 * bounded. The JDK client is built on first use, so an instance that never calls out starts no
 * selector thread (which Java 17 cannot stop).
 */
public final class OutboundHttp implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(OutboundHttp.class.getName());

  /** Turns a host name into addresses; the system resolver, or a test's. */
  @FunctionalInterface
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;

    static Resolver system() {
      return host -> Arrays.asList(InetAddress.getAllByName(host));
    }
  }

  /**
   * One request.
   *
   * @param bodyCap how many bytes of the response body to keep, decided from the response head
   *     (the rest is never read)
   * @param deadlineNanos when (in {@link System#nanoTime()}) the whole exchange must be over
   * @param budget the time the caller gave the request, as its timeout message names it
   */
  public record Request(
      String method,
      URI uri,
      Map<String, String> headers,
      byte[] body,
      ToIntFunction<HttpResponse.ResponseInfo> bodyCap,
      long deadlineNanos,
      Duration budget) {}

  /** An answer, its body cut at the cap ({@code truncated} then). */
  public record Answer(int status, HttpHeaders headers, byte[] body, boolean truncated) {}

  /**
   * Why an exchange did not get an answer: {@code type} is {@code forbidden-address}, {@code
   * dns-error}, {@code timeout}, {@code connect-error} or {@code tls-error}; {@code permanent}
   * when another try cannot help (a refused address, a certificate that does not fit). The
   * message names the method and the origin, never the path or query (they carry tokens).
   */
  public static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    private final String type;
    private final boolean permanent;

    public Failure(String type, String message, boolean permanent) {
      super(message, null, false, false);
      this.type = type;
      this.permanent = permanent;
    }

    public String type() {
      return type;
    }

    public boolean permanent() {
      return permanent;
    }
  }

  private final String name;
  private final AddressRules rules;
  private final Resolver resolver;
  private final Duration connectTimeout;
  private final SSLContext sslContext;
  private final EgressProxy proxy;
  private final OutboundThreads clientThreads;
  private final ThreadPoolExecutor executor;
  private HttpClient client; // guarded by this; built on first use
  private boolean closed; // guarded by this

  /**
   * Opens the egress proxy (its thread starts now; the JDK client waits for the first call).
   *
   * @param name the prefix of the threads' names ({@code offload-http}, {@code offload-webhook})
   * @param idle how long a connection kept for reuse may idle before it is closed: longer than
   *     any request may wait for its answer
   * @param maxConnections open connections at most
   * @param sslContext the client's TLS context, or null for the JVM's default
   */
  public OutboundHttp(String name, AddressRules rules, Resolver resolver, Duration connectTimeout,
      Duration idle, int maxConnections, SSLContext sslContext) {
    this.name = name;
    this.rules = rules;
    this.resolver = resolver;
    this.connectTimeout = connectTimeout;
    this.sslContext = sslContext;
    try {
      this.proxy = new EgressProxy(name, connectTimeout, idle, maxConnections);
    } catch (IOException e) {
      throw new UncheckedIOException(name + " cannot open its egress proxy", e);
    }
    this.clientThreads = new OutboundThreads(name + "-client-");
    this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), clientThreads);
  }

  public AddressRules rules() {
    return rules;
  }

  /**
   * Why a destination is refused before anything is looked up (a literal address the rules
   * refuse, a legacy numeric form, a metadata name), or empty: what a submission is checked
   * against, so a refusal is a 422 at once and not a failure later.
   */
  public Optional<String> refusalWithoutLookup(String host) {
    Optional<InetAddress> literal = AddressRules.literal(host);
    return literal.isPresent() ? rules.refusal(literal.get()) : rules.nameRefusal(host);
  }

  /**
   * One exchange, with the destination resolved, checked and pinned for its duration.
   *
   * @throws Failure when there was no answer (see {@link Failure} for the kinds)
   * @throws InterruptedException when the calling thread was interrupted; the exchange is
   *     abandoned
   */
  public Answer exchange(Request r) throws Failure, InterruptedException {
    Destination d = destination(r.uri());
    try (EgressProxy.Pin pin = proxy.pin(d.host(), d.port(), d.addresses())) {
      return send(r, pin);
    }
  }

  /** Where one exchange goes: the host, its port, and its checked addresses. */
  private record Destination(String host, int port, List<InetAddress> addresses) {}

  private Destination destination(URI uri) throws Failure {
    String host = uri.getHost();
    int port = uri.getPort() != -1 ? uri.getPort()
        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    Optional<InetAddress> literal = AddressRules.literal(host);
    List<InetAddress> addresses;
    if (literal.isPresent()) {
      addresses = List.of(literal.get());
    } else {
      Optional<String> why = rules.nameRefusal(host);
      if (why.isPresent()) {
        throw forbidden(host, "is " + why.get());
      }
      try {
        addresses = resolver.resolve(bare);
      } catch (UnknownHostException e) {
        throw new Failure("dns-error", "cannot resolve " + host, false);
      }
      if (addresses == null || addresses.isEmpty()) {
        throw new Failure("dns-error", host + " has no address", false);
      }
    }
    if (!rules.allowsName(host)) {
      // Every address, not just the first: the connection may go to any of them.
      for (InetAddress a : addresses) {
        Optional<String> why = rules.refusal(a);
        if (why.isPresent()) {
          throw forbidden(host, literal.isPresent() ? "is " + why.get()
              : "resolves to " + why.get());
        }
      }
    }
    return new Destination(host, port, List.copyOf(addresses));
  }

  private static Failure forbidden(String host, String why) {
    return new Failure("forbidden-address", host + " " + why
        + ", which Offload does not call (offload.http.allow names trusted destinations)", true);
  }

  private Answer send(Request r, EgressProxy.Pin pin) throws Failure, InterruptedException {
    long left = r.deadlineNanos() - System.nanoTime();
    if (left <= 0) {
      throw timedOut(r);
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(r.uri())
        .timeout(Duration.ofNanos(left))
        .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(r.body()));
    r.headers().forEach(b::header);
    CompletableFuture<HttpResponse<CappedBody.Bytes>> sent = client().sendAsync(b.build(),
        info -> new CappedBody(Math.max(0, r.bodyCap().applyAsInt(info))));
    HttpResponse<CappedBody.Bytes> answer;
    try {
      answer = sent.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      sent.cancel(true);
      throw timedOut(r);
    } catch (InterruptedException e) {
      sent.cancel(true); // canceled, timed out or stopping: the exchange is abandoned
      throw e;
    } catch (ExecutionException e) {
      throw failure(e.getCause(), r, pin);
    }
    return new Answer(answer.statusCode(), answer.headers(), answer.body().bytes(),
        answer.body().truncated());
  }

  private static Failure timedOut(Request r) {
    return new Failure("timeout", r.method() + " " + origin(r.uri())
        + " did not answer completely within " + r.budget().toSeconds() + " s", false);
  }

  /** Why an exchange failed, as an error type a client can act on. */
  private static Failure failure(Throwable cause, Request r, EgressProxy.Pin pin) {
    Optional<EgressProxy.Failure> proxyFailure = pin.failure();
    if (proxyFailure.isPresent()) {
      return new Failure(proxyFailure.get().type(), proxyFailure.get().message(), false);
    }
    if (cause instanceof HttpTimeoutException) {
      return timedOut(r);
    }
    if (cause instanceof SSLHandshakeException) {
      // A certificate that does not fit the name: another attempt will not change it.
      return new Failure("tls-error",
          "TLS with " + origin(r.uri()) + " failed: " + describe(cause, "handshake failed"),
          true);
    }
    if (cause instanceof IOException) {
      return new Failure("connect-error", r.method() + " " + origin(r.uri()) + " failed: "
          + describe(cause, "the connection failed"), false);
    }
    // Not an I/O failure: a fault of the client itself, which the caller's log shows.
    throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
  }

  private static final Pattern CLASS_NAME =
      Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error)\\b:?\\s*");

  /**
   * An exception's message for a client: no class names (the JDK's messages sometimes start
   * with one), on one line; {@code fallback} when nothing is left.
   */
  public static String describe(Throwable t, String fallback) {
    String m = t.getMessage() == null ? "" : CLASS_NAME.matcher(t.getMessage()).replaceAll("");
    m = m.replaceAll("[\\r\\n]+", " ").trim();
    return m.isEmpty() ? fallback : m;
  }

  /**
   * {@code Retry-After} as a delay: delta-seconds or an HTTP date (RFC 9110 10.2.3); empty when
   * it is neither. A date in the past means now.
   */
  public static Optional<Duration> retryAfter(String value, Clock clock) {
    String v = value.trim();
    if (v.matches("\\d{1,18}")) {
      return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
    }
    try {
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration d = Duration.between(clock.instant(), at.toInstant());
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** {@code scheme://host:port}: what messages and logs show of a URL (paths carry tokens). */
  public static String origin(URI uri) {
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  // ---------------------------------------------------------------- the client and stopping

  private synchronized HttpClient client() {
    if (closed) {
      throw new IllegalStateException(name + " has stopped");
    }
    if (client == null) {
      // Built on first use, so an instance that never calls out never starts the JDK's
      // selector thread, which on Java 17 cannot be stopped (see stopClient). That thread takes
      // the creating thread's context class loader: not the web application's, which a
      // container would rightly report as leaked.
      Thread t = Thread.currentThread();
      ClassLoader before = t.getContextClassLoader();
      t.setContextClassLoader(ClassLoader.getPlatformClassLoader());
      try {
        HttpClient.Builder b = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER) // a caller follows them, each checked
            .proxy(ProxySelector.of(proxy.address()))
            .connectTimeout(connectTimeout)
            .executor(executor);
        if (sslContext != null) {
          b.sslContext(sslContext);
        }
        client = b.build();
      } finally {
        t.setContextClassLoader(before);
      }
    }
    return client;
  }

  /**
   * Stops the client, the egress proxy and their threads, each wait bounded. Safe to call
   * twice. Called once nothing calls {@link #exchange} any more.
   */
  @Override
  public void close() {
    HttpClient c;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      c = client;
      client = null;
    }
    if (c != null) {
      stopClient(c);
    }
    proxy.close();
    if (!clientThreads.stop(executor, 2_000)) {
      LOG.warning(() -> name + "-client threads did not stop within 2 s");
    }
  }

  /**
   * Java 21 gave HttpClient shutdownNow and awaitTermination; called when present. On Java 17
   * the client has no stop: its selector thread ends by itself a few seconds after the client
   * becomes unreachable (after the next garbage collection), and until then keeps this
   * client's (stopped) executor reachable.
   */
  private static void stopClient(HttpClient c) {
    try {
      HttpClient.class.getMethod("shutdownNow").invoke(c);
      HttpClient.class.getMethod("awaitTermination", Duration.class)
          .invoke(c, Duration.ofSeconds(2));
    } catch (NoSuchMethodException e) {
      LOG.log(Level.FINE, "Java 17 HttpClient: its selector thread ends once unreachable", e);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.WARNING, "stopping an HttpClient failed", e);
    }
  }
}
