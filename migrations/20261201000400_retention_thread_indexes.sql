-- Retention keeps an event that a history chunk is drawn from, and drops the earlier
-- parents of a conversation whose thread is gone: both looked up by index.
CREATE INDEX thread_messages_by_history ON thread_messages (team_id, history_event_id);
CREATE INDEX thread_parents_by_conversation ON thread_parents (team_id, channel, conversation_id);
