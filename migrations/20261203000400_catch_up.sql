-- Catch-up (replies posted in Herald's threads while Herald was stopped, or whose
-- events never reached it, are read back with conversations.replies).
-- Each thread parent records when its thread was last active as Herald knows it (the
-- parent posted, a platform message posted in it, a person's reply seen), how far its
-- replies have been read from Slack (the newest reply ts read; NULL: not yet, start at
-- the parent), and when that was last checked, so a sweep visits the least recently
-- checked thread first.
ALTER TABLE thread_parents ADD COLUMN active_at BIGINT;
ALTER TABLE thread_parents ADD COLUMN caught_up_ts TEXT;
ALTER TABLE thread_parents ADD COLUMN checked_at BIGINT;
UPDATE thread_parents SET active_at = created_at;
CREATE INDEX thread_parents_active ON thread_parents (team_id, active_at);

-- One sweep per workspace at a time, across every Herald process on this database:
-- Slack's rate limit for conversations.replies is per workspace, so two processes
-- sweeping side by side would only halve each other's pace.
CREATE TABLE catch_up_leases (
    team_id     TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    finished_at BIGINT
);
