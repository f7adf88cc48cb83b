-- Zendesk → Intercom attachments (docs/DUAL.md): the files of a public Zendesk reply that are not attached to its
-- Intercom reply (over Dual:MaxAttachmentBytes, …) are listed with links in one separate Intercom note. The list is
-- kept from before the reply is sent (links_note) so that a retry sends that same note, once: 'linking' means the
-- reply is in Intercom and its note is on its way; then 'reply' with links_part_id (also in synced_parts).
ALTER TABLE zendesk_comments DROP CONSTRAINT zendesk_comments_outcome_check;
ALTER TABLE zendesk_comments ADD CONSTRAINT zendesk_comments_outcome_check CHECK (outcome IN ('sending', 'linking', 'reply', 'note', 'skipped'));
ALTER TABLE zendesk_comments ADD COLUMN links_note text, ADD COLUMN links_part_id text;
