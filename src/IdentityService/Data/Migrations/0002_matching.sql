-- Matching state: verification time on links, conflicts, link history, agent map, team -> group map.

ALTER TABLE contact_links
    ADD COLUMN verified_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT contact_links_zendesk_user_id_positive CHECK (zendesk_user_id > 0),
    ADD CONSTRAINT contact_links_match_method_known
        CHECK (match_method IN ('primary_email', 'secondary_email', 'external_id', 'created', 'override'));

-- An email / external_id pair that pointed at different Zendesk users, or an address the contact uses
-- that another Zendesk user already holds. Never merged; the link goes to chosen_user_id.
-- One row per distinct situation: re-resolving the same contact does not pile up duplicates.
CREATE TABLE link_conflicts (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    intercom_contact_id text        NOT NULL REFERENCES contact_links (intercom_contact_id) ON DELETE CASCADE,
    kind                text        NOT NULL CHECK (kind IN ('email_external_id_mismatch', 'email_owned_by_other_user')),
    email_user_id       bigint,
    external_id_user_id bigint,
    chosen_user_id      bigint      NOT NULL,
    detail              text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    resolution          text,
    CONSTRAINT link_conflicts_once UNIQUE NULLS NOT DISTINCT (intercom_contact_id, kind, email_user_id, external_id_user_id)
);

CREATE INDEX link_conflicts_open ON link_conflicts (intercom_contact_id) WHERE resolved_at IS NULL;

-- Every change of a link's Zendesk user (re-resolve after a deleted user, operator override).
CREATE TABLE link_history (
    id                       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    intercom_contact_id      text        NOT NULL,
    previous_zendesk_user_id bigint,
    zendesk_user_id          bigint      NOT NULL,
    match_method             text        NOT NULL,
    reason                   text        NOT NULL,
    changed_at               timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX link_history_contact ON link_history (intercom_contact_id, changed_at);

-- Last resolution of each Intercom admin (zendesk_agent_id NULL: no agent matched).
CREATE TABLE agent_map (
    intercom_admin_id text        PRIMARY KEY,
    zendesk_agent_id  bigint      CHECK (zendesk_agent_id > 0),
    matched           boolean     NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Intercom team -> Zendesk group. Rows here win over the Identity:TeamGroups configuration.
CREATE TABLE team_groups (
    intercom_team_id text        PRIMARY KEY,
    zendesk_group_id bigint      NOT NULL CHECK (zendesk_group_id > 0),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
