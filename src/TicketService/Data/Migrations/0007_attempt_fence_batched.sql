-- The fence of an attempt's writes as a statement that fails (docs/SYNC.md, "Fencing"): an attempt's
-- writes go to Postgres as one batch (one round trip, one implicit transaction) led by this call, which
-- holds the job row shared while the attempt still owns it and otherwise raises FY001, so the whole
-- batch is rolled back: a worker that lost its job writes nothing, and never half of a batch.
CREATE FUNCTION ensure_owned(p_job_id bigint, p_fence bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM sync.jobs WHERE job_id = p_job_id AND fence = p_fence AND state = 'running' FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % is no longer held with fencing token %', p_job_id, p_fence USING ERRCODE = 'FY001';
    END IF;
END
$$;
