//! The directory's rows: what Slack last said about each channel, user and user group.

use sqlx::FromRow;

use super::flag::Flag;
use super::{Store, StoreError, now_ms, placeholders};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ChannelRow {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "Flag")]
    pub is_private: bool,
    #[sqlx(try_from = "Flag")]
    pub is_archived: bool,
    #[sqlx(try_from = "Flag")]
    pub is_member: bool,
    pub external_team: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub real_name: Option<String>,
    pub display_name: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub is_bot: bool,
    #[sqlx(try_from = "Flag")]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct GroupRow {
    pub id: String,
    pub handle: String,
    pub name: String,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
}

/// The latest batch sync of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SyncRow {
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub channels: i64,
    pub users: i64,
    pub groups_seen: i64,
    pub error: Option<String>,
}

/// Rows per multi-row statement: SQLite's parameter lookup grows with the square of the
/// parameters, so statements stay at a few hundred.
const CHUNK: usize = 40;

impl Store {
    pub async fn upsert_channels(
        &self,
        team_id: &str,
        rows: &[ChannelRow],
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO directory_channels (team_id, id, name, is_private, is_archived, \
                 is_member, external_team, deleted, updated_at) VALUES {} \
                 ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, \
                 is_private = excluded.is_private, is_archived = excluded.is_archived, \
                 is_member = excluded.is_member, external_team = excluded.external_team, \
                 deleted = excluded.deleted, updated_at = excluded.updated_at",
                placeholders(chunk.len(), 9)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(team_id)
                    .bind(&r.id)
                    .bind(&r.name)
                    .bind(i64::from(r.is_private))
                    .bind(i64::from(r.is_archived))
                    .bind(i64::from(r.is_member))
                    .bind(r.external_team.as_deref())
                    .bind(i64::from(r.deleted))
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn upsert_users(&self, team_id: &str, rows: &[UserRow]) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO directory_users (team_id, id, name, real_name, display_name, \
                 is_bot, deleted, updated_at) VALUES {} \
                 ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, \
                 real_name = excluded.real_name, display_name = excluded.display_name, \
                 is_bot = excluded.is_bot, deleted = excluded.deleted, \
                 updated_at = excluded.updated_at",
                placeholders(chunk.len(), 8)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(team_id)
                    .bind(&r.id)
                    .bind(&r.name)
                    .bind(r.real_name.as_deref())
                    .bind(r.display_name.as_deref())
                    .bind(i64::from(r.is_bot))
                    .bind(i64::from(r.deleted))
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn upsert_groups(&self, team_id: &str, rows: &[GroupRow]) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO directory_groups (team_id, id, handle, name, disabled, updated_at) \
                 VALUES {} ON CONFLICT (team_id, id) DO UPDATE SET handle = excluded.handle, \
                 name = excluded.name, disabled = excluded.disabled, \
                 updated_at = excluded.updated_at",
                placeholders(chunk.len(), 6)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(team_id)
                    .bind(&r.id)
                    .bind(&r.handle)
                    .bind(&r.name)
                    .bind(i64::from(r.disabled))
                    .bind(now);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// After a full sync: a public channel Slack no longer lists was deleted; a private
    /// one may only have lost Herald. Either is kept (not forgotten) so rules naming it
    /// can still say what happened.
    pub async fn mark_unseen_channels(&self, team_id: &str, since: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE directory_channels SET is_member = 0, \
             deleted = CASE WHEN is_private = 1 THEN deleted ELSE 1 END \
             WHERE team_id = $1 AND updated_at < $2 AND deleted = 0 \
             AND (is_private = 0 OR is_member = 1)",
        )
        .bind(team_id)
        .bind(since)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    pub async fn directory_channels(&self, team_id: &str) -> Result<Vec<ChannelRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, is_private, is_archived, is_member, external_team, deleted \
             FROM directory_channels WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn directory_users(&self, team_id: &str) -> Result<Vec<UserRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, real_name, display_name, is_bot, deleted \
             FROM directory_users WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn directory_groups(&self, team_id: &str) -> Result<Vec<GroupRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, handle, name, disabled FROM directory_groups WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn start_sync(&self, team_id: &str, started_at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO directory_syncs (team_id, started_at, finished_at, channels, users, \
             groups_seen, error) VALUES ($1, $2, NULL, 0, 0, 0, NULL) \
             ON CONFLICT (team_id) DO UPDATE SET started_at = excluded.started_at, \
             finished_at = NULL, channels = 0, users = 0, groups_seen = 0, error = NULL",
        )
        .bind(team_id)
        .bind(started_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn record_sync(
        &self,
        team_id: &str,
        counts: (i64, i64, i64),
        finished: bool,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE directory_syncs SET channels = $1, users = $2, groups_seen = $3, \
             finished_at = $4, error = $5 WHERE team_id = $6",
        )
        .bind(counts.0)
        .bind(counts.1)
        .bind(counts.2)
        .bind(finished.then(now_ms))
        .bind(error)
        .bind(team_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn last_sync(&self, team_id: &str) -> Result<Option<SyncRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT started_at, finished_at, channels, users, groups_seen, error \
             FROM directory_syncs WHERE team_id = $1",
        )
        .bind(team_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The people who last saved the rules posting to a channel, for a DM when the
    /// channel stops working.
    pub async fn rule_owners(
        &self,
        team_id: &str,
        channel: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT owner FROM rules WHERE team_id = $1 AND channel = $2 \
             AND owner IS NOT NULL",
        )
        .bind(team_id)
        .bind(channel)
        .fetch_all(self.pool())
        .await?)
    }
}
