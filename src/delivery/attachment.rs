//! The `slack.attachment` job: a file a platform message carries, downloaded (with the
//! callback address rules and the size cap, `platform::download`) and uploaded into the
//! conversation's thread with Slack's upload flow. One job per file, queued in the
//! transaction that records the message's post, so a file is never forgotten.
//!
//! A file Herald cannot fetch (refused address, too large, the platform answers 4xx, or
//! the download keeps failing until the retries run out), or that Slack refuses, is shown
//! in the thread as a link with the reason, so nobody thinks it never came.
//!
//! Posted once: an attempt that may have shared the file (its answer was lost) first
//! looks in the thread for Herald's message with a file of that name since the job was
//! first claimed.

use serde::{Deserialize, Serialize};

use crate::core::event::Attachment;
use crate::core::render::{self, Message};
use crate::jobs::{Attempt, Enqueue, Job, JobError, Outcome, Queued, RunAt, WriteFuture, Writes};
use crate::slack::SlackError;
use crate::store::JobStatus;
use crate::workspace::Workspace;

use super::Delivery;
use super::outcome::{Decision, decide, own_post_outcome};

/// One file to put in a thread.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlackAttachment {
    pub channel: String,
    pub thread_ts: String,
    /// Its place among the message's files (what makes two of them two jobs).
    pub index: usize,
    pub attachment: Attachment,
}

impl Job for SlackAttachment {
    const KIND: &'static str = "slack.attachment";
    type Ctx = Delivery;

    fn dedupe_key(&self, event_id: &str) -> Option<String> {
        Some(format!("{event_id}:{}:{}", self.channel, self.index))
    }

    fn channel(&self) -> Option<&str> {
        Some(self.channel.as_str())
    }

    async fn run(&self, cx: &Delivery, attempt: &Attempt) -> Result<Outcome, JobError> {
        cx.attach(attempt, self).await
    }

    /// The download kept failing: the file is shown as a link with the last reason.
    async fn exhausted(
        &self,
        cx: &Delivery,
        attempt: &Attempt,
        reason: String,
    ) -> Result<Outcome, JobError> {
        let Some(workspace) = cx.registry.workspace(&attempt.team_id).await? else {
            return Ok(Outcome::fail(JobStatus::Dead, reason));
        };
        Ok(cx.show_as_link(attempt, &workspace, self, &reason).await)
    }
}

/// Queues a message's files in the transaction that records its post.
pub(super) struct QueueFiles(pub Vec<Queued>);

impl QueueFiles {
    /// The jobs for `attachments` of the event `event_id`, posted in `thread_ts`.
    pub fn of(
        attempt: &Attempt,
        channel: &str,
        thread_ts: &str,
        attachments: &[Attachment],
    ) -> Result<Option<Self>, JobError> {
        if attachments.is_empty() {
            return Ok(None);
        }
        let on = Enqueue {
            team_id: &attempt.team_id,
            event_id: &attempt.event_id,
            internal: false,
            thread_key: None,
            run_at: RunAt::Now,
        };
        let jobs = attachments
            .iter()
            .enumerate()
            .map(|(index, a)| {
                let job = SlackAttachment {
                    channel: channel.to_string(),
                    thread_ts: thread_ts.to_string(),
                    index,
                    attachment: a.clone(),
                };
                Queued::new(&job, &on)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Self(jobs)))
    }
}

impl Writes for QueueFiles {
    fn write<'a>(&'a self, conn: &'a mut sqlx::AnyConnection) -> WriteFuture<'a> {
        Box::pin(async move { Ok(crate::jobs::enqueue_all(conn, &self.0).await? > 0) })
    }
}

/// The thread's note for a file that could not be attached.
fn link_message(a: &Attachment, reason: &str, lang: crate::core::catalog::Lang) -> Message {
    let name = render::escape(&a.name);
    // A link only to a web address; the name alone otherwise.
    let shown = if a.url.starts_with("https://") {
        format!("<{}|{name}>", a.url.replace('|', "%7C").replace('>', "%3E"))
    } else {
        name
    };
    let text = format!(
        ":paperclip: {shown} {} {}",
        lang.pick("を添付できませんでした:", "could not be attached:"),
        render::escape(reason)
    );
    Message {
        text: render::cut(&text, 3000),
        blocks: vec![
            serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": render::cut(&text, 3000)}}),
        ],
    }
}

impl Delivery {
    async fn attach(&self, attempt: &Attempt, job: &SlackAttachment) -> Result<Outcome, JobError> {
        let Some(workspace) = self.registry.workspace(&attempt.team_id).await? else {
            return Ok(Outcome::fail(JobStatus::Failed, "workspace not connected"));
        };
        let token = workspace.bot_token.expose();
        let a = &job.attachment;
        if attempt.maybe_posted {
            match self.shared_before(attempt, token, job).await {
                Ok(true) => return Ok(Outcome::done(None)),
                Ok(false) => {}
                Err(err) => return Ok(own_post_outcome(&err, &job.channel, false)),
            }
        }
        let max = self.settings.attachment_max_bytes;
        if a.size.is_some_and(|n| n > max) {
            let reason = format!("larger than {max} bytes");
            return Ok(self.show_as_link(attempt, &workspace, job, &reason).await);
        }
        let file = match self.platform.download(&a.url, max).await {
            Ok(file) => file,
            Err(err) if err.is_transient() => {
                return Ok(Outcome::Retry {
                    reason: format!("the file {err}"),
                    maybe_posted: false,
                });
            }
            Err(err) => {
                let reason = format!("the file {err}");
                return Ok(self.show_as_link(attempt, &workspace, job, &reason).await);
            }
        };
        let content_type = a
            .mimetype
            .clone()
            .or(file.content_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        let uploaded = match self
            .slack
            .upload_file(token, &a.name, &a.name, file.bytes, &content_type)
            .await
        {
            Ok(uploaded) => uploaded,
            Err(err) => {
                return Ok(self
                    .after_upload_error(attempt, &workspace, job, &err, false)
                    .await);
            }
        };
        match self
            .slack
            .share_files(token, &[uploaded], &job.channel, "", Some(&job.thread_ts))
            .await
        {
            Ok(()) => {
                tracing::info!(
                    channel = job.channel,
                    "a platform file was attached in the thread"
                );
                Ok(Outcome::done(None))
            }
            Err(err) => Ok(self
                .after_upload_error(attempt, &workspace, job, &err, true)
                .await),
        }
    }

    /// Whether Herald's message with this file is in the thread already (an earlier
    /// attempt shared it and its answer was lost).
    async fn shared_before(
        &self,
        attempt: &Attempt,
        token: &str,
        job: &SlackAttachment,
    ) -> Result<bool, SlackError> {
        let since = attempt.first_claimed_at.unwrap_or(0) - super::RECOVERY_MARGIN_MS;
        let after = format!(
            "{}.{:06}",
            since.max(0) / 1000,
            (since.max(0) % 1000) * 1000
        );
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let (page, next) = self
                .slack
                .thread_replies(
                    token,
                    &job.channel,
                    &job.thread_ts,
                    Some(&after),
                    200,
                    cursor.as_deref(),
                )
                .await?;
            let found = page.iter().any(|m| {
                m.get("bot_id").is_some_and(|b| !b.is_null())
                    && m["files"].as_array().is_some_and(|files| {
                        files
                            .iter()
                            .any(|f| f["name"] == job.attachment.name.as_str())
                    })
            });
            if found {
                return Ok(true);
            }
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(false),
            }
        }
        Ok(false)
    }

    /// A Slack error of the upload: waited out, retried, or the file shown as a link
    /// with Slack's reason.
    async fn after_upload_error(
        &self,
        attempt: &Attempt,
        workspace: &Workspace,
        job: &SlackAttachment,
        err: &SlackError,
        may_have_posted: bool,
    ) -> Outcome {
        match decide(err, &job.channel) {
            Decision::Fail(p) => {
                let reason = format!("Slack refused it ({})", p.code);
                self.show_as_link(attempt, workspace, job, &reason).await
            }
            _ => own_post_outcome(err, &job.channel, may_have_posted),
        }
    }

    /// Posts the file as a link with `reason` in the thread; the job ends with it.
    async fn show_as_link(
        &self,
        attempt: &Attempt,
        workspace: &Workspace,
        job: &SlackAttachment,
        reason: &str,
    ) -> Outcome {
        tracing::warn!(
            channel = job.channel,
            reason,
            "a platform file is shown as a link"
        );
        let lang = self.states.lang(workspace).await;
        let message = link_message(&job.attachment, reason, lang);
        match self
            .post_once(
                attempt,
                workspace.bot_token.expose(),
                &job.channel,
                &message,
                1,
                Some(&job.thread_ts),
                false,
            )
            .await
        {
            Ok(ts) => Outcome::done(Some(ts)),
            Err(err) => own_post_outcome(&err, &job.channel, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Lang;

    #[test]
    fn a_file_that_could_not_come_is_a_link_with_the_reason_that_cannot_ping() {
        let a = Attachment {
            name: "scan <!channel>.pdf".into(),
            url: "https://files.example/a|b>c".into(),
            mimetype: None,
            size: None,
        };
        let m = link_message(&a, "was answered with HTTP 404", Lang::En);
        assert!(
            m.text
                .contains("<https://files.example/a%7Cb%3Ec|scan &lt;!channel&gt;.pdf>"),
            "{}",
            m.text
        );
        assert!(
            m.text
                .contains("could not be attached: was answered with HTTP 404")
        );
        let plain = Attachment {
            url: "http://127.0.0.1/x".into(),
            ..a
        };
        assert!(
            !link_message(&plain, "r", Lang::Ja).text.contains("<http"),
            "no link to plain http"
        );
    }
}
