-- A Slack event's receipt is taken before it is handled and finished after: 'handling'
-- while its effect is being applied, 'done' once it is. A delivery whose handling failed
-- loses its receipt (so Slack's retry is handled); one whose process died mid-way keeps
-- a 'handling' receipt that a later retry takes over once it is stale.
ALTER TABLE slack_event_receipts ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE slack_event_receipts ADD COLUMN claimed_at BIGINT;
