-- Who stands in for a rule's people while they are away (`/herald away`).
ALTER TABLE rules ADD COLUMN backup TEXT;

-- People who said `/herald away`; their mentions go to the rules' backups meanwhile.
CREATE TABLE availability (
    team_id       TEXT NOT NULL,
    slack_user_id TEXT NOT NULL,
    away          BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (team_id, slack_user_id)
);
