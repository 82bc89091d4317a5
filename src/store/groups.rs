//! Groups of like events (`core::group`): which group an event joins, decided in the
//! ingest transaction so two events arriving together cannot both open one, and where
//! a group's parent is in Slack.

use sqlx::AnyConnection;

use super::{Store, StoreError, new_id, now_ms};
use crate::core::router::{GroupMember, RouteGroup};

/// Places an event of a grouped route: into the open group of its rule, channel and
/// `by` values while that group's first event is less than the window old, else into a
/// new group it opens (position 0). One statement, so concurrent ingests serialise on
/// the row: each event gets its own position.
pub async fn join_group(
    conn: &mut AnyConnection,
    team_id: &str,
    channel: &str,
    group: &RouteGroup,
    now: i64,
) -> Result<GroupMember, StoreError> {
    let key = format!("{}:{}", group.rule_id, group.key);
    let opened_after = now - i64::from(group.window_s) * 1000;
    let (group_id, members, started_at): (String, i64, i64) = sqlx::query_as(
        "INSERT INTO rule_groups (team_id, channel, group_key, group_id, started_at, members) \
         VALUES ($1, $2, $3, $4, $5, 1) \
         ON CONFLICT (team_id, channel, group_key) DO UPDATE SET \
         group_id = CASE WHEN rule_groups.started_at > $6 THEN rule_groups.group_id \
                    ELSE excluded.group_id END, \
         members = CASE WHEN rule_groups.started_at > $6 THEN rule_groups.members + 1 ELSE 1 END, \
         started_at = CASE WHEN rule_groups.started_at > $6 THEN rule_groups.started_at \
                      ELSE excluded.started_at END \
         RETURNING group_id, members, started_at",
    )
    .bind(team_id)
    .bind(channel)
    .bind(&key)
    .bind(new_id("grp"))
    .bind(now)
    .bind(opened_after)
    .fetch_one(&mut *conn)
    .await?;
    Ok(GroupMember {
        group_id,
        position: u64::try_from(members - 1).unwrap_or(0),
        started_at,
    })
}

/// Records a group's parent, in the transaction that completes its post.
pub async fn record_group_parent_in(
    conn: &mut AnyConnection,
    team_id: &str,
    channel: &str,
    group_id: &str,
    ts: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO group_parents (group_id, team_id, channel, ts, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(team_id)
    .bind(channel)
    .bind(ts)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The Slack ts of a group's parent, once posted (in its workspace).
    pub async fn group_parent(
        &self,
        team_id: &str,
        group_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT ts FROM group_parents WHERE team_id = $1 AND group_id = $2")
                .bind(team_id)
                .bind(group_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }
}
