package dev.offload.web;

import dev.offload.engine.InvalidTaskException;
import dev.offload.engine.ShuttingDownException;
import dev.offload.engine.TaskNotFoundException;
import dev.offload.store.AlreadyFinishedException;
import dev.offload.store.IdempotencyConflictException;
import dev.offload.store.InvalidCursorException;
import dev.offload.store.QueueFullException;
import dev.offload.store.StoreUnavailableException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The base of every API servlet: looks its dependencies up once, routes nothing itself, and
 * turns every exception into one RFC 9457 problem response. No stack trace reaches a client; an
 * unexpected exception is logged once, here.
 */
public abstract class ApiServlet extends HttpServlet {
  private static final Logger LOG = Logger.getLogger(ApiServlet.class.getName());
  private static final long serialVersionUID = 1L;

  static final String JSON = "application/json";

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
      handle(req, resp);
    } catch (RuntimeException e) {
      ProblemException p = toProblem(e);
      if (p.problem().status() >= 500 && !(e instanceof ProblemException)
          && !(e instanceof QueueFullException) && !(e instanceof ShuttingDownException)
          && !(e instanceof StoreUnavailableException)) {
        LOG.log(Level.SEVERE, req.getMethod() + " " + req.getRequestURI() + " failed", e);
      }
      writeProblem(req, resp, p);
    }
  }

  /** Answers one request; throw {@link ProblemException} (or a domain exception) to fail it. */
  protected abstract void handle(HttpServletRequest req, HttpServletResponse resp)
      throws IOException;

  /** The one map from domain exceptions to HTTP problems. */
  static ProblemException toProblem(RuntimeException e) {
    if (e instanceof ProblemException p) {
      return p;
    }
    if (e instanceof InvalidTaskException i) {
      return Problem.unprocessable(i.getMessage()).withKnownTypes(i.knownTypes()).exception();
    }
    if (e instanceof IdempotencyConflictException c) {
      return Problem.unprocessable(c.getMessage()).with("existingTask", c.existing().toString())
          .exception();
    }
    if (e instanceof TaskNotFoundException) {
      return Problem.notFound(e.getMessage()).exception();
    }
    if (e instanceof AlreadyFinishedException f) {
      return Problem.of(409, "Conflict", e.getMessage())
          .with("taskStatus", f.task().status().wire()).exception();
    }
    if (e instanceof InvalidCursorException) {
      return Problem.badRequest(e.getMessage()).exception();
    }
    if (e instanceof QueueFullException) {
      return Problem.unavailable(e.getMessage() + "; try again shortly").exception()
          .retryAfter(1);
    }
    if (e instanceof ShuttingDownException) {
      return Problem.unavailable(e.getMessage()).exception().retryAfter(5);
    }
    if (e instanceof StoreUnavailableException) {
      return Problem.unavailable("the task store is unavailable: " + e.getMessage())
          .exception().retryAfter(5);
    }
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
    if (p.retryAfterHeader() != null) {
      resp.setHeader("Retry-After", p.retryAfterHeader());
    }
    if (p.allowHeader() != null) {
      resp.setHeader("Allow", p.allowHeader());
    }
    Offload offload = Offload.from(req.getServletContext());
    write(resp, p.problem().status(), Problem.MEDIA_TYPE, offload.json().toJson(p.problem().body()));
  }

  protected void writeJson(HttpServletResponse resp, int status, Object body) throws IOException {
    write(resp, status, JSON, offload.json().toJson(body));
  }

  static void write(HttpServletResponse resp, int status, String mediaType, String json)
      throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    resp.setStatus(status);
    resp.setContentType(mediaType);
    resp.setCharacterEncoding("UTF-8");
    // No Content-Length of our own: the body stays in the response buffer and the container
    // sends it when the request ends (for a parked request, asynchronously on complete()),
    // setting the length itself when the body fits its buffer.
    OutputStream out = resp.getOutputStream();
    out.write(bytes);
  }

  static ProblemException methodNotAllowed(HttpServletRequest req, String allow) {
    return Problem.of(405, "Method Not Allowed",
            req.getMethod() + " is not allowed on " + req.getRequestURI() + "; use " + allow)
        .exception().allow(allow);
  }
}
