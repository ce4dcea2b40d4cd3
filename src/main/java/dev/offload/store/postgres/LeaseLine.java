package dev.offload.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A connection of its own for the lease thread: heartbeats, lease renewals and the reaper. On the
 * pool they waited behind every request when the pool was busy (a flood of slow reads), their
 * leases ran out, and another instance's reaper took tasks that were running fine. Opened when
 * first needed, and again after it broke; one caller at a time.
 */
final class LeaseLine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseLine.class.getName());

  private final PostgresSettings settings;
  private final String applicationName;
  /** Written under this object's lock; read by close() without it, to unblock a hung read. */
  private volatile Connection connection;
  private volatile boolean closed;

  LeaseLine(PostgresSettings settings) {
    this(settings, "offload-leases");
  }

  /** A connection of its own for another thread; {@code applicationName} names it in the server. */
  LeaseLine(PostgresSettings settings, String applicationName) {
    this.settings = settings;
    this.applicationName = applicationName;
  }

  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} on the lease connection; a broken connection is dropped for the next. */
  synchronized <T> T run(Work<T> work) throws SQLException {
    if (closed) {
      throw new SQLException("the store is closed", "08003");
    }
    if (connection == null || connection.isClosed()) {
      connection = connect();
    }
    try {
      return work.run(connection);
    } catch (SQLException e) {
      if (SqlErrors.isUnavailable(e)) {
        closeQuietly();
      }
      throw e;
    }
  }

  private Connection connect() throws SQLException {
    Properties props = new Properties();
    if (settings.user() != null) {
      props.setProperty("user", settings.user());
    }
    if (settings.password() != null) {
      props.setProperty("password", settings.password());
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout",
        Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
    // A hung server must not hold the lease thread past many leases.
    props.setProperty("socketTimeout", "30");
    // Not DriverManager: inside a servlet container it may not see the webapp's driver.
    Connection c = new org.postgresql.Driver().connect(settings.jdbcUrl(), props);
    if (c == null) {
      throw new SQLException("the PostgreSQL driver does not accept " + settings.jdbcUrl());
    }
    c.setAutoCommit(true);
    return c;
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    try {
      if (c != null) {
        c.close();
      }
    } catch (SQLException e) {
      LOG.log(Level.FINE, "closing the lease connection failed", e);
    }
  }

  /** Closes the connection, also under a call that hangs (which then fails). */
  @Override
  public void close() {
    closed = true;
    closeQuietly();
  }
}
