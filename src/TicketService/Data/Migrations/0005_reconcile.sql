-- Self-healing (docs/RECONCILE.md).

-- A reconciler finding is logged with the attempts (the operator reads one log): outcome 'finding',
-- trigger 'reconcile', reason "<kind>: <detail>", job_id the job it queued.
ALTER TABLE attempts DROP CONSTRAINT attempts_outcome_check;
ALTER TABLE attempts ADD CONSTRAINT attempts_outcome_check CHECK (outcome IN ('success', 'failure', 'skipped', 'finding'));
CREATE INDEX attempts_findings ON attempts (attempt_id DESC) WHERE outcome = 'finding';

-- The reconciler's progress, one row per pass kind ('scan', 'deep'); the row lock is also the
-- single-active-instance guard across replicas (SELECT … FOR UPDATE SKIP LOCKED).
CREATE TABLE reconciler (
    pass        text        PRIMARY KEY,
    watermark   timestamptz,
    last_run_at timestamptz,
    last_result text
);
INSERT INTO reconciler (pass) VALUES ('scan'), ('deep');

-- Operator switches shared by every replica.
CREATE TABLE control (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    paused        boolean     NOT NULL DEFAULT false,
    paused_reason text        NOT NULL DEFAULT '',
    changed_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO control DEFAULT VALUES;

CREATE INDEX inbox_received ON inbox (source, received_at DESC);

-- Why a job died, so the reconciler knows when the cause may have cleared: 'permanent' (a vendor's
-- refusal: once the conversation changed), 'window' (the retry window used up) or 'crash-loop'
-- (once Ferry syncs again).
ALTER TABLE jobs ADD COLUMN death text CHECK (death IN ('permanent', 'window', 'crash-loop'));
UPDATE jobs SET death = 'window' WHERE state = 'dead';

-- The deep pass reads back the tickets checked least recently first.
ALTER TABLE tickets ADD COLUMN deep_checked_at timestamptz;
