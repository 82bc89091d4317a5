-- Fair claims: workspaces take turns, each turn asks "has this workspace a due job, and
-- which is its most overdue" with one probe of this index.
CREATE INDEX jobs_team_due ON jobs (team_id, run_at, id) WHERE status = 'pending';
