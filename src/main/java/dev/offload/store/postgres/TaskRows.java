package dev.offload.store.postgres;

import dev.offload.task.Callback;
import dev.offload.task.Delivery;
import dev.offload.task.DeliveryState;
import dev.offload.task.Priority;
import dev.offload.task.Progress;
import dev.offload.task.Task;
import dev.offload.task.TaskError;
import dev.offload.task.TaskStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Maps {@link Task} snapshots to rows of {@code offload_task} and back. The store never shares a
 * mutable object: every read makes a new immutable snapshot.
 */
final class TaskRows {
  private TaskRows() {}

  /** The columns of a snapshot, in the order {@link #read} expects them. */
  static final String COLUMNS = "id, type, owner, priority, input, input_view, input_bytes, "
      + "max_attempts, timeout_seconds, result_ttl_seconds, status, attempts, progress_percent, "
      + "progress_message, created_at, started_at, finished_at, next_attempt_at, expires_at, "
      + "result, error_type, error_message, idempotency_key, fingerprint, retry_of, callback_url, "
      + "callback_secret, delivery_state, delivery_attempts, delivery_error_type, "
      + "delivery_error_message, delivery_next_at, delivered_at";

  /** {@link #COLUMNS}, each qualified with a table alias. */
  static String columns(String alias) {
    return Arrays.stream(COLUMNS.split(", "))
        .map(c -> alias + "." + c)
        .collect(Collectors.joining(", "));
  }

  /** How many parameters {@link #bindInsert} sets: one per column. */
  static final int INSERT_PARAMETERS = COLUMNS.split(", ").length;

  static final String INSERT = "INSERT INTO offload_task (" + COLUMNS + ") VALUES ("
      + String.join(", ", java.util.Collections.nCopies(INSERT_PARAMETERS, "?")) + ")";

  /**
   * Writes the state a snapshot can change into (everything but the fixed submission). A task
   * that ended with a TTL of 0 gives up its idempotency key at once: it is gone for every reader
   * but its watchers, and the sweep deletes the row.
   */
  static final String UPDATE_STATE = "UPDATE offload_task SET status = ?, attempts = ?, "
      + "progress_percent = ?, progress_message = ?, started_at = ?, finished_at = ?, "
      + "next_attempt_at = ?, expires_at = ?, result = ?, error_type = ?, error_message = ?, "
      + "idempotency_key = CASE WHEN ? THEN NULL ELSE idempotency_key END, "
      + "lease_owner = NULL, lease_until = NULL WHERE id = ?";

  /**
   * A row every reader but a task's watchers sees: not one that ended with a TTL of 0, which
   * stays only until the sweep so that watchers on other instances can read how it ended.
   */
  static final String VISIBLE =
      "(finished_at IS NULL OR result_ttl_seconds > 0 OR delivery_state = 'pending')";

  /**
   * Whether a snapshot ended with a TTL of 0: gone for every reader but its watchers. Not while
   * its callback delivery is owed: until that ends it is kept, as any finished task.
   */
  static boolean forgotten(Task t) {
    return t.isTerminal() && t.limits().resultTtlSeconds() == 0 && !t.deliveryOwed();
  }

  /** A row whose callback delivery is owed (migration V5). */
  static final String OWED = "delivery_state = 'pending'";

  /** A row whose delivery is not owed: the sweep and the retained caps may delete it. */
  static final String NOT_OWED = "delivery_state IS DISTINCT FROM 'pending'";

  /**
   * When an owed delivery of an ended task can be claimed: the end of the lease that holds it,
   * else its retry time, else the task's end (the expression of migration V5's index).
   */
  static final String DELIVERY_CLAIMABLE =
      "coalesce(delivery_lease_until, delivery_next_at, finished_at)";

  /** The SQL type of each column of {@link #COLUMNS}, in order. */
  private static final List<String> COLUMN_TYPES = List.of("uuid", "text", "text", "smallint",
      "text", "text", "bigint", "integer", "bigint", "bigint", "text", "integer", "integer", "text",
      "timestamptz", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "text", "text",
      "text", "text", "text", "uuid", "text", "text", "text", "integer", "text", "text",
      "timestamptz", "timestamptz");

  /** How a snapshot fills each column of {@link #COLUMNS}, as text (null for NULL). */
  private static final List<Function<Task, Object>> COLUMN_VALUES = List.of(
      Task::id, Task::type, Task::owner, t -> t.priority().ordinal(), Task::input,
      t -> t.spec().inputView(), t -> t.spec().inputBytes(), t -> t.limits().maxAttempts(),
      t -> t.limits().timeoutSeconds(), t -> t.limits().resultTtlSeconds(),
      t -> t.status().wire(), Task::attempts,
      t -> t.progress() == null ? null : t.progress().percent(),
      t -> t.progress() == null ? null : t.progress().message(), Task::createdAt,
      Task::startedAt, Task::finishedAt, Task::nextAttemptAt, Task::expiresAt, Task::result,
      t -> t.error() == null ? null : t.error().type(),
      t -> t.error() == null ? null : t.error().message(), Task::idempotencyKey,
      Task::fingerprint, Task::retryOf,
      t -> t.callback() == null ? null : t.callback().url(),
      t -> t.callback() == null ? null : t.callback().secret(),
      t -> t.delivery() == null ? null : t.delivery().state().wire(),
      t -> t.delivery() == null ? null : t.delivery().attempts(),
      t -> t.delivery() == null || t.delivery().lastError() == null ? null
          : t.delivery().lastError().type(),
      t -> t.delivery() == null || t.delivery().lastError() == null ? null
          : t.delivery().lastError().message(),
      t -> t.delivery() == null ? null : t.delivery().nextAttemptAt(),
      t -> t.delivery() == null ? null : t.delivery().deliveredAt());

  static {
    if (COLUMN_TYPES.size() != INSERT_PARAMETERS || COLUMN_VALUES.size() != INSERT_PARAMETERS) {
      throw new AssertionError("every column of a snapshot needs a type and a value");
    }
  }

  /**
   * Inserts any number of snapshots in one statement, one array per column: one SQL text (and
   * one prepared plan) whatever the batch's size.
   */
  static final String INSERT_MANY = "INSERT INTO offload_task (" + COLUMNS + ") SELECT * FROM"
      + " unnest(" + COLUMN_TYPES.stream().map(type -> "?::text[]::" + type + "[]")
          .collect(Collectors.joining(", ")) + ")";

  /** Binds {@link #INSERT_MANY}'s arrays from index 1; returns the next index. */
  static int bindInsertMany(Connection c, PreparedStatement ps, List<Task> tasks)
      throws SQLException {
    int i = 1;
    for (Function<Task, Object> column : COLUMN_VALUES) {
      Object[] values = new Object[tasks.size()];
      for (int k = 0; k < values.length; k++) {
        Object v = column.apply(tasks.get(k));
        values[k] = v == null ? null : v.toString();
      }
      ps.setArray(i++, c.createArrayOf("text", values));
    }
    return i;
  }

  /** A text array of {@code values}, each as text (null for NULL). */
  static java.sql.Array textArray(Connection c, List<?> values) throws SQLException {
    Object[] text = new Object[values.size()];
    for (int k = 0; k < text.length; k++) {
      Object v = values.get(k);
      text[k] = v == null ? null : v.toString();
    }
    return c.createArrayOf("text", text);
  }

  static Task read(ResultSet rs) throws SQLException {
    return read(rs, 1);
  }

  /** Reads a snapshot from the columns starting at {@code first}. */
  static Task read(ResultSet rs, int first) throws SQLException {
    int i = first;
    UUID id = rs.getObject(i++, UUID.class);
    String type = rs.getString(i++);
    String owner = rs.getString(i++);
    Priority priority = Priority.values()[rs.getShort(i++)];
    String input = rs.getString(i++);
    String inputView = rs.getString(i++);
    long inputBytes = rs.getLong(i++);
    Task.Limits limits = new Task.Limits(rs.getInt(i++), rs.getLong(i++), rs.getLong(i++));
    TaskStatus status = TaskStatus.parse(rs.getString(i++)).orElseThrow();
    int attempts = rs.getInt(i++);
    Progress progress = progress(rs, i);
    i += 2;
    Instant createdAt = instant(rs, i++);
    Instant startedAt = instant(rs, i++);
    Instant finishedAt = instant(rs, i++);
    Instant nextAttemptAt = instant(rs, i++);
    i++; // expires_at: kept in the table for the sweep's index; a snapshot derives it
    String result = rs.getString(i++);
    String errorType = rs.getString(i++);
    String errorMessage = rs.getString(i++);
    TaskError error = errorType == null ? null : new TaskError(errorType, errorMessage);
    String idempotencyKey = rs.getString(i++);
    String fingerprint = rs.getString(i++);
    UUID retryOf = rs.getObject(i++, UUID.class);
    String callbackUrl = rs.getString(i++);
    String callbackSecret = rs.getString(i++);
    Callback callback = callbackUrl == null ? null : new Callback(callbackUrl, callbackSecret);
    Delivery delivery = callback == null ? null : delivery(rs, i);
    return new Task(
        new Task.Spec(id, type, owner, priority, input, inputView, inputBytes, limits,
            Task.millis(createdAt), idempotencyKey, fingerprint, retryOf, callback),
        new Task.State(status, attempts, progress, Task.millis(startedAt),
            Task.millis(finishedAt), Task.millis(nextAttemptAt), result, error),
        delivery);
  }

  /** The delivery of a task with a callback, from its columns starting at {@code first}. */
  private static Delivery delivery(ResultSet rs, int first) throws SQLException {
    int i = first;
    DeliveryState state = DeliveryState.parse(rs.getString(i++)).orElseThrow();
    int attempts = rs.getInt(i++);
    String errorType = rs.getString(i++);
    String errorMessage = rs.getString(i++);
    TaskError lastError = errorType == null ? null : new TaskError(errorType, errorMessage);
    Instant nextAt = instant(rs, i++);
    Instant deliveredAt = instant(rs, i);
    return new Delivery(state, attempts, lastError, Task.millis(nextAt),
        Task.millis(deliveredAt));
  }

  /**
   * Writes the delivery of a claimed attempt, fenced on the attempt it counted and on an owner
   * that claimed through this store; ends its lease. A delivery that ends for a task with a TTL
   * of 0 gives up the idempotency key: the task is then gone, as {@link #forgotten} says.
   * Parameters: state, attempts, error type and message, retry time, delivered time, whether to
   * forget the key; the id, the claimed attempt, the owners.
   */
  static final String RECORD_DELIVERY = "UPDATE offload_task SET delivery_state = ?,"
      + " delivery_attempts = ?, delivery_error_type = ?, delivery_error_message = ?,"
      + " delivery_next_at = ?, delivered_at = ?, delivery_lease_owner = NULL,"
      + " delivery_lease_until = NULL,"
      + " idempotency_key = CASE WHEN ? THEN NULL ELSE idempotency_key END"
      + " WHERE id = ? AND " + OWED + " AND finished_at IS NOT NULL AND delivery_attempts = ?"
      + " AND delivery_lease_owner = ANY (?) RETURNING " + COLUMNS;

  /** Binds {@link #RECORD_DELIVERY}'s delivery and key from index 1; returns the next index. */
  static int bindDelivery(PreparedStatement ps, Task next) throws SQLException {
    Delivery d = next.delivery();
    int i = 1;
    ps.setString(i++, d.state().wire());
    ps.setInt(i++, d.attempts());
    i = bindError(ps, i, d.lastError());
    setInstant(ps, i++, d.nextAttemptAt());
    setInstant(ps, i++, d.deliveredAt());
    ps.setBoolean(i++, forgotten(next));
    return i;
  }

  static void bindInsert(PreparedStatement ps, Task t) throws SQLException {
    int i = 1;
    ps.setObject(i++, t.id());
    ps.setString(i++, t.type());
    ps.setString(i++, t.owner());
    ps.setShort(i++, (short) t.priority().ordinal());
    ps.setString(i++, t.input());
    ps.setString(i++, t.spec().inputView());
    ps.setLong(i++, t.spec().inputBytes());
    ps.setInt(i++, t.limits().maxAttempts());
    ps.setLong(i++, t.limits().timeoutSeconds());
    ps.setLong(i++, t.limits().resultTtlSeconds());
    ps.setString(i++, t.status().wire());
    ps.setInt(i++, t.attempts());
    i = bindProgress(ps, i, t.progress());
    setInstant(ps, i++, t.createdAt());
    setInstant(ps, i++, t.startedAt());
    setInstant(ps, i++, t.finishedAt());
    setInstant(ps, i++, t.nextAttemptAt());
    setInstant(ps, i++, t.expiresAt());
    ps.setString(i++, t.result());
    i = bindError(ps, i, t.error());
    ps.setString(i++, t.idempotencyKey());
    ps.setString(i++, t.fingerprint());
    ps.setObject(i++, t.retryOf());
    Callback callback = t.callback();
    ps.setString(i++, callback == null ? null : callback.url());
    ps.setString(i++, callback == null ? null : callback.secret());
    Delivery d = t.delivery();
    ps.setString(i++, d == null ? null : d.state().wire());
    if (d == null) {
      ps.setNull(i++, Types.INTEGER);
    } else {
      ps.setInt(i++, d.attempts());
    }
    i = bindError(ps, i, d == null ? null : d.lastError());
    setInstant(ps, i++, d == null ? null : d.nextAttemptAt());
    setInstant(ps, i, d == null ? null : d.deliveredAt());
  }

  static void bindUpdateState(PreparedStatement ps, Task t) throws SQLException {
    int i = 1;
    ps.setString(i++, t.status().wire());
    ps.setInt(i++, t.attempts());
    i = bindProgress(ps, i, t.progress());
    i = bindEnd(ps, i, t);
    ps.setBoolean(i++, forgotten(t));
    ps.setObject(i, t.id());
  }

  /** The times, result and error of a state, from {@code i}; returns the next index. */
  private static int bindEnd(PreparedStatement ps, int i, Task t) throws SQLException {
    setInstant(ps, i++, t.startedAt());
    setInstant(ps, i++, t.finishedAt());
    setInstant(ps, i++, t.nextAttemptAt());
    setInstant(ps, i++, t.expiresAt());
    ps.setString(i++, t.result());
    return bindError(ps, i, t.error());
  }

  /** The progress in columns {@code first} (percent) and {@code first + 1} (message). */
  static Progress progress(ResultSet rs, int first) throws SQLException {
    int percent = rs.getInt(first);
    return rs.wasNull() ? null : new Progress(percent, rs.getString(first + 1));
  }

  private static int bindProgress(PreparedStatement ps, int i, Progress p) throws SQLException {
    if (p == null) {
      ps.setNull(i++, Types.INTEGER);
      ps.setNull(i++, Types.VARCHAR);
    } else {
      ps.setInt(i++, p.percent());
      ps.setString(i++, p.message());
    }
    return i;
  }

  private static int bindError(PreparedStatement ps, int i, TaskError e) throws SQLException {
    ps.setString(i++, e == null ? null : e.type());
    ps.setString(i++, e == null ? null : e.message());
    return i;
  }

  static void setInstant(PreparedStatement ps, int i, Instant at) throws SQLException {
    if (at == null) {
      ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setObject(i, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
    }
  }

  static Instant instant(ResultSet rs, int i) throws SQLException {
    OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
