package dev.offload.web;

import dev.offload.engine.HandlerJars;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.JsonCodec;
import dev.offload.engine.OwnedThreadFactory;
import dev.offload.engine.TaskEngine;
import dev.offload.handlers.EmailHandler;
import dev.offload.handlers.HttpHandler;
import dev.offload.outbound.AddressRules;
import dev.offload.outbound.OutboundHttp;
import dev.offload.store.TaskStore;
import dev.offload.task.TaskHandler;
import dev.offload.web.metrics.OffloadMetrics;
import dev.offload.webhooks.WebhookDeliverer;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.io.File;
import java.nio.file.Path;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.naming.InitialContext;
import javax.naming.NamingException;

/**
 * Builds Offload when the web application starts and takes it down when it stops. Everything
 * with a thread is created here (through the engine) and stopped in {@link #contextDestroyed},
 * every wait bounded, so an undeploy leaves no thread behind.
 */
public final class OffloadListener implements ServletContextListener {
  private static final Logger LOG = Logger.getLogger(OffloadListener.class.getName());
  static final String MANAGED_EXECUTOR = "java:comp/DefaultManagedExecutorService";

  @Override
  public void contextInitialized(ServletContextEvent sce) {
    ServletContext ctx = sce.getServletContext();
    OffloadConfig config = OffloadConfig.load(OffloadConfig.Source.standard(ctx::getInitParameter));
    JsonCodec json = new JsonCodec();
    TaskStore store = null;
    OffloadMetrics metrics = null;
    ScheduledExecutorService heartbeats = null;
    List<TaskHandler<?, ?>> builtIns = new ArrayList<>();
    HandlerJars jars = null;
    WebhookDeliverer webhooks = null;
    try {
      builtIns.addAll(builtIns(config.outbound(), config.security().types()));
      HandlerRegistry found = HandlerRegistry.discover(ctx.getClassLoader(), builtIns);
      Path handlersDir = config.security().handlersDir();
      if (handlersDir != null) {
        jars = HandlerJars.load(handlersDir, tempDir(ctx), ctx.getClassLoader(), found.types(),
            h -> exampleIsJson(h, json));
      }
      HandlerRegistry handlers = withJars(found, jars == null ? List.of() : jars.handlers(),
          config.security().types());
      metrics = new OffloadMetrics(handlers.types());
      store = StoreFactory.create(config.store(), metrics);
      Optional<ExecutorService> managed = lookupManagedExecutor();
      // Callbacks obey the http type's address rules: offload.http.allow is what an operator
      // trusts, for any call Offload makes.
      AddressRules rules = AddressRules.allowing(config.outbound().http().allow());
      TaskEngine engine = TaskEngine.builder(config.engine(), metrics.timed(store), handlers)
          .json(json)
          .executor(managed.orElse(null))
          .events(metrics.events())
          .callbackRules(config.outbound().webhooks().enabled() ? rules : null)
          .build();
      webhooks = config.outbound().webhooks().enabled()
          ? webhooks(config, engine, rules, json, ctx.getContextPath(), metrics) : null;
      Waits waits = new Waits(config.web().waitsMax(), config.web().ownerWaitsMax());
      metrics.engine(engine::health);
      metrics.waits(() -> waits.open(Waits.Kind.POLL), () -> waits.open(Waits.Kind.STREAM),
          config.web().waitsMax());
      heartbeats = new ScheduledThreadPoolExecutor(1,
          OwnedThreadFactory.named("offload-heartbeat"));
      ((ScheduledThreadPoolExecutor) heartbeats).setRemoveOnCancelPolicy(true);
      OffloadConfig.SecurityConfig security = config.security();
      Tokens tokens = security.tokensFile() == null ? null
          : new Tokens(security.tokensFile(), Clock.systemUTC());
      engine.start();
      if (webhooks != null) {
        webhooks.start();
      }
      ctx.setAttribute(Offload.ATTRIBUTE, new Offload(config, store, engine, json,
          new TaskJson(json, engine::waitingFor), heartbeats, new Cors(security.corsOrigins()),
          tokens, waits, metrics, jars, webhooks));
      if (security.auth() == OffloadConfig.AuthMode.NONE) {
        LOG.warning("offload.auth=none: authentication is off; every caller is one owner with "
            + "every right (submit, read and cancel every task). Use this only on a trusted "
            + "network.");
      }
      LOG.info(() -> "Offload started at " + (ctx.getContextPath().isEmpty() ? "/"
          : ctx.getContextPath()) + " with " + config);
    } catch (RuntimeException e) {
      if (heartbeats != null) {
        heartbeats.shutdownNow();
      }
      if (webhooks != null) {
        webhooks.close();
      }
      closeHandlers(builtIns);
      if (jars != null) {
        closeHandlers(jars.handlers());
        jars.close();
      }
      if (store != null) {
        store.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      json.close();
      throw e;
    }
  }

  /**
   * The types found in the WAR and those of the handler jars, of which only those {@code
   * offload.types} lists (all when null); a jar's handler left out is closed at once, as it may
   * own threads and nothing else will close it.
   */
  static HandlerRegistry withJars(HandlerRegistry found, List<TaskHandler<?, ?>> fromJars,
      List<String> types) {
    HandlerRegistry offered = offered(found.with(fromJars), types);
    List<TaskHandler<?, ?>> leftOut = fromJars.stream()
        .filter(h -> offered.find(h.type()).orElse(null) != h)
        .toList();
    // Someone put the jar there to offer its type: say why it is not, rather than leave them
    // looking for it in GET /api/types.
    for (TaskHandler<?, ?> h : leftOut) {
      LOG.warning(() -> "Offload does not offer the task type " + h.type() + " ("
          + h.getClass().getName() + ", from offload.handlers.dir): offload.types lists only "
          + String.join(", ", types));
    }
    closeHandlers(leftOut);
    return offered;
  }

  /**
   * {@code GET /api/types} writes every handler's example as JSON: a jar whose example cannot be
   * written is left out now, rather than failing the types list for every client later.
   */
  private static void exampleIsJson(TaskHandler<?, ?> h, JsonCodec json) {
    try {
      json.parse(json.toJson(h.example()));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the example of " + h.getClass().getName()
          + " cannot be written as JSON: " + JsonCodec.rootMessage(e, e.toString()), e);
    }
  }

  /**
   * The web application's own temp directory, which the container empties when it undeploys
   * it; the JVM's when a container offers none.
   */
  private static Path tempDir(ServletContext ctx) {
    Object dir = ctx.getAttribute(ServletContext.TEMPDIR);
    return dir instanceof File f ? f.toPath()
        : Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** The handlers this instance offers: all found, or those {@code offload.types} lists. */
  static HandlerRegistry offered(HandlerRegistry found, List<String> types) {
    if (types == null) {
      return found;
    }
    for (String t : types) {
      if (found.find(t).isEmpty()) {
        throw new OffloadConfig.InvalidConfigException("invalid setting offload.types: no "
            + "handler for type '" + t + "'; found: " + String.join(", ", found.types()));
      }
    }
    return new HandlerRegistry(found.all().stream().filter(h -> types.contains(h.type()))
        .toList());
  }

  @Override
  public void contextDestroyed(ServletContextEvent sce) {
    ServletContext ctx = sce.getServletContext();
    Object attr = ctx.getAttribute(Offload.ATTRIBUTE);
    if (!(attr instanceof Offload offload)) {
      return;
    }
    // The engine first: it stops taking work, answers parked clients and ends event streams
    // (written on container threads), and gives running tasks their grace period.
    offload.engine().shutdown();
    // Then the deliveries: tasks that ended during the grace period were announced meanwhile;
    // one still in flight is handed back, owed, and the store must still be open for that.
    if (offload.webhooks() != null) {
      offload.webhooks().close();
    }
    offload.heartbeats().shutdownNow();
    await(offload.heartbeats(), "offload-heartbeat");
    // The workers have stopped: nothing uses a handler's threads any more.
    closeHandlers(offload.engine().handlers().all());
    ctx.removeAttribute(Offload.ATTRIBUTE);
    offload.store().close();
    // After the store: closing the pool removes its meters from the registry.
    offload.metrics().close();
    offload.json().close();
    // Nothing runs or binds a jar's classes any more (JSON-B's models of them went with the
    // codec): the jar files are closed, and their copies deleted, before the container lets go
    // of this web application.
    if (offload.handlerJars() != null) {
      offload.handlerJars().close();
    }
    deregisterJdbcDrivers(ctx.getClassLoader());
    LOG.info(() -> "Offload stopped at "
        + (ctx.getContextPath().isEmpty() ? "/" : ctx.getContextPath()));
  }

  /**
   * The deliverer of callbacks: its own outbound client (threads {@code offload-webhook-*}), the
   * http type's address rules, and the task view as its body. A claimed delivery is this
   * instance's for an attempt's timeout plus a lease, like a running task's.
   */
  private static WebhookDeliverer webhooks(OffloadConfig config, TaskEngine engine,
      AddressRules rules, JsonCodec json, String contextPath, OffloadMetrics metrics) {
    OffloadConfig.WebhookConfig w = config.outbound().webhooks();
    Duration connect = Duration.ofSeconds(config.outbound().http().connectTimeoutSeconds());
    WebhookDeliverer.Settings settings = new WebhookDeliverer.Settings(w.threads(),
        w.retryWindow(), w.retryBase(), w.retryCeiling(), w.timeout(),
        w.timeout().plus(config.engine().lease()), Duration.ofSeconds(1));
    // Last: from here on its proxy thread runs, and the deliverer owns it.
    OutboundHttp http = new OutboundHttp("offload-webhook", rules,
        OutboundHttp.Resolver.system(), connect, w.timeout().plusSeconds(5),
        Math.max(4, 2 * w.threads()), null);
    // Not through TaskJson's memo: the body is a view of its own (as the task ended), and it
    // would push the live view of the same task out of the memo.
    return new WebhookDeliverer(settings, engine.deliveries(), http,
        t -> json.toJson(TaskView.of(t, contextPath)),
        () -> ThreadLocalRandom.current().nextDouble(), metrics.webhooks());
  }

  /**
   * The built-in task types that need settings, so cannot be listed in META-INF/services:
   * {@code http}, and {@code email} when an SMTP server is configured; of those, only the ones
   * {@code offload.types} offers (null: all).
   */
  static List<TaskHandler<?, ?>> builtIns(OffloadConfig.OutboundConfig outbound,
      List<String> offered) {
    List<TaskHandler<?, ?>> handlers = new ArrayList<>();
    // One that offload.types leaves out is not built: it would own threads for nothing.
    if (offered == null || offered.contains("http")) {
      handlers.add(new HttpHandler(outbound.http()));
    }
    if (outbound.smtp() != null && (offered == null || offered.contains("email"))) {
      try {
        handlers.add(new EmailHandler(outbound.smtp()));
      } catch (RuntimeException e) {
        closeHandlers(handlers);
        throw e;
      }
    }
    return handlers;
  }

  /** Handlers that own threads are AutoCloseable; each is closed, and one failing stops none. */
  static void closeHandlers(Collection<? extends TaskHandler<?, ?>> handlers) {
    for (TaskHandler<?, ?> h : handlers) {
      if (h instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.log(Level.WARNING, "closing the " + h.type() + " task type failed", e);
        }
      }
    }
  }

  /**
   * A JDBC driver in WEB-INF/lib registers itself with the JVM-wide DriverManager, which would
   * keep this web application's class loader alive after an undeploy (Tomcat reports it).
   */
  private static void deregisterJdbcDrivers(ClassLoader webapp) {
    for (Driver d : Collections.list(DriverManager.getDrivers())) {
      if (d.getClass().getClassLoader() == webapp) {
        try {
          DriverManager.deregisterDriver(d);
        } catch (SQLException | SecurityException e) {
          LOG.log(Level.WARNING, "could not deregister JDBC driver " + d.getClass().getName(), e);
        }
      }
    }
  }

  private static void await(ExecutorService executor, String name) {
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warning(() -> name + " did not stop within 5 s");
        return;
      }
      // A terminated pool's last thread may still be on its way out: wait until it is gone, so
      // the container finds no thread of ours when the context has stopped.
      if (!OwnedThreadFactory.joinThreadsOf(executor, 2_000)) {
        LOG.warning(() -> name + " thread did not end within 2 s of the pool's stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }

  /**
   * A full Jakarta EE server offers a managed executor; work run there is visible to and stopped
   * by the container. A plain servlet container (Jetty, Tomcat) has none: Offload uses its own.
   */
  static Optional<ExecutorService> lookupManagedExecutor() {
    try {
      Object found = new InitialContext().lookup(MANAGED_EXECUTOR);
      if (found instanceof ExecutorService executor) {
        return Optional.of(executor);
      }
    } catch (NamingException | RuntimeException | LinkageError e) {
      LOG.log(Level.FINE, "no " + MANAGED_EXECUTOR + "; Offload uses its own worker threads", e);
    }
    return Optional.empty();
  }
}
