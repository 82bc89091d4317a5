-- Events no rule took, for App Home's "Events with no rule": a partial index, so the
-- list reads only those rows (a workspace's routed events are nearly all of them) and
-- ingest writes this index only for an event that matched nothing.
CREATE INDEX events_unrouted ON events (team_id, received_at) WHERE route_count = 0;
