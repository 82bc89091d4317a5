//! Files, with Slack's current upload flow (`files.upload` is retired): ask for an
//! upload URL (`files.getUploadURLExternal`, which needs the length up front), POST the
//! bytes to it, then share what was uploaded (`files.completeUploadExternal`), several
//! files in one message.
//!
//! https://api.slack.com/methods/files.getUploadURLExternal
//! https://api.slack.com/methods/files.completeUploadExternal

use std::time::Duration;

use slack_morphism::prelude::*;

use super::{SlackApi, SlackError, api_token};

/// The shortest an upload of the bytes may take before it counts as a timeout: a part of
/// tens of megabytes outlasts the timeout of an ordinary call.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// A file uploaded and not yet shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    pub id: String,
    pub title: String,
}

impl SlackApi {
    /// Uploads one file's bytes (not yet shared with anyone): its id, to share with
    /// [`SlackApi::share_files`].
    pub async fn upload_file(
        &self,
        token: &str,
        filename: &str,
        title: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<UploadedFile, SlackError> {
        let api_token = api_token(token);
        let session = self.client.open_session(&api_token);
        let request = SlackApiFilesGetUploadUrlExternalRequest::new(filename.into(), bytes.len());
        let target = self
            .timed(
                "files.getUploadURLExternal",
                session.get_upload_url_external(&request),
            )
            .await?;
        // Slack's upload URL answers 200 with plain text ("OK - <length>"), which the
        // client reads as an empty success; anything else is an error.
        let upload =
            SlackApiFilesUploadViaUrlRequest::new(target.upload_url, bytes, content_type.into());
        let timeout = self.timeout.max(UPLOAD_TIMEOUT);
        match tokio::time::timeout(timeout, session.files_upload_via_url(&upload)).await {
            Ok(result) => {
                // Not a Web API method: counted under the URL's role.
                result.map_err(|e| SlackError::from_client(e, "files.upload_url"))?;
            }
            Err(_) => {
                return Err(SlackError::Transport(format!(
                    "the upload took longer than {timeout:?}"
                )));
            }
        }
        Ok(UploadedFile {
            id: target.file_id.to_string(),
            title: title.into(),
        })
    }

    /// Shares uploaded files in one message of `channel` (in the thread `thread_ts` when
    /// given), introduced by `comment` (none when empty).
    pub async fn share_files(
        &self,
        token: &str,
        files: &[UploadedFile],
        channel: &str,
        comment: &str,
        thread_ts: Option<&str>,
    ) -> Result<(), SlackError> {
        let token = api_token(token);
        let session = self.client.open_session(&token);
        let files = files
            .iter()
            .map(|f| SlackApiFilesComplete::new(f.id.clone().into()).with_title(f.title.clone()))
            .collect();
        let mut request =
            SlackApiFilesCompleteUploadExternalRequest::new(files).with_channel_id(channel.into());
        if !comment.is_empty() {
            request = request.with_initial_comment(comment.into());
        }
        if let Some(ts) = thread_ts {
            request = request.with_thread_ts(SlackTs(ts.to_string()));
        }
        self.timed(
            "files.completeUploadExternal",
            session.files_complete_upload_external(&request),
        )
        .await?;
        Ok(())
    }
}
