//! What one post of a conversation means, recorded in one transaction: the thread it
//! opened, the platform messages it shows, the history imported, the conversation
//! closed. The last post of a job is recorded in the worker's transaction that completes
//! the job, so a crash leaves all of it or none (and then the next attempt finds the post
//! by its metadata and records it the same way).

use sqlx::AnyConnection;

use super::{Store, StoreError, now_ms};

/// A thread parent a post opened.
#[derive(Debug, Clone)]
pub struct Opened {
    pub parent_event_id: String,
    pub connection_id: String,
    pub previous_ts: Option<String>,
    /// Its rules are alerts-only: replies in the thread stay in Slack.
    pub replies_off: bool,
}

/// A platform message a post shows; `history` is (history event id, position in it) for
/// a message of a history chunk.
#[derive(Debug, Clone)]
pub struct Placed {
    pub message_id: String,
    pub history: Option<(String, i64)>,
}

/// What one post of a conversation's job records ([`Store::record_post_in`]).
#[derive(Debug, Clone)]
pub struct PostRecord {
    pub team_id: String,
    pub channel: String,
    pub conversation_id: String,
    /// The Slack message the post is.
    pub ts: String,
    /// Set when the post is the conversation's new thread parent.
    pub opened: Option<Opened>,
    pub assignee: Option<String>,
    pub placed: Vec<Placed>,
    pub history_imported: bool,
    /// The conversation closed with this post.
    pub closes: bool,
    /// What the parent now shows of the conversation (JSON), when this post changed it.
    pub story: Option<String>,
}

impl PostRecord {
    /// A post that records nothing but itself; callers set what it means with
    /// struct-update syntax.
    pub fn of((team_id, channel, conversation_id): (&str, &str, &str), ts: &str) -> Self {
        Self {
            team_id: team_id.to_string(),
            channel: channel.to_string(),
            conversation_id: conversation_id.to_string(),
            ts: ts.to_string(),
            opened: None,
            assignee: None,
            placed: Vec::new(),
            history_imported: false,
            closes: false,
            story: None,
        }
    }
}

impl Store {
    /// [`Store::record_post_in`] in a transaction of its own: a post that is not the
    /// job's last (a chunk of a history), so a retry does not post it again.
    pub async fn record_post(&self, r: &PostRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        let mut tx = self.begin().await?;
        Store::record_post_in(&mut tx, r).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records everything one post of a conversation's job means, on the caller's
    /// connection (inside its transaction).
    pub async fn record_post_in(
        conn: &mut AnyConnection,
        r: &PostRecord,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        if let Some(opened) = &r.opened {
            sqlx::query(
                "INSERT INTO threads (team_id, channel, conversation_id, thread_ts, \
                 parent_event_id, connection_id, closed, previous_ts, history_imported, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0, $8, $8) \
                 ON CONFLICT (team_id, channel, conversation_id) DO UPDATE SET \
                 thread_ts = excluded.thread_ts, parent_event_id = excluded.parent_event_id, \
                 connection_id = excluded.connection_id, closed = 0, \
                 previous_ts = excluded.previous_ts, history_imported = 0, \
                 updated_at = excluded.updated_at",
            )
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.conversation_id)
            .bind(&r.ts)
            .bind(&opened.parent_event_id)
            .bind(&opened.connection_id)
            .bind(opened.previous_ts.as_deref())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO thread_parents (team_id, channel, thread_ts, conversation_id, \
                 created_at, replies_off, active_at) VALUES ($1, $2, $3, $4, $5, $6, $5) \
                 ON CONFLICT (team_id, channel, thread_ts) DO NOTHING",
            )
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.ts)
            .bind(&r.conversation_id)
            .bind(now)
            .bind(i64::from(opened.replies_off))
            .execute(&mut *conn)
            .await?;
        }
        if let Some(assignee) = &r.assignee {
            sqlx::query(
                "UPDATE threads SET assignee_id = $1, updated_at = $2 \
                 WHERE team_id = $3 AND conversation_id = $4",
            )
            .bind(assignee)
            .bind(now)
            .bind(&r.team_id)
            .bind(&r.conversation_id)
            .execute(&mut *conn)
            .await?;
        }
        for placed in &r.placed {
            sqlx::query(
                "INSERT INTO thread_messages (team_id, channel, message_id, conversation_id, \
                 ts, created_at, history_event_id, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (team_id, channel, message_id) DO UPDATE SET ts = excluded.ts, \
                 history_event_id = excluded.history_event_id, position = excluded.position",
            )
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&placed.message_id)
            .bind(&r.conversation_id)
            .bind(&r.ts)
            .bind(now)
            .bind(placed.history.as_ref().map(|h| h.0.as_str()))
            .bind(placed.history.as_ref().map(|h| h.1))
            .execute(&mut *conn)
            .await?;
        }
        if r.opened.is_none() && !r.placed.is_empty() {
            // A platform message in the thread: it stays in catch-up's window.
            sqlx::query(
                "UPDATE thread_parents SET active_at = $1 WHERE team_id = $2 AND channel = $3 \
                 AND thread_ts = (SELECT thread_ts FROM threads WHERE team_id = $2 \
                 AND channel = $3 AND conversation_id = $4)",
            )
            .bind(now)
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.conversation_id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(story) = &r.story {
            sqlx::query(
                "UPDATE threads SET story = $1, updated_at = $2 \
                 WHERE team_id = $3 AND channel = $4 AND conversation_id = $5",
            )
            .bind(story)
            .bind(now)
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.conversation_id)
            .execute(&mut *conn)
            .await?;
        }
        if r.history_imported {
            sqlx::query(
                "UPDATE threads SET history_imported = 1, updated_at = $1 \
                 WHERE team_id = $2 AND channel = $3 AND conversation_id = $4",
            )
            .bind(now)
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.conversation_id)
            .execute(&mut *conn)
            .await?;
        }
        if r.closes {
            sqlx::query(
                "UPDATE threads SET closed = 1, updated_at = $1 WHERE team_id = $2 \
                 AND channel = $3 AND conversation_id = $4 AND closed <> 1",
            )
            .bind(now)
            .bind(&r.team_id)
            .bind(&r.channel)
            .bind(&r.conversation_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
