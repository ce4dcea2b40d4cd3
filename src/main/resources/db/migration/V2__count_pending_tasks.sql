-- The number of pending tasks, kept by triggers in the transaction of every change, so that an
-- insert checks the queue's capacity without counting the queue, exactly, across all instances.
-- Inserts wait for each other only on this one row, for the rest of their (one-statement)
-- transaction.
CREATE TABLE offload_queue (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  pending  bigint  NOT NULL
);
-- Instances still running the previous version keep writing during an upgrade: hold their writes
-- until this commits, so that no change falls between the count and the triggers.
LOCK TABLE offload_task IN SHARE MODE;
INSERT INTO offload_queue (pending) SELECT count(*) FROM offload_task WHERE status = 'pending';

-- Fires only for rows that enter or leave the pending status (a finished attempt, a progress
-- report or a lease renewal does not run it). An insert beyond the capacity its session set
-- (offload.queue_capacity) fails with SQLSTATE OF001 and changes nothing; without that setting
-- nothing is refused.
CREATE FUNCTION offload_queue_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  now_pending bigint;
  capacity text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE offload_queue SET pending = 0;
  ELSIF TG_OP = 'INSERT' THEN
    UPDATE offload_queue SET pending = pending + 1 RETURNING pending INTO now_pending;
    capacity := current_setting('offload.queue_capacity', true);
    IF capacity <> '' AND now_pending > capacity::bigint THEN
      RAISE EXCEPTION 'the queue is full (% pending tasks)', capacity USING ERRCODE = 'OF001';
    END IF;
  ELSIF TG_OP = 'DELETE' OR OLD.status = 'pending' THEN
    UPDATE offload_queue SET pending = pending - 1;
  ELSE
    UPDATE offload_queue SET pending = pending + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER offload_queue_insert AFTER INSERT ON offload_task
  FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION offload_queue_count();
CREATE TRIGGER offload_queue_update AFTER UPDATE OF status ON offload_task
  FOR EACH ROW WHEN ((OLD.status = 'pending') <> (NEW.status = 'pending'))
  EXECUTE FUNCTION offload_queue_count();
CREATE TRIGGER offload_queue_delete AFTER DELETE ON offload_task
  FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION offload_queue_count();
CREATE TRIGGER offload_queue_truncate AFTER TRUNCATE ON offload_task
  FOR EACH STATEMENT EXECUTE FUNCTION offload_queue_count();
