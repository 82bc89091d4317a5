-- Notifications kept outside a rule's business hours (`hours`): each is a `slack.post`
-- job held until its channel's digest at the opening (`opens_at`, Unix ms) lists it.
-- The digest (a `slack.digest` job due at the opening) reads its items here, in the order
-- they arrived, and removes them in the transaction that completes or fails it.
CREATE TABLE digest_items (
    job_id     TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    opens_at   BIGINT NOT NULL,
    event_id   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX digest_items_by_opening ON digest_items (team_id, channel, opens_at, created_at);
