package dev.offload.web;

import dev.offload.web.metrics.OffloadMetrics;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * {@code GET /metrics}: every meter in the Prometheus text format, for a scraper with the role
 * {@code offload-metrics} or an admin (with {@code offload.auth=none}, for anyone). The {@link
 * AuthFilter} establishes the caller, as for the API; the role is checked here. The names and
 * labels are listed in the README (Operating Offload).
 */
public final class MetricsServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected String allow(HttpServletRequest req) {
    return "GET, HEAD";
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Caller caller = caller(req);
    if (!caller.has(Role.METRICS) && !caller.has(Role.ADMIN)) {
      throw forbidden("the metrics need the role offload-metrics or offload-admin");
    }
    TasksServlet.strictQuery(req, Set.of());
    write(req, resp, 200, OffloadMetrics.CONTENT_TYPE, offload.metrics().scrape());
  }
}
