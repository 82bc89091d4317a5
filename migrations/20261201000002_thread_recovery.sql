-- Every parent a conversation's thread ever had in a channel: replies under an earlier
-- (closed) thread still belong to the conversation and reach the platform.
CREATE TABLE thread_parents (
    team_id         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    thread_ts       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (team_id, channel, thread_ts)
);
INSERT INTO thread_parents (team_id, channel, thread_ts, conversation_id, created_at)
    SELECT team_id, channel, thread_ts, conversation_id, created_at FROM threads;
INSERT INTO thread_parents (team_id, channel, thread_ts, conversation_id, created_at)
    SELECT team_id, channel, previous_ts, conversation_id, created_at FROM threads
    WHERE previous_ts IS NOT NULL
    ON CONFLICT (team_id, channel, thread_ts) DO NOTHING;

-- A history message shares one Slack message (a chunk) with others: where it sits in
-- the history event, and its current text (NULL = as imported) or its deletion, so an
-- edit or a deletion redraws only that message's part of the chunk.
ALTER TABLE thread_messages ADD COLUMN history_event_id TEXT;
ALTER TABLE thread_messages ADD COLUMN position BIGINT;
ALTER TABLE thread_messages ADD COLUMN current_text TEXT;
ALTER TABLE thread_messages ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX thread_messages_by_ts ON thread_messages (team_id, channel, ts);

-- When a job was first claimed: a post that an interrupted attempt may have made is
-- looked for in Slack's history from then on (minus a margin for clock skew).
ALTER TABLE jobs ADD COLUMN first_claimed_at BIGINT;
