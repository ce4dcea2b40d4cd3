-- One row per task: the queue of pending work, the running attempts with their leases, and the
-- finished results until their TTL runs out.
--
-- input and result are JSON texts kept as text, not jsonb: the store hands back exactly the text
-- it was given (jsonb would reorder keys and drop duplicate ones), and nothing queries inside it.
CREATE TABLE offload_task (
  id                  uuid        PRIMARY KEY,
  seq                 bigserial   NOT NULL UNIQUE,   -- arrival order: FIFO and list cursor
  type                text        NOT NULL,
  priority            smallint    NOT NULL CHECK (priority BETWEEN 0 AND 2), -- 0 high .. 2 low
  input               text,
  max_attempts        integer     NOT NULL CHECK (max_attempts >= 1),
  timeout_seconds     bigint      NOT NULL,
  result_ttl_seconds  bigint      NOT NULL CHECK (result_ttl_seconds >= 0),
  status              text        NOT NULL
                        CHECK (status IN ('pending', 'running', 'success', 'failed', 'canceled')),
  attempts            integer     NOT NULL CHECK (attempts >= 0),
  progress_percent    integer,
  progress_message    text,
  created_at          timestamptz NOT NULL,
  started_at          timestamptz,
  finished_at         timestamptz,
  next_attempt_at     timestamptz,
  expires_at          timestamptz,
  result              text,
  error_type          text,
  error_message       text,
  idempotency_key     text        UNIQUE,
  fingerprint         text,
  lease_owner         text,
  lease_until         timestamptz,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL)),
  CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
);

-- Claiming: due pending work in priority order, then due time, then arrival.
CREATE INDEX offload_task_due ON offload_task (priority, next_attempt_at, seq)
  WHERE status = 'pending';

-- The earliest due time, for idle workers deciding how long to wait.
CREATE INDEX offload_task_next_due ON offload_task (next_attempt_at) WHERE status = 'pending';

-- The reaper: running attempts by lease expiry.
CREATE INDEX offload_task_lease ON offload_task (lease_until) WHERE status = 'running';

-- The sweep: finished results by expiry.
CREATE INDEX offload_task_expiry ON offload_task (expires_at) WHERE expires_at IS NOT NULL;

-- Filtered listings, newest first.
CREATE INDEX offload_task_status_seq ON offload_task (status, seq);
CREATE INDEX offload_task_type_seq ON offload_task (type, seq);
