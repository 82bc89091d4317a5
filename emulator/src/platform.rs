//! A fake business platform receiving Herald's callbacks over HTTP.
//!
//! An axum server on `127.0.0.1:<random port>` that verifies Standard Webhooks signatures
//! (<https://www.standardwebhooks.com>) exactly as a careful receiver would: headers
//! `webhook-id`, `webhook-timestamp` (within 5 minutes of now, either way) and
//! `webhook-signature` (one or more space-separated `v1,<base64 HMAC-SHA256>` over
//! `{id}.{timestamp}.{body}`; any of the accepted secrets may match, as during a rotation).
//! As docs/events.md tells platforms, callbacks are signed with a key derived for that
//! direction: HMAC-SHA256(key, "herald-callback-v1"), where key is the base64-decoded part of
//! the connection's `whsec_…` secret ([`callback_key`]); so a callback replayed at Herald's
//! own webhook does not verify there. It answers 401 to a bad signature, 400 to
//! a body that is not JSON, otherwise 200, unless a test scripted another answer
//! (`answer_next`) or a delay (`delay_next`), and records every request (`received`,
//! `wait_for`).
//!
//! Self-contained (axum, tokio, serde_json, hmac, sha2, base64 only; never the crate under
//! test).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::watch;

/// How far `webhook-timestamp` may be from now, either way (Standard Webhooks: 5 minutes).
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// One request the platform received (whatever it answered).
#[derive(Clone, Debug)]
pub struct Received {
    /// The parsed JSON body (`Value::Null` when the body was not JSON).
    pub body: Value,
    /// The body as sent.
    pub raw: Bytes,
    /// `webhook-id` (empty if missing).
    pub webhook_id: String,
    /// `webhook-timestamp` in seconds (0 if missing or not a number).
    pub timestamp: i64,
    /// `webhook-signature` as sent (empty if missing).
    pub signature: String,
    /// Whether the signature verified against an accepted secret within the time window.
    pub signature_ok: bool,
    /// Why the signature was rejected (`None` when `signature_ok`).
    pub signature_error: Option<String>,
    /// The status the platform answered with.
    pub status: u16,
    /// The request path (`/callbacks` for `url()`).
    pub path: String,
    pub headers: HeaderMap,
    pub at: Instant,
}

struct Script {
    /// Accepted signing keys (base64-decoded `whsec_` secrets).
    keys: Vec<Vec<u8>>,
    /// Statuses for the next requests, one each, in order.
    answers: VecDeque<u16>,
    /// Delays for the next requests, one each, in order.
    delays: VecDeque<Duration>,
    received: Vec<Received>,
    /// Files the platform serves to GET requests: path → (status, content type, bytes).
    files: std::collections::HashMap<String, (u16, String, Vec<u8>)>,
    /// Statuses for the next GETs of a path, one each, before its file is served.
    file_failures: std::collections::HashMap<String, VecDeque<u16>>,
    /// Paths of the GET requests for files, in order.
    fetched: Vec<String>,
}

struct Inner {
    script: Mutex<Script>,
    count: watch::Sender<usize>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Script> {
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake platform; stops when dropped.
pub struct FakePlatform {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Drop for FakePlatform {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// The HMAC key of a `whsec_<base64>` secret (panics on a malformed secret: a test bug).
pub fn secret_key(whsec: &str) -> Vec<u8> {
    let b64 = whsec
        .strip_prefix("whsec_")
        .unwrap_or_else(|| panic!("a Standard Webhooks secret starts with whsec_: {whsec:?}"));
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|e| panic!("the part after whsec_ must be base64 ({e}): {whsec:?}"))
}

/// The key Herald signs callbacks with: HMAC-SHA256(secret key, "herald-callback-v1").
pub fn callback_key(whsec: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret_key(whsec)).expect("any key length");
    mac.update(b"herald-callback-v1");
    mac.finalize().into_bytes().to_vec()
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Standard Webhooks verification against any of `keys`.
fn verify(
    keys: &[Vec<u8>],
    id: Option<&str>,
    timestamp: Option<&str>,
    signatures: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let id = id.filter(|s| !s.is_empty()).ok_or("missing webhook-id")?;
    let timestamp = timestamp.ok_or("missing webhook-timestamp")?;
    let signatures = signatures.ok_or("missing webhook-signature")?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| format!("webhook-timestamp is not an integer: {timestamp:?}"))?;
    if now_secs().abs_diff(ts) > TOLERANCE_SECS.unsigned_abs() {
        return Err(format!(
            "webhook-timestamp {ts} is more than 5 minutes from now"
        ));
    }
    let candidates: Vec<Vec<u8>> = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .collect();
    if candidates.is_empty() {
        return Err(format!("no v1 signature in {signatures:?}"));
    }
    for key in keys {
        for candidate in &candidates {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            // Constant-time comparison.
            if mac.verify_slice(candidate).is_ok() {
                return Ok(());
            }
        }
    }
    Err("no signature matches an accepted secret".to_string())
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == axum::http::Method::GET {
        // A file the platform serves (a message's attachment), or 404.
        let mut script = inner.lock();
        script.fetched.push(uri.path().to_string());
        if let Some(status) = script
            .file_failures
            .get_mut(uri.path())
            .and_then(VecDeque::pop_front)
        {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return (code, "scripted answer").into_response();
        }
        return match script.files.get(uri.path()) {
            Some((status, content_type, bytes)) => (
                StatusCode::from_u16(*status).unwrap_or(StatusCode::OK),
                [(axum::http::header::CONTENT_TYPE, content_type.clone())],
                bytes.clone(),
            )
                .into_response(),
            None => (StatusCode::NOT_FOUND, "no such file").into_response(),
        };
    }
    let at = Instant::now();
    let id = header(&headers, "webhook-id");
    let ts = header(&headers, "webhook-timestamp");
    let sig = header(&headers, "webhook-signature");
    let (verdict, delay) = {
        let mut script = inner.lock();
        let verdict = verify(
            &script.keys,
            id.as_deref(),
            ts.as_deref(),
            sig.as_deref(),
            &body,
        );
        (verdict, script.delays.pop_front())
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let status = {
        let mut script = inner.lock();
        let status = match (&verdict, &parsed) {
            (Err(_), _) => 401,
            (Ok(()), None) => 400,
            (Ok(()), Some(_)) => script.answers.pop_front().unwrap_or(200),
        };
        script.received.push(Received {
            body: parsed.unwrap_or(Value::Null),
            raw: body,
            webhook_id: id.unwrap_or_default(),
            timestamp: ts.and_then(|t| t.trim().parse().ok()).unwrap_or(0),
            signature: sig.unwrap_or_default(),
            signature_ok: verdict.is_ok(),
            signature_error: verdict.err(),
            status,
            path: uri.path().to_string(),
            headers,
            at,
        });
        let n = script.received.len();
        inner.count.send_replace(n);
        status
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = match status {
        200..=299 => "",
        401 => "invalid signature",
        400 => "body is not JSON",
        _ => "scripted answer",
    };
    (code, text).into_response()
}

impl FakePlatform {
    /// Starts the platform, accepting callbacks signed for the connection secret
    /// `secret_whsec` (`whsec_<base64>`), with the derived key ([`callback_key`]).
    pub async fn start(secret_whsec: &str) -> FakePlatform {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake platform on 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (count, _) = watch::channel(0usize);
        let inner = Arc::new(Inner {
            script: Mutex::new(Script {
                keys: vec![callback_key(secret_whsec)],
                answers: VecDeque::new(),
                delays: VecDeque::new(),
                received: Vec::new(),
                files: std::collections::HashMap::new(),
                file_failures: std::collections::HashMap::new(),
                fetched: Vec::new(),
            }),
            count,
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let (shutdown, mut stop) = watch::channel(false);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await;
        });
        FakePlatform {
            inner,
            addr,
            shutdown,
        }
    }

    /// Serves `bytes` as `content_type` at `path` to GET requests (with `status`): a file
    /// a platform message links to. Returns its URL.
    pub fn serve_file(&self, path: &str, status: u16, content_type: &str, bytes: &[u8]) -> String {
        self.inner.lock().files.insert(
            path.to_string(),
            (status, content_type.to_string(), bytes.to_vec()),
        );
        format!("http://{}{path}", self.addr)
    }

    /// The next `times` GETs of `path` are answered `status` before its file is served.
    pub fn fail_file(&self, path: &str, status: u16, times: usize) {
        self.inner
            .lock()
            .file_failures
            .entry(path.to_string())
            .or_default()
            .extend(std::iter::repeat_n(status, times));
    }

    /// The paths GET requests asked for, in order.
    pub fn fetched(&self) -> Vec<String> {
        self.inner.lock().fetched.clone()
    }

    /// `http://127.0.0.1:PORT/callbacks` (any path is served the same way).
    pub fn url(&self) -> String {
        format!("http://{}/callbacks", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, accept only signatures made with this secret.
    pub fn set_secret(&self, whsec: &str) {
        self.set_secrets(&[whsec]);
    }

    /// From now on, accept signatures made with any of these secrets (a rotation's grace
    /// period: the new and the previous one).
    pub fn set_secrets(&self, whsecs: &[&str]) {
        let keys = whsecs.iter().map(|s| callback_key(s)).collect();
        self.inner.lock().keys = keys;
    }

    /// Also accept signatures made with this secret.
    pub fn add_secret(&self, whsec: &str) {
        let key = callback_key(whsec);
        self.inner.lock().keys.push(key);
    }

    /// The next `times` correctly signed JSON requests get HTTP `status` (e.g. 503 for retry
    /// tests); later calls queue after earlier ones.
    pub fn answer_next(&self, status: u16, times: usize) {
        let mut script = self.inner.lock();
        script.answers.extend(std::iter::repeat_n(status, times));
    }

    /// The next request (whatever it is) waits `d` before being answered; later calls queue.
    pub fn delay_next(&self, d: Duration) {
        self.inner.lock().delays.push_back(d);
    }

    /// Every request so far, in arrival order (recorded when answered).
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().received.clone()
    }

    /// The requests answered with a 2xx and a good signature: what the platform accepted.
    pub fn accepted(&self) -> Vec<Received> {
        self.inner
            .lock()
            .received
            .iter()
            .filter(|r| r.signature_ok && (200..300).contains(&r.status))
            .cloned()
            .collect()
    }

    /// Waits until at least `n` requests were answered or `timeout` passed; returns them all
    /// (fewer than `n` on timeout).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let mut rx = self.inner.count.subscribe();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|count| *count >= n)).await;
        self.received()
    }
}
