package dev.offload.web;

import dev.offload.engine.Submission;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.engine.TaskEvents;
import dev.offload.engine.TaskNotFoundException;
import dev.offload.task.Task;
import dev.offload.task.TaskPage;
import dev.offload.task.TaskQuery;
import dev.offload.task.TaskStatus;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/tasks} and {@code /api/tasks/*}: submit, list, get (optionally long-polling),
 * cancel, and the event stream of one task. What a caller sees is scoped to what they own
 * (viewers and admins see everyone's); another owner's task answers exactly like an id that
 * never existed.
 */
public final class TasksServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;
  /** A page with {@code view=full} holds items until their input and result pass this. */
  static final long FULL_PAGE_MAX_BYTES = 1L << 20;
  private static final Set<String> LIST_PARAMETERS =
      Set.of("status", "type", "limit", "after", "owner", "view", "idempotencyKey");
  /** The most pending tasks one bulk cancel touches. */
  static final int BULK_CANCEL_MAX = 100_000;
  private static final List<String> BULK_CANCEL_FIELDS = List.of("type", "owner", "dryRun");
  private static final Set<String> GET_PARAMETERS = Set.of("wait");

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
  protected String allow(HttpServletRequest req) {
    String[] parts = parts(req);
    if (parts.length == 0) {
      return "GET, HEAD, POST";
    }
    if (parts.length == 1 && parts[0].equals("cancel")) {
      return "POST";
    }
    if (parts.length == 1) {
      return "GET, HEAD, DELETE";
    }
    if (parts.length == 2 && parts[1].equals("events")) {
      return "GET, HEAD";
    }
    if (parts.length == 2 && parts[1].equals("retry")) {
      return "POST";
    }
    throw Problem.notFound("no API resource at " + req.getRequestURI()).exception();
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String[] parts = parts(req);
    Caller caller = caller(req);
    boolean read = req.getMethod().equals("GET") || req.getMethod().equals("HEAD");
    if (read && !caller.canRead()) {
      throw forbidden("reading tasks needs the role offload-user, offload-viewer or "
          + "offload-admin");
    }
    if (parts.length == 0) {
      if (read) {
        list(req, resp, caller);
      } else {
        submit(req, resp, caller);
      }
    } else if (parts.length == 1 && parts[0].equals("cancel")) {
      cancelPending(req, resp, caller);
    } else if (parts.length == 1) {
      UUID id = id(parts[0]);
      if (read) {
        get(req, resp, caller, id);
      } else {
        cancel(req, resp, caller, id);
      }
    } else if (parts[1].equals("retry")) {
      retry(req, resp, caller, id(parts[0]));
    } else {
      events(req, resp, caller, id(parts[0]));
    }
  }

  private static String[] parts(HttpServletRequest req) {
    String path = req.getPathInfo();
    if (path == null || path.equals("/")) {
      return new String[0];
    }
    return path.substring(1).split("/", -1);
  }

  private void submit(HttpServletRequest req, HttpServletResponse resp, Caller caller)
      throws IOException {
    if (!caller.canSubmit()) {
      throw forbidden("submitting tasks needs the role offload-user or offload-admin");
    }
    strictQuery(req, Set.of());
    SubmitRequest request;
    try {
      request = reader.read(req, caller.owner());
    } catch (ProblemException e) {
      // Never reaches the engine, which counts the submissions it refuses: a body that is not
      // a submission at all (400, 413, 415) is refused as invalid all the same.
      offload.metrics().events().refused(null, TaskEvents.Refusal.INVALID);
      throw e;
    }
    int wait = preferredWait(req);
    // The wait is counted before anything is queued: a refused wait must not leave behind a
    // task its client was told nothing about.
    Waits.Permit permit =
        wait > 0 ? offload.waits().open(caller.owner(), Waits.Kind.POLL) : null;
    boolean parked = false;
    try {
      Submission s = offload.engine().submit(request);
      Task task = s.task();
      if (!s.created()) {
        writeTask(req, resp, task, 200); // the same Idempotency-Key: the existing task
        return;
      }
      if (permit != null && !task.isTerminal()) {
        resp.setHeader("Preference-Applied", "wait=" + wait);
        ParkedRequest.park(offload, req, caller, task.id(), wait,
            (r, t, ended) -> writeTask(req, r, t, t.isTerminal() ? 200 : 202), permit);
        parked = true;
        return;
      }
      writeTask(req, resp, task, task.isTerminal() ? 200 : 202);
    } finally {
      if (permit != null && !parked) {
        permit.close();
      }
    }
  }

  private void list(HttpServletRequest req, HttpServletResponse resp, Caller caller)
      throws IOException {
    Map<String, String> q = strictQuery(req, LIST_PARAMETERS);
    String statusParam = q.get("status");
    TaskStatus status = null;
    if (statusParam != null) {
      status = TaskStatus.parse(statusParam.toLowerCase(Locale.ROOT)).orElseThrow(() ->
          Problem.badRequest("'status' must be one of pending, running, success, failed, "
              + "canceled; got '" + statusParam + "'").exception());
    }
    String owner = q.get("owner");
    if (owner != null && !caller.seesEveryone() && !owner.equals(caller.owner())) {
      throw forbidden("only viewers and admins list other owners' tasks");
    }
    String view = q.getOrDefault("view", "summary");
    if (!view.equals("summary") && !view.equals("full")) {
      throw Problem.badRequest("'view' must be summary or full, got '" + view + "'")
          .exception();
    }
    int limit = intParam("limit", q.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT);
    TaskPage page = offload.engine().list(
        new TaskQuery(owner, status, q.get("type"), limit, q.get("after"),
            q.get("idempotencyKey")),
        caller.readAccess());
    List<TaskView> items = new ArrayList<>(page.items().size());
    long bytes = 0;
    for (Task t : page.items()) {
      if (view.equals("full")) {
        bytes += t.bytes();
        if (bytes > FULL_PAGE_MAX_BYTES && !items.isEmpty()) {
          page = page.first(items.size()); // the rest follows with "next"
          break;
        }
        items.add(offload.views().complete(t, req.getContextPath()));
      } else {
        items.add(offload.views().summary(t, req.getContextPath()));
      }
    }
    writeJson(req, resp, 200, new ListView(items, page.next()));
  }

  private void get(HttpServletRequest req, HttpServletResponse resp, Caller caller, UUID id)
      throws IOException {
    Map<String, String> q = strictQuery(req, GET_PARAMETERS);
    int wait = Math.min(intParam("wait", q.get("wait"), 0, 0, Integer.MAX_VALUE),
        offload.config().web().waitMaxSeconds());
    Task task = visible(caller, id);
    if (wait > 0 && !task.isTerminal() && !req.getMethod().equals("HEAD")) {
      ParkedRequest.park(offload, req, caller, id, wait,
          (r, t, ended) -> writeTask(req, r, t, 200));
      return;
    }
    writeTask(req, resp, task, 200);
  }

  private void cancel(HttpServletRequest req, HttpServletResponse resp, Caller caller, UUID id)
      throws IOException {
    if (!caller.canCancelOwn()) {
      throw forbidden("canceling tasks needs the role offload-user or offload-admin");
    }
    strictQuery(req, Set.of());
    writeTask(req, resp, offload.engine().cancel(id, caller.cancelAccess()), 200);
  }

  /** A failed or canceled task submitted again as a new task of its owner, linked to it. */
  private void retry(HttpServletRequest req, HttpServletResponse resp, Caller caller, UUID id)
      throws IOException {
    if (!caller.canSubmit()) {
      throw forbidden("retrying tasks needs the role offload-user or offload-admin");
    }
    strictQuery(req, Set.of());
    Submission s = offload.engine().retry(id, caller.cancelAccess());
    writeTask(req, resp, s.task(), s.task().isTerminal() ? 200 : 202);
  }

  /** Every pending task of a type and owner canceled at once: an admin's action. */
  private void cancelPending(HttpServletRequest req, HttpServletResponse resp, Caller caller)
      throws IOException {
    if (!caller.canCancelAny()) {
      throw forbidden("canceling tasks in bulk needs the role offload-admin");
    }
    strictQuery(req, Set.of());
    jakarta.json.JsonObject body = reader.readObject(req, BULK_CANCEL_FIELDS);
    TaskEngine.BulkCancel done = offload.engine().cancelPending(
        SubmitReader.stringField(body, "owner"), SubmitReader.stringField(body, "type"),
        SubmitReader.booleanField(body, "dryRun", false), BULK_CANCEL_MAX);
    writeJson(req, resp, 200, new BulkCancelView(done.matched(), done.canceled()));
  }

  @JsonbPropertyOrder({"matched", "canceled"})
  public record BulkCancelView(long matched, long canceled) {}

  private void events(HttpServletRequest req, HttpServletResponse resp, Caller caller, UUID id)
      throws IOException {
    strictQuery(req, Set.of());
    Task task = visible(caller, id);
    if (req.getMethod().equals("HEAD")) {
      EventStream.headers(resp);
      return;
    }
    EventStream.open(offload, req, resp, caller, task);
  }

  private Task visible(Caller caller, UUID id) {
    return offload.engine().get(id, caller.readAccess())
        .orElseThrow(() -> new TaskNotFoundException(id));
  }

  private void writeTask(HttpServletRequest req, HttpServletResponse resp, Task task, int status)
      throws IOException {
    if (status == 202 || req.getMethod().equals("POST")) {
      resp.setHeader("Location", TaskPaths.task(req.getContextPath(), task.id()));
    }
    if (status == 202) {
      resp.setHeader("Retry-After", "1");
    }
    write(req, resp, status, JSON, offload.views().full(task, req.getContextPath()));
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

  /**
   * The query parameters, each at most once and each one this resource knows: a parameter
   * given twice, or one that does nothing here, is a 400 rather than half applied.
   */
  static Map<String, String> strictQuery(HttpServletRequest req, Set<String> known) {
    // From the query string itself: getParameterMap() would read a form body of a POST.
    String query = req.getQueryString();
    Map<String, String> one = new java.util.HashMap<>();
    if (query == null || query.isEmpty()) {
      return one;
    }
    Set<String> seen = new java.util.HashSet<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (!known.contains(name)) {
        throw Problem.badRequest("unknown query parameter '" + name + "'"
            + (known.isEmpty() ? "; this resource takes none"
                : "; known here: " + String.join(", ", known.stream().sorted().toList())))
            .exception();
      }
      if (!seen.add(name)) {
        throw Problem.badRequest("query parameter '" + name + "' is given more than once; "
            + "it takes one value").exception();
      }
      if (!value.isEmpty()) {
        one.put(name, value);
      }
    }
    return one;
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("the query string is not properly encoded").exception();
    }
  }

  private static UUID id(String raw) {
    try {
      UUID id = UUID.fromString(raw);
      if (id.toString().equalsIgnoreCase(raw)) {
        return id;
      }
    } catch (IllegalArgumentException e) {
      // falls through: not an id, so no task
    }
    throw new TaskNotFoundException(null);
  }

  private static int intParam(String name, String raw, int dflt, int min, int max) {
    if (raw == null) {
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
}
