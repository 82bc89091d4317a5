-- Workspaces installed with "Add to Slack": the bot token, sealed with AES-256-GCM
-- (HERALD_ENCRYPTION_KEY), and who installed it. Disconnecting deletes the token.
ALTER TABLE workspaces ADD COLUMN bot_token_sealed TEXT;
ALTER TABLE workspaces ADD COLUMN scopes TEXT;
ALTER TABLE workspaces ADD COLUMN installed_by TEXT;

-- Webhook connections: each workspace's own `POST /hooks/{id}` and its signing secret
-- (sealed). After a rotation the previous secret keeps working until
-- `previous_valid_until`, so a platform can switch without losing events.
CREATE TABLE connections (
    id                     TEXT PRIMARY KEY,
    team_id                TEXT NOT NULL,
    secret_sealed          TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_valid_until   BIGINT,
    -- When an admin last saw the secret (it is shown once, after it is made).
    secret_shown_at        BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX connections_team ON connections (team_id);
