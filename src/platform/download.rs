//! Downloading a file a platform message carries (`message.attachments`), with the
//! rules callbacks follow: https only (http only to loopback when private targets are
//! allowed), no address the policy refuses at any step (the URL's host and every
//! address it resolves to), no redirect followed, and never more than the size cap read:
//! a `content-length` over it is refused before the body, and a body that grows past it
//! is cut off.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

use super::client::{PlatformClient, UrlError, checked_url, refusal_in};

/// A file as the platform served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// Why a file was not downloaded; the text completes "the file …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("has an address Herald does not download from ({0})")]
    BadUrl(String),
    #[error("is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("was answered with HTTP {0}")]
    Status(u16),
    #[error("could not be fetched: {0}")]
    Transport(String),
}

impl DownloadError {
    /// Whether trying again later may work (the server's trouble, not the file's).
    pub fn is_transient(&self) -> bool {
        match self {
            DownloadError::Transport(_) => true,
            DownloadError::Status(code) => *code >= 500 || *code == 429 || *code == 408,
            DownloadError::BadUrl(_) | DownloadError::TooLarge { .. } => false,
        }
    }
}

/// The longest a download may take: a file of megabytes outlasts a callback's timeout.
const DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

impl PlatformClient {
    /// GETs `url`, reading at most `max_bytes`.
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Downloaded, DownloadError> {
        let url = checked_url(url, self.allow_private).map_err(|err| match err {
            UrlError::Refused(refusal) => DownloadError::BadUrl(refusal.to_string()),
            other => DownloadError::BadUrl(other.to_string()),
        })?;
        let request = hyper::Request::get(url.as_str())
            .header("user-agent", "Herald")
            .body(Full::<Bytes>::default())
            .map_err(|e| DownloadError::BadUrl(e.to_string()))?;
        let call = async {
            let response = self.client.request(request).await.map_err(|e| {
                refusal_in(&e).map_or_else(
                    || DownloadError::Transport(e.to_string()),
                    |r| DownloadError::BadUrl(r.to_string()),
                )
            })?;
            let status = response.status().as_u16();
            if !(200..300).contains(&status) {
                // A redirect is an answer too: it is not followed.
                return Err(DownloadError::Status(status));
            }
            let declared = response
                .headers()
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > max_bytes) {
                return Err(DownloadError::TooLarge { max: max_bytes });
            }
            let content_type = response
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| DownloadError::Transport(e.to_string()))?;
                if let Some(chunk) = frame.data_ref() {
                    if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                        return Err(DownloadError::TooLarge { max: max_bytes });
                    }
                    bytes.extend_from_slice(chunk);
                }
            }
            Ok(Downloaded {
                bytes,
                content_type,
            })
        };
        let limit = self.timeout.max(DOWNLOAD_TIMEOUT);
        tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
            Err(DownloadError::Transport(format!(
                "no answer within {limit:?}"
            )))
        })
    }
}
