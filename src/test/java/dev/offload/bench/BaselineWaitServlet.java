package dev.offload.bench;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline of benchmark 3: the least a servlet can do to hold waiting clients without a
 * thread. {@code GET /baseline/wait?key=k} parks an {@link AsyncContext}; {@code GET
 * /baseline/events?key=k} opens an event stream and sends one first event. {@link #end} answers
 * every client of a key at once, from the calling thread, with a body carrying {@code finishedAt}
 * like Offload's task view.
 */
public final class BaselineWaitServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final Map<String, Queue<AsyncContext>> waiting = new ConcurrentHashMap<>();
  private final Map<String, Queue<AsyncContext>> streams = new ConcurrentHashMap<>();
  private final AtomicInteger parked = new AtomicInteger();

  int parked() {
    return parked.get();
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String key = req.getParameter("key");
    if (key == null) {
      resp.sendError(400, "key is required");
      return;
    }
    boolean sse = req.getPathInfo() != null && req.getPathInfo().equals("/events");
    AsyncContext async = req.startAsync();
    async.setTimeout(0);
    if (sse) {
      resp.setStatus(200);
      resp.setContentType("text/event-stream");
      resp.setCharacterEncoding("UTF-8");
      PrintWriter w = resp.getWriter();
      w.write("id: 1\nevent: status\ndata: {\"status\":\"running\"}\n\n");
      w.flush();
      streams.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(async);
    } else {
      waiting.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(async);
    }
    parked.incrementAndGet();
  }

  /** Ends the "task" {@code key}: answers its long-polls and closes its streams. */
  void end(String key) {
    String finishedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    String view = "{\"status\":\"success\",\"finishedAt\":\"" + finishedAt + "\"}";
    Queue<AsyncContext> polls = waiting.remove(key);
    if (polls != null) {
      for (AsyncContext a; (a = polls.poll()) != null; ) {
        answer(a, "application/json", view);
      }
    }
    Queue<AsyncContext> open = streams.remove(key);
    if (open != null) {
      for (AsyncContext a; (a = open.poll()) != null; ) {
        answer(a, null, "id: 2\nevent: status\ndata: " + view + "\n\n");
      }
    }
  }

  private void answer(AsyncContext a, String contentType, String body) {
    try {
      HttpServletResponse resp = (HttpServletResponse) a.getResponse();
      if (contentType != null) {
        resp.setStatus(200);
        resp.setContentType(contentType);
        resp.setCharacterEncoding("UTF-8");
      }
      // Buffered, not flushed: complete() writes it without blocking this thread on the socket.
      resp.getWriter().write(body);
    } catch (IOException | RuntimeException e) {
      // The client went away; the benchmark counts what its clients received.
    } finally {
      parked.decrementAndGet();
      try {
        a.complete();
      } catch (IllegalStateException e) {
        // Already completed: the container ended the request (its connection closed).
      }
    }
  }
}
