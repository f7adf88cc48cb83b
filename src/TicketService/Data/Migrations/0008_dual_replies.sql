-- Dual-tool mode (docs/DUAL.md): Zendesk comments carried to Intercom, the other half of the ledger.
-- One row per Zendesk comment Ferry weighed: 'sending' is written before the Intercom call, then 'reply' or
-- 'note' with the Intercom part it became (that part is also in synced_parts, so it never comes back), or
-- 'skipped' with the reason (a note under the "public" policy, a customer's comment, Ferry's own).
CREATE TABLE zendesk_comments (
    ticket_id          bigint      NOT NULL,
    zendesk_comment_id bigint      NOT NULL,
    conversation_id    text        NOT NULL,
    outcome            text        NOT NULL CHECK (outcome IN ('sending', 'reply', 'note', 'skipped')),
    intercom_part_id   text,
    reason             text,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, zendesk_comment_id)
);
CREATE INDEX zendesk_comments_by_conversation ON zendesk_comments (conversation_id);

-- Per ticket, the newest comment id a scan has accounted for: the next scan reads only newer comments.
CREATE TABLE zendesk_scans (
    ticket_id       bigint PRIMARY KEY,
    conversation_id text   NOT NULL,
    last_comment_id bigint NOT NULL
);

-- Fields follow (Dual:FieldsFollow): the ticket fields Ferry last set from the conversation; the next sync sends
-- only what differs from them, so a field an agent changed in Zendesk stays until the conversation changes it.
CREATE TABLE ticket_fields (
    conversation_id text   PRIMARY KEY,
    ticket_id       bigint NOT NULL,
    fields          jsonb  NOT NULL
);
