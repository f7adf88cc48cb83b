-- Status round-trip (docs/SYNC.md, "Status round-trip").

-- The statuses Ferry last saw in step on each side. A side whose status differs from these has
-- changed since; a change Ferry made itself is recorded here first, so its echo is no change at all.
ALTER TABLE tickets
    ADD COLUMN intercom_state   text,
    ADD COLUMN zendesk_status   text,
    ADD COLUMN status_synced_at timestamptz;

-- Every status change Ferry applied: where it came from and the version it produced on the other side.
CREATE TABLE status_changes (
    change_id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text        NOT NULL,
    ticket_id       bigint      NOT NULL,
    direction       text        NOT NULL CHECK (direction IN ('intercom->zendesk', 'zendesk->intercom')),
    origin_status   text        NOT NULL,
    origin_at       timestamptz,
    applied_status  text        NOT NULL,
    applied_version timestamptz,
    job_id          bigint      NOT NULL,
    attempt_number  integer     NOT NULL,
    applied_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_changes_by_conversation ON status_changes (conversation_id, change_id DESC);

-- Status deliveries are weighed once (echo or change) by the attempt that consumes them; deliveries
-- recorded before this migration count as weighed.
ALTER TABLE inbox ADD COLUMN status_checked boolean NOT NULL DEFAULT true;
ALTER TABLE inbox ALTER COLUMN status_checked SET DEFAULT false;
CREATE INDEX inbox_status_unchecked ON inbox (conversation_id) WHERE NOT status_checked AND conversation_id IS NOT NULL;

-- Attempts say where the change came from, and how many vendor writes they made; a delivery for a
-- ticket Ferry did not create is logged as skipped without a job.
ALTER TABLE attempts
    ALTER COLUMN job_id DROP NOT NULL,
    ADD COLUMN origin       text    NOT NULL DEFAULT 'intercom',
    ADD COLUMN vendor_writes integer NOT NULL DEFAULT 0;
