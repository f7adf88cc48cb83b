-- IdentityService owns the `identity` schema.
-- One row per Intercom contact: the primary key makes a second link for the same contact impossible.
CREATE TABLE contact_links (
    intercom_contact_id text        PRIMARY KEY,
    zendesk_user_id     bigint      NOT NULL,
    match_method        text        NOT NULL,
    emails_seen         text[]      NOT NULL DEFAULT '{}',
    external_id         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX contact_links_zendesk_user_id ON contact_links (zendesk_user_id);
