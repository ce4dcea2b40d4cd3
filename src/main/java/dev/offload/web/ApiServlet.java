package dev.offload.web;

import dev.offload.engine.InvalidTaskException;
import dev.offload.engine.NotRetryableException;
import dev.offload.engine.ShuttingDownException;
import dev.offload.engine.TaskNotFoundException;
import dev.offload.task.AlreadyFinishedException;
import dev.offload.task.IdempotencyConflictException;
import dev.offload.task.InvalidCursorException;
import dev.offload.task.Limit;
import dev.offload.task.LimitExceededException;
import dev.offload.task.StoreUnavailableException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The base of every API servlet: looks its dependencies up once, answers {@code OPTIONS} and
 * {@code HEAD} for every resource, refuses methods a resource does not allow, and turns every
 * exception (and every {@link Error}) into one RFC 9457 problem response. No stack trace reaches
 * a client; an unexpected failure is logged once, here.
 */
public abstract class ApiServlet extends HttpServlet {
  private static final Logger LOG = Logger.getLogger(ApiServlet.class.getName());
  private static final long serialVersionUID = 1L;

  static final String JSON = "application/json";
  /** Said for every task id that the caller cannot see, whatever the reason. */
  static final String NO_SUCH_TASK =
      "no such task: it was never submitted, its result has expired, or it is not yours to see";

  protected transient Offload offload;

  @Override
  public void init() {
    offload = Offload.from(getServletContext());
  }

  @Override
  protected final void service(HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    resp.setHeader("Cache-Control", "no-store");
    try {
      String allow = allow(req);
      String method = req.getMethod();
      if (method.equals("OPTIONS")) {
        resp.setHeader("Allow", allow + ", OPTIONS");
        resp.setStatus(204);
        return;
      }
      if (!allows(allow, method)) {
        throw Problem.of(405, "Method Not Allowed", method + " is not allowed here; use "
            + allow).exception().allow(allow + ", OPTIONS");
      }
      handle(req, resp);
    } catch (RuntimeException e) {
      ProblemException p = toProblem(e);
      if (p.problem().status() >= 500 && !(e instanceof ProblemException)
          && !(e instanceof LimitExceededException) && !(e instanceof ShuttingDownException)) {
        LOG.log(e instanceof StoreUnavailableException ? Level.WARNING : Level.SEVERE,
            req.getMethod() + " " + req.getRequestURI() + " failed", e);
      }
      writeProblem(req, resp, p);
    } catch (Error e) {
      // An OutOfMemoryError or a StackOverflowError: the client still gets a problem, not the
      // container's error page with a trace.
      LOG.log(Level.SEVERE, req.getMethod() + " " + req.getRequestURI() + " failed", e);
      writeProblem(req, resp, internalError());
    }
  }

  /**
   * The methods the resource at this request's path allows ({@code "GET, HEAD, POST"}); HEAD is
   * answered wherever GET is.
   *
   * @throws ProblemException 404 when there is no resource at this path
   */
  protected abstract String allow(HttpServletRequest req);

  /** Answers one request with an allowed method; throw to fail it. */
  protected abstract void handle(HttpServletRequest req, HttpServletResponse resp)
      throws IOException;

  /** Whether {@code method} is one of the comma-separated {@code allow} (no regex per call). */
  static boolean allows(String allow, String method) {
    int from = 0;
    while (from < allow.length()) {
      int comma = allow.indexOf(',', from);
      int end = comma < 0 ? allow.length() : comma;
      if (allow.substring(from, end).trim().equals(method)) {
        return true;
      }
      from = end + 1;
    }
    return false;
  }

  /** The one map from domain exceptions to HTTP problems. */
  static ProblemException toProblem(RuntimeException e) {
    if (e instanceof ProblemException p) {
      return p;
    }
    if (e instanceof InvalidTaskException i) {
      return Problem.unprocessable(i.getMessage()).withKnownTypes(i.knownTypes()).exception();
    }
    if (e instanceof IdempotencyConflictException c) {
      // Keys are per owner: the task named is the caller's own.
      return Problem.unprocessable(c.getMessage()).with("existingTask", c.existing().toString())
          .exception();
    }
    if (e instanceof TaskNotFoundException) {
      return Problem.notFound(NO_SUCH_TASK).exception();
    }
    if (e instanceof NotRetryableException n) {
      return Problem.of(409, "Conflict", e.getMessage())
          .with("taskStatus", n.task().status().wire()).exception();
    }
    if (e instanceof AlreadyFinishedException f) {
      return Problem.of(409, "Conflict", e.getMessage())
          .with("taskStatus", f.task().status().wire()).exception();
    }
    if (e instanceof InvalidCursorException) {
      return Problem.badRequest(e.getMessage()).exception();
    }
    if (e instanceof LimitExceededException l) {
      return limit(l);
    }
    if (e instanceof ShuttingDownException) {
      return Problem.unavailable(e.getMessage()).exception().retryAfter(5);
    }
    if (e instanceof StoreUnavailableException) {
      // The driver's message names hosts and ports: the log has it, the client does not.
      return Problem.unavailable("the task store is unavailable; try again shortly")
          .exception().retryAfter(5);
    }
    return internalError();
  }

  /** 429 for one owner's share, 503 for the server's; names the limit and its value. */
  static ProblemException limit(LimitExceededException l) {
    boolean owner = l.limit().scope() == Limit.Scope.OWNER;
    boolean tasks = l.limit() != Limit.WAITS && l.limit() != Limit.OWNER_WAITS;
    Problem p = owner
        ? Problem.of(429, "Too Many Requests", l.getMessage())
        : Problem.unavailable(l.getMessage() + "; try again shortly");
    return p.with("limit", l.limit().setting()).with("max", l.value()).exception()
        .retryAfter(tasks && !owner ? 1 : 5);
  }

  static ProblemException internalError() {
    return Problem.of(500, "Internal Server Error",
        "an unexpected error occurred; it has been logged").exception();
  }

  static void writeProblem(HttpServletRequest req, HttpServletResponse resp, ProblemException p)
      throws IOException {
    if (resp.isCommitted()) {
      LOG.fine(() -> "response already committed; dropping problem " + p.problem());
      return;
    }
    resp.resetBuffer();
    resp.setHeader("Cache-Control", "no-store");
    p.headers().forEach(resp::setHeader);
    Offload offload = Offload.from(req.getServletContext());
    write(req, resp, p.problem().status(), Problem.MEDIA_TYPE,
        offload.json().toJson(p.problem().body()));
  }

  protected void writeJson(HttpServletRequest req, HttpServletResponse resp, int status,
      Object body) throws IOException {
    write(req, resp, status, JSON, offload.json().toJson(body));
  }

  /** Writes a body, or for {@code HEAD} only its length. */
  static void write(HttpServletRequest req, HttpServletResponse resp, int status,
      String mediaType, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    resp.setStatus(status);
    resp.setContentType(mediaType);
    resp.setCharacterEncoding("UTF-8");
    if ("HEAD".equals(req.getMethod())) {
      resp.setContentLength(bytes.length);
      return;
    }
    // No Content-Length of our own: the body stays in the response buffer and the container
    // sends it when the request ends (for a parked request, asynchronously on complete()),
    // setting the length itself when the body fits its buffer.
    OutputStream out = resp.getOutputStream();
    out.write(bytes);
  }

  /** The caller of this request, established by the {@link AuthFilter}. */
  static Caller caller(HttpServletRequest req) {
    return Caller.of(req);
  }

  static ProblemException forbidden(String detail) {
    return Problem.of(403, "Forbidden", detail).exception();
  }
}
