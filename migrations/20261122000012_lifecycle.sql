-- How a rule shows a conversation's state changes: edit_parent (default), thread_only, broadcast.
ALTER TABLE rules ADD COLUMN lifecycle TEXT;
