//! Herald → platform: callbacks (replies from Slack threads) POSTed to the connection's
//! callback URL, signed per Standard Webhooks with a key derived from the connection's
//! secret for that direction ([`callback_key`]): the platform checks them as Herald checks
//! its webhooks, and a callback replayed at Herald's own `/hooks/{id}` does not verify.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;

use crate::core::signature::standard_webhooks;

pub use super::address::{self, Refusal};

/// What the callback signing key is derived with (docs/events.md tells platforms).
pub const CALLBACK_KEY_LABEL: &[u8] = b"herald-callback-v1";

/// The key callbacks are signed with: HMAC-SHA256(connection key, "herald-callback-v1").
/// Never the connection key itself, which signs the other direction.
pub fn callback_key(connection_key: &[u8]) -> Vec<u8> {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(connection_key)
        .expect("HMAC takes keys of any length");
    mac.update(CALLBACK_KEY_LABEL);
    mac.finalize().into_bytes().to_vec()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("the callback URL is not valid: {0}")]
    BadUrl(String),
    #[error("the callback address is refused: {0}")]
    Refused(Refusal),
    #[error("the platform could not be reached: {0}")]
    Transport(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// Why a callback URL cannot be used; the text completes "it …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("is not a URL")]
    NotUrl,
    #[error(
        "must be https:// (http:// only to a loopback address, when private targets are allowed)"
    )]
    Scheme,
    #[error("has no host")]
    NoHost,
    #[error("points to {0}, which Herald does not send to")]
    Refused(Refusal),
    #[error("has a host name that does not resolve")]
    Unresolvable,
}

/// Resolves a host once and checks every address it gets against the policy, so the
/// connection goes to an address that was checked (no second lookup to rebind). The
/// HTTP connector asks it for every new connection; it never sees IP literals, which
/// [`checked_url`] checks before a request is made.
#[derive(Clone)]
pub(super) struct CheckedResolver {
    allow_private: bool,
}

/// A resolver's failure, kept typed so a refusal can be told from a failed lookup.
#[derive(Debug, thiserror::Error)]
pub(super) enum ResolveError {
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("lookup failed: {0}")]
    Lookup(std::io::Error),
}

impl tower::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            resolve_checked(name.as_str(), allow_private)
                .await
                .map(Vec::into_iter)
        })
    }
}

/// Every address `host` resolves to, when all of them are allowed (port 0: the caller
/// sets it).
async fn resolve_checked(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, ResolveError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(ResolveError::Lookup)?
        .collect();
    if addrs.is_empty() {
        return Err(ResolveError::Lookup(std::io::ErrorKind::NotFound.into()));
    }
    // All of them: a name that also resolves to a private address is not public.
    for addr in &addrs {
        address::check(addr.ip(), allow_private).map_err(ResolveError::Refused)?;
    }
    Ok(addrs)
}

/// Parses a callback URL and checks what can be checked without DNS: the scheme, and
/// the address when the host is one (in any spelling: the WHATWG parser normalises
/// `0x7f000001`, `2130706433`, `0177.0.0.1` and `127.1` to 127.0.0.1 first).
pub fn checked_url(raw: &str, allow_private: bool) -> Result<url::Url, UrlError> {
    let parsed = url::Url::parse(raw.trim()).map_err(|_| UrlError::NotUrl)?;
    let ip: Option<IpAddr> = match parsed.host() {
        None => return Err(UrlError::NoHost),
        Some(url::Host::Domain(_)) => None,
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
    };
    if let Some(ip) = ip {
        address::check(ip, allow_private).map_err(UrlError::Refused)?;
    }
    match parsed.scheme() {
        "https" => {}
        // Plain http only to a platform on this machine, and only when allowed.
        "http" if allow_private => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                _ => ip.is_some_and(|ip| ip.is_loopback() || ip.to_canonical().is_loopback()),
            };
            if !loopback {
                return Err(UrlError::Scheme);
            }
        }
        _ => return Err(UrlError::Scheme),
    }
    Ok(parsed)
}

/// The whole check an admin's callback URL gets when it is set: [`checked_url`], then
/// the host's addresses. Returns the URL as Herald will use it (normalised).
pub async fn check_callback_url(raw: &str, allow_private: bool) -> Result<String, UrlError> {
    let url = checked_url(raw, allow_private)?;
    if let Some(url::Host::Domain(host)) = url.host() {
        resolve_checked(host, allow_private)
            .await
            .map_err(|err| match err {
                ResolveError::Refused(refusal) => UrlError::Refused(refusal),
                ResolveError::Lookup(_) => UrlError::Unresolvable,
            })?;
    }
    Ok(url.to_string())
}

pub(super) type Connector = hyper_rustls::HttpsConnector<HttpConnector<CheckedResolver>>;

#[derive(Clone)]
pub struct PlatformClient {
    pub(super) client: Client<Connector, Full<Bytes>>,
    pub(super) timeout: Duration,
    pub(super) allow_private: bool,
}

impl PlatformClient {
    /// `allow_private`: `HERALD_CALLBACK_ALLOW_PRIVATE` (loopback and private targets).
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, PlatformError> {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver { allow_private });
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let https = crate::tls::https_connector(http, "callbacks")
            .map_err(|e| PlatformError::Transport(e.to_string()))?;
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            timeout,
            allow_private,
        })
    }

    /// Posts `body` signed with `key` (a [`callback_key`]); returns the platform's HTTP
    /// status. The `webhook-id` is stable across retries so the platform can drop
    /// repeats. The address policy is checked again here (DNS may have changed since
    /// the URL was set), and redirects are not followed: a 3xx is the answer.
    pub async fn post_signed(
        &self,
        url: &str,
        key: &[u8],
        webhook_id: &str,
        body: &str,
    ) -> Result<u16, PlatformError> {
        let url = checked_url(url, self.allow_private).map_err(|err| match err {
            UrlError::Refused(refusal) => PlatformError::Refused(refusal),
            other => PlatformError::BadUrl(other.to_string()),
        })?;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let signature = standard_webhooks::sign(key, webhook_id, timestamp, body.as_bytes());
        let request = hyper::Request::post(url.as_str())
            .header("content-type", "application/json")
            .header("user-agent", "Herald")
            .header(standard_webhooks::ID, webhook_id)
            .header(standard_webhooks::TIMESTAMP, timestamp.to_string())
            .header(standard_webhooks::SIGNATURE, signature)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| PlatformError::BadUrl(e.to_string()))?;
        let call = async {
            let response = self.client.request(request).await.map_err(|e| {
                refusal_in(&e).map_or_else(
                    || PlatformError::Transport(e.to_string()),
                    PlatformError::Refused,
                )
            })?;
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

/// The resolver's refusal, if that is why a request failed.
pub(super) fn refusal_in(err: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(ResolveError::Refused(refusal)) = e.downcast_ref::<ResolveError>() {
            return Some(*refusal);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_key_is_derived_and_differs_from_the_connection_key() {
        // Reference vector for docs/events.md: key = 32 bytes of 0x0b.
        let key = callback_key(&[0x0b; 32]);
        assert_eq!(key.len(), 32);
        assert_ne!(key, vec![0x0b; 32]);
        assert_eq!(callback_key(&[0x0b; 32]), key, "deterministic");
        assert_ne!(callback_key(&[0x0c; 32]), key);
    }

    #[test]
    fn callback_urls_are_checked_in_every_spelling() {
        use Refusal::*;
        // (url, with private targets refused, with them allowed)
        type Case = (&'static str, Result<(), UrlError>, Result<(), UrlError>);
        let cases: &[Case] = &[
            ("https://platform.example/hooks/herald", Ok(()), Ok(())),
            ("https://93.184.216.34/cb", Ok(()), Ok(())),
            (
                "https://10.0.0.1/cb",
                Err(UrlError::Refused(Private)),
                Ok(()),
            ),
            (
                "https://169.254.169.254/latest/meta-data/",
                Err(UrlError::Refused(LinkLocal)),
                Err(UrlError::Refused(LinkLocal)),
            ),
            (
                "https://127.0.0.1:6443/",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            (
                "http://0x7f000001:8080/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            (
                "https://0x7f000001/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            (
                "https://2130706433/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            (
                "https://0177.0.0.1/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            ("https://127.1/cb", Err(UrlError::Refused(Loopback)), Ok(())),
            ("https://0x0a.1/cb", Err(UrlError::Refused(Private)), Ok(())),
            (
                "https://100.64.0.1/cb",
                Err(UrlError::Refused(SharedNat)),
                Err(UrlError::Refused(SharedNat)),
            ),
            ("https://[::1]/cb", Err(UrlError::Refused(Loopback)), Ok(())),
            (
                "https://[::ffff:127.0.0.1]/cb",
                Err(UrlError::Refused(Embedded)),
                Ok(()),
            ),
            (
                "https://[::ffff:a9fe:a9fe]/cb",
                Err(UrlError::Refused(Embedded)),
                Err(UrlError::Refused(LinkLocal)),
            ),
            (
                "https://[fd00::1]/cb",
                Err(UrlError::Refused(Private)),
                Ok(()),
            ),
            (
                "https://[fe80::1]/cb",
                Err(UrlError::Refused(LinkLocal)),
                Err(UrlError::Refused(LinkLocal)),
            ),
            (
                "https://0.0.0.0/cb",
                Err(UrlError::Refused(Unspecified)),
                Err(UrlError::Refused(Unspecified)),
            ),
            (
                "https://255.255.255.255/cb",
                Err(UrlError::Refused(Broadcast)),
                Err(UrlError::Refused(Broadcast)),
            ),
            (
                "https://224.0.0.1/cb",
                Err(UrlError::Refused(Multicast)),
                Err(UrlError::Refused(Multicast)),
            ),
            (
                "https://192.0.2.1/cb",
                Err(UrlError::Refused(Documentation)),
                Err(UrlError::Refused(Documentation)),
            ),
            (
                "http://127.0.0.1:8080/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            ("http://localhost/cb", Err(UrlError::Scheme), Ok(())),
            (
                "http://[::1]:9000/cb",
                Err(UrlError::Refused(Loopback)),
                Ok(()),
            ),
            (
                "http://platform.example/cb",
                Err(UrlError::Scheme),
                Err(UrlError::Scheme),
            ),
            (
                "http://10.0.0.1/cb",
                Err(UrlError::Refused(Private)),
                Err(UrlError::Scheme),
            ),
            (
                "ftp://platform.example/cb",
                Err(UrlError::Scheme),
                Err(UrlError::Scheme),
            ),
            (
                "platform.example/cb",
                Err(UrlError::NotUrl),
                Err(UrlError::NotUrl),
            ),
        ];
        for (url, strict, relaxed) in cases {
            assert_eq!(checked_url(url, false).map(|_| ()), *strict, "{url}");
            assert_eq!(
                checked_url(url, true).map(|_| ()),
                *relaxed,
                "{url} (private allowed)"
            );
        }
    }

    #[tokio::test]
    async fn host_names_are_resolved_and_their_addresses_checked() {
        assert_eq!(
            check_callback_url("https://localhost:6443/", false).await,
            Err(UrlError::Refused(Refusal::Loopback))
        );
        assert!(
            check_callback_url("https://localhost:6443/", true)
                .await
                .is_ok()
        );
        assert_eq!(
            check_callback_url("https://does-not-exist.invalid/", false).await,
            Err(UrlError::Unresolvable)
        );
    }
}
