-- Per-person settings. assignment_dm_off: `/herald dm off` (1) stops the DM a person gets
-- when a conversation is assigned to the platform operator they are linked to.
CREATE TABLE person_settings (
    team_id           TEXT NOT NULL,
    slack_user_id     TEXT NOT NULL,
    assignment_dm_off BIGINT NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (team_id, slack_user_id)
);

-- What the conversation's parent last showed of it (core::render::story, as JSON: state,
-- page, assignee, contact owner), so the parent is edited only when that changes.
ALTER TABLE threads ADD COLUMN story TEXT;
