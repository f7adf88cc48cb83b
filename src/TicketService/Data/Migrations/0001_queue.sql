-- TicketService owns the `sync` schema.
-- Every vendor delivery once: the delivery id is the key, so a redelivered webhook is a no-op.
CREATE TABLE inbox (
    source       text        NOT NULL,
    delivery_id  text        NOT NULL,
    topic        text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    payload      bytea,
    job_id       bigint,
    PRIMARY KEY (source, delivery_id)
);

-- One pending/running job per conversation: bursts coalesce into it.
CREATE TABLE jobs (
    job_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending',
    trigger         text        NOT NULL,
    attempt         integer     NOT NULL DEFAULT 0,
    run_after       timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    traceparent     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX jobs_one_active_per_conversation ON jobs (conversation_id) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_claimable ON jobs (run_after) WHERE state = 'pending';
