//! Retention: events, delivery outcomes and the audit log are kept for a year (the error
//! log is exportable for a year), Slack event receipts for a day; then they are deleted,
//! along with conversations (threads and their message maps) nobody touched for a year
//! and held replies nobody claimed in that time. This is the one cross-workspace
//! maintenance query; it never reads tenant data, only ages.
//!
//! Why batches: one transaction over a year of rows holds SQLite's write lock for as long
//! as it runs (every webhook waits behind it) and bloats PostgreSQL's. Each batch is one
//! statement deleting at most [`BATCH`] rows by primary key, committed on its own, so
//! writers get the lock between batches. Every candidate query runs on an index
//! (migration `20261201000300_retention_indexes.sql`), and "does this event still have
//! a job" is asked with the job's `team_id`, so it is a lookup on `jobs_team_event`
//! rather than a scan of the queue per event (which made the purge quadratic).

use super::{Store, StoreError};

/// Rows deleted per statement (and so per transaction).
pub const BATCH: i64 = 1000;

/// What a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Finished jobs (done, failed, dead).
    pub jobs: u64,
    /// Replies held for their author to claim an operator, never claimed.
    pub held_callbacks: u64,
    pub events: u64,
    pub receipts: u64,
    pub threads: u64,
    pub thread_messages: u64,
    pub thread_parents: u64,
    /// Grouped posts' parents and open groups (rule `group`) past the period.
    pub groups: u64,
    /// Digest items (rule `hours`) whose kept job no longer waits (a disconnect ended it).
    pub digest_items: u64,
    pub audit: u64,
}

/// Finished jobs past retention.
pub(super) const JOBS: &str = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
     WHERE status IN ('done', 'failed', 'dead') AND updated_at < $1 LIMIT $2)";

/// Held callbacks not touched for the period (nobody claimed an operator for them).
pub(super) const HELD_CALLBACKS: &str = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
     WHERE status = 'held' AND updated_at < $1 LIMIT $2)";

/// Conversations untouched for the period with no job left (a job of the conversation
/// that is pending, running or younger than the period keeps it).
const THREADS: &str = "DELETE FROM threads WHERE (team_id, channel, conversation_id) IN \
     (SELECT t.team_id, t.channel, t.conversation_id FROM threads t \
      WHERE t.updated_at < $1 AND NOT EXISTS (SELECT 1 FROM jobs j \
        WHERE j.team_id = t.team_id AND j.channel = t.channel \
        AND j.thread_key = t.conversation_id) LIMIT $2)";

/// Message maps of conversations whose thread is gone.
const THREAD_MESSAGES: &str = "DELETE FROM thread_messages \
     WHERE (team_id, channel, message_id) IN \
     (SELECT m.team_id, m.channel, m.message_id FROM thread_messages m \
      WHERE m.created_at < $1 AND NOT EXISTS (SELECT 1 FROM threads t \
        WHERE t.team_id = m.team_id AND t.channel = m.channel \
        AND t.conversation_id = m.conversation_id) LIMIT $2)";

/// Earlier parents of conversations whose thread is gone.
const THREAD_PARENTS: &str = "DELETE FROM thread_parents \
     WHERE (team_id, channel, thread_ts) IN \
     (SELECT p.team_id, p.channel, p.thread_ts FROM thread_parents p \
      WHERE p.created_at < $1 AND NOT EXISTS (SELECT 1 FROM threads t \
        WHERE t.team_id = p.team_id AND t.channel = p.channel \
        AND t.conversation_id = p.conversation_id) LIMIT $2)";

/// Parents of groups past retention whose jobs are all gone (a job of the group that is
/// pending, running or younger than the period keeps it).
const GROUP_PARENTS: &str = "DELETE FROM group_parents WHERE group_id IN \
     (SELECT g.group_id FROM group_parents g WHERE g.created_at < $1 \
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.team_id = g.team_id \
        AND j.channel = g.channel AND j.thread_key = g.group_id) LIMIT $2)";

/// Open groups whose first event is past retention: no window is that long, so no event
/// can join them any more.
const RULE_GROUPS: &str = "DELETE FROM rule_groups WHERE (team_id, channel, group_key) IN \
     (SELECT team_id, channel, group_key FROM rule_groups WHERE started_at < $1 LIMIT $2)";

/// Digest items past retention whose job no longer waits for its digest: a digest ends
/// its own items, so these are left by jobs a disconnect stopped.
const DIGEST_ITEMS: &str = "DELETE FROM digest_items WHERE job_id IN \
     (SELECT d.job_id FROM digest_items d WHERE d.created_at < $1 \
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = d.job_id AND j.status = 'held') \
      LIMIT $2)";

/// Events past retention that no job, no thread (as its parent message) and no history
/// chunk (redrawn from it when one of its messages is edited) still needs.
const EVENTS: &str = "DELETE FROM events WHERE id IN (SELECT e.id FROM events e \
     WHERE e.received_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.team_id = e.team_id AND j.event_id = e.id) \
     AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.team_id = e.team_id \
       AND t.parent_event_id = e.id) \
     AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.team_id = e.team_id \
       AND m.history_event_id = e.id) LIMIT $2)";

const RECEIPTS: &str = "DELETE FROM slack_event_receipts WHERE (team_id, event_id) IN \
     (SELECT team_id, event_id FROM slack_event_receipts WHERE received_at < $1 LIMIT $2)";

const AUDIT: &str = "DELETE FROM audit_log WHERE id IN \
     (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)";

impl Store {
    /// Deletes, in batches, finished jobs, never-claimed held replies, untouched
    /// conversations, events no job or thread needs and audit entries older than
    /// `before_ms`, and Slack event receipts older than `receipts_before_ms`. Pending and
    /// running work is never deleted, nor anything it refers to.
    pub async fn purge(
        &self,
        before_ms: i64,
        receipts_before_ms: i64,
    ) -> Result<Purged, StoreError> {
        // Jobs first: an event or a thread is kept while a job refers to it.
        let jobs = self.purge_batches(JOBS, before_ms).await?;
        let held_callbacks = self.purge_batches(HELD_CALLBACKS, before_ms).await?;
        let threads = self.purge_batches(THREADS, before_ms).await?;
        let thread_messages = self.purge_batches(THREAD_MESSAGES, before_ms).await?;
        let thread_parents = self.purge_batches(THREAD_PARENTS, before_ms).await?;
        let groups = self.purge_batches(GROUP_PARENTS, before_ms).await?
            + self.purge_batches(RULE_GROUPS, before_ms).await?;
        let digest_items = self.purge_batches(DIGEST_ITEMS, before_ms).await?;
        let events = self.purge_batches(EVENTS, before_ms).await?;
        let receipts = self.purge_batches(RECEIPTS, receipts_before_ms).await?;
        let audit = self.purge_batches(AUDIT, before_ms).await?;
        Ok(Purged {
            jobs,
            held_callbacks,
            events,
            receipts,
            threads,
            thread_messages,
            thread_parents,
            groups,
            digest_items,
            audit,
        })
    }

    /// Runs one of the statements above until a batch deletes fewer than [`BATCH`] rows.
    async fn purge_batches(&self, sql: &'static str, before_ms: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let query = sqlx::query(sql).bind(before_ms).bind(BATCH);
            let n = query.execute(self.pool()).await?.rows_affected();
            total += n;
            if n < BATCH.unsigned_abs() {
                return Ok(total);
            }
            // Let webhooks and workers in between batches.
            tokio::task::yield_now().await;
        }
    }
}
