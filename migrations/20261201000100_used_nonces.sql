-- Single-use values, remembered until they could no longer be accepted anyway:
-- kind 'slack_request' holds the signatures of Slack requests already handled (a
-- replay inside Slack's 5-minute window is refused), kind 'oauth_state' the nonces of
-- install states already used (a second callback with the same state fails).
-- In the database, not in memory, so it holds across restarts and for every process
-- sharing one PostgreSQL. expires_at is Unix ms; rows past it are purged.
CREATE TABLE used_nonces (
    kind TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, nonce)
);
CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);
