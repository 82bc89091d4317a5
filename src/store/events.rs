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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The webhook id was seen before on this connection: the first event's id and routes.
    Duplicate {
        event_id: String,
        routes: i64,
    },
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

impl NewEvent<'_> {
    /// Inserts unless the webhook id is known; a repeat changes nothing.
    pub async fn insert(&self, conn: &mut AnyConnection) -> Result<InsertOutcome, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO events (id, team_id, connection_id, webhook_id, event_type, body, \
             route_count, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (connection_id, webhook_id) DO NOTHING",
        )
        .bind(self.id)
        .bind(self.team_id)
        .bind(self.connection_id)
        .bind(self.webhook_id)
        .bind(self.event_type)
        .bind(self.body)
        .bind(self.route_count)
        .bind(self.received_at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(InsertOutcome::Inserted);
        }
        let (event_id, routes): (String, i64) = sqlx::query_as(
            "SELECT id, route_count FROM events WHERE connection_id = $1 AND webhook_id = $2",
        )
        .bind(self.connection_id)
        .bind(self.webhook_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(InsertOutcome::Duplicate { event_id, routes })
    }
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

    pub async fn count_events(&self, team_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE team_id = $1")
                .bind(team_id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
