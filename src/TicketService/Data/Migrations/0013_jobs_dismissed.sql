-- A dead job an operator dismissed (Sync.Dismiss, `ferry dismiss`): the cause is known and nothing is to be done.
-- It stays dead, with when, by which API client and why; it leaves the dead-jobs list, gauge and alert.
ALTER TABLE jobs
    ADD COLUMN dismissed_at   timestamptz,
    ADD COLUMN dismissed_by   text,
    ADD COLUMN dismissal_note text;
