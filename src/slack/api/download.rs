//! A file's facts (`files.info`) and its bytes (`url_private_download`, which needs the
//! bot token in `Authorization`). The token goes only to Slack: a URL whose host is not
//! Slack's (`slack.com` and its subdomains over https, or the configured API host, which
//! is how emulators serve files) is refused before any request is made.

use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use super::{SlackApi, SlackError};

/// What `files.info` says of a file (slack-morphism's model has no `size`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct FileFacts {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mimetype: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub url_private_download: Option<String>,
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The client for private file URLs, and the hosts it may send the token to.
#[derive(Clone)]
pub(super) struct FileClient {
    client: Client<Https, Empty<Bytes>>,
    /// The configured API root's scheme and host (an emulator's, or slack.com).
    api_scheme: String,
    api_host: String,
}

impl FileClient {
    pub(super) fn new(api_url: &str) -> Result<Self, SlackError> {
        let parsed = url::Url::parse(api_url).map_err(|e| SlackError::Protocol(e.to_string()))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let https = crate::tls::https_connector(http, "Slack files")
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            api_scheme: parsed.scheme().to_string(),
            api_host: parsed.host_str().unwrap_or_default().to_string(),
        })
    }

    /// Whether the bot token may be sent to `url`.
    fn may_send_token(&self, url: &url::Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let slack =
            url.scheme() == "https" && (host == "slack.com" || host.ends_with(".slack.com"));
        let configured = url.scheme() == self.api_scheme && host == self.api_host;
        slack || configured
    }
}

impl SlackApi {
    /// `files.info` of one file.
    pub async fn file_info(&self, token: &str, file: &str) -> Result<FileFacts, SlackError> {
        #[derive(Deserialize)]
        struct Info {
            file: FileFacts,
        }
        let res: Info = self
            .get(token, "files.info", vec![("file", Some(file))])
            .await?;
        Ok(res.file)
    }

    /// GETs a file's private URL with the bot token; the response as Slack sent it (its
    /// body streams). A URL outside Slack is refused without a request.
    pub async fn download_private(
        &self,
        token: &str,
        url: &str,
    ) -> Result<hyper::Response<Incoming>, SlackError> {
        let parsed = url::Url::parse(url).map_err(|e| SlackError::Protocol(e.to_string()))?;
        if !self.files.may_send_token(&parsed) {
            return Err(SlackError::Protocol(format!(
                "{} is not a Slack address; the bot token is not sent there",
                parsed.host_str().unwrap_or_default()
            )));
        }
        let request = hyper::Request::get(parsed.as_str())
            .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(hyper::header::USER_AGENT, "Herald")
            .body(Empty::new())
            .map_err(|e| SlackError::Protocol(e.to_string()))?;
        let response = tokio::time::timeout(self.timeout, self.files.client.request(request))
            .await
            .map_err(|_| SlackError::Transport(format!("no answer within {:?}", self.timeout)))?
            .map_err(|e| SlackError::Transport(e.to_string()))?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_only_to_slack_or_the_configured_api_host() {
        let files = FileClient::new("https://slack.com/api").unwrap();
        let ok = |u: &str| files.may_send_token(&url::Url::parse(u).unwrap());
        assert!(ok("https://files.slack.com/files-pri/T1-F1/download/a.png"));
        assert!(
            !ok("http://files.slack.com/files-pri/T1-F1/a.png"),
            "not over plain http"
        );
        assert!(!ok("https://files.slack.com.evil.example/a.png"));
        assert!(!ok("https://evilslack.com/a.png"));
        assert!(!ok("https://169.254.169.254/latest/meta-data/"));
        let emulator = FileClient::new("http://127.0.0.1:4000/api").unwrap();
        let ok = |u: &str| emulator.may_send_token(&url::Url::parse(u).unwrap());
        assert!(ok("http://127.0.0.1:4000/files-pri/T1-F1/download/a.png"));
        assert!(!ok("http://127.0.0.2:4000/files-pri/T1-F1/download/a.png"));
    }
}
