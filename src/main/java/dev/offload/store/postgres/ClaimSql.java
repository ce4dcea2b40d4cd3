package dev.offload.store.postgres;

import dev.offload.task.Priority;
import java.util.ArrayList;
import java.util.List;

/**
 * The claim statements: due tasks locked with {@code FOR UPDATE SKIP LOCKED} (so instances never
 * wait on each other's claims) and marked running under a lease, in one statement.
 *
 * <p>Both take the same parameters, in this order: now, whether any type goes, the types, the
 * most to claim, then the start time, the lease owner and expiry. Both
 * return the queue-order key (priority, then two numbers) followed by {@link TaskRows#COLUMNS}.
 */
final class ClaimSql {
  private ClaimSql() {}

  private static final String PARAMETERS = "p AS MATERIALIZED (SELECT ?::timestamptz AS now,"
      + " ?::boolean AS any_type, ?::text[] AS types, ?::int AS n)";
  private static final String NOW = "(SELECT now FROM p)";
  private static final String N = "(SELECT n FROM p)";
  private static final String TYPE_OK =
      "((SELECT any_type FROM p) OR t.type = ANY ((SELECT types FROM p)::text[]))";

  /**
   * No limit at all, in a form the planner cannot see through: told of a LIMIT it estimates a
   * tenth of the lanes and walks the turn index from its start, where without one it reads and
   * sorts every lane, which with thousands of owners costs milliseconds per claim.
   */
  private static final String ALL_LANES = "(SELECT NULL::bigint)";

  /** The most one claim takes: one notice names them all. */
  static final int MAX = PgListener.IDS_PER_NOTICE;

  /** {@link #MAX} as a constant the planner sees (it cannot evaluate the parameter's LIMIT). */
  private static final String CLAIMED_AT_MOST = " LIMIT " + MAX;

  /** Marks the rows of CTE {@code due} running and returns them. */
  private static final String START = ", up AS (UPDATE offload_task t SET status = 'running',"
      + " attempts = t.attempts + 1, progress_percent = NULL, progress_message = NULL,"
      + " started_at = ?, finished_at = NULL, expires_at = NULL,"
      + " result = NULL, lease_owner = ?, lease_until = ?"
      // The ANY names the claimed ids as an index condition: told only of the join, the planner
      // may hash the whole table to find a handful of rows.
      + " FROM due WHERE t.id = due.id AND t.id = ANY (ARRAY(SELECT id FROM due))"
      + " RETURNING due.k1, due.k2, due.k3, " + TaskRows.columns("t") + ")"
      + " SELECT * FROM up";

  /**
   * Strict queue order: priority, due time, arrival; one index, whoever the owners are. The
   * order key is (priority, due time in epoch microseconds, seq). {@code input_bytes >= 0}
   * (always true) names the index reserved for this claim (migration V4).
   */
  static final String IN_ORDER = "WITH " + PARAMETERS + ", due AS (SELECT * FROM ("
      + " SELECT id, priority AS k1, (extract(epoch FROM next_attempt_at) * 1000000)::bigint AS k2,"
      + " seq AS k3 FROM offload_task t"
      + " WHERE status = 'pending' AND input_bytes >= 0 AND next_attempt_at <= " + NOW
      + " AND " + TYPE_OK
      + " ORDER BY priority, next_attempt_at, seq LIMIT " + N + " FOR UPDATE SKIP LOCKED) d"
      + CLAIMED_AT_MOST + ")" + START;

  /**
   * Fair dispatch: within one priority the owners with due work take turns. The lanes of the
   * priority ({@code offload_lane}, one per owner) are walked least recently served first; from
   * each, a LATERAL takes its earliest due tasks that this instance runs and no concurrent claim
   * holds, and the claim takes them by rank within their lane, then by the lane's turn: with
   * three owners and four idle workers, A1 B1 C1 A2. The order key is (priority, rank, turn).
   *
   * <p>How much to lock is decided per priority from the number of lanes with due work (counted
   * up to n): with at least n lanes, one task of each of the first n lanes that yield one is
   * exactly the answer; with fewer, lane by lane, n minus the other lanes plus one covers the
   * answer when every lane yields. A lane that yields nothing (all its due tasks are of types
   * this instance does not run, or held by a concurrent claim) does not stop the walk: the walk
   * stops after n rows, not after n lanes. Lanes whose tasks are all delayed are skipped by
   * their earliest due time, which the triggers keep (at most the earliest; '-infinity' for a
   * lane a claim just emptied, until the sweep deletes it).
   *
   * <p>The priorities are three branches of one UNION ALL under a LIMIT: the executor starts a
   * branch only when the ones before it yielded fewer than n, so the lower priorities are not
   * read (nor locked) when a higher one fills the claim.
   */
  static final String FAIR;

  static {
    List<String> branches = new ArrayList<>();
    StringBuilder counts = new StringBuilder();
    for (Priority priority : Priority.values()) {
      int k = priority.ordinal();
      String lanesDue = "FROM offload_lane WHERE priority = " + k
          + " AND next_due <= " + NOW;
      counts.append(", c").append(k).append(" AS MATERIALIZED (SELECT count(*) AS lanes FROM ("
          + "SELECT 1 ").append(lanesDue).append(" LIMIT ").append(N).append(") z)");
      String perLane = "(SELECT CASE WHEN c.lanes >= p.n THEN 1 ELSE p.n - c.lanes + 1 END"
          + " FROM p, c" + k + " c)";
      String walk = "(SELECT CASE WHEN c.lanes >= p.n THEN p.n END FROM p, c" + k + " c)";
      branches.add("(SELECT s.id, " + k + "::smallint AS k1, s.rk AS k2, s.served AS k3 FROM ("
          + " SELECT y.id, y.served, row_number() OVER (PARTITION BY y.owner"
          + " ORDER BY y.next_attempt_at, y.seq) AS rk FROM ("
          + " SELECT l.owner, l.served, x.id, x.next_attempt_at, x.seq FROM ("
          + " SELECT owner, served " + lanesDue + " ORDER BY served LIMIT " + ALL_LANES + ") l"
          + " CROSS JOIN LATERAL (SELECT t.id, t.next_attempt_at, t.seq FROM offload_task t"
          + " WHERE t.owner = l.owner AND t.priority = " + k + " AND t.status = 'pending'"
          + " AND t.next_attempt_at <= " + NOW + " AND " + TYPE_OK
          + " ORDER BY t.next_attempt_at, t.seq LIMIT " + perLane
          + " FOR UPDATE OF t SKIP LOCKED) x"
          + " LIMIT " + walk + ") y) s ORDER BY s.rk, s.served LIMIT " + N + ")");
    }
    FAIR = "WITH " + PARAMETERS + counts + ", due AS (SELECT * FROM (SELECT * FROM ("
        + String.join(" UNION ALL ", branches) + ") u LIMIT " + N + ") d" + CLAIMED_AT_MOST
        + ")" + START;
  }
}
