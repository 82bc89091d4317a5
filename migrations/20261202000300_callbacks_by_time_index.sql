-- The error log (`/herald log`) reads a workspace's callbacks to the platform by the time
-- they were queued, page after page (keyset on created_at, id). Their event ids are
-- Herald's own, so jobs_team_event cannot find them by time.
CREATE INDEX jobs_team_kind_created ON jobs (team_id, kind, created_at, id);
