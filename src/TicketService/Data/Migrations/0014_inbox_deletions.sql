-- Whether Intercom announced a conversation's deletion (SyncStore.DeletionAnnouncedAsync): asked only when a
-- conversation answers 404, but the inbox holds weeks of deliveries, so those few rows get an index of their own.
CREATE INDEX inbox_conversation_deleted ON inbox (conversation_id) WHERE topic = 'conversation.deleted';
