//! What catch-up keeps: each thread's checkpoint (how far its replies were read back
//! from Slack) and activity, and the lease that lets one process at a time sweep a
//! workspace (`conversations::catch_up`).

use super::{Store, StoreError, now_ms};

/// A thread catch-up reads: its parent, and where reading resumes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActiveThread {
    pub channel: String,
    pub thread_ts: String,
    /// The newest reply already read from Slack; None: read from the parent on.
    pub caught_up_ts: Option<String>,
    /// When its replies were last read (Unix ms); None: never.
    pub checked_at: Option<i64>,
}

impl Store {
    /// Threads of `team_id` active since `since_ms` whose replies reach the platform,
    /// the least recently checked first (never checked before all).
    pub async fn catch_up_threads(
        &self,
        team_id: &str,
        since_ms: i64,
    ) -> Result<Vec<ActiveThread>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT channel, thread_ts, caught_up_ts, checked_at FROM thread_parents \
             WHERE team_id = $1 AND active_at >= $2 AND replies_off = 0 \
             ORDER BY COALESCE(checked_at, 0), active_at DESC, channel, thread_ts",
        )
        .bind(team_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records that the thread's replies were read up to `caught_up_ts` (never moving
    /// it back), now.
    pub async fn catch_up_checkpoint(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
        caught_up_ts: Option<&str>,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        // Slack's ts are fixed-width seconds.micros, so text order is time order; with
        // no ts, both arms keep the checkpoint as it is.
        sqlx::query(
            "UPDATE thread_parents SET checked_at = $1, caught_up_ts = CASE \
             WHEN caught_up_ts IS NULL OR caught_up_ts < $2 THEN COALESCE($2, caught_up_ts) \
             ELSE caught_up_ts END \
             WHERE team_id = $3 AND channel = $4 AND thread_ts = $5",
        )
        .bind(now_ms())
        .bind(caught_up_ts)
        .bind(team_id)
        .bind(channel)
        .bind(thread_ts)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A person's reply was seen in the thread: it stays in catch-up's window.
    pub async fn thread_active(
        &self,
        team_id: &str,
        channel: &str,
        thread_ts: &str,
    ) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        sqlx::query(
            "UPDATE thread_parents SET active_at = $1 \
             WHERE team_id = $2 AND channel = $3 AND thread_ts = $4",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(channel)
        .bind(thread_ts)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes (or renews) the workspace's sweep lease for `owner` until `until_ms`: true
    /// when this owner holds it now, false when another process's lease still runs.
    pub async fn lease_catch_up(
        &self,
        team_id: &str,
        owner: &str,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let _gate = self.write_gate().await;
        let n = sqlx::query(
            "INSERT INTO catch_up_leases (team_id, owner, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (team_id) DO UPDATE SET owner = excluded.owner, \
             lease_until = excluded.lease_until \
             WHERE catch_up_leases.owner = excluded.owner OR catch_up_leases.lease_until < $4",
        )
        .bind(team_id)
        .bind(owner)
        .bind(until_ms)
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Ends `owner`'s sweep: the lease is free and the sweep's end recorded.
    pub async fn finish_catch_up(&self, team_id: &str, owner: &str) -> Result<(), StoreError> {
        let _gate = self.write_gate().await;
        sqlx::query(
            "UPDATE catch_up_leases SET lease_until = 0, finished_at = $1 \
             WHERE team_id = $2 AND owner = $3",
        )
        .bind(now_ms())
        .bind(team_id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_checkpoint_only_moves_forward_and_no_ts_only_marks_the_thread_read() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("catch_up.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        sqlx::query(
            "INSERT INTO thread_parents (team_id, channel, thread_ts, conversation_id, \
             created_at, active_at) VALUES ('T1', 'C1', '100.000001', 'chat_1', $1, $1)",
        )
        .bind(now_ms())
        .execute(store.pool())
        .await
        .unwrap();
        let read = || async {
            let threads = store.catch_up_threads("T1", 0).await.unwrap();
            (
                threads[0].caught_up_ts.clone(),
                threads[0].checked_at.is_some(),
            )
        };
        assert_eq!(read().await, (None, false));
        store
            .catch_up_checkpoint("T1", "C1", "100.000001", None)
            .await
            .unwrap();
        assert_eq!(read().await, (None, true), "read, nothing newer");
        for (ts, expected) in [
            (Some("105.000001"), "105.000001"),
            (Some("103.000001"), "105.000001"),
            (None, "105.000001"),
            (Some("110.000002"), "110.000002"),
        ] {
            store
                .catch_up_checkpoint("T1", "C1", "100.000001", ts)
                .await
                .unwrap();
            assert_eq!(
                read().await,
                (Some(expected.to_string()), true),
                "after {ts:?}"
            );
        }
    }
}
