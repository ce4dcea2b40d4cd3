package dev.offload.bench;

import dev.offload.store.TaskStore;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for benchmark 5, and Offload's PostgreSQL store on it. Both are reached by
 * reflection: the store ({@code dev.offload.store.postgres}) and its test server ({@code
 * EmbeddedPg}, which runs the server as {@code nobody} when this JVM is root) are developed on
 * their own branch, and the harness builds and reports "not yet measured" without them.
 */
final class Postgres implements AutoCloseable {
  private static final String PKG = "dev.offload.store.postgres.";
  private final Object server;

  private Postgres(Object server) {
    this.server = server;
  }

  static boolean available() {
    try {
      Class.forName(PKG + "PostgresTaskStore");
      Class.forName(PKG + "EmbeddedPg");
      Class.forName("com.zaxxer.hikari.HikariDataSource");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  static Postgres start() throws Exception {
    Method start = method(Class.forName(PKG + "EmbeddedPg"), "start");
    return new Postgres(start.invoke(null));
  }

  String jdbcUrl(String database) throws ReflectiveOperationException {
    return (String) method(server.getClass(), "jdbcUrl", String.class).invoke(server, database);
  }

  String user() throws ReflectiveOperationException {
    return (String) method(server.getClass(), "user").invoke(server);
  }

  /** A new, empty database: each measurement starts from nothing. */
  void createDatabase(String name) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user(), null);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
  }

  /** Offload's PostgreSQL store on {@code database}, with its own connection pool. */
  TaskStore openStore(String database, int poolSize, long queueCapacity) throws Exception {
    Class<?> settingsType = Class.forName(PKG + "PostgresSettings");
    Constructor<?> c = settingsType.getConstructor(String.class, String.class, String.class,
        int.class, long.class, Duration.class);
    Object settings = c.newInstance(jdbcUrl(database), user(), null, poolSize, queueCapacity,
        Duration.ofSeconds(3));
    Method open = Class.forName(PKG + "PostgresTaskStore").getMethod("open", settingsType);
    return (TaskStore) open.invoke(null, settings);
  }

  /** A HikariCP pool like the one Offload's store uses, for the baseline. */
  DataSource pool(String database, int size) throws Exception {
    Class<?> type = Class.forName("com.zaxxer.hikari.HikariDataSource");
    Object ds = type.getConstructor().newInstance();
    type.getMethod("setJdbcUrl", String.class).invoke(ds, jdbcUrl(database));
    type.getMethod("setUsername", String.class).invoke(ds, user());
    type.getMethod("setMaximumPoolSize", int.class).invoke(ds, size);
    type.getMethod("setPoolName", String.class).invoke(ds, "bench-" + database);
    return (DataSource) ds;
  }

  static void closePool(DataSource ds) throws Exception {
    ((AutoCloseable) ds).close();
  }

  static void execute(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  public void close() throws Exception {
    method(server.getClass(), "close").invoke(server);
  }

  private static Method method(Class<?> type, String name, Class<?>... params)
      throws NoSuchMethodException {
    Method m = type.getDeclaredMethod(name, params);
    m.setAccessible(true);
    return m;
  }
}
