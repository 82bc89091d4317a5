-- Conversations as Slack threads: one open thread per (workspace, channel, conversation).
-- A closed conversation's thread stays; the next message opens a new one that links back
-- (previous_ts). Survives reinstalls and rule changes: keyed by ids, not by rules.
CREATE TABLE threads (
    team_id          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    thread_ts        TEXT NOT NULL,
    -- The event the parent message shows, re-rendered when the conversation closes.
    parent_event_id  TEXT NOT NULL,
    connection_id    TEXT NOT NULL,
    closed           BIGINT NOT NULL,
    previous_ts      TEXT,
    history_imported BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (team_id, channel, conversation_id)
);
CREATE INDEX threads_by_ts ON threads (team_id, channel, thread_ts);

-- Where each platform message was posted, for its edits and deletions.
CREATE TABLE thread_messages (
    team_id         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    ts              TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (team_id, channel, message_id)
);

-- Jobs of one conversation in one channel run in order: the first opens the thread.
ALTER TABLE jobs ADD COLUMN thread_key TEXT;
CREATE INDEX jobs_thread ON jobs (team_id, channel, thread_key, id);

-- Where a connection's platform wants replies from Slack (`/herald connect callback`).
CREATE TABLE connection_callbacks (
    connection_id TEXT PRIMARY KEY,
    team_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
