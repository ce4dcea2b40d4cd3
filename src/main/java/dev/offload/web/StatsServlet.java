package dev.offload.web;

import dev.offload.engine.History;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/stats}: what this instance has done, for the operator's page: per task type
 * since the start, and per minute over the last hour. For viewers and admins (the figures count
 * every owner's tasks).
 */
public final class StatsServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @JsonbPropertyOrder({"since", "types", "minutes"})
  public record StatsView(String since, List<TypeView> types, List<MinuteView> minutes) {}

  @JsonbPropertyOrder({"type", "submitted", "running", "succeeded", "failed", "canceled",
      "retried", "successRate", "runTimeP50Seconds", "runTimeP95Seconds"})
  public record TypeView(String type, long submitted, int running, long succeeded, long failed,
      long canceled, long retried, Double successRate, Double runTimeP50Seconds,
      Double runTimeP95Seconds) {}

  @JsonbPropertyOrder({"minute", "succeeded", "failed", "canceled", "runTimeP50Seconds",
      "runTimeP95Seconds"})
  public record MinuteView(String minute, long succeeded, long failed, long canceled,
      Double runTimeP50Seconds, Double runTimeP95Seconds) {}

  @Override
  protected String allow(HttpServletRequest req) {
    return "GET, HEAD";
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    if (!caller(req).seesEveryone()) {
      throw forbidden("the figures of every owner's tasks need the role offload-viewer or "
          + "offload-admin");
    }
    TasksServlet.strictQuery(req, Set.of());
    History.Snapshot h = offload.engine().history();
    Map<String, Integer> running = offload.engine().runningByType();
    List<TypeView> types = new java.util.ArrayList<>();
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (History.TypeFigures t : h.types()) {
      listed.add(t.type());
      types.add(new TypeView(t.type(), t.submitted(), running.getOrDefault(t.type(), 0),
          t.succeeded(), t.failed(), t.canceled(), t.retried(), t.successRate(),
          t.runTimeP50Seconds(), t.runTimeP95Seconds()));
    }
    running.forEach((type, n) -> {
      if (!listed.contains(type)) {
        types.add(new TypeView(type, 0, n, 0, 0, 0, 0, null, null, null));
      }
    });
    List<MinuteView> minutes = h.minutes().stream()
        .map(m -> new MinuteView(time(m.minute()), m.succeeded(), m.failed(), m.canceled(),
            m.runTimeP50Seconds(), m.runTimeP95Seconds()))
        .toList();
    writeJson(req, resp, 200, new StatsView(time(h.since()), types, minutes));
  }

  /** To the millisecond, as every time Offload writes (the start is read with nanoseconds). */
  private static String time(Instant at) {
    return java.time.format.DateTimeFormatter.ISO_INSTANT.format(
        at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
  }
}
