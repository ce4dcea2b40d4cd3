package dev.offload.testing.openapi;

import dev.offload.testing.openapi.OpenApiContract.Answer;
import dev.offload.testing.openapi.OpenApiContract.Verdict;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Sits in front of the web application in the embedded Jetty and holds every answer it gives to
 * the {@link OpenApiContract}: status, headers and the body bytes as they go out.
 *
 * <p>Why here, below the servlet API, and not as a servlet filter: every answer passes, whatever
 * wrote it (a servlet, a filter, the container's login challenge, the error page) and whichever
 * client asked (the JDK client, a raw socket, a browser). And the end of an exchange is one event,
 * the request's callback: a long-poll answered on another thread seconds later and an event
 * stream that ends after many writes complete it the same way as a plain GET, so each is checked
 * exactly once, whole. An exchange the client abandoned completes as failed; then only what is
 * whole is checked (the status, the headers, the stream events that were written completely).
 *
 * <p>A request may carry {@value #SKIP_HEADER} (with the reason as its value) to be left
 * unchecked: for deliberate protocol abuse only, and counted.
 */
public final class ContractRecorder extends Handler.Wrapper {
  /** A request header that leaves its answer unchecked; its value says why. */
  public static final String SKIP_HEADER = "X-Contract-Skip";
  /** Bodies are kept up to this size; a larger one is checked only for its status and headers. */
  static final int MAX_BODY = 32 << 20;
  /** Violations kept to report; the rest are counted. */
  private static final int MAX_KEPT = 200;

  private final OpenApiContract contract;
  private final String contextPath;
  private final AtomicLong checked = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong notApi = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong broken = new AtomicLong();
  private final List<String> violations = new ArrayList<>();

  /**
   * @param contextPath the web application's context path ("" or "/" for the root), taken off
   *     the request path before it is matched to the document's paths
   */
  public ContractRecorder(OpenApiContract contract, String contextPath, Handler webapp) {
    super(webapp);
    this.contract = contract;
    this.contextPath = contextPath.equals("/") ? "" : contextPath;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (request.getHeaders().get(SKIP_HEADER) != null) {
      skipped.incrementAndGet();
      return super.handle(request, response, callback);
    }
    Capture capture = new Capture(request, response);
    Callback done = new Callback() {
      @Override
      public void succeeded() {
        record(capture, true);
        callback.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        record(capture, false);
        callback.failed(x);
      }

      @Override
      public Invocable.InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
    return super.handle(request, capture, done);
  }

  /** The response as the web application writes it, with a copy of every byte of its body. */
  private static final class Capture extends Response.Wrapper {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private boolean truncated;

    Capture(Request request, Response wrapped) {
      super(request, wrapped);
    }

    @Override
    public void write(boolean last, ByteBuffer buffer, Callback callback) {
      if (buffer != null && buffer.hasRemaining()) {
        synchronized (this) {
          if (body.size() + buffer.remaining() > MAX_BODY) {
            truncated = true;
          } else {
            ByteBuffer copy = buffer.slice();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            body.writeBytes(bytes);
          }
        }
      }
      super.write(last, buffer, callback);
    }

    synchronized byte[] bytes() {
      return body.toByteArray();
    }

    synchronized boolean truncated() {
      return truncated;
    }
  }

  private void record(Capture c, boolean succeeded) {
    Request req = c.getRequest();
    String path = req.getHttpURI().getDecodedPath();
    Answer a = null;
    try {
      if (!contextPath.isEmpty()) {
        if (!path.equals(contextPath) && !path.startsWith(contextPath + "/")) {
          notApi.incrementAndGet();
          return;
        }
        path = path.substring(contextPath.length());
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (HttpField f : c.getHeaders()) {
        headers.computeIfAbsent(f.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(f.getValue());
      }
      a = new Answer(req.getMethod(), path, req.getHttpURI().getQuery(), c.getStatus(),
          headers, c.bytes(), succeeded && !c.truncated());
      Verdict verdict = contract.check(a);
      if (!verdict.isApi()) {
        notApi.incrementAndGet();
        return;
      }
      checked.incrementAndGet();
      events.addAndGet(verdict.events());
      verdict.violations().forEach(this::violation);
    } catch (RuntimeException e) {
      // A fault of the checker must not pass for a kept contract, nor break the answer.
      violation((a == null ? req.getMethod() + " " + path : a.toString())
          + ": checking the answer failed: " + e);
    }
  }

  private void violation(String v) {
    broken.incrementAndGet();
    synchronized (violations) {
      if (violations.size() < MAX_KEPT) {
        violations.add(v);
      }
    }
  }

  /** Answers checked against the document. */
  public long checked() {
    return checked.get();
  }

  /** Stream events whose data was checked. */
  public long events() {
    return events.get();
  }

  public List<String> violations() {
    synchronized (violations) {
      return List.copyOf(violations);
    }
  }

  /** One line for the test log. */
  public String summary() {
    return String.format("OpenAPI contract: %d answers checked against %s (%d stream events), "
        + "%d outside the API, %d skipped on request, %d violations", checked.get(),
        OpenApiContract.DOCUMENT, events.get(), notApi.get(), skipped.get(), broken.get());
  }

  /**
   * Fails when any answer broke the document.
   *
   * @throws AssertionError listing the violations
   */
  public void assertKept() {
    if (broken.get() == 0) {
      return;
    }
    StringBuilder b = new StringBuilder().append(broken.get())
        .append(" violations of the OpenAPI document ").append(OpenApiContract.DOCUMENT)
        .append(" (fix the server or the document):");
    violations().forEach(v -> b.append("\n  - ").append(v));
    if (broken.get() > MAX_KEPT) {
      b.append("\n  ... and ").append(broken.get() - MAX_KEPT).append(" more");
    }
    throw new AssertionError(b.toString());
  }
}
