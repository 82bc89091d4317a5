-- Who changed what, when: every rule or setting change, with the state before and after
-- (rules as the JSON of `herald rules export`). Shown by `/herald audit` and in App Home.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX audit_team_at ON audit_log (team_id, at);
