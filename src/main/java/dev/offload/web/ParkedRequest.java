package dev.offload.web;

import dev.offload.engine.Access;
import dev.offload.engine.TaskWatcher;
import dev.offload.task.Task;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A request parked until its task ends or its wait runs out: a long-poll ({@code GET ?wait=N})
 * or a submit with {@code Prefer: wait=N}. It holds no thread while parked. It is answered
 * exactly once: when the task ends, when the wait times out, or when the server stops, always
 * on a container thread (never on a worker), like any other response.
 */
final class ParkedRequest implements TaskWatcher, AsyncListener {
  private static final Logger LOG = Logger.getLogger(ParkedRequest.class.getName());

  /** How the answer is written, given the task as it is then and whether it ended. */
  @FunctionalInterface
  interface Answer {
    void write(HttpServletResponse resp, Task task, boolean ended) throws IOException;
  }

  private final Offload offload;
  private final UUID id;
  private final Access access;
  private final AsyncContext async;
  private final Answer answer;
  private final Waits.Permit permit;
  private final AtomicBoolean answered = new AtomicBoolean();
  private volatile AutoCloseable registration;

  private ParkedRequest(Offload offload, UUID id, Access access, AsyncContext async,
      Answer answer, Waits.Permit permit) {
    this.offload = offload;
    this.id = id;
    this.access = access;
    this.async = async;
    this.answer = answer;
    this.permit = permit;
  }

  /**
   * Detaches the request and waits up to {@code seconds} for task {@code id} to end.
   *
   * @throws dev.offload.task.LimitExceededException when the caller (or everyone) already
   *     holds as many waits as allowed; nothing is parked then
   */
  static void park(Offload offload, HttpServletRequest req, Caller caller, UUID id, int seconds,
      Answer answer) {
    park(offload, req, caller, id, seconds, answer,
        offload.waits().open(caller.owner(), Waits.Kind.POLL));
  }

  /** Parks with a wait counted before (a submit counts it before it queues anything). */
  static void park(Offload offload, HttpServletRequest req, Caller caller, UUID id, int seconds,
      Answer answer, Waits.Permit permit) {
    AsyncContext async;
    try {
      async = req.startAsync();
    } catch (RuntimeException e) {
      permit.close();
      throw e;
    }
    async.setTimeout(seconds * 1000L);
    ParkedRequest parked =
        new ParkedRequest(offload, id, caller.readAccess(), async, answer, permit);
    async.addListener(parked);
    parked.registration = offload.engine().watch(id, parked);
    if (parked.answered.get()) {
      parked.unregister(); // answered before the registration was stored
    }
    // Read after registering: a change in between is then seen, never missed.
    offload.engine().get(id, parked.access).filter(Task::isTerminal).ifPresent(parked::onChange);
    if (!offload.engine().isAccepting()) {
      parked.onShutdown();
    }
  }

  @Override
  public void onChange(Task task) {
    if (task.isTerminal()) {
      answerLater(task, true);
    }
  }

  @Override
  public void onShutdown() {
    answerLater(null, false);
  }

  private void answerLater(Task task, boolean ended) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    try {
      // On a container thread, like any response: a slow client then delays only itself.
      async.start(() -> complete(task, ended));
    } catch (RuntimeException e) {
      complete(task, ended); // the container will not start it (stopping): answer here
    }
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    if (answered.compareAndSet(false, true)) {
      complete(null, false);
    }
  }

  @Override
  public void onError(AsyncEvent event) {
    answered.set(true);
    unregister();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    unregister();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  private void complete(Task task, boolean ended) {
    unregister();
    HttpServletResponse resp = (HttpServletResponse) async.getResponse();
    try {
      Task current = task != null ? task : offload.engine().get(id, access).orElse(null);
      if (current == null) {
        ApiServlet.writeProblem((HttpServletRequest) async.getRequest(), resp,
            Problem.notFound(ApiServlet.NO_SUCH_TASK).exception());
      } else {
        answer.write(resp, current, ended || current.isTerminal());
      }
    } catch (IOException e) {
      LOG.log(Level.FINE, "client of task " + id + " went away", e);
    } catch (RuntimeException e) {
      try {
        ApiServlet.writeProblem((HttpServletRequest) async.getRequest(), resp,
            ApiServlet.toProblem(e));
      } catch (IOException | RuntimeException ignored) {
        LOG.log(Level.FINE, "could not answer the client of task " + id, ignored);
      }
    } finally {
      try {
        async.complete();
      } catch (IllegalStateException e) {
        LOG.log(Level.FINE, "request of task " + id + " already completed", e);
      }
    }
  }

  /** Stops watching and gives the wait back; safe to call more than once. */
  private void unregister() {
    permit.close();
    AutoCloseable r = registration;
    if (r != null) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.log(Level.FINE, "unregistering a watcher failed", e);
      }
    }
  }
}
