-- The Zendesk comment each appended part became (from the update's audit). On a retry, only comments
-- newer than the newest one the ledger knows can be a part whose answer was lost.
ALTER TABLE synced_parts ADD COLUMN zendesk_comment_id bigint;

-- How many comments the import that created the ticket made (they are its oldest): before the first
-- append records a comment id, only comments after them can be a part whose answer was lost.
ALTER TABLE tickets ADD COLUMN imported_comments integer;
