-- Per-owner quotas, fair dispatch and kept figures, exact across instances.
--
-- V2 keeps the number of pending tasks in offload_queue's one row. This adds, kept by triggers in
-- the transaction of every change like V2's count:
--   offload_queue.pending_bytes  bytes of pending input, all owners together;
--   offload_lane                 per owner and priority: pending tasks and bytes (the owner
--                                quotas), the earliest due time and a turn stamp (fair dispatch);
--   offload_count                running and retained tasks and retained bytes, one row per
--                                database session, so health never counts the table.
-- Every trigger that changes offload_queue or offload_lane updates offload_queue's row first: all
-- changes of the pending set are serialized on that row (as V2's inserts already were), so an
-- owner's sums read after it are exact, and no two transactions lock lanes in opposite orders.

-- Instances still running the previous version keep writing during an upgrade: hold their writes
-- until this commits, so that no change falls between the recount and the triggers.
LOCK TABLE offload_task IN SHARE MODE;

ALTER TABLE offload_queue ADD COLUMN pending_bytes bigint NOT NULL DEFAULT 0;
UPDATE offload_queue SET pending = (SELECT count(*) FROM offload_task WHERE status = 'pending'),
  pending_bytes = (SELECT coalesce(sum(input_bytes), 0) FROM offload_task
                   WHERE status = 'pending');

-- Turn stamps: a lane takes the next one when it gets due work and each time one of its tasks is
-- claimed, so ordering lanes by it serves them round-robin (the memory store's Lanes).
CREATE SEQUENCE offload_lane_turn;

CREATE TABLE offload_lane (
  owner          text        NOT NULL,
  priority       smallint    NOT NULL,
  pending        bigint      NOT NULL,
  pending_bytes  bigint      NOT NULL,
  served         bigint      NOT NULL,
  next_due       timestamptz,              -- earliest next_attempt_at of its pending tasks
  PRIMARY KEY (owner, priority)
);
INSERT INTO offload_lane (owner, priority, pending, pending_bytes, served, next_due)
  SELECT owner, priority, count(*), sum(input_bytes), nextval('offload_lane_turn'),
         min(next_attempt_at)
  FROM offload_task WHERE status = 'pending' GROUP BY owner, priority ORDER BY min(seq);
-- Claims walk the lanes of one priority, least recently served first, skipping idle ones (the
-- sweep deletes them). Not partial on pending: a change of pending alone (an insert into a busy
-- lane) then updates the row in place (HOT) instead of adding index entries.
CREATE INDEX offload_lane_turn_order ON offload_lane (priority, served);

-- Running and retained figures. One row per session (backend pid) that changed them, so that
-- sessions never wait for each other here; the sweep folds the rows of ended sessions into row 0.
-- Retained: finished tasks whose result is kept (a TTL of 0 keeps none, see below).
CREATE TABLE offload_count (
  backend         integer PRIMARY KEY,
  running         bigint  NOT NULL DEFAULT 0,
  retained        bigint  NOT NULL DEFAULT 0,
  retained_bytes  bigint  NOT NULL DEFAULT 0
);
INSERT INTO offload_count (backend, running, retained, retained_bytes)
  SELECT 0, count(*) FILTER (WHERE status = 'running'),
         count(*) FILTER (WHERE finished_at IS NOT NULL AND result_ttl_seconds > 0),
         coalesce(sum(input_bytes + coalesce(octet_length(result), 0))
                  FILTER (WHERE finished_at IS NOT NULL AND result_ttl_seconds > 0), 0)
  FROM offload_task;

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

-- The trigger functions below are PL/pgSQL with every statement written out (no SQL-language
-- helpers that modify data): PL/pgSQL keeps each statement's plan for the session, while a
-- data-modifying SQL function is planned again at every call.

-- New tasks, one statement at a time (a batch of submissions is one multi-row insert). An insert
-- that takes the queue or an owner past a limit of its session fails with a SQLSTATE naming the
-- limit and changes nothing: OF001 queue tasks, OF004 queue bytes, OF002 an owner's tasks, OF003
-- an owner's bytes. Without the settings nothing is refused.
CREATE FUNCTION offload_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  q offload_queue;
  lim bigint;
  over record;
  n_running bigint;
  n_retained bigint;
  n_bytes bigint;
BEGIN
  UPDATE offload_queue SET pending = pending + i.n, pending_bytes = pending_bytes + i.b
    FROM (SELECT count(*) AS n, coalesce(sum(input_bytes), 0) AS b FROM inserted
          WHERE status = 'pending') i
    WHERE i.n > 0 RETURNING offload_queue.* INTO q;
  IF FOUND THEN
    lim := offload_limit('queue_capacity');
    IF q.pending > lim THEN
      RAISE EXCEPTION 'the queue is full (% pending tasks)', lim USING ERRCODE = 'OF001';
    END IF;
    lim := offload_limit('queue_bytes');
    IF q.pending_bytes > lim THEN
      RAISE EXCEPTION 'the queue is full (% bytes of pending input)', lim
        USING ERRCODE = 'OF004';
    END IF;
    INSERT INTO offload_lane AS l (owner, priority, pending, pending_bytes, served, next_due)
      SELECT owner, priority, count(*), sum(input_bytes), nextval('offload_lane_turn'),
             min(next_attempt_at)
      FROM inserted WHERE status = 'pending' GROUP BY owner, priority ORDER BY owner, priority
    ON CONFLICT (owner, priority) DO UPDATE SET
      pending = l.pending + EXCLUDED.pending,
      pending_bytes = l.pending_bytes + EXCLUDED.pending_bytes,
      served = CASE WHEN l.pending = 0 THEN EXCLUDED.served ELSE l.served END,
      next_due = CASE WHEN l.pending = 0 THEN EXCLUDED.next_due
                      ELSE least(l.next_due, EXCLUDED.next_due) END;
    IF offload_limit('owner_tasks') IS NOT NULL OR offload_limit('owner_bytes') IS NOT NULL THEN
      SELECT l.owner, sum(l.pending) AS tasks, sum(l.pending_bytes) AS bytes INTO over
        FROM offload_lane l
        WHERE l.owner IN (SELECT owner FROM inserted WHERE status = 'pending')
        GROUP BY l.owner
        HAVING sum(l.pending) > offload_limit('owner_tasks')
            OR sum(l.pending_bytes) > offload_limit('owner_bytes')
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
  END IF;
  -- Offload inserts only pending tasks; anything else inserted by hand is counted too.
  SELECT count(*) FILTER (WHERE i.status = 'running'), count(offload_retained_bytes(i)),
         coalesce(sum(offload_retained_bytes(i)), 0)
    INTO n_running, n_retained, n_bytes FROM inserted i WHERE i.status <> 'pending';
  IF n_running > 0 OR n_retained > 0 THEN
    INSERT INTO offload_count AS c (backend, running, retained, retained_bytes)
      VALUES (pg_backend_pid(), n_running, n_retained, n_bytes)
    ON CONFLICT (backend) DO UPDATE SET running = c.running + EXCLUDED.running,
      retained = c.retained + EXCLUDED.retained,
      retained_bytes = c.retained_bytes + EXCLUDED.retained_bytes;
  END IF;
  RETURN NULL;
END
$$;

-- A task changed status. Retries and hand-backs re-enter the queue and are never refused: they
-- were accepted before.
CREATE FUNCTION offload_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lane_pending bigint;
  lane_due timestamptz;
  d_running integer := (NEW.status = 'running')::integer - (OLD.status = 'running')::integer;
  old_kept bigint := offload_retained_bytes(OLD);
  new_kept bigint := offload_retained_bytes(NEW);
BEGIN
  IF NEW.status = 'pending' THEN
    UPDATE offload_queue SET pending = pending + 1,
      pending_bytes = pending_bytes + NEW.input_bytes;
    INSERT INTO offload_lane AS l (owner, priority, pending, pending_bytes, served, next_due)
      VALUES (NEW.owner, NEW.priority, 1, NEW.input_bytes, nextval('offload_lane_turn'),
              NEW.next_attempt_at)
    ON CONFLICT (owner, priority) DO UPDATE SET
      pending = l.pending + 1,
      pending_bytes = l.pending_bytes + EXCLUDED.pending_bytes,
      served = CASE WHEN l.pending = 0 THEN EXCLUDED.served ELSE l.served END,
      next_due = CASE WHEN l.pending = 0 THEN EXCLUDED.next_due
                      ELSE least(l.next_due, EXCLUDED.next_due) END;
  ELSIF OLD.status = 'pending' THEN
    UPDATE offload_queue SET pending = pending - 1,
      pending_bytes = pending_bytes - OLD.input_bytes;
    -- A claim sends the lane to the back of the line.
    UPDATE offload_lane SET pending = pending - 1, pending_bytes = pending_bytes - OLD.input_bytes,
      served = CASE WHEN NEW.status = 'running' THEN nextval('offload_lane_turn') ELSE served END,
      next_due = CASE WHEN pending = 1 THEN NULL ELSE next_due END
      WHERE owner = OLD.owner AND priority = OLD.priority
      RETURNING pending, next_due INTO lane_pending, lane_due;
    -- The lane's earliest task left: read the next one. A statement of its own, after the
    -- queue row is locked, so it sees every committed change. Once per lane and statement: the
    -- rows a claim takes have all left when the first of their triggers reads.
    IF lane_pending > 0 AND OLD.next_attempt_at = lane_due THEN
      UPDATE offload_lane SET next_due = (SELECT min(t.next_attempt_at) FROM offload_task t
          WHERE t.owner = OLD.owner AND t.priority = OLD.priority AND t.status = 'pending')
        WHERE owner = OLD.owner AND priority = OLD.priority;
    END IF;
  END IF;
  IF d_running <> 0 OR old_kept IS NOT NULL OR new_kept IS NOT NULL THEN
    INSERT INTO offload_count AS c (backend, running, retained, retained_bytes)
      VALUES (pg_backend_pid(), d_running,
              (new_kept IS NOT NULL)::integer - (old_kept IS NOT NULL)::integer,
              coalesce(new_kept, 0) - coalesce(old_kept, 0))
    ON CONFLICT (backend) DO UPDATE SET running = c.running + EXCLUDED.running,
      retained = c.retained + EXCLUDED.retained,
      retained_bytes = c.retained_bytes + EXCLUDED.retained_bytes;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION offload_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  b bigint;
  n_running bigint;
  n_retained bigint;
  n_bytes bigint;
BEGIN
  SELECT count(*), coalesce(sum(input_bytes), 0) INTO n, b FROM gone WHERE status = 'pending';
  IF n > 0 THEN
    UPDATE offload_queue SET pending = pending - n, pending_bytes = pending_bytes - b;
    UPDATE offload_lane l SET pending = l.pending - g.n, pending_bytes = l.pending_bytes - g.b,
        next_due = CASE WHEN l.pending = g.n THEN NULL ELSE l.next_due END
      FROM (SELECT owner, priority, count(*) AS n, sum(input_bytes) AS b FROM gone
            WHERE status = 'pending' GROUP BY owner, priority) g
      WHERE l.owner = g.owner AND l.priority = g.priority;
    UPDATE offload_lane l SET next_due = (SELECT min(t.next_attempt_at) FROM offload_task t
        WHERE t.owner = l.owner AND t.priority = l.priority AND t.status = 'pending')
      FROM (SELECT DISTINCT owner, priority FROM gone WHERE status = 'pending') g
      WHERE l.owner = g.owner AND l.priority = g.priority AND l.pending > 0;
  END IF;
  SELECT count(*) FILTER (WHERE g.status = 'running'), count(offload_retained_bytes(g)),
         coalesce(sum(offload_retained_bytes(g)), 0)
    INTO n_running, n_retained, n_bytes FROM gone g WHERE g.status <> 'pending';
  IF n_running > 0 OR n_retained > 0 THEN
    INSERT INTO offload_count AS c (backend, running, retained, retained_bytes)
      VALUES (pg_backend_pid(), -n_running, -n_retained, -n_bytes)
    ON CONFLICT (backend) DO UPDATE SET running = c.running + EXCLUDED.running,
      retained = c.retained + EXCLUDED.retained,
      retained_bytes = c.retained_bytes + EXCLUDED.retained_bytes;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION offload_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE offload_queue SET pending = 0, pending_bytes = 0;
  DELETE FROM offload_lane;
  DELETE FROM offload_count WHERE backend <> 0;
  UPDATE offload_count SET running = 0, retained = 0, retained_bytes = 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER offload_inserted AFTER INSERT ON offload_task
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION offload_inserted();
CREATE TRIGGER offload_status_changed AFTER UPDATE OF status ON offload_task
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION offload_status_changed();
CREATE TRIGGER offload_deleted AFTER DELETE ON offload_task
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION offload_deleted();
CREATE TRIGGER offload_truncated AFTER TRUNCATE ON offload_task
  FOR EACH STATEMENT EXECUTE FUNCTION offload_truncated();
