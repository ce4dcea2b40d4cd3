package dev.offload.web;

import dev.offload.engine.Health;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /api/health}: 200 while up, 503 while shutting down or when the store cannot be
 * reached, so a load balancer can act on the status code alone. Anyone may ask and gets the
 * status; the details (queue, workers, owners, bytes) need one of Offload's roles.
 *
 * <p>For orchestrators, liveness and readiness apart, both open to anyone and answering {@code
 * {"status"}} only: {@code /api/health/live} is 200 whenever this web application serves
 * requests, whatever the store or the engine do (restarting the process would not bring a
 * database back, and a draining instance must be left to finish its grace period);
 * {@code /api/health/ready} is 200 when this instance can take work (the engine accepts and the
 * store answers), 503 with {@code Retry-After} otherwise, exactly as {@code /api/health}.
 */
public final class HealthServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @JsonbPropertyOrder({"status"})
  public record StatusView(String status) {}

  @JsonbPropertyOrder({"status", "store", "workers", "queue", "running", "retained",
      "retainedBytes", "owners", "waits", "watchers"})
  public record HealthView(
      String status,
      String store,
      Workers workers,
      Queue queue,
      long running,
      long retained,
      long retainedBytes,
      Owners owners,
      Waits waits,
      int watchers) {}

  @JsonbPropertyOrder({"busy", "total"})
  public record Workers(int busy, int total) {}

  /**
   * @param unclaimable pending tasks per type that no running instance runs (a shared store
   *     during a rolling deploy): they wait for an instance that does
   */
  @JsonbPropertyOrder({"depth", "capacity", "bytes", "bytesMax", "unclaimable"})
  public record Queue(long depth, long capacity, long bytes, long bytesMax,
      java.util.Map<String, Long> unclaimable) {}

  @JsonbPropertyOrder({"pending", "pendingMax", "pendingBytesMax", "waitsMax"})
  public record Owners(long pending, long pendingMax, long pendingBytesMax, int waitsMax) {}

  @JsonbPropertyOrder({"open", "max"})
  public record Waits(int open, int max) {}

  static final String LIVE = "/live";
  static final String READY = "/ready";

  @Override
  protected String allow(HttpServletRequest req) {
    String path = req.getPathInfo();
    if (path == null || path.equals(LIVE) || path.equals(READY)) {
      return "GET, HEAD";
    }
    throw Problem.notFound("no API resource at " + req.getRequestURI()).exception();
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    TasksServlet.strictQuery(req, java.util.Set.of());
    String path = req.getPathInfo();
    if (LIVE.equals(path)) {
      // Asks nothing of the engine or the store: answering at all is the point.
      writeJson(req, resp, 200, new StatusView(Health.UP));
      return;
    }
    Health h = offload.engine().health();
    int code = Health.UP.equals(h.status()) ? 200 : 503;
    if (code != 200) {
      resp.setHeader("Retry-After", "5");
    }
    if (READY.equals(path) || !caller(req).isKnown()) {
      writeJson(req, resp, code, new StatusView(h.status()));
      return;
    }
    Health.Limits limits = h.limits();
    OffloadConfig.WebConfig web = offload.config().web();
    HealthView view = new HealthView(h.status(), h.store(),
        new Workers(h.workersBusy(), h.workersTotal()),
        new Queue(h.queueDepth(), h.queueCapacity(), h.pendingBytes(), limits.queueBytes(),
            h.unclaimable()),
        h.running(), h.retained(), h.retainedBytes(),
        new Owners(h.pendingOwners(), limits.ownerTasks(), limits.ownerBytes(),
            web.ownerWaitsMax()),
        new Waits(offload.waits().open(), web.waitsMax()),
        offload.engine().watcherCount());
    writeJson(req, resp, code, view);
  }
}
