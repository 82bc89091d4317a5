//! Conversation threads, the messages posted in them, and where replies go back to.

use sqlx::FromRow;

use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Thread {
    pub team_id: String,
    pub channel: String,
    pub conversation_id: String,
    pub thread_ts: String,
    pub parent_event_id: String,
    pub connection_id: String,
    pub closed: i64,
    pub previous_ts: Option<String>,
    pub history_imported: i64,
}

const THREAD_COLUMNS: &str = "team_id, channel, conversation_id, thread_ts, parent_event_id, \
                              connection_id, closed, previous_ts, history_imported";

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

    /// The thread a Slack message in `thread_ts` belongs to (a reply from Slack).
    pub async fn thread_by_ts(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
    ) -> Result<Option<Thread>, StoreError> {
        self.thread_where("thread_ts", team_id, channel, thread_ts)
            .await
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

    /// A new thread for the conversation (its first message, or the first after it was
    /// closed); the thread it replaces is remembered as `previous_ts`.
    pub async fn open_thread(&self, thread: &Thread) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO threads (team_id, channel, conversation_id, thread_ts, parent_event_id, \
             connection_id, closed, previous_ts, history_imported, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0, $8, $8) \
             ON CONFLICT (team_id, channel, conversation_id) DO UPDATE SET \
             thread_ts = excluded.thread_ts, parent_event_id = excluded.parent_event_id, \
             connection_id = excluded.connection_id, closed = 0, \
             previous_ts = excluded.previous_ts, history_imported = 0, \
             updated_at = excluded.updated_at",
        )
        .bind(&thread.team_id)
        .bind(&thread.channel)
        .bind(&thread.conversation_id)
        .bind(&thread.thread_ts)
        .bind(&thread.parent_event_id)
        .bind(&thread.connection_id)
        .bind(thread.previous_ts.as_deref())
        .bind(now)
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

    /// Callbacks held for their author to claim an operator: (job id, payload).
    pub async fn held_callbacks(
        &self,
        team_id: &str,
        kind: &str,
        held_from: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, payload FROM jobs WHERE team_id = $1 AND kind = $2 \
             AND status = 'pending' AND run_at >= $3 ORDER BY id",
        )
        .bind(team_id)
        .bind(kind)
        .bind(held_from)
        .fetch_all(self.pool())
        .await?)
    }

    /// Releases a held job with its new payload, to run now.
    pub async fn release_job(&self, id: &str, payload: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE jobs SET payload = $1, run_at = $2, updated_at = $2 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(payload)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
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

    /// Whether an earlier job of the same conversation in the same channel has not
    /// finished: it may be about to open the thread, so this one waits its turn.
    pub async fn earlier_thread_job_pending(
        &self,
        team_id: &str,
        channel: &str,
        thread_key: &str,
        job_id: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE team_id = $1 AND channel = $2 AND thread_key = $3 \
             AND id < $4 AND status IN ('pending', 'running') LIMIT 1",
        )
        .bind(team_id)
        .bind(channel)
        .bind(thread_key)
        .bind(job_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
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

    /// A reply's callback that has not been sent yet (inside its undo window).
    pub async fn pending_callback(
        &self,
        team_id: &str,
        event_id: &str,
        kind: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        // Only one waiting on purpose (undo window, or held): a note queued a moment ago
        // is not rewritten by its edit; the edit follows it.
        Ok(sqlx::query_as(
            "SELECT id, payload FROM jobs WHERE team_id = $1 AND event_id = $2 AND kind = $3 \
             AND status = 'pending' AND run_at > $4 ORDER BY id LIMIT 1",
        )
        .bind(team_id)
        .bind(event_id)
        .bind(kind)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?)
    }

    /// Replaces a job's payload while it waits; false if a worker took it meanwhile.
    pub async fn update_pending_payload(
        &self,
        id: &str,
        payload: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET payload = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(payload)
        .bind(now_ms())
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Cancels a waiting job (an undone or deleted reply); false if already taken.
    pub async fn cancel_pending_job(
        &self,
        team_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET status = 'failed', last_error = $1, updated_at = $2 \
             WHERE team_id = $3 AND id = $4 AND status = 'pending'",
        )
        .bind(reason)
        .bind(now_ms())
        .bind(team_id)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Sends a waiting job now ("Send now").
    pub async fn run_pending_job_now(&self, team_id: &str, id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET run_at = $1, updated_at = $1 \
             WHERE team_id = $2 AND id = $3 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A job's payload, scoped to its workspace.
    pub async fn job_payload(&self, team_id: &str, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT payload FROM jobs WHERE team_id = $1 AND id = $2")
                .bind(team_id)
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn set_callback_url(
        &self,
        team_id: &str,
        connection_id: &str,
        url: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO connection_callbacks (connection_id, team_id, url, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (connection_id) DO UPDATE SET \
             url = excluded.url, updated_at = excluded.updated_at \
             WHERE connection_callbacks.team_id = excluded.team_id",
        )
        .bind(connection_id)
        .bind(team_id)
        .bind(url)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn callback_url(
        &self,
        team_id: &str,
        connection_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT url FROM connection_callbacks WHERE team_id = $1 AND connection_id = $2",
        )
        .bind(team_id)
        .bind(connection_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
