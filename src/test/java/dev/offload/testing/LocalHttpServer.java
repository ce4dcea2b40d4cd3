package dev.offload.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP(S) server on 127.0.0.1 and a free port, for tests of outbound calls: each path
 * answers with a {@link Route} the test sets, and every request is recorded. Its threads are
 * its own and stop with {@link #close}.
 */
public final class LocalHttpServer implements AutoCloseable {

  /** One request as the server saw it. */
  public record Seen(String method, String path, Headers headers, String body) {
    public String header(String name) {
      return headers.getFirst(name);
    }
  }

  /**
   * Answers one exchange; the request body has been read already (it is the exchange's
   * attribute {@link #BODY}).
   */
  @FunctionalInterface
  public interface Route {
    void answer(HttpExchange exchange, int call) throws IOException;
  }

  /** The exchange attribute holding the request body, as a string. */
  public static final String BODY = "offload.test.body";

  private final HttpServer server;
  private final ExecutorService threads;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  private LocalHttpServer(HttpServer server) {
    this.server = server;
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-http-server-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", this::dispatch);
    server.start();
  }

  public static LocalHttpServer start() {
    try {
      return new LocalHttpServer(
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An HTTPS server presenting the certificate of {@code tls}. */
  public static LocalHttpServer startTls(SSLContext tls) {
    try {
      HttpsServer s =
          HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      s.setHttpsConfigurator(new HttpsConfigurator(tls));
      return new LocalHttpServer(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public LocalHttpServer route(String path, Route route) {
    routes.put(path, route);
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:port} + path. */
  public String url(String path) {
    return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + port() + path;
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public int calls(String path) {
    AtomicInteger n = calls.get(path);
    return n == null ? 0 : n.get();
  }

  private void dispatch(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String path = ex.getRequestURI().getPath();
      ex.setAttribute(BODY, body);
      seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().toString(),
          ex.getRequestHeaders(), body));
      int call = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      Route r = routes.get(path);
      if (r == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      r.answer(ex, call);
    }
  }

  /** Answers with a status, a content type and a body. */
  public static void send(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (contentType != null) {
      ex.getResponseHeaders().set("Content-Type", contentType);
    }
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(5, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test HTTP server's threads did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
