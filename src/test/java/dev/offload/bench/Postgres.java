package dev.offload.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.offload.store.StoreLimits;
import dev.offload.store.postgres.PostgresSettings;
import dev.offload.store.postgres.PostgresTaskStore;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for benchmark 5 (the PostgreSQL store's own test server, which runs it as
 * {@code nobody} when this JVM is root; reached by reflection because it is package-private to
 * the store's tests), with its durability settings at PostgreSQL's defaults (fsync and
 * synchronous commit on: a commit waits for the disk), and Offload's PostgreSQL store and a
 * HikariCP pool on it.
 */
final class Postgres implements AutoCloseable {
  private static final String SERVER = "dev.offload.store.postgres.EmbeddedPg";
  private final Object server;

  private Postgres(Object server) {
    this.server = server;
  }

  static Postgres start() throws Exception {
    return start(true);
  }

  /** With {@code durable} false: fsync and synchronous commit off, as the tests run it. */
  static Postgres start(boolean durable) throws Exception {
    Method start = method(Class.forName(SERVER), "start", boolean.class);
    return new Postgres(start.invoke(null, durable));
  }

  /** Bytes written to the server's write-ahead log so far: what its commits must flush. */
  long walBytes() throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user(), null);
        Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** What the server runs with, e.g. {@code fsync=on, synchronous_commit=on}. */
  String durability() throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), user(), null);
        Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT 'fsync=' || current_setting('fsync')"
            + " || ', synchronous_commit=' || current_setting('synchronous_commit')")) {
      rs.next();
      return rs.getString(1);
    }
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
  PostgresTaskStore openStore(String database, int poolSize, long queueCapacity, boolean fair)
      throws Exception {
    return PostgresTaskStore.open(new PostgresSettings(jdbcUrl(database), user(), null, poolSize,
        StoreLimits.of(queueCapacity, Long.MAX_VALUE).withFair(fair),
        PostgresSettings.DEFAULT_CONNECT_TIMEOUT));
  }

  /** Runs {@code sql} on {@code database}. */
  void execute(String database, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl(database), user(), null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** A HikariCP pool like the one Offload's store uses, for the baseline. */
  HikariDataSource pool(String database, int size) throws Exception {
    HikariDataSource ds = new HikariDataSource();
    ds.setJdbcUrl(jdbcUrl(database));
    ds.setUsername(user());
    ds.setMaximumPoolSize(size);
    ds.setPoolName("bench-" + database);
    return ds;
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
