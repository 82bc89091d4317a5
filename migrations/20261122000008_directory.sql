-- The directory: each workspace's channels, users and user groups as Slack last told
-- Herald (batch sync plus events), so pickers answer from memory and a restart does not
-- need a full sync. Flags are 0/1 BIGINTs (sqlx's Any driver cannot read SQLite bools).
CREATE TABLE directory_channels (
    team_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    is_private  BIGINT NOT NULL,
    is_archived BIGINT NOT NULL,
    is_member   BIGINT NOT NULL,
    -- Another organization's Slack Connect channel: kept to explain why it is not offered.
    external_team TEXT,
    deleted     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);

CREATE TABLE directory_users (
    team_id      TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    real_name    TEXT,
    display_name TEXT,
    is_bot       BIGINT NOT NULL,
    deleted      BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);

CREATE TABLE directory_groups (
    team_id    TEXT NOT NULL,
    id         TEXT NOT NULL,
    handle     TEXT NOT NULL,
    name       TEXT NOT NULL,
    disabled   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);

-- The latest batch sync per workspace: when, how far, and what went wrong.
CREATE TABLE directory_syncs (
    team_id     TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    channels    BIGINT NOT NULL,
    users       BIGINT NOT NULL,
    groups_seen BIGINT NOT NULL,
    error       TEXT
);

-- Who last saved a rule: told by DM when its channel is archived, deleted or closed to Herald.
ALTER TABLE rules ADD COLUMN owner TEXT;
