package dev.offload.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The web application's error page (web.xml {@code error-page}): whatever the container answers
 * with an error status of its own (a login challenge, a static file that is not there, an
 * exception that escaped a filter) reaches the client as a problem+json, never as the
 * container's HTML page with a stack trace.
 */
public final class ErrorServlet extends HttpServlet {
  private static final Logger LOG = Logger.getLogger(ErrorServlet.class.getName());
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Object code = req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    Object thrown = req.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
    int status = code instanceof Integer i && i >= 400 ? i : 500;
    if (thrown instanceof Throwable t) {
      LOG.log(Level.SEVERE, "request to " + req.getAttribute(RequestDispatcher.ERROR_REQUEST_URI)
          + " failed", t);
      status = 500;
    }
    Problem p = Problem.of(status, title(status), detail(status));
    Offload offload = null;
    try {
      offload = Offload.from(getServletContext());
    } catch (IllegalStateException notStarted) {
      // Offload did not start: answer without its JSON-B.
    }
    resp.setStatus(status);
    resp.setContentType(Problem.MEDIA_TYPE);
    resp.setCharacterEncoding("UTF-8");
    resp.setHeader("Cache-Control", "no-store");
    if (status == 503 || status == 429) {
      resp.setHeader("Retry-After", "5"); // every 503 and 429 of Offload says when to come back
    }
    if (offload != null && !"HEAD".equals(req.getMethod())) {
      resp.getOutputStream().write(
          offload.json().toJson(p.body()).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }

  private static String detail(int status) {
    return switch (status) {
      case 401 -> "authentication is required";
      case 403 -> "you may not do this";
      case 404 -> "nothing here";
      case 500 -> "an unexpected error occurred; it has been logged";
      default -> "the request could not be served (" + status + ")";
    };
  }
}
