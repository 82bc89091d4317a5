//! Conversation threads and the messages posted in them.

use sqlx::FromRow;

use super::flag::Flag;
use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Thread {
    pub team_id: String,
    pub channel: String,
    pub conversation_id: String,
    pub thread_ts: String,
    pub parent_event_id: String,
    pub connection_id: String,
    /// Whether the conversation was closed in this thread (the next message opens a new
    /// parent).
    #[sqlx(try_from = "Flag")]
    pub closed: bool,
    pub previous_ts: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub history_imported: bool,
    /// The thread's rules are alerts-only (read with the parent, [`Store::thread_by_ts`]).
    #[sqlx(default, try_from = "Flag")]
    pub replies_off: bool,
    /// What the parent last showed of the conversation (`core::render::story`, JSON).
    pub story: Option<String>,
}

/// A platform message's place in Slack.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ThreadMessage {
    pub message_id: String,
    pub ts: String,
    pub history_event_id: Option<String>,
    pub position: Option<i64>,
    pub current_text: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub deleted: bool,
}

const THREAD_COLUMNS: &str = "team_id, channel, conversation_id, thread_ts, parent_event_id, \
                              connection_id, closed, previous_ts, history_imported, story";

impl Store {
    pub async fn thread(
        &self,
        team_id: &str,
        channel: &str,
        conversation_id: &str,
    ) -> Result<Option<Thread>, StoreError> {
        self.thread_where("conversation_id", team_id, channel, conversation_id)
            .await
    }

    /// The thread a Slack message in `thread_ts` belongs to (a reply from Slack): the
    /// conversation's current thread, or an earlier one of the same conversation (closed
    /// since), shown with that earlier parent's `ts` and as closed.
    pub async fn thread_by_ts(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
    ) -> Result<Option<Thread>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.team_id, t.channel, t.conversation_id, p.thread_ts, t.parent_event_id, \
             t.connection_id, CASE WHEN p.thread_ts = t.thread_ts THEN t.closed ELSE 1 END \
             AS closed, t.previous_ts, t.history_imported, p.replies_off, t.story \
             FROM thread_parents p JOIN threads t ON t.team_id = p.team_id \
             AND t.channel = p.channel AND t.conversation_id = p.conversation_id \
             WHERE p.team_id = $1 AND p.channel = $2 AND p.thread_ts = $3",
        )
        .bind(team_id)
        .bind(channel)
        .bind(thread_ts)
        .fetch_optional(self.pool())
        .await?)
    }

    /// One thread of a channel, found by one of its keys (a fixed column name).
    async fn thread_where(
        &self,
        column: &'static str,
        team_id: &str,
        channel: &str,
        value: &str,
    ) -> Result<Option<Thread>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {THREAD_COLUMNS} FROM threads \
             WHERE team_id = $1 AND channel = $2 AND {column} = $3"
        )))
        .bind(team_id)
        .bind(channel)
        .bind(value)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The conversation whose platform message Herald posted as the Slack message `ts`
    /// (a reaction on it acts on that conversation).
    pub async fn thread_of_message(
        &self,
        team_id: &str,
        channel: &str,
        ts: &str,
    ) -> Result<Option<Thread>, StoreError> {
        let conversation: Option<String> = sqlx::query_scalar(
            "SELECT conversation_id FROM thread_messages \
             WHERE team_id = $1 AND channel = $2 AND ts = $3 LIMIT 1",
        )
        .bind(team_id)
        .bind(channel)
        .bind(ts)
        .fetch_optional(self.pool())
        .await?;
        match conversation {
            Some(id) => self.thread(team_id, channel, &id).await,
            None => Ok(None),
        }
    }

    /// Where a platform message was posted, and its part of a history chunk.
    pub async fn thread_message(
        &self,
        team_id: &str,
        channel: &str,
        message_id: &str,
    ) -> Result<Option<ThreadMessage>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT message_id, ts, history_event_id, position, current_text, deleted \
             FROM thread_messages WHERE team_id = $1 AND channel = $2 AND message_id = $3",
        )
        .bind(team_id)
        .bind(channel)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The history messages that share the Slack message `ts` (one chunk).
    pub async fn chunk_messages(
        &self,
        team_id: &str,
        channel: &str,
        ts: &str,
    ) -> Result<Vec<ThreadMessage>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT message_id, ts, history_event_id, position, current_text, deleted \
             FROM thread_messages WHERE team_id = $1 AND channel = $2 AND ts = $3 \
             ORDER BY position",
        )
        .bind(team_id)
        .bind(channel)
        .bind(ts)
        .fetch_all(self.pool())
        .await?)
    }

    /// A history message's new text, or its deletion, before its chunk is redrawn.
    pub async fn set_history_message(
        &self,
        team_id: &str,
        channel: &str,
        message_id: &str,
        text: Option<&str>,
        deleted: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE thread_messages SET current_text = COALESCE($1, current_text), \
             deleted = $2 WHERE team_id = $3 AND channel = $4 AND message_id = $5",
        )
        .bind(text)
        .bind(i64::from(deleted))
        .bind(team_id)
        .bind(channel)
        .bind(message_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks the thread closed (or open again); true if it changed.
    pub async fn set_thread_closed(
        &self,
        team_id: &str,
        channel: &str,
        conversation_id: &str,
        closed: bool,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE threads SET closed = $1, updated_at = $2 \
             WHERE team_id = $3 AND channel = $4 AND conversation_id = $5 AND closed <> $1",
        )
        .bind(i64::from(closed))
        .bind(now_ms())
        .bind(team_id)
        .bind(channel)
        .bind(conversation_id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Remembers who the conversation is assigned to now.
    pub async fn set_thread_assignee(
        &self,
        team_id: &str,
        conversation_id: &str,
        operator_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE threads SET assignee_id = $1, updated_at = $2 \
             WHERE team_id = $3 AND conversation_id = $4",
        )
        .bind(operator_id)
        .bind(now_ms())
        .bind(team_id)
        .bind(conversation_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn thread_assignee(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> = sqlx::query_scalar(
            "SELECT assignee_id FROM threads WHERE team_id = $1 AND channel = $2 \
             AND thread_ts = $3",
        )
        .bind(team_id)
        .bind(channel)
        .bind(thread_ts)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.flatten())
    }

    pub async fn mark_history_imported(
        &self,
        team_id: &str,
        channel: &str,
        conversation_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE threads SET history_imported = 1, updated_at = $1 \
             WHERE team_id = $2 AND channel = $3 AND conversation_id = $4",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(channel)
        .bind(conversation_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// When the earliest unfinished earlier job of the same conversation in the same
    /// channel may run (0 while one runs now); None when there is none. A later job waits
    /// its turn, at least until then, instead of polling the whole retry delay.
    pub async fn earlier_thread_job_due(
        &self,
        team_id: &str,
        channel: &str,
        thread_key: &str,
        job_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(CASE WHEN status = 'running' THEN 0 ELSE run_at END) FROM jobs \
             WHERE team_id = $1 AND channel = $2 AND thread_key = $3 \
             AND id < $4 AND status IN ('pending', 'running')",
        )
        .bind(team_id)
        .bind(channel)
        .bind(thread_key)
        .bind(job_id)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn record_thread_message(
        &self,
        team_id: &str,
        channel: &str,
        message_id: &str,
        conversation_id: &str,
        ts: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO thread_messages (team_id, channel, message_id, conversation_id, ts, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (team_id, channel, message_id) DO UPDATE SET ts = excluded.ts",
        )
        .bind(team_id)
        .bind(channel)
        .bind(message_id)
        .bind(conversation_id)
        .bind(ts)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Where a platform message was posted.
    pub async fn thread_message_ts(
        &self,
        team_id: &str,
        channel: &str,
        message_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT ts FROM thread_messages WHERE team_id = $1 AND channel = $2 \
             AND message_id = $3",
        )
        .bind(team_id)
        .bind(channel)
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The thread of a reply Herald already forwarded (edits and deletions of it).
    pub async fn forwarded_reply_thread(
        &self,
        team_id: &str,
        event_id: &str,
        kind: &str,
    ) -> Result<Option<String>, StoreError> {
        let payload: Option<String> = sqlx::query_scalar(
            "SELECT payload FROM jobs WHERE team_id = $1 AND event_id = $2 AND kind = $3 \
             ORDER BY id LIMIT 1",
        )
        .bind(team_id)
        .bind(event_id)
        .bind(kind)
        .fetch_optional(self.pool())
        .await?;
        Ok(payload
            .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
            .and_then(|p| p["thread_ts"].as_str().map(str::to_string)))
    }

    /// Marks an alerts-only thread as told: true for the one caller that marks it first,
    /// who tells the replier that nothing said there reaches the platform.
    pub async fn tell_replies_off_once(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let n = sqlx::query(
            "UPDATE thread_parents SET replies_off_told = 1 \
             WHERE team_id = $1 AND channel = $2 AND thread_ts = $3 AND replies_off_told = 0",
        )
        .bind(team_id)
        .bind(channel)
        .bind(thread_ts)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
