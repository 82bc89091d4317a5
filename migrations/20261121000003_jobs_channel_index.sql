-- App Home shows each channel's latest delivery and the last day's counts.
CREATE INDEX jobs_team_channel ON jobs (team_id, channel, updated_at);
CREATE INDEX jobs_team_updated ON jobs (team_id, updated_at);
