-- Groups of like events (a rule's `group` option). `rule_groups` holds the one open
-- group per rule, channel and `by` values (`group_key`), which the next like event joins
-- while it arrives within the window of the group's first event; `group_parents` holds
-- the Slack ts of each group's parent once it is posted, where later members reply.
CREATE TABLE rule_groups (
    team_id    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    members    BIGINT NOT NULL,
    PRIMARY KEY (team_id, channel, group_key)
);

CREATE TABLE group_parents (
    group_id   TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    ts         TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX group_parents_by_time ON group_parents (created_at);
