-- When Intercom announced the conversation's deletion (conversation.deleted) and an attempt ended on it: kept with
-- the link, because the announcing delivery goes with Retention:DeliveryIds and a change to the ticket months later
-- must still be recognised as about a conversation deleted on purpose (SyncStore.DeletionAnnouncedAsync).
ALTER TABLE tickets ADD COLUMN deleted_in_intercom_at timestamptz;
