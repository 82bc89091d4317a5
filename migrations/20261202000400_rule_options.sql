-- A rule's options beyond event type, meeting type and channel (conditions on the
-- event's fields so far), as the JSON object the rules file writes for them. NULL: none.
ALTER TABLE rules ADD COLUMN options TEXT;
