package dev.offload.testing;

import dev.offload.testing.openapi.ContractRecorder;
import dev.offload.testing.openapi.OpenApiContract;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.security.HashLoginService;
import org.eclipse.jetty.security.UserStore;
import org.eclipse.jetty.util.security.Credential;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Offload's web application, exactly as the WAR lays it out ({@code webapp/} with its web.xml,
 * classes from the build), in an embedded Jetty 12 on a free port. Settings are given as
 * context-params, the way web.xml would.
 *
 * <p>The container's realm ("Offload") holds the users a test adds with {@link Builder#user};
 * a test that adds none and sets no {@code offload.auth} runs with {@code offload.auth=none}.
 *
 * <p>Every answer the web application gives is checked against the OpenAPI document ({@link
 * ContractRecorder}), and {@link #close} fails when any broke it: the document cannot drift from
 * what the server does without a test noticing.
 */
public final class EmbeddedOffload implements AutoCloseable {

  private final Server server;
  private final WebAppContext context;
  private final URI base;
  private final ContractRecorder contract;

  private EmbeddedOffload(Server server, WebAppContext context, URI base,
      ContractRecorder contract) {
    this.server = server;
    this.context = context;
    this.base = base;
    this.contract = contract;
  }

  public static EmbeddedOffload start(Map<String, String> params) {
    Builder b = builder();
    params.forEach(b::param);
    return b.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Where the webapp is served, without a trailing slash: {@code http://127.0.0.1:P/ctx}. */
  public URI baseUri() {
    return base;
  }

  /** An absolute URL for a path under the context, e.g. {@code url("/api/tasks")}. */
  public URI url(String path) {
    return URI.create(base + path);
  }

  public int port() {
    return base.getPort();
  }

  public String contextPath() {
    return context.getContextPath();
  }

  public Server server() {
    return server;
  }

  /** The servlet context's attribute (to reach Offload's engine from a test). */
  public Object attribute(String name) {
    return context.getServletContext().getAttribute(name);
  }

  /** What checks the answers against the OpenAPI document; null when a builder opted out. */
  public ContractRecorder contract() {
    return contract;
  }

  /** Stops the web application (running contextDestroyed) but keeps the server up. */
  public void stopContext() throws Exception {
    context.stop();
  }

  /**
   * Stops the server; then, every exchange having ended, fails if any answer broke the OpenAPI
   * document.
   *
   * @throws AssertionError listing the answers that broke the document
   */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping Jetty failed", e);
    }
    if (contract != null) {
      System.out.println(contract.summary());
      contract.assertKept();
    }
  }

  /** Options for one embedded instance. */
  public static final class Builder {
    private final Map<String, String> params = new LinkedHashMap<>();
    private final UserStore users = new UserStore();
    private boolean anyUser;
    private String contextPath = "/";
    private int maxThreads = 200;
    private String uncheckedBecause;
    private OpenApiContract contract = OpenApiContract.shared();

    public Builder param(String name, String value) {
      params.put(name, value);
      return this;
    }

    /** A user of the container's realm with a password and roles (offload-user, ...). */
    public Builder user(String name, String password, String... roles) {
      users.addUser(name, Credential.getCredential(password), roles);
      anyUser = true;
      return this;
    }

    public Builder contextPath(String contextPath) {
      this.contextPath = contextPath;
      return this;
    }

    /** Caps the container's thread pool, to prove that waiting clients hold no thread. */
    public Builder maxThreads(int maxThreads) {
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Leaves the answers unchecked against the OpenAPI document, for a benchmark, whose figures
     * would count the checking as the server's work. A test never does: a test that abuses the
     * protocol on purpose marks those requests ({@link ContractRecorder#SKIP_HEADER}).
     */
    public Builder withoutContract(String why) {
      this.uncheckedBecause = Objects.requireNonNull(why);
      return this;
    }

    /** Checks the answers against another document (to see that a drift is caught). */
    public Builder checkedAgainst(OpenApiContract contract) {
      this.contract = Objects.requireNonNull(contract);
      return this;
    }

    public EmbeddedOffload start() {
      QueuedThreadPool pool = new QueuedThreadPool(maxThreads, Math.min(8, maxThreads));
      pool.setName("jetty-http");
      Server server = new Server(pool);
      ServerConnector connector = new ServerConnector(server, 1, 1);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);

      Path webapp = locateWebapp();
      WebAppContext context = new WebAppContext();
      context.setContextPath(contextPath);
      context.setBaseResource(ResourceFactory.of(server).newResource(webapp));
      context.setParentLoaderPriority(true); // classes come from the build's classpath
      context.setThrowUnavailableOnStartupException(true);
      if (!params.containsKey("offload.auth") && !anyUser) {
        context.setInitParameter("offload.auth", "none");
      }
      params.forEach(context::setInitParameter);
      HashLoginService realm = new HashLoginService("Offload");
      realm.setUserStore(users);
      context.getSecurityHandler().setLoginService(realm);
      ContractRecorder recorder = uncheckedBecause != null ? null
          : new ContractRecorder(contract, contextPath, context);
      server.setHandler(recorder == null ? context : recorder);
      server.setStopTimeout(30_000);
      try {
        server.start();
      } catch (Exception e) {
        try {
          server.stop();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
        throw new IllegalStateException("Offload did not start: " + e.getMessage(), e);
      }
      String ctx = contextPath.equals("/") ? "" : contextPath;
      URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort() + ctx);
      return new EmbeddedOffload(server, context, base, recorder);
    }

    private static Path locateWebapp() {
      Path dir = Path.of("webapp").toAbsolutePath();
      if (!Files.isRegularFile(dir.resolve("WEB-INF/web.xml"))) {
        throw new IllegalStateException("webapp/WEB-INF/web.xml not found under "
            + Path.of("").toAbsolutePath() + "; run tests from the project directory");
      }
      return dir;
    }
  }
}
