-- Retention of finished jobs (RetentionStore.DeleteJobsAsync, after their attempts): walked oldest first, and
-- each delete makes Postgres look for attempts still pointing at the job (the foreign key), hence attempts by job.
CREATE INDEX jobs_finished_by_age ON jobs (updated_at) WHERE state IN ('done', 'dead');
CREATE INDEX attempts_by_job ON attempts (job_id);
