-- The job lifecycle (docs/SYNC.md, "Faults, retries and dead jobs").

-- fence: the fencing token, incremented by every claim and never reset or decremented, so a worker
--   that lost its job can never write again, whatever happened to the job since (rerun, deferral).
-- claims_without_outcome: claims since the last recorded outcome; a job whose attempts keep dying
--   with their process (crash loop) is dead once this reaches Queue:MaxClaimsWithoutOutcome.
-- failures / failing_since: consecutive attempts that failed without progress (the backoff exponent)
--   and when the first of them started (the retry window runs from there); progress resets both.
ALTER TABLE jobs
    ADD COLUMN fence                  bigint      NOT NULL DEFAULT 0,
    ADD COLUMN claims_without_outcome integer     NOT NULL DEFAULT 0,
    ADD COLUMN failures               integer     NOT NULL DEFAULT 0,
    ADD COLUMN failing_since          timestamptz,
    ADD COLUMN dead_at                timestamptz;

UPDATE jobs SET fence = attempt;
UPDATE jobs SET dead_at = updated_at WHERE state = 'dead';

CREATE INDEX jobs_dead ON jobs (dead_at DESC, job_id DESC) WHERE state = 'dead';
