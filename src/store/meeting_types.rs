//! Meeting types seen per workspace: written when an event is accepted, read by the
//! rule modal's picker (a few rows, never event bodies).

use super::{Store, StoreError, now_ms};

impl Store {
    /// Records that the workspace's platform uses this meeting type (and its name).
    pub async fn saw_meeting_type(
        &self,
        team_id: &str,
        id: &str,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meeting_types (team_id, id, name, last_seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, \
             last_seen_at = excluded.last_seen_at",
        )
        .bind(team_id)
        .bind(id)
        .bind(name)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The most recently seen meeting types: (id, name), newest first.
    pub async fn meeting_types(
        &self,
        team_id: &str,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name FROM meeting_types WHERE team_id = $1 \
             ORDER BY last_seen_at DESC, id LIMIT $2",
        )
        .bind(team_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
