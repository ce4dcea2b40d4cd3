package dev.offload.web;

import dev.offload.engine.Health;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /api/health}: 200 while up, 503 while shutting down or when the store cannot be
 * reached, so a load balancer can act on the status code alone.
 */
public final class HealthServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @JsonbPropertyOrder({"status", "store", "workers", "queue", "running", "retained", "watchers"})
  public record HealthView(
      String status,
      String store,
      Workers workers,
      Queue queue,
      long running,
      long retained,
      int watchers) {}

  @JsonbPropertyOrder({"busy", "total"})
  public record Workers(int busy, int total) {}

  @JsonbPropertyOrder({"depth", "capacity"})
  public record Queue(long depth, long capacity) {}

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if (!"GET".equals(req.getMethod())) {
      throw methodNotAllowed(req, "GET");
    }
    Health h = offload.engine().health();
    HealthView view = new HealthView(h.status(), h.store(),
        new Workers(h.workersBusy(), h.workersTotal()),
        new Queue(h.queueDepth(), h.queueCapacity()), h.running(), h.retained(),
        offload.engine().watcherCount());
    if (!Health.UP.equals(h.status())) {
      resp.setHeader("Retry-After", "5");
    }
    writeJson(resp, Health.UP.equals(h.status()) ? 200 : 503, view);
  }
}
