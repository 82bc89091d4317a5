-- Meeting types seen in each workspace's events, recorded when an event is accepted, so
-- the rule modal's picker reads a few short rows instead of hundreds of event bodies.
-- One row per (workspace, meeting type id); `name` is the latest name the platform sent.
CREATE TABLE meeting_types (
    team_id      TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX meeting_types_recent ON meeting_types (team_id, last_seen_at);
