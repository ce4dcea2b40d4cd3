package dev.offload.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** Anything else under {@code /api/}: a problem+json 404 rather than the container's HTML. */
public final class ApiNotFoundServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected String allow(HttpServletRequest req) {
    throw Problem.notFound("no API resource at " + req.getRequestURI()).exception();
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) {
    throw new IllegalStateException("never reached: allow() refuses every path");
  }
}
