package dev.offload.bench;

import dev.offload.engine.TaskEngine;
import dev.offload.testing.EmbeddedOffload;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Offload's web application in embedded Jetty (exactly as the tests start it), with the baseline
 * servlets added to the same web application, so both run in the same container, behind the
 * same filters, on the same thread pool.
 */
final class BenchServer implements AutoCloseable {
  private final EmbeddedOffload app;
  private final BaselineWaitServlet waits = new BaselineWaitServlet();

  /**
   * Longer than any wait of the benchmarks. Jetty's connector closes a connection after 30 s
   * without I/O by default, and the baseline's parked requests (no async timeout, no heartbeat)
   * were cut by it.
   */
  static final long IDLE_TIMEOUT_MILLIS = 600_000;

  private BenchServer(EmbeddedOffload app) {
    this.app = app;
    for (Connector c : app.server().getConnectors()) {
      ((AbstractConnector) c).setIdleTimeout(IDLE_TIMEOUT_MILLIS);
    }
    ServletContextHandler context = app.server().getDescendant(ServletContextHandler.class);
    context.addServlet(new ServletHolder("baseline-submit", new BaselineSubmitServlet()),
        "/baseline/tasks");
    ServletHolder wait = new ServletHolder("baseline-wait", waits);
    wait.setAsyncSupported(true);
    context.addServlet(wait, "/baseline/wait/*");
  }

  static BenchServer start(int maxThreads, Map<String, String> params) {
    EmbeddedOffload.Builder b = EmbeddedOffload.builder().maxThreads(maxThreads)
        .withoutContract("a benchmark: checking each answer would be measured as the server's");
    params.forEach(b::param);
    return new BenchServer(b.start());
  }

  URI url(String path) {
    return app.url(path);
  }

  BaselineWaitServlet waits() {
    return waits;
  }

  /** The container's threads: every thread of its pool, busy or idle. */
  int containerThreads() {
    return ((QueuedThreadPool) app.server().getThreadPool()).getThreads();
  }

  int containerMaxThreads() {
    return ((QueuedThreadPool) app.server().getThreadPool()).getMaxThreads();
  }

  /** Open client connections, parked requests included. */
  int connections() {
    int n = 0;
    for (Connector c : app.server().getConnectors()) {
      n += c.getConnectedEndPoints().size();
    }
    return n;
  }

  /** Offload's engine, read from the context attribute its listener sets. */
  TaskEngine engine() {
    Object offload = app.attribute("dev.offload.web.Offload");
    try {
      Method engine = offload.getClass().getDeclaredMethod("engine");
      engine.setAccessible(true);
      return (TaskEngine) engine.invoke(offload);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot reach Offload's engine", e);
    }
  }

  @Override
  public void close() {
    app.close();
  }
}
