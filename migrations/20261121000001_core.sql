-- Herald's core schema: portable across SQLite and PostgreSQL (run through sqlx's Any
-- driver), so only TEXT, BIGINT and BOOLEAN columns, ids made by Herald, and times as
-- unix milliseconds. Never edit a landed migration: add a new one.

-- Workspaces Herald posts to. Single-workspace mode registers the token's team at start.
-- `disconnected_at` is set when Slack says the app was uninstalled or its token revoked;
-- registering the workspace again (a reinstall) clears it.
CREATE TABLE workspaces (
    team_id           TEXT PRIMARY KEY,
    team_name         TEXT NOT NULL,
    bot_user_id       TEXT NOT NULL,
    disconnected_at   BIGINT,
    disconnect_reason TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- The inbox: every accepted platform event, once per (connection, webhook-id).
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    team_id       TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    webhook_id    TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    body          TEXT NOT NULL,
    route_count   BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    UNIQUE (connection_id, webhook_id)
);
CREATE INDEX events_team_received ON events (team_id, received_at);

-- Notification rules. `kind` is 'event' (event_type, meeting_type NULL = any) or 'error'
-- (categories as a JSON array). `mentions` is a JSON array of at most 3 ids.
CREATE TABLE rules (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    event_type   TEXT,
    meeting_type TEXT,
    categories   TEXT,
    channel      TEXT NOT NULL,
    mentions     TEXT NOT NULL,
    enabled      BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX rules_team ON rules (team_id, position);

-- The outbox: everything that leaves Herald. `dedupe_key` makes "one event, one post per
-- channel" a constraint, not a hope. `internal` marks Herald's own error reports, whose
-- failure is never reported again (no recursion). `maybe_posted` is 1 when an earlier
-- attempt may have reached Slack without Herald learning the outcome (its worker died, or
-- the answer was lost): the next attempt looks for that post before posting.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL UNIQUE,
    channel     TEXT,
    payload     TEXT NOT NULL,
    internal    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    run_at      BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    maybe_posted BIGINT NOT NULL,
    last_error  TEXT,
    result_ts   TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- Partial indexes: only the jobs still queued or running are in them, so claiming stays
-- fast while a year of finished jobs accumulates.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'pending';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_team_event ON jobs (team_id, event_id);

-- Slack Events API deliveries already handled: Slack retries (X-Slack-Retry-Num) and
-- Socket Mode redeliveries carry the same event_id.
CREATE TABLE slack_event_receipts (
    team_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, event_id)
);
