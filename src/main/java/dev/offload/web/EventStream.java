package dev.offload.web;

import dev.offload.engine.Access;
import dev.offload.engine.TaskWatcher;
import dev.offload.task.Task;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /api/tasks/{id}/events}: a Server-Sent Events stream of one task. The current state
 * first, then one event per change ({@code event: status} when the status changed, {@code event:
 * progress} otherwise), a comment heartbeat while idle, and the end of the stream right after the
 * final state.
 *
 * <p>A stream lasts at most {@code offload.sse.max.seconds}; then it ends, and an {@code
 * EventSource} reconnects by itself (with {@code Last-Event-ID}) and gets the current state first,
 * as on any new stream, so it resumes without noticing. Every open stream counts as a wait of its
 * owner ({@link Waits}).
 *
 * <p>Writes happen on a container thread ({@link AsyncContext#start}), one batch at a time per
 * stream (the {@code writing} flag): never on a worker thread, never two threads on one stream.
 * Between events the stream holds no thread; a client too slow to read holds one container
 * thread while it is being written to, as any slow download does, until the container's idle
 * timeout.
 */
final class EventStream implements TaskWatcher, AsyncListener {
  private static final Logger LOG = Logger.getLogger(EventStream.class.getName());
  private static final String HEARTBEAT = ": heartbeat\n\n";

  private final Offload offload;
  private final UUID id;
  private final Access access;
  private final String contextPath;
  private final AsyncContext async;
  private final Waits.Permit permit;
  private final Object lock = new Object();
  // Guarded by lock.
  private final ArrayDeque<Task> pending = new ArrayDeque<>();
  private boolean heartbeatDue;
  private boolean writing;
  private boolean closed;
  private boolean shutdown;
  private boolean expired;
  private Task lastSent;
  private long eventId;
  private volatile AutoCloseable registration;
  private volatile ScheduledFuture<?> heartbeat;
  private volatile ScheduledFuture<?> end;

  private EventStream(Offload offload, UUID id, Access access, String contextPath,
      AsyncContext async, Waits.Permit permit) {
    this.offload = offload;
    this.id = id;
    this.access = access;
    this.contextPath = contextPath;
    this.async = async;
    this.permit = permit;
  }

  /** The headers of a stream (all a {@code HEAD} gets). */
  static void headers(HttpServletResponse resp) {
    resp.setStatus(200);
    resp.setContentType("text/event-stream");
    resp.setCharacterEncoding("UTF-8");
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("X-Accel-Buffering", "no");
  }

  /**
   * Opens the stream of {@code first}'s task.
   *
   * @throws dev.offload.task.LimitExceededException when the caller (or everyone) already
   *     holds as many waits as allowed; nothing is opened then
   */
  static void open(Offload offload, HttpServletRequest req, HttpServletResponse resp,
      Caller caller, Task first) throws IOException {
    Waits.Permit permit = offload.waits().open(caller.owner(), Waits.Kind.STREAM);
    AsyncContext async;
    try {
      headers(resp);
      async = req.startAsync();
    } catch (RuntimeException e) {
      permit.close();
      throw e;
    }
    async.setTimeout(0);
    EventStream stream = new EventStream(offload, first.id(), caller.readAccess(),
        req.getContextPath(), async, permit);
    async.addListener(stream);
    stream.registration = offload.engine().watch(first.id(), stream);
    if (stream.isClosed()) {
      stream.release(); // ended before the registration was stored
    }
    // The state as of now, read after registering so no change is missed in between.
    stream.onChange(offload.engine().get(first.id(), stream.access).orElse(first));
    long every = offload.config().web().sseHeartbeatSeconds();
    try {
      stream.heartbeat = offload.heartbeats().scheduleAtFixedRate(
          stream::beat, every, every, TimeUnit.SECONDS);
      stream.end = offload.heartbeats().schedule(stream::expire,
          offload.config().web().sseMaxSeconds(), TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      stream.onShutdown();
    }
    if (stream.isClosed()) {
      stream.release();
    }
    if (!offload.engine().isAccepting()) {
      stream.onShutdown();
    }
  }

  @Override
  public void onChange(Task task) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      pending.add(task);
    }
    flushLater();
  }

  /** The server stops: send what is known now, then end the stream. */
  @Override
  public void onShutdown() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      shutdown = true;
    }
    flushLater();
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** The stream has lasted as long as a stream may: end it; the client reconnects. */
  private void expire() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      expired = true;
    }
    flushLater();
  }

  private void beat() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      heartbeatDue = true;
    }
    flushLater();
  }

  private void flushLater() {
    synchronized (lock) {
      if (writing || closed) {
        return;
      }
      writing = true;
    }
    try {
      async.start(this::flush);
    } catch (RuntimeException e) {
      flush(); // the container will not start it (stopping): write here
    }
  }

  /** Drains what is queued; loops until nothing is left so no wake-up is lost. */
  private void flush() {
    while (true) {
      StringBuilder out = new StringBuilder();
      boolean end = false;
      synchronized (lock) {
        for (Task t; (t = pending.poll()) != null && !end; ) {
          end = appendEvent(out, t);
        }
        if (shutdown && !end) {
          Task now = safeGet();
          if (now != null) {
            appendEvent(out, now);
          }
          end = true;
        }
        if (expired && !end) {
          end = true; // what changed so far is written; the client resumes on a new stream
        }
        if (heartbeatDue && out.length() == 0 && !end) {
          out.append(HEARTBEAT);
        }
        heartbeatDue = false;
        if (out.length() == 0 && !end) {
          writing = false;
          return;
        }
        if (end) {
          closed = true;
          pending.clear();
        }
      }
      try {
        if (out.length() > 0) {
          ServletOutputStream os = async.getResponse().getOutputStream();
          os.write(out.toString().getBytes(StandardCharsets.UTF_8));
          os.flush();
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.FINE, "event stream of task " + id + " closed by the client", e);
        end = true;
        synchronized (lock) {
          closed = true;
        }
      }
      if (end) {
        close();
        return;
      }
    }
  }

  /** Adds one event unless nothing visible changed; true when it was the final state. */
  private boolean appendEvent(StringBuilder out, Task t) {
    if (lastSent != null && sameView(lastSent, t)) {
      return t.isTerminal();
    }
    boolean statusChanged = lastSent == null || lastSent.status() != t.status()
        || lastSent.attempts() != t.attempts();
    lastSent = t;
    out.append("id: ").append(++eventId).append('\n')
        .append("event: ").append(statusChanged ? "status" : "progress").append('\n')
        .append("data: ")
        .append(offload.views().full(t, contextPath))
        .append("\n\n");
    return t.isTerminal();
  }

  private static boolean sameView(Task a, Task b) {
    return a.status() == b.status() && a.attempts() == b.attempts()
        && Objects.equals(a.progress(), b.progress())
        && Objects.equals(a.nextAttemptAt(), b.nextAttemptAt());
  }

  private Task safeGet() {
    try {
      return offload.engine().get(id, access).orElse(lastSent);
    } catch (RuntimeException e) {
      return lastSent;
    }
  }

  private void close() {
    release();
    try {
      async.complete();
    } catch (IllegalStateException e) {
      LOG.log(Level.FINE, "stream of task " + id + " already completed", e);
    }
  }

  @Override
  public void onComplete(AsyncEvent event) {
    synchronized (lock) {
      closed = true;
    }
    release();
  }

  /** Stops the heartbeat, the watch and gives the wait back; safe to call more than once. */
  private void release() {
    permit.close();
    ScheduledFuture<?> h = heartbeat;
    if (h != null) {
      h.cancel(false);
    }
    ScheduledFuture<?> ending = end;
    if (ending != null) {
      ending.cancel(false);
    }
    AutoCloseable r = registration;
    if (r != null) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.log(Level.FINE, "unregistering a stream failed", e);
      }
    }
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    onShutdown();
  }

  @Override
  public void onError(AsyncEvent event) {
    synchronized (lock) {
      closed = true;
    }
    close();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}
}
