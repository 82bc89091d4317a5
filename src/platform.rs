//! Herald → platform: callbacks (replies from Slack threads) POSTed to the connection's
//! callback URL, signed per Standard Webhooks with the connection's secret, so the
//! platform checks them exactly as Herald checks the platform's webhooks.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::signature::standard_webhooks;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("the callback URL is not valid: {0}")]
    BadUrl(String),
    #[error("the platform could not be reached: {0}")]
    Transport(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

#[derive(Clone)]
pub struct PlatformClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl PlatformClient {
    pub fn new(timeout: Duration) -> Result<Self, crate::slack::SlackError> {
        let https = crate::slack::https_connector()?;
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            timeout,
        })
    }

    /// Posts `body` signed with `key`; returns the platform's HTTP status. The
    /// `webhook-id` is stable across retries so the platform can drop repeats.
    pub async fn post_signed(
        &self,
        url: &str,
        key: &[u8],
        webhook_id: &str,
        body: &str,
    ) -> Result<u16, PlatformError> {
        let timestamp = crate::store::now_ms() / 1000;
        let signature = standard_webhooks::sign(key, webhook_id, timestamp, body.as_bytes());
        let request = hyper::Request::post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Herald")
            .header(standard_webhooks::ID, webhook_id)
            .header(standard_webhooks::TIMESTAMP, timestamp.to_string())
            .header(standard_webhooks::SIGNATURE, signature)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| PlatformError::BadUrl(e.to_string()))?;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| PlatformError::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            // Read (and drop) the body so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok(status)
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or(Err(PlatformError::Timeout(self.timeout)))
    }
}

/// A callback URL an admin may set: https, or http only to a loopback address (a
/// platform on the same machine, and tests).
pub fn check_callback_url(url: &str) -> Result<(), &'static str> {
    let parsed = url::Url::parse(url).map_err(|_| "not a URL")?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err("must be https:// (http:// only to a loopback address)");
            }
        }
        _ => return Err("must be https://"),
    }
    if parsed.host().is_none() {
        return Err("has no host");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_must_be_https_except_on_loopback() {
        for ok in [
            "https://platform.example/hooks/herald",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:9000/cb",
        ] {
            assert_eq!(check_callback_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://platform.example/cb",
            "ftp://platform.example/cb",
            "platform.example/cb",
            "http://10.0.0.1/cb",
        ] {
            assert!(check_callback_url(bad).is_err(), "{bad}");
        }
    }
}
