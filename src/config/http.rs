//! The HTTP section: where Herald listens and is reached from outside, and the limits
//! that keep slow or many clients from taking the server.

use std::net::SocketAddr;
use std::time::Duration;

use super::{ConfigError, in_range, invalid, non_empty};

/// Limits of the HTTP server: a slow or idle client cannot hold a connection for long,
/// nor can many of them take every connection.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            // Slack and platforms send a request at once; 10 s is generous for them.
            header_timeout: Duration::from_secs(10),
            // Above Slack's 3 s and the longest handler (a slash command's Slack calls).
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// `HERALD_PUBLIC_URL`, without a trailing slash: required for installs, which Slack
/// redirects to it.
pub(super) fn public_url(
    raw: Option<String>,
    installs: bool,
) -> Result<Option<String>, ConfigError> {
    let public_url = non_empty(raw).map(|u| u.trim_end_matches('/').to_string());
    if let Some(url) = &public_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(invalid(
            "HERALD_PUBLIC_URL",
            "must be an http:// or https:// URL",
        ));
    }
    if installs && public_url.is_none() {
        return Err(ConfigError::Missing {
            name: "HERALD_PUBLIC_URL",
            hint: "the https:// address Slack redirects installs to and platforms post \
                   webhooks to, e.g. https://herald.example.com",
        });
    }
    Ok(public_url)
}

/// `HERALD_LISTEN`.
pub(super) fn listen(raw: Option<String>) -> Result<SocketAddr, ConfigError> {
    non_empty(raw)
        .unwrap_or_else(|| "127.0.0.1:3000".into())
        .parse()
        .map_err(|_| invalid("HERALD_LISTEN", "must be an address like 127.0.0.1:3000"))
}

/// The server's timeouts and connection cap over the defaults.
pub(super) fn http(
    header_timeout_secs: Option<String>,
    request_timeout_secs: Option<String>,
    max_connections: Option<String>,
) -> Result<HttpSettings, ConfigError> {
    let secs = |raw: Option<String>, name: &'static str| {
        in_range(
            raw,
            1..=3600,
            name,
            "must be a whole number of seconds from 1 to 3600",
        )
        .map(|secs| secs.map(Duration::from_secs))
    };
    let mut http = HttpSettings::default();
    if let Some(d) = secs(header_timeout_secs, "HERALD_HEADER_TIMEOUT_SECS")? {
        http.header_timeout = d;
    }
    if let Some(d) = secs(request_timeout_secs, "HERALD_REQUEST_TIMEOUT_SECS")? {
        http.request_timeout = d;
    }
    if let Some(n) = in_range(
        max_connections,
        1..=100_000,
        "HERALD_MAX_CONNECTIONS",
        "must be a whole number from 1 to 100000",
    )? {
        http.max_connections = n;
    }
    Ok(http)
}

/// `HERALD_INGEST_RATE`: webhook requests a second per connection.
pub(super) fn ingest_rate(raw: Option<String>) -> Result<u32, ConfigError> {
    let rate = in_range(
        raw,
        1..=1_000_000,
        "HERALD_INGEST_RATE",
        "must be a whole number of requests a second, from 1",
    )?;
    // About a sixth of what one process ingests on this project's 2-core machine
    // (README, Benchmarks): a platform's bursts pass, one connection cannot take it all.
    Ok(rate.unwrap_or(1_000))
}
