package dev.offload.store.postgres;

import dev.offload.task.Limit;
import dev.offload.task.StoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/** Turns JDBC failures into what the layers above understand. */
final class SqlErrors {
  private SqlErrors() {}

  /**
   * True when the database cannot be reached or is going away: SQLSTATE class 08 (connection
   * exceptions), 57P01..57P03 (shut down, crash recovery, not yet accepting connections), 53300
   * (too many connections), or the pool's own time-out waiting for a connection.
   */
  static boolean isUnavailable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException
          || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Two transactions raced (serialization failure, deadlock): trying again may succeed. */
  static boolean isRetryable(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }

  /**
   * The pending limit whose trigger (migration V4) refused an insert: OF001 the queue's tasks,
   * OF004 its bytes, OF002 an owner's tasks, OF003 an owner's bytes.
   */
  static Optional<Limit> refusedLimit(SQLException e) {
    String state = e.getSQLState();
    if (state == null) {
      return Optional.empty();
    }
    return switch (state) {
      case "OF001" -> Optional.of(Limit.QUEUE_TASKS);
      case "OF002" -> Optional.of(Limit.OWNER_TASKS);
      case "OF003" -> Optional.of(Limit.OWNER_BYTES);
      case "OF004" -> Optional.of(Limit.QUEUE_BYTES);
      default -> Optional.empty();
    };
  }

  static boolean isUniqueViolation(SQLException e, String constraint) {
    return "23505".equals(e.getSQLState())
        && e.getMessage() != null && e.getMessage().contains(constraint);
  }

  /** What a caller above the store sees of a failed call. */
  static RuntimeException translate(String what, SQLException e) {
    if (isUnavailable(e)) {
      return new StoreUnavailableException(
          "PostgreSQL is unavailable (" + what + "): " + e.getMessage(), e);
    }
    return new IllegalStateException("PostgreSQL refused " + what + ": " + e.getMessage(), e);
  }
}
