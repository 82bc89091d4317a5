//! The HTTPS connector of Herald's outbound clients (Slack's Web API, platform
//! callbacks), built one way so both trust the same roots and fall back the same way.

use std::sync::Arc;

use hyper_rustls::HttpsConnector;

/// An HTTPS-or-HTTP connector (HTTP/1 and HTTP/2) over `inner`, which must let `https`
/// URLs through (`HttpConnector::enforce_http(false)`), trusting the OS's CA roots.
///
/// Without native roots (a bare container) it still builds, with an empty root store:
/// `https://` then fails at the handshake while `http://` (emulators, a local platform)
/// keeps working, which is better than not starting. `what` names, in that warning, the
/// URLs that stop working.
pub fn https_connector<H>(inner: H, what: &str) -> Result<HttpsConnector<H>, rustls::Error> {
    let builder = match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
        Ok(builder) => builder,
        Err(err) => {
            tracing::warn!(%err, "no native CA certificates; only http:// {what} will work");
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    Ok(builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(inner))
}
