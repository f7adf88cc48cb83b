-- Bulk backfill runs (docs/MIGRATION.md): the selection, the checkpoint a stopped or crashed run resumes
-- from (Intercom's cursor of the page being worked on), and the figures so far. A page's conversations
-- are recorded in the ledger before the checkpoint moves past it, so resuming never imports one twice.
CREATE TABLE backfill_runs (
    run_id      text        PRIMARY KEY,
    plan        jsonb       NOT NULL,
    cursor      text,
    figures     jsonb       NOT NULL DEFAULT '{}',
    state       text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'stopped', 'failed', 'done')),
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
