-- The rule modal's preview renders the latest real event of the chosen type.
CREATE INDEX events_team_type ON events (team_id, event_type, received_at);
