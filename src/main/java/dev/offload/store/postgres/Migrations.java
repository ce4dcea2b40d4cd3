package dev.offload.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Creates and upgrades the schema from the versioned files in {@code db/migration}, each applied
 * once and recorded in {@code offload_schema_version} with a checksum.
 *
 * <p>Plain SQL rather than Flyway: one table does not need a migration framework, the WAR stays
 * smaller, and nothing scans the class path (which behaves differently inside each servlet
 * container's class loader). Several instances starting at once are safe: the whole upgrade runs
 * in one transaction under a PostgreSQL advisory lock, and PostgreSQL's DDL is transactional, so
 * a failed migration leaves nothing half-done.
 */
final class Migrations {
  private static final Logger LOG = Logger.getLogger(Migrations.class.getName());

  /** Every migration, in order. Add new files at the end; never edit an applied one. */
  static final List<String> FILES =
      List.of("V1__create_offload_task.sql", "V2__count_pending_tasks.sql",
          "V3__task_owners.sql", "V4__owner_lanes_and_kept_figures.sql",
          "V5__callback_deliveries.sql");

  static final String DIRECTORY = "db/migration/";
  private static final Pattern NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  /** Arbitrary, fixed: the advisory lock every instance takes while migrating. */
  private static final long LOCK_KEY = 0x0ff10ad_5c4e3aL;

  private Migrations() {}

  /** One migration file. */
  record Migration(int version, String description, String sql, String checksum) {}

  /** Applies what is missing; returns the versions it applied. */
  static List<Integer> apply(Connection c) throws SQLException {
    return apply(c, Integer.MAX_VALUE);
  }

  /** Applies what is missing up to version {@code last} (tests of upgrades). */
  static List<Integer> apply(Connection c, int last) throws SQLException {
    Map<Integer, Migration> all = new LinkedHashMap<>(load());
    all.keySet().removeIf(v -> v > last);
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
      s.execute("CREATE TABLE IF NOT EXISTS offload_schema_version ("
          + " version integer PRIMARY KEY, description text NOT NULL, checksum text NOT NULL,"
          + " applied_at timestamptz NOT NULL DEFAULT now())");
      Map<Integer, String> applied = new LinkedHashMap<>();
      try (ResultSet rs =
          s.executeQuery("SELECT version, checksum FROM offload_schema_version ORDER BY version")) {
        while (rs.next()) {
          applied.put(rs.getInt(1), rs.getString(2));
        }
      }
      List<Integer> done = new java.util.ArrayList<>();
      for (Migration m : all.values()) {
        String known = applied.get(m.version());
        if (known != null) {
          if (!known.equals(m.checksum())) {
            throw new IllegalStateException("migration V" + m.version() + " (" + m.description()
                + ") was changed after it was applied to this database; add a new migration "
                + "instead of editing an applied one");
          }
          continue;
        }
        s.execute(m.sql());
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO offload_schema_version (version, description, checksum) VALUES (?,?,?)")) {
          ins.setInt(1, m.version());
          ins.setString(2, m.description());
          ins.setString(3, m.checksum());
          ins.executeUpdate();
        }
        done.add(m.version());
      }
      for (Integer v : applied.keySet()) {
        if (!all.containsKey(v) && last == Integer.MAX_VALUE) {
          throw new IllegalStateException("the database has schema version " + v
              + ", which this build does not know: it was upgraded by a newer Offload");
        }
      }
      c.commit();
      if (!done.isEmpty()) {
        LOG.info(() -> "Offload schema migrated: applied versions " + done);
      }
      return done;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  static Map<Integer, Migration> load() {
    Map<Integer, Migration> byVersion = new LinkedHashMap<>();
    int expected = 1;
    for (String file : FILES) {
      Matcher m = NAME.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException("migration file name " + file + " is not V<n>__<name>.sql");
      }
      int version = Integer.parseInt(m.group(1));
      if (version != expected++) {
        throw new IllegalStateException("migration " + file + " is out of sequence");
      }
      String sql = read(file);
      byVersion.put(version, new Migration(version, m.group(2), sql, sha256(sql)));
    }
    return byVersion;
  }

  private static String read(String file) {
    ClassLoader loader = Migrations.class.getClassLoader();
    try (InputStream in = loader.getResourceAsStream(DIRECTORY + file)) {
      if (in == null) {
        throw new IllegalStateException("migration " + DIRECTORY + file + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read migration " + DIRECTORY + file, e);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
