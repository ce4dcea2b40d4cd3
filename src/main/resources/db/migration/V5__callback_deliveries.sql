-- Callbacks and their durable delivery. A task that names a callback keeps its URL and secret,
-- and where the announcement of its end stands: the Delivery of the task snapshot (state,
-- attempts, last error, retry time, delivered time), plus the lease of the instance sending it
-- (owner and expiry; not part of a snapshot, like an attempt's lease).
--
-- A delivery is owed from the insert (state 'pending') and claimable once the task ended: at the
-- end itself for the first attempt, at its retry time after a failure, at the end of the lease
-- that holds it while an attempt is under way. That moment is one expression of the row (below),
-- so no write that ends a task (the batched ends, a cancel, the reaper) has to know about
-- deliveries: setting finished_at makes an owed delivery due.
--
-- The sweep and the retained caps keep a task whose delivery is owed, whatever its TTL; once its
-- delivery ends it expires as its TTL says (a TTL of 0 at once).

-- Instances of the previous version keep writing during an upgrade: hold their writes until
-- this commits, so that no change falls between the new definition of the kept figures and the
-- triggers (no row has a callback yet, so the figures need no recount).
LOCK TABLE offload_task IN SHARE MODE;

ALTER TABLE offload_task
  ADD COLUMN callback_url            text,
  ADD COLUMN callback_secret         text,  -- whsec_..., or NULL for unsigned deliveries
  ADD COLUMN delivery_state          text
    CHECK (delivery_state IN ('pending', 'delivered', 'failed')),
  ADD COLUMN delivery_attempts       integer CHECK (delivery_attempts >= 0),
  ADD COLUMN delivery_error_type     text,
  ADD COLUMN delivery_error_message  text,
  ADD COLUMN delivery_next_at        timestamptz, -- a failed attempt's retry time
  ADD COLUMN delivered_at            timestamptz,
  ADD COLUMN delivery_lease_owner    text,
  ADD COLUMN delivery_lease_until    timestamptz,
  ADD CONSTRAINT offload_task_delivery_with_callback
    CHECK ((callback_url IS NULL) = (delivery_state IS NULL)
           AND (delivery_state IS NULL) = (delivery_attempts IS NULL)),
  ADD CONSTRAINT offload_task_delivery_lease
    CHECK ((delivery_lease_owner IS NULL) = (delivery_lease_until IS NULL));

-- Owed deliveries of ended tasks by when they can be claimed (the lease's end, else the retry
-- time, else the task's end), then arrival: claims, and the deliverers' next due time.
CREATE INDEX offload_task_delivery_due ON offload_task
  ((coalesce(delivery_lease_until, delivery_next_at, finished_at)), seq)
  WHERE delivery_state = 'pending' AND finished_at IS NOT NULL;

-- The sweep: expired results, but none whose delivery is owed.
DROP INDEX offload_task_expiry;
CREATE INDEX offload_task_expiry ON offload_task (expires_at)
  WHERE expires_at IS NOT NULL AND delivery_state IS DISTINCT FROM 'pending';

-- Retained now also means: ended, and kept for its owed delivery (a TTL of 0 included), as the
-- memory store counts its finished tasks. The retained caps leave those out (see the store's
-- eviction), as the memory store does.
CREATE OR REPLACE FUNCTION offload_retained_bytes(t offload_task) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t.finished_at IS NOT NULL
                   AND (t.result_ttl_seconds > 0 OR t.delivery_state = 'pending')
              THEN t.input_bytes + coalesce(octet_length(t.result), 0) END
$$;

-- V4's, but a row counts as changed also when its status stays and it stops being retained: a
-- delivery that ended for a task with a TTL of 0.
CREATE OR REPLACE FUNCTION offload_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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
    INTO d FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE n.status <> o.status
       OR n.delivery_state IS DISTINCT FROM o.delivery_state;
  IF d.changed = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM offload_count_add(d.pending, d.pending_bytes, d.running, d.retained,
                            d.retained_bytes);
  IF d.moved = 0 THEN
    RETURN NULL; -- ends, deliveries and the like: nothing entered or left the queue
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
