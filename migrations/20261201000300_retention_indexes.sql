-- Retention runs every candidate query on an index (src/store/retention.rs): finished
-- jobs by age, events and receipts by arrival, conversations by last touch, threads by
-- the event their parent shows, message maps and audit entries by age. "Does this event
-- still have a job" uses jobs_team_event (team_id, event_id).
CREATE INDEX jobs_status_updated ON jobs (status, updated_at);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX slack_event_receipts_received ON slack_event_receipts (received_at);
CREATE INDEX threads_updated ON threads (updated_at);
CREATE INDEX threads_parent_event ON threads (team_id, parent_event_id);
CREATE INDEX thread_messages_created ON thread_messages (created_at);
CREATE INDEX audit_log_at ON audit_log (at);
