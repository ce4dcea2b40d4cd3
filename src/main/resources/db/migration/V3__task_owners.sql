-- Every task has an owner: the authenticated principal that submitted it. Tasks from before
-- owners existed belong to 'anonymous' (the owner of every task when offload.auth=none), so
-- viewers and admins still see them.
ALTER TABLE offload_task
  ADD COLUMN owner       text   NOT NULL DEFAULT 'anonymous',
  -- the input as views may show it (secrets masked), or NULL when that is the input itself
  ADD COLUMN input_view  text,
  -- the UTF-8 length of input: what the byte budgets count
  ADD COLUMN input_bytes bigint NOT NULL DEFAULT 0,
  -- the failed or canceled task an operator retried with this one
  ADD COLUMN retry_of    uuid;
UPDATE offload_task SET input_bytes = coalesce(octet_length(input), 0);
ALTER TABLE offload_task ALTER COLUMN owner DROP DEFAULT;

-- Idempotency keys are scoped per owner: two owners may use the same key independently.
ALTER TABLE offload_task DROP CONSTRAINT offload_task_idempotency_key_key;
CREATE UNIQUE INDEX offload_task_owner_key ON offload_task (owner, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- An owner's own listing, newest first.
CREATE INDEX offload_task_owner_seq ON offload_task (owner, seq);

-- A running attempt keeps the time it was due (how long it waited in the queue is a metric):
-- next_attempt_at is set for every pending task, and kept while it runs.
ALTER TABLE offload_task DROP CONSTRAINT offload_task_check;
ALTER TABLE offload_task ADD CONSTRAINT offload_task_pending_is_due
  CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL);
