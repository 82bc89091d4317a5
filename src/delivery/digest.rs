//! The `slack.digest` job: at the opening of a rule's business hours, one message per
//! channel listing the notifications kept while they were closed (`core::hours`), in
//! the order they came, pinging the rules' people once; "+N more" past the parent's
//! lines, with every one of them in the thread under it (`core::render::digest`).
//!
//! Each part is posted once (`post_once` finds a part an interrupted attempt posted, by
//! the job id and part in its metadata). The kept jobs end in the transaction that ends
//! the digest: done with its ts, or failed with its reason (and then on App Home with
//! Resend). Items kept while it was posting are left for a further digest, queued in
//! that same transaction, so none is lost.

use crate::core::event::{Origin, PlatformEvent};
use crate::core::hours;
use crate::core::render::digest as render;
use crate::core::router::Route;
use crate::ingest::Digest;
use crate::jobs::{
    AllOf, Attempt, Enqueue, Job, JobError, Outcome, RunAt, WriteFuture, Writes, enqueue,
};
use crate::store::{DigestEnd, DigestEntry, JobStatus, end_digest_items_in, now_ms};

use super::{Delivery, Permanent};

impl Job for Digest {
    const KIND: &'static str = "slack.digest";
    type Ctx = Delivery;

    /// One digest per workspace, channel and opening (and round).
    fn dedupe_key(&self, _event_id: &str) -> Option<String> {
        Some(format!(
            "{}:{}:{}:{}",
            self.team_id, self.channel, self.opens_at, self.round
        ))
    }

    fn channel(&self) -> Option<&str> {
        Some(self.channel.as_str())
    }

    async fn run(&self, cx: &Delivery, attempt: &Attempt) -> Result<Outcome, JobError> {
        cx.digest(attempt, self).await
    }

    /// Dead, and so are the notifications it was to list (each then has Resend).
    async fn exhausted(
        &self,
        cx: &Delivery,
        attempt: &Attempt,
        reason: String,
    ) -> Result<Outcome, JobError> {
        let entries = cx
            .store
            .digest_entries(&attempt.team_id, self.channel.as_str(), self.opens_at)
            .await?;
        let route = digest_route(self, &entries);
        let p = Permanent {
            code: "retries_exhausted".into(),
            channel: self.channel.as_str().into(),
        };
        let detail = format!("{reason} after {} attempts", attempt.attempts);
        let ended = cx
            .fail(attempt, &route, JobStatus::Dead, &p, Some(&detail))
            .await?;
        Ok(with_items(ended, self, &entries))
    }
}

/// The route the digest posts along: its channel, and the mentions and backups of every
/// kept notification, each once.
fn digest_route(digest: &Digest, entries: &[DigestEntry]) -> Route {
    let mut route = Route {
        channel: digest.channel.clone(),
        mentions: Vec::new(),
        rule_ids: Vec::new(),
        host: None,
        backups: Vec::new(),
        lifecycle: Default::default(),
        template: None,
        group: None,
        opening: Default::default(),
        digest: None,
        replies: Default::default(),
    };
    for entry in entries {
        let Ok(kept) = serde_json::from_str::<Route>(&entry.payload) else {
            continue;
        };
        for m in kept.mentions {
            if !route.mentions.contains(&m) {
                route.mentions.push(m);
            }
        }
        for b in kept.backups {
            if !route.backups.contains(&b) {
                route.backups.push(b);
            }
        }
        for r in kept.rule_ids {
            if !route.rule_ids.contains(&r) {
                route.rule_ids.push(r);
            }
        }
    }
    route
}

/// Adds the ending of the kept notifications to the digest's own end.
fn with_items(outcome: Outcome, digest: &Digest, entries: &[DigestEntry]) -> Outcome {
    let ids: Vec<String> = entries.iter().map(|e| e.job_id.clone()).collect();
    match outcome {
        Outcome::Done { ts, then } => {
            let items = Box::new(Items {
                digest: digest.clone(),
                ids,
                end: ItemsEnd::Posted(ts.clone().unwrap_or_default()),
            });
            Outcome::Done {
                ts,
                then: Some(join(then, items)),
            }
        }
        Outcome::Fail {
            status,
            reason,
            then,
        } => {
            let items = Box::new(Items {
                digest: digest.clone(),
                ids,
                end: ItemsEnd::Failed(status, format!("digest: {reason}")),
            });
            Outcome::Fail {
                status,
                reason,
                then: Some(join(then, items)),
            }
        }
        other => other,
    }
}

fn join(first: Option<Box<dyn Writes>>, then: Box<dyn Writes>) -> Box<dyn Writes> {
    match first {
        Some(first) => Box::new(AllOf(vec![first, then])),
        None => then,
    }
}

enum ItemsEnd {
    Posted(String),
    Failed(JobStatus, String),
}

/// The kept notifications' end, and a further digest for any kept meanwhile.
struct Items {
    digest: Digest,
    ids: Vec<String>,
    end: ItemsEnd,
}

impl Writes for Items {
    fn write<'a>(&'a self, conn: &'a mut sqlx::AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move {
            let end = match &self.end {
                ItemsEnd::Posted(ts) => DigestEnd::Posted { ts },
                ItemsEnd::Failed(status, reason) => DigestEnd::Failed {
                    status: *status,
                    reason,
                },
            };
            let d = &self.digest;
            let left = end_digest_items_in(
                conn,
                &d.team_id,
                (d.channel.as_str(), d.opens_at),
                &self.ids,
                &end,
            )
            .await?;
            if left == 0 {
                return Ok(false);
            }
            let next = Digest {
                round: d.round + 1,
                ..d.clone()
            };
            let first_event = self.ids.first().map_or("", String::as_str);
            let due = Enqueue {
                team_id: &d.team_id,
                event_id: first_event,
                internal: false,
                thread_key: None,
                run_at: RunAt::Now,
            };
            tracing::info!(
                left,
                round = next.round,
                "notifications kept while the digest posted get one more"
            );
            Ok(enqueue(conn, &next, &due).await?.is_some())
        })
    }
}

impl Delivery {
    async fn digest(&self, job: &Attempt, digest: &Digest) -> Result<Outcome, JobError> {
        let entries = self
            .store
            .digest_entries(&job.team_id, digest.channel.as_str(), digest.opens_at)
            .await?;
        if entries.is_empty() {
            // Every item was ended already (a disconnect, or an earlier round).
            return Ok(Outcome::done(None));
        }
        let mut route = digest_route(digest, &entries);
        self.cover_away(job, &mut route).await?;
        let workspace = match self.preflight(job, &mut route).await? {
            Ok(workspace) => workspace,
            Err(ended) => return Ok(with_items(ended, digest, &entries)),
        };
        let lang = self.states.lang(&workspace).await;
        let lines: Vec<String> = entries
            .iter()
            .map(
                |e| match PlatformEvent::parse_from(e.body.as_bytes(), Origin::Herald) {
                    Ok(event) => render::line(&event, lang),
                    Err(_) => format!("• {}", e.event_id),
                },
            )
            .collect();
        let opened = hours::at_local(&digest.tz, digest.opens_at, now_ms());
        let (parent, thread) = render::digest(&lines, &route.mentions, &opened, lang);
        let token = workspace.bot_token.expose();
        let channel = route.channel.as_str();
        if let Some(deferred) = self.wait_turn(job, channel).await {
            return Ok(deferred);
        }
        let ts = match self
            .post_once(job, token, channel, &parent, 0, None, false)
            .await
        {
            Ok(ts) => ts,
            Err(err) => {
                let ended = self.after_error(job, &route, &err, true).await?;
                return Ok(with_items(ended, digest, &entries));
            }
        };
        for (i, part) in thread.iter().enumerate() {
            let part_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if let Err(err) = self
                .post_once(job, token, channel, part, part_no, Some(&ts), false)
                .await
            {
                let ended = self.after_error(job, &route, &err, true).await?;
                return Ok(with_items(ended, digest, &entries));
            }
        }
        tracing::info!(%ts, kept = entries.len(), "digest posted");
        Ok(with_items(
            Outcome::Done {
                ts: Some(ts),
                then: None,
            },
            digest,
            &entries,
        ))
    }
}
