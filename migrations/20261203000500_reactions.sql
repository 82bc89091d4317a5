-- Reactions as actions (✅ asks the platform to close a conversation, 👀 to assign it):
-- on unless a Herald admin turned them off with `/herald reactions off` (1 = off).
ALTER TABLE workspaces ADD COLUMN reactions_off BIGINT NOT NULL DEFAULT 0;
