-- Platform operators (chat agents) as events name them, and the Slack user each one is.
-- A reply is sent under its operator: linked by email automatically, by
-- `/herald operator link`, or by claiming when the platform knows no such person.
CREATE TABLE operators (
    team_id       TEXT NOT NULL,
    operator_id   TEXT NOT NULL,
    email         TEXT,
    name          TEXT,
    slack_user_id TEXT,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, operator_id)
);
CREATE INDEX operators_by_slack_user ON operators (team_id, slack_user_id);

-- The conversation's current assignee: whom an unlinked replier may claim to be.
ALTER TABLE threads ADD COLUMN assignee_id TEXT;
