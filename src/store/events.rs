//! The inbox of platform events.

use sqlx::{AnyConnection, FromRow};

use super::{Store, StoreError};

pub struct NewEvent<'a> {
    pub id: &'a str,
    pub team_id: &'a str,
    pub connection_id: &'a str,
    pub webhook_id: &'a str,
    pub event_type: &'a str,
    pub body: &'a str,
    pub route_count: i64,
    pub received_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRecord {
    pub id: String,
    pub team_id: String,
    pub connection_id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub route_count: i64,
    pub received_at: i64,
}

/// Columns of one `events` row, for the multi-row insert.
const EVENT_COLUMNS: usize = 8;
/// Rows per statement. SQLite looks bound parameters up by name in a list, so a
/// statement's binding cost grows with the square of its parameters: keep them to a
/// few hundred (profiled: with 2,800 parameters, 15% of ingest time went to the lookup).
const CHUNK: usize = 48;

/// Inserts many events in one statement per chunk, skipping known webhook ids; returns
/// the ids of the rows actually inserted. Group commit makes this the ingest hot path.
pub async fn insert_events(
    conn: &mut AnyConnection,
    events: &[NewEvent<'_>],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut inserted = std::collections::HashSet::with_capacity(events.len());
    // Built once per row count: a `&'static str` is neither formatted nor copied per
    // batch, and each connection's statement cache keeps its prepared form.
    static SQL: [std::sync::OnceLock<String>; CHUNK] =
        [const { std::sync::OnceLock::new() }; CHUNK];
    for chunk in events.chunks(CHUNK) {
        let sql: &'static str = SQL[chunk.len() - 1].get_or_init(|| {
            format!(
                "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
                 route_count, received_at) VALUES {} \
                 ON CONFLICT (connection_id, webhook_id) DO NOTHING RETURNING id",
                super::placeholders(chunk.len(), EVENT_COLUMNS)
            )
        });
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            query = query
                .bind(e.id)
                .bind(e.team_id)
                .bind(e.connection_id)
                .bind(e.webhook_id)
                .bind(e.event_type)
                .bind(e.body)
                .bind(e.route_count)
                .bind(e.received_at);
        }
        inserted.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(inserted)
}

/// The event already stored under a webhook id, with its route count.
pub async fn find_by_webhook_id(
    conn: &mut AnyConnection,
    connection_id: &str,
    webhook_id: &str,
) -> Result<(String, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, route_count FROM events WHERE connection_id = $1 AND webhook_id = $2",
    )
    .bind(connection_id)
    .bind(webhook_id)
    .fetch_one(&mut *conn)
    .await?)
}

impl Store {
    pub async fn event(&self, team_id: &str, id: &str) -> Result<Option<EventRecord>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM events WHERE team_id = $1 AND id = $2")
                .bind(team_id)
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The body and arrival time (Unix ms) of the newest event of a type that a
    /// platform sent (not Herald's own reports or test sends): what a rule's preview and
    /// test are drawn from.
    pub async fn latest_event_body(
        &self,
        team_id: &str,
        event_type: &str,
        herald_connection: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT body, received_at FROM events WHERE team_id = $1 AND event_type = $2 \
             AND connection_id <> $3 ORDER BY received_at DESC LIMIT 1",
        )
        .bind(team_id)
        .bind(event_type)
        .bind(herald_connection)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Bodies of the workspace's latest platform events, newest first: where the rule
    /// modal finds the meeting types the platform uses.
    pub async fn recent_event_bodies(
        &self,
        team_id: &str,
        herald_connection: &str,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT body FROM events WHERE team_id = $1 AND connection_id <> $2 \
             ORDER BY received_at DESC LIMIT $3",
        )
        .bind(team_id)
        .bind(herald_connection)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The workspace's events an admin named: by Herald's event id, else by the
    /// platform's `webhook-id` on one of `connections` (the unique index of the inbox
    /// is (connection, webhook-id), so naming the connections keeps this an index
    /// lookup over a year of events). Newest first.
    pub async fn events_by_reference(
        &self,
        team_id: &str,
        reference: &str,
        connections: &[String],
    ) -> Result<Vec<EventRecord>, StoreError> {
        if let Some(event) = self.event(team_id, reference).await? {
            return Ok(vec![event]);
        }
        let mut found = Vec::new();
        for connection in connections {
            let row: Option<EventRecord> = sqlx::query_as(
                "SELECT * FROM events WHERE connection_id = $1 AND webhook_id = $2 \
                 AND team_id = $3",
            )
            .bind(connection)
            .bind(reference)
            .bind(team_id)
            .fetch_optional(self.pool())
            .await?;
            found.extend(row);
        }
        found.sort_by_key(|e| std::cmp::Reverse(e.received_at));
        Ok(found)
    }

    /// The platform's events no rule took since `since_ms`, newest first, at most
    /// `limit`: (event type, body, received at).
    pub async fn unrouted_events(
        &self,
        team_id: &str,
        since_ms: i64,
        herald_connection: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT event_type, body, received_at FROM events WHERE team_id = $1 \
             AND route_count = 0 AND received_at >= $2 AND connection_id <> $3 \
             ORDER BY received_at DESC LIMIT $4",
        )
        .bind(team_id)
        .bind(since_ms)
        .bind(herald_connection)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn count_events(&self, team_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE team_id = $1")
                .bind(team_id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
