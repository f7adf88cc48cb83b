-- TicketService owns the `sync` schema (scripts run with search_path = sync).

-- Every vendor delivery exactly once: a redelivered webhook hits the primary key and is a no-op.
CREATE TABLE inbox (
    source          text        NOT NULL,
    delivery_id     text        NOT NULL,
    topic           text        NOT NULL,
    conversation_id text,
    ticket_id       bigint,
    event_at        timestamptz,
    received_at     timestamptz NOT NULL DEFAULT now(),
    payload         bytea,
    job_id          bigint,
    PRIMARY KEY (source, delivery_id)
);

-- The durable queue. At most one active (pending or running) job per conversation: events for a
-- conversation coalesce into it, and an event arriving while it runs sets `rerun` so nothing is missed.
CREATE TABLE jobs (
    job_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'dead')),
    trigger         text        NOT NULL,
    attempt         integer     NOT NULL DEFAULT 0,
    rerun           boolean     NOT NULL DEFAULT false,
    run_after       timestamptz NOT NULL DEFAULT now(),
    lease_owner     text,
    lease_until     timestamptz,
    last_error      text,
    traceparent     text,
    first_event_at  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX jobs_one_active_per_conversation ON jobs (conversation_id) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_claimable ON jobs (run_after) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_by_conversation ON jobs (conversation_id, job_id DESC);

-- The attempt log: one row per attempt, whatever its outcome.
CREATE TABLE attempts (
    attempt_id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          bigint      NOT NULL REFERENCES jobs (job_id),
    attempt_number  integer     NOT NULL,
    conversation_id text        NOT NULL,
    ticket_id       bigint,
    trigger         text        NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('success', 'failure', 'skipped')),
    reason          text        NOT NULL DEFAULT '',
    direction       text        NOT NULL DEFAULT 'intercom->zendesk',
    vendor_calls    integer     NOT NULL DEFAULT 0,
    duration_ms     bigint      NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attempts_by_conversation ON attempts (conversation_id, attempt_id DESC);
CREATE INDEX attempts_failed ON attempts (attempt_id DESC) WHERE outcome = 'failure';

-- One ticket per conversation (Ferry keeps external_id unique itself).
CREATE TABLE tickets (
    conversation_id text        PRIMARY KEY,
    ticket_id       bigint      NOT NULL UNIQUE,
    status          text,
    parts_total     integer     NOT NULL DEFAULT 0,
    parts_gap       integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_synced_at  timestamptz NOT NULL DEFAULT now()
);

-- The ledger: every conversation part synced exactly once.
CREATE TABLE synced_parts (
    conversation_id text        NOT NULL,
    part_id         text        NOT NULL,
    ticket_id       bigint      NOT NULL,
    kind            text        NOT NULL,
    part_created_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, part_id)
);
