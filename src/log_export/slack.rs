//! `/herald log` after its first answer: the CSV uploaded to the requester's DM with
//! Slack's upload flow (an upload URL per file, the bytes, then one message sharing
//! every part), its progress shown in place of the command's answer.
//!
//! A command's `response_url` takes 5 posts: at most [`PROGRESS_POSTS`] go to progress,
//! a few seconds apart, and one is left for the outcome, which says plainly when the
//! files did not arrive.

use std::time::{Duration, Instant};

use slack_morphism::prelude::SlackResponseUrl;

use crate::slack::SlackApi;
use crate::slack::api::UploadedFile;
use crate::store::Store;

use super::parts::{Part, Parts};
use super::rows::iso_time;
use super::{ExportError, LogReader, Request, header, texts};

/// Progress posts at most (of the `response_url`'s 5, the outcome needs one).
const PROGRESS_POSTS: usize = 3;
/// The least time between two progress posts.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What an export to Slack needs.
#[derive(Clone)]
pub struct LogExportCtx {
    pub store: Store,
    pub slack: SlackApi,
    /// The largest file uploaded; a bigger log is split.
    pub part_bytes: usize,
}

/// Who asked, and where they are answered.
#[derive(Debug, Clone)]
pub struct Requester {
    pub bot_token: String,
    pub user: String,
    pub response_url: SlackResponseUrl,
    /// The days asked for (for the texts).
    pub days: u32,
}

/// What reached the DM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub rows: usize,
    pub files: usize,
}

/// Exports `request` to the requester's DM and says how it went in place of the
/// command's answer. Runs in the background: every failure ends here, told and logged.
#[tracing::instrument(skip_all, fields(team_id = %request.team_id, user = %who.user))]
pub async fn export_to_dm(cx: &LogExportCtx, who: &Requester, request: &Request) {
    let lang = request.style.lang;
    let text = match send(cx, who, request).await {
        Ok(sent) => {
            tracing::info!(rows = sent.rows, files = sent.files, "error log sent");
            texts::sent(lang, sent.rows, sent.files)
        }
        Err(err) => {
            tracing::warn!(error = %err, "error log not sent");
            texts::failed(lang).to_string()
        }
    };
    if let Err(err) = cx.slack.respond_with(&who.response_url, text, true).await {
        tracing::warn!(error = %err, "could not answer /herald log");
    }
}

async fn send(cx: &LogExportCtx, who: &Requester, request: &Request) -> Result<Sent, ExportError> {
    let token = who.bot_token.as_str();
    // The DM first: without it nothing is uploaded.
    let channel = cx.slack.open_dm(token, &who.user).await?;
    let stem = format!(
        "herald-error-log-{}-{}",
        request.team_id,
        iso_time(request.until_ms, request.style.offset)
            .get(..10)
            .unwrap_or_default()
    );
    let mut progress = Progress::new();
    let mut parts = Parts::new(cx.part_bytes, &header());
    let mut uploaded: Vec<UploadedFile> = Vec::new();
    let mut rows = 0;
    let mut reader = LogReader::new(&cx.store, request);
    while let Some(page) = reader.next_page().await? {
        for record in &page {
            if let Some(part) = parts.push(record) {
                let name = format!("{stem}-{}.csv", uploaded.len() + 1);
                uploaded.push(upload(&cx.slack, token, &name, part).await?);
            }
        }
        rows += page.len();
        if progress.due() {
            let text = texts::progress(request.style.lang, rows);
            // Progress is a courtesy: the export goes on without it.
            if let Err(err) = cx.slack.respond_with(&who.response_url, text, true).await {
                tracing::debug!(error = %err, "no progress shown");
            }
        }
    }
    if let Some(last) = parts.finish() {
        let name = if uploaded.is_empty() {
            format!("{stem}.csv")
        } else {
            format!("{stem}-{}.csv", uploaded.len() + 1)
        };
        uploaded.push(upload(&cx.slack, token, &name, last).await?);
    }
    let total = uploaded.len();
    for (i, file) in uploaded.iter_mut().enumerate() {
        file.title = texts::title(request.style.lang, who.days, i + 1, total);
    }
    let comment = texts::comment(request.style.lang, who.days, rows, total);
    cx.slack
        .share_files(token, &uploaded, &channel, &comment)
        .await?;
    Ok(Sent { rows, files: total })
}

async fn upload(
    slack: &SlackApi,
    token: &str,
    name: &str,
    part: Part,
) -> Result<UploadedFile, ExportError> {
    tracing::debug!(
        name,
        rows = part.rows,
        bytes = part.bytes.len(),
        "uploading a part"
    );
    Ok(slack.upload_file(token, name, name, part.bytes).await?)
}

/// When the next progress post is due: a few seconds apart, a few in all.
struct Progress {
    last: Instant,
    posted: usize,
}

impl Progress {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            posted: 0,
        }
    }

    fn due(&mut self) -> bool {
        if self.posted >= PROGRESS_POSTS || self.last.elapsed() < PROGRESS_EVERY {
            return false;
        }
        self.posted += 1;
        self.last = Instant::now();
        true
    }
}
