-- The create_many jobs of bulk backfill runs (docs/MIGRATION.md, "Stop, crash, resume"): stored before the
-- POST with its chunk's conversations in order (job_id NULL until Zendesk answers), finished once the job
-- has ended. A resumed run waits for the unfinished ones before it asks Zendesk which of its held
-- conversations have a ticket; those of a create_many whose answer never came stay held until their lease
-- passes. Zendesk's external_id is not unique: this is what keeps a ticket from being imported twice.
CREATE TABLE backfill_jobs (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        text        NOT NULL REFERENCES backfill_runs (run_id) ON DELETE CASCADE,
    job_id        text,
    conversations text[]      NOT NULL,
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);

CREATE INDEX backfill_jobs_unfinished ON backfill_jobs (run_id) WHERE finished_at IS NULL;
