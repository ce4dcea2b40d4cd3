package dev.offload.web;

import dev.offload.engine.Submission;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskNotFoundException;
import dev.offload.store.TaskPage;
import dev.offload.store.TaskQuery;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.json.JsonValue;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code /api/tasks} and {@code /api/tasks/*}: submit, list, get (optionally long-polling),
 * cancel, and the event stream of one task.
 */
public final class TasksServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;

  @JsonbPropertyOrder({"items", "next"})
  public record ListView(List<TaskView> items, String next) {}

  private transient SubmitReader reader;

  @Override
  public void init() {
    super.init();
    OffloadConfig.WebConfig web = offload.config().web();
    reader = new SubmitReader(offload.json(), web.bodyMaxBytes(), web.jsonDepthMax());
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String path = req.getPathInfo();
    if (path == null || path.equals("/")) {
      switch (req.getMethod()) {
        case "POST" -> submit(req, resp);
        case "GET" -> list(req, resp);
        default -> throw methodNotAllowed(req, "GET, POST");
      }
      return;
    }
    String[] parts = path.substring(1).split("/", -1);
    if (parts.length == 1) {
      switch (req.getMethod()) {
        case "GET" -> get(req, resp, id(parts[0]));
        case "DELETE" -> cancel(req, resp, id(parts[0]));
        default -> throw methodNotAllowed(req, "GET, DELETE");
      }
    } else if (parts.length == 2 && parts[1].equals("events")) {
      if (!"GET".equals(req.getMethod())) {
        throw methodNotAllowed(req, "GET");
      }
      events(req, resp, id(parts[0]));
    } else {
      throw Problem.notFound("no API resource at " + req.getRequestURI()).exception();
    }
  }

  private void submit(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    SubmitRequest request = reader.read(req);
    Submission s = offload.engine().submit(request);
    Task task = s.task();
    if (!s.created()) {
      writeTask(req, resp, task, 200); // the same Idempotency-Key: the existing task
      return;
    }
    int wait = preferredWait(req);
    if (wait > 0 && !task.isTerminal()) {
      resp.setHeader("Preference-Applied", "wait=" + wait);
      ParkedRequest.park(offload, req, task.id(), wait,
          (r, t, ended) -> writeTask(req, r, t, t.isTerminal() ? 200 : 202));
      return;
    }
    // The stored input is the text the reader wrote from its tree: the view takes that tree.
    JsonValue parsed = task.input() == request.input() ? request.parsedInput() : null;
    writeTask(req, resp, task, task.isTerminal() ? 200 : 202, parsed);
  }

  private void list(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String statusParam = req.getParameter("status");
    TaskStatus status = null;
    if (statusParam != null && !statusParam.isEmpty()) {
      status = TaskStatus.parse(statusParam.toLowerCase(Locale.ROOT)).orElseThrow(() ->
          Problem.badRequest("'status' must be one of pending, running, success, failed, "
              + "canceled; got '" + statusParam + "'").exception());
    }
    String type = emptyToNull(req.getParameter("type"));
    int limit = intParam(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    String after = emptyToNull(req.getParameter("after"));
    TaskPage page = offload.engine().list(new TaskQuery(status, type, limit, after));
    List<TaskView> items = page.items().stream()
        .map(t -> TaskView.of(t, req.getContextPath(), offload.json())).toList();
    writeJson(resp, 200, new ListView(items, page.next()));
  }

  private void get(HttpServletRequest req, HttpServletResponse resp, UUID id) throws IOException {
    int wait = Math.min(intParam(req, "wait", 0, 0, Integer.MAX_VALUE),
        offload.config().web().waitMaxSeconds());
    Task task = offload.engine().get(id).orElseThrow(() -> new TaskNotFoundException(id));
    if (wait > 0 && !task.isTerminal()) {
      ParkedRequest.park(offload, req, id, wait, (r, t, ended) -> writeTask(req, r, t, 200));
      return;
    }
    writeTask(req, resp, task, 200);
  }

  private void cancel(HttpServletRequest req, HttpServletResponse resp, UUID id)
      throws IOException {
    writeTask(req, resp, offload.engine().cancel(id), 200);
  }

  private void events(HttpServletRequest req, HttpServletResponse resp, UUID id)
      throws IOException {
    Task task = offload.engine().get(id).orElseThrow(() -> new TaskNotFoundException(id));
    EventStream.open(offload, req, resp, task);
  }

  private void writeTask(HttpServletRequest req, HttpServletResponse resp, Task task, int status)
      throws IOException {
    writeTask(req, resp, task, status, null);
  }

  private void writeTask(HttpServletRequest req, HttpServletResponse resp, Task task, int status,
      JsonValue parsedInput) throws IOException {
    if (status == 202 || req.getMethod().equals("POST")) {
      resp.setHeader("Location", TaskPaths.task(req.getContextPath(), task.id()));
    }
    if (status == 202) {
      resp.setHeader("Retry-After", "1");
    }
    write(resp, status, JSON, offload.views().of(task, req.getContextPath(), parsedInput));
  }

  /** {@code Prefer: wait=N} (RFC 7240), capped by the configured maximum; 0 when absent. */
  private int preferredWait(HttpServletRequest req) {
    int max = offload.config().web().waitMaxSeconds();
    Enumeration<String> headers = req.getHeaders("Prefer");
    while (headers != null && headers.hasMoreElements()) {
      for (String pref : headers.nextElement().split(",")) {
        String[] kv = pref.trim().split("=", 2);
        if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("wait")) {
          try {
            long n = Long.parseLong(kv[1].trim().replace("\"", ""));
            return (int) Math.max(0, Math.min(n, max));
          } catch (NumberFormatException e) {
            return 0; // an unparseable preference is ignored, as RFC 7240 allows
          }
        }
      }
    }
    return 0;
  }

  private static UUID id(String raw) {
    try {
      UUID id = UUID.fromString(raw);
      if (!id.toString().equalsIgnoreCase(raw)) {
        throw new IllegalArgumentException(raw);
      }
      return id;
    } catch (IllegalArgumentException e) {
      throw Problem.notFound("no task with id '" + raw + "': ids are UUIDs").exception();
    }
  }

  private static int intParam(HttpServletRequest req, String name, int dflt, int min, int max) {
    String raw = req.getParameter(name);
    if (raw == null || raw.isEmpty()) {
      return dflt;
    }
    try {
      long v = Long.parseLong(raw);
      if (v < min || v > max) {
        throw Problem.badRequest("'" + name + "' must be between " + min + " and " + max
            + ", got " + raw).exception();
      }
      return (int) v;
    } catch (NumberFormatException e) {
      throw Problem.badRequest("'" + name + "' must be a whole number, got '" + raw + "'")
          .exception();
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
