-- Per-owner quotas, fair dispatch and kept figures, exact across instances, without making
-- claims and submissions wait for each other.
--
-- V2 keeps the number of pending tasks in offload_queue's one row, and every change of the
-- pending set locked that row until its commit: with synchronous commit, a claim's disk flush
-- held up every submission, and the reverse. Now only submissions lock it (they must: each one
-- checks the limits against what the ones before it admitted), and everything else records its
-- change in rows of its own database session, which nobody else writes:
--   offload_queue (+ pending_bytes)  what submissions admitted, all owners together;
--   offload_owner                    what submissions admitted, per owner;
--   offload_count                    per session: its changes to the pending figures (claims,
--                                    retries, cancels...), and the running and retained ones;
--   offload_owner_delta              per session and owner: its changes to the owner's figures.
-- A figure is its admitted part plus the sum of the sessions' parts. A submission reads the sums
-- after it holds offload_queue's row, so it sees every committed change: its check is exact, or
-- errs on the safe side by the decrements still uncommitted (a claim under way). Retries and
-- hand-backs re-enter the queue without a check: they were admitted before.
--
-- Fair dispatch walks offload_lane, one row per owner and priority with pending work: a turn
-- stamp (least recently served first) and at most the earliest due time of its tasks
-- ('-infinity' when not known: the lane may have due work, claims walk it). Submissions make
-- their lane when there is none and otherwise leave it alone, but for the rare task due earlier
-- than the lane; claims stamp and refresh the lanes they take from, skipping one another claim
-- holds; the sweep deletes lanes without pending work, holding the queue's row so that no
-- submission is under way.

-- Instances still running the previous version keep writing during an upgrade: hold their writes
-- until this commits, so that no change falls between the recount and the triggers.
LOCK TABLE offload_task IN SHARE MODE;

ALTER TABLE offload_queue ADD COLUMN pending_bytes bigint NOT NULL DEFAULT 0;
UPDATE offload_queue SET pending = (SELECT count(*) FROM offload_task WHERE status = 'pending'),
  pending_bytes = (SELECT coalesce(sum(input_bytes), 0) FROM offload_task
                   WHERE status = 'pending');

CREATE TABLE offload_owner (
  owner          text   PRIMARY KEY,
  pending        bigint NOT NULL,
  pending_bytes  bigint NOT NULL
);
INSERT INTO offload_owner (owner, pending, pending_bytes)
  SELECT owner, count(*), sum(input_bytes) FROM offload_task WHERE status = 'pending'
  GROUP BY owner;

-- Row 0 holds what the sweep folded in; every other row is one database session's (backend pid).
CREATE TABLE offload_count (
  backend         integer PRIMARY KEY,
  pending         bigint  NOT NULL DEFAULT 0,
  pending_bytes   bigint  NOT NULL DEFAULT 0,
  running         bigint  NOT NULL DEFAULT 0,
  retained        bigint  NOT NULL DEFAULT 0,   -- finished tasks whose result is kept
  retained_bytes  bigint  NOT NULL DEFAULT 0
);
INSERT INTO offload_count (backend, running, retained, retained_bytes)
  SELECT 0, count(*) FILTER (WHERE status = 'running'),
         count(*) FILTER (WHERE finished_at IS NOT NULL AND result_ttl_seconds > 0),
         coalesce(sum(input_bytes + coalesce(octet_length(result), 0))
                  FILTER (WHERE finished_at IS NOT NULL AND result_ttl_seconds > 0), 0)
  FROM offload_task;

CREATE TABLE offload_owner_delta (
  backend        integer NOT NULL,
  owner          text    NOT NULL,
  pending        bigint  NOT NULL,
  pending_bytes  bigint  NOT NULL,
  PRIMARY KEY (backend, owner)
);
CREATE INDEX offload_owner_delta_owner ON offload_owner_delta (owner);

-- Turn stamps: a lane takes the next one when it is made and each time a claim takes from it, so
-- ordering lanes by it serves them round-robin (the memory store's Lanes).
CREATE SEQUENCE offload_lane_turn;
CREATE TABLE offload_lane (
  owner     text        NOT NULL,
  priority  smallint    NOT NULL,
  served    bigint      NOT NULL,
  next_due  timestamptz NOT NULL, -- at most the earliest due time of its tasks
  PRIMARY KEY (owner, priority)
);
INSERT INTO offload_lane (owner, priority, served, next_due)
  SELECT owner, priority, nextval('offload_lane_turn'), min(next_attempt_at)
  FROM offload_task WHERE status = 'pending' GROUP BY owner, priority ORDER BY min(seq);
CREATE INDEX offload_lane_turn_order ON offload_lane (priority, served);

-- V1's claim index, now only for claims in strict queue order (fair dispatch off). Its predicate
-- names input_bytes, which only that claim states, so that the planner never takes it for a
-- lane's walk (with stale statistics of an empty priority it would, and then filter the whole
-- priority's queue by owner once per lane).
DROP INDEX offload_task_due;
CREATE INDEX offload_task_due ON offload_task (priority, next_attempt_at, seq)
  WHERE status = 'pending' AND input_bytes >= 0;
-- Claims per lane: one lane's due tasks in due order.
CREATE INDEX offload_task_lane ON offload_task (owner, priority, next_attempt_at, seq)
  WHERE status = 'pending';
-- Claims and next due times of the types an instance runs; which types wait for nobody.
DROP INDEX offload_task_next_due;
CREATE INDEX offload_task_pending_type ON offload_task (type, next_attempt_at)
  WHERE status = 'pending';
-- Eviction beyond the retained caps: the oldest finished first.
CREATE INDEX offload_task_finished ON offload_task (finished_at, seq)
  WHERE finished_at IS NOT NULL;

-- Live instances and the task types each runs, renewed by each instance's lease thread: a pending
-- task of a type that no live instance runs waits for a deploy, and health says so.
CREATE TABLE offload_instance (
  id           text        PRIMARY KEY,
  types        text[]      NOT NULL,
  seen_at      timestamptz NOT NULL,
  alive_until  timestamptz NOT NULL
);

DROP TRIGGER offload_queue_insert ON offload_task;
DROP TRIGGER offload_queue_update ON offload_task;
DROP TRIGGER offload_queue_delete ON offload_task;
DROP TRIGGER offload_queue_truncate ON offload_task;
DROP FUNCTION offload_queue_count();

-- The bytes a row keeps while retained (input and result), or null when it is not retained:
-- pending, running, or finished with a TTL of 0 (such a row stays only until the sweep).
CREATE FUNCTION offload_retained_bytes(t offload_task) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t.finished_at IS NOT NULL AND t.result_ttl_seconds > 0
              THEN t.input_bytes + coalesce(octet_length(t.result), 0) END
$$;

-- A limit the inserting session set (each pooled connection sets them when it opens), or null.
CREATE FUNCTION offload_limit(name text) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('offload.' || name, true), '')::bigint
$$;

-- The trigger functions below are PL/pgSQL: it keeps each statement's plan for the session, where
-- a data-modifying SQL function is planned at every call. They run once per statement, on its
-- transition tables (a claim, a batch of submissions or of ends is one statement), not per row.

-- Adds to this session's figures.
CREATE FUNCTION offload_count_add(d_pending bigint, d_pending_bytes bigint, d_running bigint,
    d_retained bigint, d_retained_bytes bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO offload_count AS c (backend, pending, pending_bytes, running, retained,
      retained_bytes)
    VALUES (pg_backend_pid(), d_pending, d_pending_bytes, d_running, d_retained,
            d_retained_bytes)
  ON CONFLICT (backend) DO UPDATE SET pending = c.pending + EXCLUDED.pending,
    pending_bytes = c.pending_bytes + EXCLUDED.pending_bytes,
    running = c.running + EXCLUDED.running, retained = c.retained + EXCLUDED.retained,
    retained_bytes = c.retained_bytes + EXCLUDED.retained_bytes;
END
$$;

-- Makes sure a lane exists for pending work due at d. A submission holds the queue's row, so the
-- sweep, which deletes idle lanes holding it too, is not under way: a plain read of the lane
-- does, and claims are never waited for. Anything else (a retry, a hand-back) locks the lane, as
-- the sweep skips locked lanes. A due time earlier than the lane's is written, unless a claim
-- holds the lane: that claim re-reads the lane's due time, after this commits when it would move
-- it into the future.
CREATE FUNCTION offload_lane_enter(o text, p smallint, d timestamptz, submitted boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  due timestamptz;
BEGIN
  LOOP
    IF submitted THEN
      SELECT next_due INTO due FROM offload_lane WHERE owner = o AND priority = p;
    ELSE
      SELECT next_due INTO due FROM offload_lane WHERE owner = o AND priority = p
        FOR NO KEY UPDATE;
    END IF;
    IF FOUND THEN
      IF due > d THEN
        UPDATE offload_lane SET next_due = d WHERE owner = o AND priority = p AND next_due > d
          AND ctid = (SELECT ctid FROM offload_lane WHERE owner = o AND priority = p
                      FOR NO KEY UPDATE SKIP LOCKED);
      END IF;
      RETURN;
    END IF;
    INSERT INTO offload_lane (owner, priority, served, next_due)
      VALUES (o, p, nextval('offload_lane_turn'), d) ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN;
    END IF;
  END LOOP;
END
$$;

-- A task left a lane's pending work. A claim sends the lane to the back of the line; when the
-- task was the lane's earliest (or the lane's due time is not known), the lane's due time is read
-- again ('-infinity' once it has no pending work: the sweep deletes it). A lane another
-- transaction holds is left alone (no waiting): it is that one's to update, and a due time left
-- too early only makes claims look at the lane once more.
CREATE FUNCTION offload_lane_leave(o text, p smallint, d timestamptz, claimed boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lane offload_lane;
  due timestamptz;
BEGIN
  SELECT * INTO lane FROM offload_lane WHERE owner = o AND priority = p
    FOR NO KEY UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  due := lane.next_due;
  -- Read again unless the lane's due time is after this task's: then this task was not its
  -- earliest (nor were the others this statement took, once it has been read here).
  IF due <= d THEN
    due := (SELECT min(next_attempt_at) FROM offload_task
            WHERE owner = o AND priority = p AND status = 'pending');
    IF due > statement_timestamp() THEN
      -- Moving the lane's due time into the future would hide a task that a submission under
      -- way adds to this lane, due earlier: wait for submissions (they hold the queue's row
      -- until they commit), then read it again. Only for lanes left with delayed work alone.
      PERFORM 1 FROM offload_queue FOR UPDATE;
      due := (SELECT min(next_attempt_at) FROM offload_task
              WHERE owner = o AND priority = p AND status = 'pending');
    END IF;
  END IF;
  UPDATE offload_lane SET next_due = coalesce(due, '-infinity'),
    served = CASE WHEN claimed THEN nextval('offload_lane_turn') ELSE served END
    WHERE owner = o AND priority = p;
END
$$;

-- New tasks, one statement at a time (a batch of submissions is one multi-row insert). An insert
-- that takes the queue or an owner past a limit of its session fails with a SQLSTATE naming the
-- limit and changes nothing: OF001 queue tasks, OF004 queue bytes, OF002 an owner's tasks, OF003
-- an owner's bytes. Without the settings nothing is refused.
CREATE FUNCTION offload_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  q offload_queue;
  lim bigint;
  d_pending bigint;
  d_bytes bigint;
  over record;
  g record;
  n_running bigint;
  n_retained bigint;
  n_bytes bigint;
BEGIN
  UPDATE offload_queue SET pending = pending + i.n, pending_bytes = pending_bytes + i.b
    FROM (SELECT count(*) AS n, coalesce(sum(input_bytes), 0) AS b FROM inserted
          WHERE status = 'pending') i
    WHERE i.n > 0 RETURNING offload_queue.* INTO q;
  IF FOUND THEN
    -- Holding the queue's row: every earlier submission committed, and so is visible here.
    IF offload_limit('queue_capacity') IS NOT NULL OR offload_limit('queue_bytes') IS NOT NULL
    THEN
      SELECT coalesce(sum(pending), 0), coalesce(sum(pending_bytes), 0) INTO d_pending, d_bytes
        FROM offload_count;
      lim := offload_limit('queue_capacity');
      IF q.pending + d_pending > lim THEN
        RAISE EXCEPTION 'the queue is full (% pending tasks)', lim USING ERRCODE = 'OF001';
      END IF;
      lim := offload_limit('queue_bytes');
      IF q.pending_bytes + d_bytes > lim THEN
        RAISE EXCEPTION 'the queue is full (% bytes of pending input)', lim
          USING ERRCODE = 'OF004';
      END IF;
    END IF;
    INSERT INTO offload_owner AS o (owner, pending, pending_bytes)
      SELECT owner, count(*), sum(input_bytes) FROM inserted WHERE status = 'pending'
      GROUP BY owner ORDER BY owner
    ON CONFLICT (owner) DO UPDATE SET pending = o.pending + EXCLUDED.pending,
      pending_bytes = o.pending_bytes + EXCLUDED.pending_bytes;
    IF offload_limit('owner_tasks') IS NOT NULL OR offload_limit('owner_bytes') IS NOT NULL THEN
      SELECT o.owner, o.pending + coalesce(x.pending, 0) AS tasks,
             o.pending_bytes + coalesce(x.bytes, 0) AS bytes INTO over
        FROM offload_owner o
        LEFT JOIN LATERAL (SELECT sum(d.pending) AS pending, sum(d.pending_bytes) AS bytes
                           FROM offload_owner_delta d WHERE d.owner = o.owner) x ON true
        WHERE o.owner IN (SELECT owner FROM inserted WHERE status = 'pending')
          AND (o.pending + coalesce(x.pending, 0) > offload_limit('owner_tasks')
               OR o.pending_bytes + coalesce(x.bytes, 0) > offload_limit('owner_bytes'))
        LIMIT 1;
      IF FOUND THEN
        IF over.tasks > offload_limit('owner_tasks') THEN
          RAISE EXCEPTION 'owner % has too many pending tasks', over.owner
            USING ERRCODE = 'OF002';
        END IF;
        RAISE EXCEPTION 'owner % has too many bytes of pending input', over.owner
          USING ERRCODE = 'OF003';
      END IF;
    END IF;
    FOR g IN SELECT owner, priority, min(next_attempt_at) AS due FROM inserted
             WHERE status = 'pending' GROUP BY owner, priority ORDER BY owner, priority LOOP
      PERFORM offload_lane_enter(g.owner, g.priority, g.due, true);
    END LOOP;
  END IF;
  -- Offload inserts only pending tasks; anything else inserted by hand is counted too.
  SELECT count(*) FILTER (WHERE i.status = 'running'), count(offload_retained_bytes(i)),
         coalesce(sum(offload_retained_bytes(i)), 0)::bigint
    INTO n_running, n_retained, n_bytes FROM inserted i WHERE i.status <> 'pending';
  IF n_running > 0 OR n_retained > 0 THEN
    PERFORM offload_count_add(0, 0, n_running, n_retained, n_bytes);
  END IF;
  RETURN NULL;
END
$$;

-- Tasks changed: claims, ends, retries and hand-backs (back in the queue, never refused: they
-- were admitted before), cancels, the reaper; or only progress or leases (nothing to count).
CREATE FUNCTION offload_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d record;
  g record;
BEGIN
  SELECT count(*) AS changed,
         count(*) FILTER (WHERE (n.status = 'pending') <> (o.status = 'pending')) AS moved,
         count(*) FILTER (WHERE n.status = 'pending')
           - count(*) FILTER (WHERE o.status = 'pending') AS pending,
         (coalesce(sum(n.input_bytes) FILTER (WHERE n.status = 'pending'), 0)
           - coalesce(sum(o.input_bytes) FILTER (WHERE o.status = 'pending'), 0))::bigint
           AS pending_bytes,
         count(*) FILTER (WHERE n.status = 'running')
           - count(*) FILTER (WHERE o.status = 'running') AS running,
         count(offload_retained_bytes(n)) - count(offload_retained_bytes(o)) AS retained,
         (coalesce(sum(offload_retained_bytes(n)), 0)
           - coalesce(sum(offload_retained_bytes(o)), 0))::bigint AS retained_bytes
    INTO d FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.status <> o.status;
  IF d.changed = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM offload_count_add(d.pending, d.pending_bytes, d.running, d.retained,
                            d.retained_bytes);
  IF d.moved = 0 THEN
    RETURN NULL; -- ends and the like: nothing entered or left the queue
  END IF;
  INSERT INTO offload_owner_delta AS x (backend, owner, pending, pending_bytes)
    SELECT pg_backend_pid(), n.owner,
           sum(CASE WHEN n.status = 'pending' THEN 1 ELSE -1 END),
           sum(CASE WHEN n.status = 'pending' THEN n.input_bytes ELSE -n.input_bytes END)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (n.status = 'pending') <> (o.status = 'pending') GROUP BY n.owner ORDER BY n.owner
  ON CONFLICT (backend, owner) DO UPDATE SET pending = x.pending + EXCLUDED.pending,
    pending_bytes = x.pending_bytes + EXCLUDED.pending_bytes;
  FOR g IN SELECT o.owner, o.priority, min(o.next_attempt_at) AS due,
                  bool_or(n.status = 'running') AS claimed
           FROM old_rows o JOIN new_rows n ON n.id = o.id
           WHERE o.status = 'pending' AND n.status <> 'pending'
           GROUP BY o.owner, o.priority ORDER BY o.owner, o.priority LOOP
    PERFORM offload_lane_leave(g.owner, g.priority, g.due, g.claimed);
  END LOOP;
  FOR g IN SELECT n.owner, n.priority, min(n.next_attempt_at) AS due
           FROM old_rows o JOIN new_rows n ON n.id = o.id
           WHERE n.status = 'pending' AND o.status <> 'pending'
           GROUP BY n.owner, n.priority ORDER BY n.owner, n.priority LOOP
    PERFORM offload_lane_enter(g.owner, g.priority, g.due, false);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE FUNCTION offload_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  g record;
  d record;
BEGIN
  SELECT count(*) FILTER (WHERE x.status = 'pending') AS pending,
         coalesce(sum(x.input_bytes) FILTER (WHERE x.status = 'pending'), 0)::bigint
           AS pending_bytes,
         count(*) FILTER (WHERE x.status = 'running') AS running,
         count(offload_retained_bytes(x)) AS retained,
         coalesce(sum(offload_retained_bytes(x)), 0)::bigint AS retained_bytes
    INTO d FROM gone x;
  IF d.pending > 0 OR d.running > 0 OR d.retained > 0 THEN
    PERFORM offload_count_add(-d.pending, -d.pending_bytes, -d.running, -d.retained,
                              -d.retained_bytes);
  END IF;
  IF d.pending = 0 THEN
    RETURN NULL; -- the sweep deletes finished tasks only
  END IF;
  INSERT INTO offload_owner_delta AS x (backend, owner, pending, pending_bytes)
    SELECT pg_backend_pid(), owner, -count(*), -sum(input_bytes) FROM gone
    WHERE status = 'pending' GROUP BY owner ORDER BY owner
  ON CONFLICT (backend, owner) DO UPDATE SET pending = x.pending + EXCLUDED.pending,
    pending_bytes = x.pending_bytes + EXCLUDED.pending_bytes;
  FOR g IN SELECT owner, priority, min(next_attempt_at) AS due FROM gone
           WHERE status = 'pending' GROUP BY owner, priority ORDER BY owner, priority LOOP
    PERFORM offload_lane_leave(g.owner, g.priority, g.due, false);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE FUNCTION offload_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE offload_queue SET pending = 0, pending_bytes = 0;
  DELETE FROM offload_owner;
  DELETE FROM offload_owner_delta;
  DELETE FROM offload_lane;
  DELETE FROM offload_count WHERE backend <> 0;
  UPDATE offload_count SET pending = 0, pending_bytes = 0, running = 0, retained = 0,
    retained_bytes = 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER offload_inserted AFTER INSERT ON offload_task
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION offload_inserted();
CREATE TRIGGER offload_updated AFTER UPDATE ON offload_task
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION offload_updated();
CREATE TRIGGER offload_deleted AFTER DELETE ON offload_task
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION offload_deleted();
CREATE TRIGGER offload_truncated AFTER TRUNCATE ON offload_task
  FOR EACH STATEMENT EXECUTE FUNCTION offload_truncated();
