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
/// A progress post is due after this long…
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// …or after this many more rows, whichever comes first.
const PROGRESS_ROWS: usize = 20_000;

/// What an export to Slack needs.
#[derive(Clone)]
pub struct LogExportCtx {
    pub store: Store,
    pub slack: SlackApi,
    /// The largest file uploaded; a bigger log is split.
    pub part_bytes: usize,
}

/// Who asked, and where they are answered. No `Debug`: it holds the bot token.
#[derive(Clone)]
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
        if progress.due(rows) {
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
        .share_files(token, &uploaded, &channel, &comment, None)
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
    Ok(slack
        .upload_file(token, name, name, part.bytes, "text/csv; charset=utf-8")
        .await?)
}

/// When the next progress post is due: every few seconds or every
/// [`PROGRESS_ROWS`] rows, a few in all.
struct Progress {
    last: Instant,
    last_rows: usize,
    posted: usize,
}

impl Progress {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            last_rows: 0,
            posted: 0,
        }
    }

    fn due(&mut self, rows: usize) -> bool {
        let waited = self.last.elapsed() >= PROGRESS_EVERY;
        let grown = rows - self.last_rows >= PROGRESS_ROWS;
        if self.posted >= PROGRESS_POSTS || rows == self.last_rows || !(waited || grown) {
            return false;
        }
        self.posted += 1;
        self.last = Instant::now();
        self.last_rows = rows;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_shown_as_rows_grow_a_few_times_at_most() {
        let mut progress = Progress::new();
        assert!(progress.due(PROGRESS_ROWS), "after enough rows");
        assert!(!progress.due(PROGRESS_ROWS), "not twice for the same rows");
        assert!(progress.due(2 * PROGRESS_ROWS));
        assert!(progress.due(3 * PROGRESS_ROWS));
        assert!(
            !progress.due(10 * PROGRESS_ROWS),
            "the response_url's last post is kept for the outcome"
        );
    }
}
