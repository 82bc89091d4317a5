//! A local Slack: Web API + Socket Mode emulator for tests and benchmarks.
//!
//! Self-contained on purpose (it depends on axum, tokio, serde_json, hmac, sha2, base64,
//! futures-util and fastrand only, never on the crate under test) so that it can later become a standalone
//! "local Slack". It keeps workspaces, channels (public, private, archived, Slack Connect, DMs),
//! members, users, user groups, messages and threads (with reactions, tombstones for deleted
//! thread parents, ephemeral messages and permalinks), modals and Home tabs (`views.*`, with
//! single-use trigger ids); validates arguments the way Slack does and answers with Slack's
//! documented shapes and error codes; builds the interaction payloads Slack would send for a
//! user acting on a view; runs the OAuth v2 install flow (`/oauth/v2/authorize` with an
//! auto-approving installer, `oauth.v2.access`); injects faults; optionally enforces Slack's
//! per-method rate tiers (`enforce_rate_tiers`); runs Socket Mode (hello with its announced
//! lifetime and rotation, envelopes, acks, Events API redelivery, `disconnect` with any reason,
//! every connection dropped at once, and a relay that can cut a connection's path without
//! closing it); and records every call. Directory changes (channels created, renamed, archived,
//! deleted, the bot added or removed, users changed or joining, user groups created or updated)
//! change the state and return the Events API `event_callback` payload Slack would POST, and so
//! do people posting, replying in threads, editing and deleting (`user_message`, `user_reply`,
//! `user_edit`, `user_delete`: `message`, `message_changed`, `message_deleted`); bulk
//! seeding (`add_users_bulk`, `add_channels_bulk`) makes 100k-user workspaces, which lookups and
//! list pages handle through id indexes.
//!
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot, watch};

mod snapshot;

pub use snapshot::RestoreError;

type Args = Map<String, Value>;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// One installed workspace: the app's bot user and its tokens there.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub team_id: String,
    pub team_name: String,
    /// `xoxb-…`, the bot token for Web API calls: the one `add_workspace` minted, or the latest
    /// one an OAuth install (`oauth.v2.access`) minted since (earlier ones keep working).
    pub bot_token: String,
    /// `xapp-…`, the app-level token (`connections:write`) for `apps.connections.open`.
    pub app_token: String,
    /// `U…`, the bot's user id (what `auth.test` returns as `user_id`).
    pub bot_user_id: String,
    /// `B…`, the bot id (`bot_id` on the bot's messages).
    pub bot_id: String,
}

#[derive(Clone, Debug, Default)]
pub struct ChannelSpec {
    pub name: String,
    pub private: bool,
    pub archived: bool,
    pub bot_member: bool,
    /// Slack Connect: the channel is hosted by this other organisation's team and shared
    /// into the workspace (`is_ext_shared`, `is_shared`, `conversation_host_id`,
    /// `shared_team_ids`; `context_team_id` stays the asking workspace, as at Slack).
    pub shared_from_team: Option<String>,
}

/// One recorded Web API call (faulted ones included).
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub token: Option<String>,
    /// Query, form and JSON parameters merged (later sources win).
    pub args: Value,
    pub at: Instant,
    /// The JSON body sent back (`Value::Null` for an injected 5xx).
    pub response: Value,
    pub status: u16,
}

/// A `Call` as logged: the response kept as the bytes sent.
struct CallRecord {
    method: String,
    token: Option<String>,
    args: Value,
    at: Instant,
    /// `None` for an injected 5xx (HTML body).
    body: Option<Bytes>,
    status: u16,
}

impl CallRecord {
    fn to_call(&self) -> Call {
        Call {
            method: self.method.clone(),
            token: self.token.clone(),
            args: self.args.clone(),
            at: self.at,
            response: self
                .body
                .as_ref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
            status: self.status,
        }
    }
}

/// One `GET /oauth/v2/authorize` the emulator answered.
#[derive(Clone, Debug)]
pub struct OAuthAuthorization {
    /// The query parameters (`client_id`, `scope`, `user_scope`, `redirect_uri`, `state`, …).
    pub args: Value,
    pub at: Instant,
    /// 302 (approved or denied: see `location`) or 400 (Slack's error page).
    pub status: u16,
    /// Where the browser was sent: `redirect_uri` with `code`/`state` or `error`/`state`.
    pub location: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Fault {
    /// HTTP 429, `Retry-After: N`, body `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// That HTTP status with an HTML body, like Slack's edge does; nothing happens.
    ServerError(u16),
    /// Sleep, then handle the call normally.
    Delay(Duration),
    /// HTTP 200 `{"ok":false,"error":code}`.
    ApiError(String),
    /// The call takes effect at once, but its answer only leaves after the delay: a
    /// client with a shorter timeout never learns that it did.
    Late(Duration),
    /// The call takes effect, then the answer is that HTTP status with an HTML body (a
    /// proxy that timed out on its way back).
    ServerErrorAfterEffect(u16),
    /// The connection drops before any effect, with no answer.
    Reset,
    /// The call takes effect, then the connection drops with no answer.
    ResetAfterEffect,
}

/// Seeded, probabilistic faults for the listed methods (when no queued fault applies):
/// each call draws once from the seed's sequence, so a seed replays the same faults for
/// the same sequence of calls.
#[derive(Clone, Debug)]
pub struct Chaos {
    pub seed: u64,
    /// Methods the chaos applies to (`chat.postMessage`, …).
    pub methods: Vec<String>,
    /// Probabilities, each of one call; their sum at most 1.
    pub late: f64,
    pub server_error: f64,
    pub server_error_after_effect: f64,
    pub reset: f64,
    pub reset_after_effect: f64,
    pub rate_limited: f64,
    /// How late a `Late` answer is.
    pub late_by: Duration,
}

impl Chaos {
    fn draw(&self, rng: &mut fastrand::Rng) -> Option<Fault> {
        let x = rng.f64();
        let mut edge = 0.0;
        let mut pick = |p: f64| {
            edge += p;
            x < edge
        };
        if pick(self.late) {
            Some(Fault::Late(self.late_by))
        } else if pick(self.server_error) {
            Some(Fault::ServerError(503))
        } else if pick(self.server_error_after_effect) {
            Some(Fault::ServerErrorAfterEffect(504))
        } else if pick(self.reset) {
            Some(Fault::Reset)
        } else if pick(self.reset_after_effect) {
            Some(Fault::ResetAfterEffect)
        } else if pick(self.rate_limited) {
            Some(Fault::RateLimited {
                retry_after_secs: 1,
            })
        } else {
            None
        }
    }
}

/// Computes Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
pub fn sign_slack_request(signing_secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + digest.len() * 2);
    out.push_str("v0=");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------

const HTML_5XX: &str = "<!DOCTYPE html><html><head><title>Slack</title></head><body><h1>Server Error</h1><p>Something went wrong on Slack's end.</p></body></html>";
const MAX_TEXT_CHARS: usize = 40_000;
const MAX_BLOCKS: usize = 50;
/// `users.list` / `conversations.list`: Slack's docs ask for a `limit` "under 1000".
const MAX_LIST_LIMIT: u64 = 999;
/// `users.list` without a `limit` stops after this many members (with a cursor for the rest).
const USERS_LIST_DEFAULT_CAP: usize = 1000;
/// Slack allows at most 10 simultaneous Socket Mode connections per app.
const MAX_SOCKET_CONNECTIONS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Bot,
    App,
    /// `xoxp-…`, minted by an OAuth install that asked for `user_scope`. The emulator accepts
    /// user tokens on `auth.test` and `auth.revoke` only (`not_allowed_token_type` elsewhere).
    User,
}

struct TokenInfo {
    team_id: String,
    kind: TokenKind,
    revoked: bool,
    /// The user a `User` token acts for.
    user_id: Option<String>,
}

struct Team {
    id: String,
    name: String,
    domain: String,
    bot_user_id: String,
    bot_id: String,
    bot_token: String,
    app_token: String,
    /// Bot scopes granted through OAuth installs so far (Slack's scopes are additive).
    bot_scopes: Vec<String>,
}

struct User {
    id: String,
    team_id: String,
    name: String,
    real_name: String,
    /// `profile.display_name` (Slack allows it empty; clients then show `real_name`).
    display_name: String,
    email: Option<String>,
    is_bot: bool,
    bot_id: Option<String>,
    deleted: bool,
    updated: i64,
    is_admin: bool,
    is_owner: bool,
    /// A multi-channel guest (`is_restricted`); a single-channel guest also has
    /// `is_ultra_restricted`.
    is_restricted: bool,
    is_ultra_restricted: bool,
    /// Slack sends it only for `users.info` with `include_locale=true`.
    locale: String,
}

struct UserGroup {
    id: String,
    team_id: String,
    handle: String,
    name: String,
    description: String,
    users: Vec<String>,
    created: i64,
    updated: i64,
    /// Non-zero once the group is disabled (`usergroups.disable`).
    date_delete: i64,
    created_by: String,
    updated_by: String,
}

struct Channel {
    id: String,
    /// The workspace the channel lives in (whose tokens can see it).
    team_id: String,
    name: String,
    private: bool,
    archived: bool,
    /// DM with this user (`is_im`).
    im_user: Option<String>,
    shared_from_team: Option<String>,
    members: BTreeSet<String>,
    created: i64,
    creator: String,
    messages: Vec<Msg>,
    previous_names: Vec<String>,
    /// Deleted channels stay in the store (indices stay valid) but are invisible to the API.
    deleted: bool,
}

#[derive(Clone)]
struct Msg {
    ts: String,
    user: String,
    bot_id: Option<String>,
    app_id: Option<String>,
    team: String,
    text: String,
    blocks: Option<Value>,
    attachments: Option<Value>,
    metadata: Option<Value>,
    thread_ts: Option<String>,
    parent_user_id: Option<String>,
    reply_count: usize,
    reply_users: Vec<String>,
    latest_reply: Option<String>,
    subtype: Option<String>,
    edited: Option<(String, String)>,
    username: Option<String>,
    bot_profile: Option<Value>,
    /// Set on messages typed by humans in a Slack client.
    client_msg_id: Option<String>,
    /// `(emoji name, users who reacted)`, in the order the emoji were first added.
    reactions: Vec<(String, Vec<String>)>,
    /// `hidden: true` (a deleted thread parent's tombstone).
    hidden: bool,
    /// Files shared by the message (`files.completeUploadExternal`), as Slack lists them.
    files: Option<Value>,
}

/// One `chat.postEphemeral` message (never stored in the channel's history).
struct Ephemeral {
    channel: String,
    user: String,
    text: String,
    blocks: Option<Value>,
    attachments: Option<Value>,
    thread_ts: Option<String>,
    message_ts: String,
}

struct SocketConn {
    id: u64,
    tx: mpsc::UnboundedSender<SocketCmd>,
}

enum SocketCmd {
    Send(String),
    Disconnect(String, oneshot::Sender<()>),
    /// Send `disconnect` with this reason, then close the socket after the grace.
    DisconnectLater(String, Duration),
    /// Drop the connection with no `disconnect` and no close frame (a restart of Slack's
    /// edge).
    Drop,
}

/// How long Slack keeps a Socket Mode connection. Slack's `hello` announces it in
/// `debug_info.approximate_connection_time` (seconds; 18060 in Slack's example at
/// https://api.slack.com/apis/socket-mode), and near its end Slack sends
/// `{"type": "disconnect", "reason": "refresh_requested"}` and closes the socket a few
/// seconds later ("Using Socket Mode": "Slack will … disconnect … with a refresh_requested
/// reason"; slack-morphism #125 and bolt-js #1906 describe the ~5-hour cut).
#[derive(Clone, Copy, Debug)]
struct SocketLifetime {
    announced_secs: u64,
    /// When the emulator rotates the connection (None: never, as in most tests).
    rotate_after: Option<Duration>,
    /// Between the `refresh_requested` and the close.
    grace: Duration,
}

impl Default for SocketLifetime {
    fn default() -> Self {
        Self {
            announced_secs: 18060,
            rotate_after: None,
            grace: Duration::from_secs(10),
        }
    }
}

/// One Socket Mode connection's network path between the client and the emulator's
/// WebSocket server. Frozen, it carries nothing either way but stays open: the silent
/// socket of bolt-js #1906, which neither side sees closing.
struct Flow {
    frozen: std::sync::atomic::AtomicBool,
}

struct ApiErr {
    code: String,
    extra: Args,
}

fn err(code: &str) -> ApiErr {
    ApiErr {
        code: code.to_string(),
        extra: Map::new(),
    }
}

type ApiResult = Result<Args, ApiErr>;

/// The validated content arguments of `chat.postMessage` / `chat.update`.
struct Content {
    text: Option<String>,
    blocks: Option<Value>,
    attachments: Option<Value>,
    metadata: Option<Value>,
}

/// Slack's published per-method rate tiers, per (workspace, method): a sliding one-minute
/// window allowing that many calls (Slack tolerates bursts up to the per-minute count).
struct RateTiers {
    /// A "minute" lasts `60 / time_scale` real seconds.
    window: Duration,
    /// Accepted calls in the current window, oldest first.
    hits: HashMap<(String, String), VecDeque<Instant>>,
}

/// The tier Slack publishes for a method (`None`: not tier-limited here, e.g. `chat.postMessage`,
/// which Slack limits per channel instead).
fn rate_tier(method: &str) -> Option<u8> {
    match method {
        "conversations.history" | "conversations.replies" => Some(1),
        "conversations.list" | "users.list" | "usergroups.list" => Some(2),
        "conversations.info"
        | "conversations.join"
        | "conversations.open"
        | "usergroups.users.list"
        | "users.lookupByEmail"
        | "chat.update"
        | "chat.delete"
        | "reactions.add"
        | "auth.revoke" => Some(3),
        "users.info"
        | "conversations.members"
        | "oauth.v2.access"
        | "chat.postEphemeral"
        | "chat.getPermalink"
        | "files.getUploadURLExternal"
        | "files.completeUploadExternal"
        | "files.info" => Some(4),
        m if m.starts_with("views.") => Some(4),
        _ => None,
    }
}

/// Calls per minute Slack allows in a tier.
fn tier_per_minute(tier: u8) -> usize {
    match tier {
        1 => 1,
        2 => 20,
        3 => 50,
        _ => 100,
    }
}

struct State {
    seq: u64,
    last_ts_micros: u64,
    app_id: String,
    ws_base: String,
    teams: Vec<Team>,
    tokens: HashMap<String, TokenInfo>,
    channels: Vec<Channel>,
    users: Vec<User>,
    /// Id → index in `channels` / `users`, and each team's indices in creation order, so that
    /// lookups and list pages stay cheap with 100k users and 20k channels.
    channel_index: HashMap<String, usize>,
    user_index: HashMap<String, usize>,
    team_channels: HashMap<String, Vec<usize>>,
    team_users: HashMap<String, Vec<usize>>,
    /// The bot's DM with a user: `(team, user)` → channel index.
    ims: HashMap<(String, String), usize>,
    usergroups: Vec<UserGroup>,
    /// Per-(workspace, method) rate tiers, when `enforce_rate_tiers` turned them on.
    rate: Option<RateTiers>,
    /// The most messages a `conversations.history` / `conversations.replies` page holds
    /// (`cap_history_pages`).
    history_page_cap: Option<usize>,
    faults: HashMap<String, VecDeque<Fault>>,
    chaos: Option<(Chaos, fastrand::Rng)>,
    /// How long each call of a method takes before Slack answers (benchmarks).
    latency: HashMap<String, Duration>,
    /// Faults applied (queued and chaos), per method.
    faulted: HashMap<String, usize>,
    /// Requests received per method, counted on arrival (before faults and delays).
    received: HashMap<String, usize>,
    calls: Vec<CallRecord>,
    tickets: HashSet<String>,
    sockets: Vec<SocketConn>,
    socket_seq: u64,
    socket_rr: usize,
    /// Connections that got `hello`, ever.
    sockets_opened: usize,
    /// Times the last open connection went, leaving none.
    socket_gaps: usize,
    /// What `hello` announces and when the connection is rotated (`set_socket_lifetime`).
    socket_lifetime: SocketLifetime,
    /// The network path of each Socket Mode connection (see `socket_freeze_all`).
    flows: Vec<Arc<Flow>>,
    pending_acks: HashMap<String, oneshot::Sender<Value>>,
    acks: Vec<Value>,
    /// The app's verification token, sent as `token` in interaction payloads.
    verification_token: String,
    triggers: HashMap<String, Trigger>,
    /// Modals and Home tabs, in creation order.
    views: Vec<StoredView>,
    oauth: OAuthState,
    /// Slash commands' `response_url`s by path, with what was posted to each.
    response_urls: HashMap<String, ResponseUrl>,
    /// `chat.postEphemeral` messages, in the order they were sent.
    ephemerals: Vec<Ephemeral>,
    /// Files of `files.getUploadURLExternal`, by id, in the order they were asked for.
    files: Vec<StoredFile>,
    /// `http://127.0.0.1:PORT`: where upload URLs point.
    http_base: String,
    /// Time zones set with `set_user_tz` (user → tz, tz_label, tz_offset); others are in
    /// Los Angeles.
    time_zones: HashMap<String, (String, String, i64)>,
}

struct Inner {
    state: Mutex<State>,
    connections: watch::Sender<usize>,
    shutdown: watch::Receiver<bool>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn random_alnum(n: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(n)
        .collect()
}

fn random_uuid() -> String {
    let hex = |n: usize| -> String {
        std::iter::repeat_with(|| {
            char::from_digit(fastrand::u32(0..16), 16).expect("digit below 16")
        })
        .take(n)
        .collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

// ---------------------------------------------------------------------------------------------
// The handle
// ---------------------------------------------------------------------------------------------

/// A running emulator on `127.0.0.1:<random port>`; stops when dropped or on `shutdown()`.
pub struct SlackEmulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for SlackEmulator {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
    }
}

impl SlackEmulator {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Slack emulator on 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        // Socket Mode URLs point at a relay in front of the WebSocket server, so a test
        // can cut a connection's network path without either side closing it.
        let relay = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Socket Mode relay on 127.0.0.1:0");
        let relay_addr = relay.local_addr().expect("local address");
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (connections, _) = watch::channel(0usize);
        let mut seq = 0u64;
        let app_id = {
            seq += 1;
            format!("A{seq:010X}")
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                seq,
                last_ts_micros: 0,
                app_id,
                ws_base: format!("ws://{relay_addr}/socket/"),
                teams: Vec::new(),
                tokens: HashMap::new(),
                channels: Vec::new(),
                users: Vec::new(),
                channel_index: HashMap::new(),
                user_index: HashMap::new(),
                team_channels: HashMap::new(),
                team_users: HashMap::new(),
                ims: HashMap::new(),
                usergroups: Vec::new(),
                rate: None,
                history_page_cap: None,
                faults: HashMap::new(),
                chaos: None,
                latency: HashMap::new(),
                faulted: HashMap::new(),
                received: HashMap::new(),
                calls: Vec::new(),
                tickets: HashSet::new(),
                sockets: Vec::new(),
                socket_seq: 0,
                socket_rr: 0,
                sockets_opened: 0,
                socket_gaps: 0,
                socket_lifetime: SocketLifetime::default(),
                flows: Vec::new(),
                pending_acks: HashMap::new(),
                acks: Vec::new(),
                verification_token: random_alnum(24),
                triggers: HashMap::new(),
                views: Vec::new(),
                oauth: OAuthState::default(),
                response_urls: HashMap::new(),
                ephemerals: Vec::new(),
                files: Vec::new(),
                http_base: format!("http://{addr}"),
                time_zones: HashMap::new(),
            }),
            connections,
            shutdown: shutdown_rx.clone(),
        });
        let app = Router::new()
            .route("/socket/{ticket}", any(socket_handler))
            .route("/oauth/v2/authorize", get(oauth_authorize))
            .route(
                "/commands/{team}/{id}/{secret}",
                axum::routing::post(response_url_handler),
            )
            // Slack's upload URL takes files up to its 1 GB limit, not axum's 2 MB default.
            .route(
                "/upload/v1/{key}",
                axum::routing::post(upload_handler).layer(axum::extract::DefaultBodyLimit::max(
                    usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX),
                )),
            )
            .route(
                "/files-pri/{file}/download/{name}",
                get(file_download_handler),
            )
            .fallback(api_entry)
            .with_state(inner.clone());
        tokio::spawn(relay_flows(relay, addr, inner.clone(), shutdown_rx.clone()));
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await;
        });
        SlackEmulator {
            inner,
            addr,
            shutdown_tx,
            server: Mutex::new(Some(server)),
        }
    }

    /// Stops the server and closes every Socket Mode connection.
    pub async fn shutdown(&self) {
        self.shutdown_tx.send_replace(true);
        let handle = self
            .server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // In-flight requests (e.g. a long Delay fault) may outlive the grace period.
            let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
        }
    }

    /// `http://127.0.0.1:PORT/api/`. slack-morphism formats `{base}/{method}`; the emulator
    /// accepts the resulting `/api//{method}` as well as `/api/{method}`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The emulated app's id (`A…`), shared by every workspace it is installed in.
    pub fn app_id(&self) -> String {
        self.inner.lock().app_id.clone()
    }

    /// Installs the app in a new workspace: bot user (`U…`), bot id (`B…`), `xoxb-`/`xapp-` tokens.
    pub fn add_workspace(&self, team_id: &str, name: &str) -> Workspace {
        let mut st = self.inner.lock();
        assert!(
            st.team(team_id).is_none(),
            "workspace {team_id} already exists"
        );
        let bot_user_id = st.new_id('U');
        let bot_id = st.new_id('B');
        let bot_token = new_slack_token("xoxb");
        let app_token = format!(
            "xapp-1-{}-{}-{}",
            st.app_id,
            fastrand::u64(1_000_000_000..10_000_000_000),
            std::iter::repeat_with(|| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
                .take(64)
                .collect::<String>()
        );
        let domain: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        st.tokens.insert(
            bot_token.clone(),
            TokenInfo {
                team_id: team_id.to_string(),
                kind: TokenKind::Bot,
                revoked: false,
                user_id: None,
            },
        );
        st.tokens.insert(
            app_token.clone(),
            TokenInfo {
                team_id: team_id.to_string(),
                kind: TokenKind::App,
                revoked: false,
                user_id: None,
            },
        );
        st.push_user(User {
            id: bot_user_id.clone(),
            team_id: team_id.to_string(),
            name: "herald".to_string(),
            real_name: "Herald".to_string(),
            display_name: String::new(),
            email: None,
            is_bot: true,
            bot_id: Some(bot_id.clone()),
            deleted: false,
            updated: now_secs(),
            is_admin: false,
            is_owner: false,
            is_restricted: false,
            is_ultra_restricted: false,
            locale: "en-US".to_string(),
        });
        st.teams.push(Team {
            id: team_id.to_string(),
            name: name.to_string(),
            domain,
            bot_user_id: bot_user_id.clone(),
            bot_id: bot_id.clone(),
            bot_token: bot_token.clone(),
            app_token: app_token.clone(),
            bot_scopes: Vec::new(),
        });
        Workspace {
            team_id: team_id.to_string(),
            team_name: name.to_string(),
            bot_token,
            app_token,
            bot_user_id,
            bot_id,
        }
    }

    /// The workspace as created by `add_workspace`, with its latest bot token.
    pub fn workspace(&self, team_id: &str) -> Option<Workspace> {
        let st = self.inner.lock();
        st.team(team_id).map(|t| Workspace {
            team_id: t.id.clone(),
            team_name: t.name.clone(),
            bot_token: t.bot_token.clone(),
            app_token: t.app_token.clone(),
            bot_user_id: t.bot_user_id.clone(),
            bot_id: t.bot_id.clone(),
        })
    }

    /// Adds a channel to `team_id`'s workspace; returns its `C…` id.
    pub fn add_channel(&self, team_id: &str, spec: ChannelSpec) -> String {
        let mut st = self.inner.lock();
        let bot_user = st
            .team(team_id)
            .unwrap_or_else(|| panic!("unknown workspace {team_id}"))
            .bot_user_id
            .clone();
        let id = st.new_id('C');
        let creator = st.first_human(team_id).unwrap_or_else(|| bot_user.clone());
        let mut members = BTreeSet::new();
        if spec.bot_member {
            members.insert(bot_user);
        }
        st.push_channel(Channel {
            id: id.clone(),
            team_id: team_id.to_string(),
            name: spec.name,
            private: spec.private,
            archived: spec.archived,
            im_user: None,
            shared_from_team: spec.shared_from_team,
            members,
            created: now_secs(),
            creator,
            messages: Vec::new(),
            previous_names: Vec::new(),
            deleted: false,
        });
        id
    }

    /// Adds a human user; returns its `U…` id.
    pub fn add_user(&self, team_id: &str, name: &str, email: &str) -> String {
        let mut st = self.inner.lock();
        assert!(st.team(team_id).is_some(), "unknown workspace {team_id}");
        let id = st.new_id('U');
        let handle: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_whitespace() { '.' } else { c })
            .collect();
        st.push_user(User {
            id: id.clone(),
            team_id: team_id.to_string(),
            name: handle,
            real_name: name.to_string(),
            display_name: name.to_string(),
            email: (!email.is_empty()).then(|| email.to_string()),
            is_bot: false,
            bot_id: None,
            deleted: false,
            updated: now_secs(),
            is_admin: false,
            is_owner: false,
            is_restricted: false,
            is_ultra_restricted: false,
            locale: "en-US".to_string(),
        });
        id
    }

    /// Marks a user deactivated (`deleted: true`).
    pub fn set_user_deleted(&self, user: &str, deleted: bool) {
        let mut st = self.inner.lock();
        let u = st.user_mut(user);
        u.deleted = deleted;
        u.updated = now_secs();
    }

    /// Makes a user a workspace admin and/or owner, as `users.info` reports them.
    pub fn set_user_role(&self, user: &str, admin: bool, owner: bool) {
        let mut st = self.inner.lock();
        let u = st.user_mut(user);
        u.is_admin = admin || owner;
        u.is_owner = owner;
        u.updated = now_secs();
    }

    /// Makes a user a guest as `users.info` reports them: multi-channel
    /// (`is_restricted`) or single-channel (`is_restricted` and `is_ultra_restricted`),
    /// per https://api.slack.com/types/user.
    pub fn set_user_guest(&self, user: &str, single_channel: bool) {
        let mut st = self.inner.lock();
        let u = st.user_mut(user);
        u.is_restricted = true;
        u.is_ultra_restricted = single_channel;
        u.updated = now_secs();
    }

    /// Sets a user's Slack locale (e.g. `ja-JP`).
    pub fn set_user_locale(&self, user: &str, locale: &str) {
        let mut st = self.inner.lock();
        let u = st.user_mut(user);
        u.locale = locale.to_string();
    }

    /// The user's time zone as `users.info` reports it (`tz`, `tz_label`, `tz_offset` in
    /// seconds east of UTC); users are in Los Angeles until this is called.
    pub fn set_user_tz(&self, user: &str, tz: &str, label: &str, offset_secs: i64) {
        let mut st = self.inner.lock();
        st.user_mut(user);
        st.time_zones
            .insert(user.to_string(), (tz.into(), label.into(), offset_secs));
    }

    /// Adds a user group (`S…`) with `@handle` and these member user ids.
    pub fn add_usergroup(&self, team_id: &str, handle: &str, members: &[&str]) -> String {
        let mut st = self.inner.lock();
        assert!(st.team(team_id).is_some(), "unknown workspace {team_id}");
        let id = st.new_id('S');
        let bot = st.bot_user(team_id);
        let now = now_secs();
        st.usergroups.push(UserGroup {
            id: id.clone(),
            team_id: team_id.to_string(),
            handle: handle.to_string(),
            name: handle.to_string(),
            description: String::new(),
            users: members.iter().map(|m| (*m).to_string()).collect(),
            created: now,
            updated: now,
            date_delete: 0,
            created_by: bot.clone(),
            updated_by: bot,
        });
        id
    }

    /// Adds a (human) member to a channel.
    pub fn add_member(&self, channel: &str, user: &str) {
        let mut st = self.inner.lock();
        st.channel_mut(channel).members.insert(user.to_string());
    }

    pub fn set_bot_member(&self, channel: &str, member: bool) {
        let mut st = self.inner.lock();
        let team_id = st.channel_mut(channel).team_id.clone();
        let bot = st
            .team(&team_id)
            .map(|t| t.bot_user_id.clone())
            .unwrap_or_default();
        let ch = st.channel_mut(channel);
        if member {
            ch.members.insert(bot);
        } else {
            ch.members.remove(&bot);
        }
    }

    pub fn archive_channel(&self, channel: &str) {
        self.inner.lock().channel_mut(channel).archived = true;
    }

    pub fn unarchive_channel(&self, channel: &str) {
        self.inner.lock().channel_mut(channel).archived = false;
    }

    /// Seeds a message from a (human) user, as if posted in Slack (with the `rich_text` blocks
    /// and `client_msg_id` a Slack client adds); returns its `ts`. No checks and no event: see
    /// `user_message` / `user_reply` for those.
    pub fn post_as_user(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        self.inner
            .lock()
            .store_user_message(channel, user, text, thread_ts)
            .ts
    }

    /// Later calls with this token fail with `token_revoked`.
    pub fn revoke_token(&self, token: &str) {
        if let Some(t) = self.inner.lock().tokens.get_mut(token) {
            t.revoked = true;
        }
    }

    /// Turns seeded chaos on (`Some`) or off (`None`).
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.inner.lock().chaos = chaos.map(|c| {
            let rng = fastrand::Rng::with_seed(c.seed);
            (c, rng)
        });
    }

    /// Every call of `method` takes `latency` before it is handled (Slack's own answer
    /// time, for benchmarks); `Duration::ZERO` turns it off.
    pub fn set_latency(&self, method: &str, latency: Duration) {
        self.inner
            .lock()
            .latency
            .insert(method.to_string(), latency);
    }

    /// How many calls of `method` met a fault (queued or chaos).
    pub fn faulted(&self, method: &str) -> usize {
        self.inner.lock().faulted.get(method).copied().unwrap_or(0)
    }

    /// Queues a fault for the next call of `method` (FIFO).
    pub fn inject(&self, method: &str, fault: Fault) {
        self.inner
            .lock()
            .faults
            .entry(method.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Stored messages (thread replies included), oldest first, in Slack's message shape with
    /// `metadata` always included.
    pub fn messages(&self, channel: &str) -> Vec<Value> {
        let st = self.inner.lock();
        st.channel_index
            .get(channel)
            .map(|&i| {
                st.channels[i]
                    .messages
                    .iter()
                    .map(|m| render_msg(m, true))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Requests of `method` that have arrived, including ones still being answered
    /// (a `Fault::Delay` in progress): lets a test act while a call is in flight.
    pub fn received(&self, method: &str) -> usize {
        self.inner.lock().received.get(method).copied().unwrap_or(0)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner
            .lock()
            .calls
            .iter()
            .map(CallRecord::to_call)
            .collect()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.inner
            .lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(CallRecord::to_call)
            .collect()
    }

    /// Turns on Slack's per-(workspace, method) rate tiers (off by default): Tier 1 1/min,
    /// Tier 2 20/min, Tier 3 50/min, Tier 4 100/min over a sliding minute, bursts up to that
    /// count allowed. `time_scale` compresses time: with 60.0 a "minute" lasts one second. A call
    /// over the limit gets HTTP 429, `Retry-After` (whole real seconds, at least 1) and
    /// `{"ok":false,"error":"ratelimited"}`, and is recorded with status 429; it does not use up
    /// quota. Tiers: `conversations.history`/`replies` 1; `conversations.list`, `users.list`,
    /// `usergroups.list` 2; `conversations.info`/`join`/`open`, `usergroups.users.list`,
    /// `users.lookupByEmail`, `chat.update`/`delete`, `reactions.add`, `auth.revoke` 3;
    /// `users.info`, `conversations.members`, `views.*`, `oauth.v2.access`,
    /// `chat.postEphemeral`, `chat.getPermalink` 4. `chat.postMessage` stays
    /// unlimited (use `inject` for its 429s). Calling it again restarts every window.
    pub fn enforce_rate_tiers(&self, time_scale: f64) {
        assert!(
            time_scale.is_finite() && time_scale > 0.0,
            "time_scale must be positive"
        );
        self.inner.lock().rate = Some(RateTiers {
            window: Duration::from_secs_f64(60.0 / time_scale),
            hits: HashMap::new(),
        });
    }

    /// Pages of `conversations.history` and `conversations.replies` hold at most `max`
    /// messages whatever `limit` asks: Slack's rule for commercially distributed apps
    /// outside the Marketplace ("the maximum and default value of the limit parameter"
    /// is 15, docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps).
    /// None lifts it.
    pub fn cap_history_pages(&self, max: Option<usize>) {
        self.inner.lock().history_page_cap = max;
    }

    /// Turns rate tiers off again.
    pub fn stop_rate_tiers(&self) {
        self.inner.lock().rate = None;
    }

    /// Calls of `method` answered with HTTP 429 (by a rate tier or an injected
    /// `Fault::RateLimited`).
    pub fn rate_limited(&self, method: &str) -> usize {
        self.inner
            .lock()
            .calls
            .iter()
            .filter(|c| c.method == method && c.status == 429)
            .count()
    }

    // ----- Socket Mode -----

    /// Waits until at least `n` Socket Mode clients are connected (and have had `hello`).
    pub async fn wait_socket_connections(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.inner.connections.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|count| *count >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Currently connected Socket Mode clients.
    pub fn socket_connection_count(&self) -> usize {
        self.inner.lock().sockets.len()
    }

    /// Wraps `payload` in a Socket Mode envelope of `envelope_type` (`events_api`,
    /// `interactive`, `slash_commands`), sends it to one connected client (round robin) and
    /// returns its ack (`{envelope_id, payload?}`), or `None` if none came within `timeout`.
    /// Waits (within `timeout`) for a client if none is connected.
    pub async fn socket_send(
        &self,
        envelope_type: &str,
        payload: Value,
        timeout: Duration,
    ) -> Option<Value> {
        let accepts_response_payload = match envelope_type {
            "slash_commands" => true,
            "interactive" => matches!(
                payload.get("type").and_then(Value::as_str),
                Some("view_submission" | "block_suggestion")
            ),
            _ => false,
        };
        let mut envelope = json!({
            "envelope_id": random_uuid(),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        });
        if envelope_type == "events_api" {
            envelope["retry_attempt"] = json!(0);
            envelope["retry_reason"] = json!("");
        }
        self.socket_send_raw(envelope, timeout).await
    }

    /// Sends a complete envelope as given (e.g. a redelivery with `retry_attempt: 1` and the
    /// same `envelope_id`), returning the ack as `socket_send` does.
    pub async fn socket_send_raw(&self, envelope: Value, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        if !self.wait_socket_connections(1, timeout).await {
            return None;
        }
        let envelope_id = envelope
            .get("envelope_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let text = envelope.to_string();
        let (ack_tx, ack_rx) = oneshot::channel();
        {
            let mut st = self.inner.lock();
            if st.sockets.is_empty() {
                return None;
            }
            let index = st.socket_rr % st.sockets.len();
            st.socket_rr = st.socket_rr.wrapping_add(1);
            if let Some(id) = &envelope_id {
                st.pending_acks.insert(id.clone(), ack_tx);
            }
            if st.sockets[index].tx.send(SocketCmd::Send(text)).is_err() {
                if let Some(id) = &envelope_id {
                    st.pending_acks.remove(id);
                }
                return None;
            }
        }
        let id = envelope_id?;
        match tokio::time::timeout_at(deadline, ack_rx).await {
            Ok(Ok(ack)) => Some(ack),
            _ => {
                self.inner.lock().pending_acks.remove(&id);
                None
            }
        }
    }

    /// Sends `{"type":"disconnect","reason":…}` to every client, closes the sockets and waits
    /// until they are gone.
    pub async fn socket_disconnect_all(&self, reason: &str) {
        let waits: Vec<oneshot::Receiver<()>> = {
            let st = self.inner.lock();
            st.sockets
                .iter()
                .filter_map(|s| {
                    let (tx, rx) = oneshot::channel();
                    s.tx.send(SocketCmd::Disconnect(reason.to_string(), tx))
                        .ok()
                        .map(|()| rx)
                })
                .collect()
        };
        for rx in waits {
            let _ = tokio::time::timeout(Duration::from_secs(5), rx).await;
        }
    }

    /// Connections that have been opened (and had `hello`) since the start.
    pub fn socket_opened(&self) -> usize {
        self.inner.lock().sockets_opened
    }

    /// How many times the app was left with no open connection (the last one closing),
    /// since the start: each is a moment when Slack had nowhere to send an event.
    pub fn socket_gaps(&self) -> usize {
        self.inner.lock().socket_gaps
    }

    /// Sends `{"type": "disconnect", "reason": …}` to the oldest connection and closes it
    /// `grace` later, as Slack does before it rotates or cuts a connection (`warning`:
    /// "about 10 seconds"; https://api.slack.com/apis/socket-mode#disconnect).
    pub fn socket_disconnect_oldest(&self, reason: &str, grace: Duration) {
        if let Some(s) = self.inner.lock().sockets.first() {
            let _ =
                s.tx.send(SocketCmd::DisconnectLater(reason.to_string(), grace));
        }
    }

    /// Drops every connection at once, with no `disconnect` and no close frame: Slack's
    /// edge restarting.
    pub async fn socket_drop_all(&self) {
        {
            let st = self.inner.lock();
            for s in &st.sockets {
                let _ = s.tx.send(SocketCmd::Drop);
            }
        }
        let mut rx = self.inner.connections.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|n| *n == 0)).await;
    }

    /// Cuts the network path of every open connection without closing it: nothing passes
    /// either way (no frames, no pongs), and the emulator keeps routing envelopes to those
    /// sockets, as Slack would, until the client gives up on one and its TCP connection
    /// closes. Connections opened later are not affected.
    pub fn socket_freeze_all(&self) {
        for flow in &self.inner.lock().flows {
            flow.frozen
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// `hello` announces `announced_secs` as `approximate_connection_time`; after
    /// `rotate_after` Slack sends `disconnect` with `refresh_requested` and closes the
    /// socket `grace` later. Applies to connections opened from now on.
    pub fn set_socket_lifetime(
        &self,
        announced_secs: u64,
        rotate_after: Duration,
        grace: Duration,
    ) {
        self.inner.lock().socket_lifetime = SocketLifetime {
            announced_secs,
            rotate_after: Some(rotate_after),
            grace,
        };
    }

    /// Delivers an Events API payload the way Slack does over Socket Mode: an envelope
    /// that is not acknowledged within 3 seconds is sent again, with `retry_attempt`
    /// counting up and `retry_reason: "timeout"`, up to 3 retries (Slack's Events API
    /// retries three times, https://api.slack.com/apis/events-api#retries; the emulator
    /// retries at once rather than after Slack's 1 and 5 minutes). Each delivery is a new
    /// envelope, as a new `envelope_id` per delivery is what Slack's envelopes carry in
    /// the SDKs' fixtures; Herald dedupes on the payload's `event_id`. Returns the ack and
    /// how many deliveries it took (None: never acknowledged).
    pub async fn socket_deliver_event(&self, payload: Value) -> (Option<Value>, u32) {
        for attempt in 0..=3u32 {
            let envelope = json!({
                "envelope_id": random_uuid(),
                "type": "events_api",
                "payload": payload,
                "accepts_response_payload": false,
                "retry_attempt": attempt,
                "retry_reason": if attempt == 0 { "" } else { "timeout" },
            });
            if let Some(ack) = self.socket_send_raw(envelope, Duration::from_secs(3)).await {
                return (Some(ack), attempt + 1);
            }
        }
        (None, 4)
    }

    /// Every ack received from clients, in arrival order.
    pub fn socket_acks(&self) -> Vec<Value> {
        self.inner.lock().acks.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// State helpers
// ---------------------------------------------------------------------------------------------

impl State {
    fn new_id(&mut self, prefix: char) -> String {
        self.seq += 1;
        format!("{prefix}{:010X}", self.seq)
    }

    /// Slack-style `ts`: wall-clock seconds and microseconds, strictly increasing.
    fn next_ts(&mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or_default();
        let micros = now.max(self.last_ts_micros + 1);
        self.last_ts_micros = micros;
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }

    fn team(&self, team_id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == team_id)
    }

    fn channel_mut(&mut self, id: &str) -> &mut Channel {
        let idx = *self
            .channel_index
            .get(id)
            .unwrap_or_else(|| panic!("unknown channel {id}"));
        &mut self.channels[idx]
    }

    fn user(&self, id: &str) -> Option<&User> {
        self.user_index.get(id).map(|&i| &self.users[i])
    }

    /// Whether a Slack Connect channel joins the two teams (either side may host it).
    fn shares_channel(&self, a: &str, b: &str) -> bool {
        self.channels.iter().any(|ch| {
            !ch.deleted
                && ch.shared_from_team.as_deref().is_some_and(|other| {
                    (ch.team_id == a && other == b) || (ch.team_id == b && other == a)
                })
        })
    }

    fn user_mut(&mut self, id: &str) -> &mut User {
        let idx = *self
            .user_index
            .get(id)
            .unwrap_or_else(|| panic!("unknown user {id}"));
        &mut self.users[idx]
    }

    fn push_user(&mut self, user: User) -> usize {
        let idx = self.users.len();
        self.user_index.insert(user.id.clone(), idx);
        self.team_users
            .entry(user.team_id.clone())
            .or_default()
            .push(idx);
        self.users.push(user);
        idx
    }

    fn push_channel(&mut self, channel: Channel) -> usize {
        let idx = self.channels.len();
        self.channel_index.insert(channel.id.clone(), idx);
        self.team_channels
            .entry(channel.team_id.clone())
            .or_default()
            .push(idx);
        if let Some(user) = &channel.im_user {
            self.ims
                .insert((channel.team_id.clone(), user.clone()), idx);
        }
        self.channels.push(channel);
        idx
    }

    /// The workspace's first human user (who "did" things in events), if any.
    fn first_human(&self, team_id: &str) -> Option<String> {
        self.team_users
            .get(team_id)?
            .iter()
            .map(|&i| &self.users[i])
            .find(|u| !u.is_bot && !u.deleted)
            .map(|u| u.id.clone())
    }

    fn auth(&self, token: Option<&str>, kind: TokenKind) -> Result<String, ApiErr> {
        let Some(token) = token else {
            return Err(err("not_authed"));
        };
        let Some(info) = self.tokens.get(token) else {
            return Err(err("invalid_auth"));
        };
        if info.revoked {
            return Err(err("token_revoked"));
        }
        if info.kind != kind {
            return Err(err("not_allowed_token_type"));
        }
        Ok(info.team_id.clone())
    }

    /// Channel index for an id visible in `team_id`.
    fn find_channel(&self, team_id: &str, raw: &str) -> Option<usize> {
        self.channel_index
            .get(raw)
            .copied()
            .filter(|&i| self.channels[i].team_id == team_id && !self.channels[i].deleted)
    }

    /// Like `find_channel`, also accepting `#name` / `name` (as `chat.postMessage` does).
    fn find_channel_or_name(&self, team_id: &str, raw: &str) -> Option<usize> {
        self.find_channel(team_id, raw).or_else(|| {
            let name = raw.strip_prefix('#').unwrap_or(raw);
            self.channels.iter().position(|c| {
                c.team_id == team_id && c.im_user.is_none() && !c.deleted && c.name == name
            })
        })
    }

    fn bot_user(&self, team_id: &str) -> String {
        self.team(team_id)
            .map(|t| t.bot_user_id.clone())
            .unwrap_or_default()
    }

    /// The DM between the bot and `user`, created on first use.
    fn im_with(&mut self, team_id: &str, user: &str) -> usize {
        if let Some(&i) = self.ims.get(&(team_id.to_string(), user.to_string())) {
            return i;
        }
        let id = self.new_id('D');
        let bot = self.bot_user(team_id);
        self.push_channel(Channel {
            id,
            team_id: team_id.to_string(),
            name: String::new(),
            private: true,
            archived: false,
            im_user: Some(user.to_string()),
            shared_from_team: None,
            members: [bot, user.to_string()].into_iter().collect(),
            created: now_secs(),
            creator: user.to_string(),
            messages: Vec::new(),
            previous_names: Vec::new(),
            deleted: false,
        })
    }

    fn channel_json(&self, ch: &Channel, viewer_team: &str, include_num_members: bool) -> Value {
        let bot = self.bot_user(viewer_team);
        let is_member = ch.members.contains(&bot);
        if let Some(user) = &ch.im_user {
            return json!({
                "id": ch.id,
                "created": ch.created,
                "is_archived": false,
                "is_im": true,
                "is_org_shared": false,
                "context_team_id": ch.team_id,
                "updated": ch.created * 1000,
                "user": user,
                "is_user_deleted": self.user(user).is_some_and(|u| u.deleted),
                "priority": 0,
            });
        }
        // As Slack reports them (conversation object docs; slack-go/slack
        // conversation_test.go `sharedChannel`): `context_team_id` is the workspace that
        // asks, `conversation_host_id` the one hosting the channel, `shared_team_ids`
        // the workspaces it is shared with.
        let (shared_team_ids, host) = match &ch.shared_from_team {
            Some(owner) => (json!([owner, ch.team_id]), owner.clone()),
            None => (json!([ch.team_id]), ch.team_id.clone()),
        };
        let context_team_id = viewer_team.to_string();
        let mut v = json!({
            "id": ch.id,
            "name": ch.name,
            "is_channel": true,
            "is_group": false,
            "is_im": false,
            "is_mpim": false,
            "is_private": ch.private,
            "created": ch.created,
            "is_archived": ch.archived,
            "is_general": false,
            "unlinked": 0,
            "name_normalized": ch.name.to_lowercase(),
            "is_shared": ch.shared_from_team.is_some(),
            "is_org_shared": false,
            "is_pending_ext_shared": false,
            "pending_shared": [],
            "context_team_id": context_team_id,
            "updated": ch.created * 1000,
            "parent_conversation": null,
            "creator": ch.creator,
            "is_ext_shared": ch.shared_from_team.is_some(),
            "shared_team_ids": shared_team_ids,
            "conversation_host_id": host,
            "pending_connected_team_ids": [],
            "is_member": is_member,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": ch.previous_names,
        });
        if include_num_members {
            v["num_members"] = json!(ch.members.len());
        }
        v
    }

    fn user_json(&self, u: &User) -> Value {
        let tz = self.time_zones.get(&u.id).cloned().unwrap_or_else(|| {
            (
                "America/Los_Angeles".to_string(),
                "Pacific Standard Time".to_string(),
                -28800,
            )
        });
        let mut profile = json!({
            "real_name": u.real_name,
            "real_name_normalized": u.real_name,
            "display_name": u.display_name,
            "display_name_normalized": u.display_name,
            "status_text": "",
            "status_emoji": "",
            "avatar_hash": "g0123456789a",
            "image_24": "https://a.slack-edge.com/avatars/24.png",
            "image_48": "https://a.slack-edge.com/avatars/48.png",
            "image_72": "https://a.slack-edge.com/avatars/72.png",
            "team": u.team_id,
        });
        if let Some(email) = &u.email {
            profile["email"] = json!(email);
        }
        if let Some(bot_id) = &u.bot_id {
            profile["bot_id"] = json!(bot_id);
            profile["api_app_id"] = json!(self.app_id);
            profile["always_active"] = json!(false);
        }
        json!({
            "id": u.id,
            "team_id": u.team_id,
            "name": u.name,
            "deleted": u.deleted,
            "color": "9f69e7",
            "real_name": u.real_name,
            "tz": tz.0,
            "tz_label": tz.1,
            "tz_offset": tz.2,
            "profile": profile,
            "is_admin": u.is_admin,
            "is_owner": u.is_owner,
            "is_primary_owner": u.is_owner,
            "is_restricted": u.is_restricted,
            "is_ultra_restricted": u.is_ultra_restricted,
            "is_bot": u.is_bot,
            "is_app_user": false,
            "updated": u.updated,
            "is_email_confirmed": u.email.is_some(),
            "who_can_share_contact_card": "EVERYONE",
        })
    }

    /// A user group as `usergroups.list` returns it: `users` with `include_users`, `user_count`
    /// with `include_count` (Slack documents both as opt-in).
    fn usergroup_json(&self, g: &UserGroup, include_users: bool, include_count: bool) -> Value {
        let deleted_by = if g.date_delete == 0 {
            Value::Null
        } else {
            json!(g.updated_by)
        };
        let mut v = json!({
            "id": g.id,
            "team_id": g.team_id,
            "is_usergroup": true,
            "is_subteam": true,
            "name": g.name,
            "description": g.description,
            "handle": g.handle,
            "is_external": false,
            "date_create": g.created,
            "date_update": g.updated,
            "date_delete": g.date_delete,
            "auto_type": null,
            "auto_provision": false,
            "enterprise_subteam_id": "",
            "created_by": g.created_by,
            "updated_by": g.updated_by,
            "deleted_by": deleted_by,
            "prefs": {"channels": [], "groups": []},
            "channel_count": 0,
        });
        if include_users {
            v["users"] = json!(g.users);
        }
        if include_count {
            v["user_count"] = json!(g.users.len());
        }
        v
    }

    /// Counts a call against its tier: `Some(retry_after_secs)` when it is over the limit.
    fn rate_check(&mut self, method: &str, token: Option<&str>) -> Option<u64> {
        self.rate.as_ref()?;
        let tier = rate_tier(method)?;
        let team_id = token
            .and_then(|t| self.tokens.get(t))
            .map(|t| t.team_id.clone())?;
        let rate = self.rate.as_mut()?;
        let window = rate.window;
        let now = Instant::now();
        let hits = rate.hits.entry((team_id, method.to_string())).or_default();
        while hits.front().is_some_and(|t| *t + window <= now) {
            hits.pop_front();
        }
        if hits.len() >= tier_per_minute(tier) {
            let free_at = hits.front().map_or(now, |t| *t + window);
            let wait = free_at.saturating_duration_since(now).as_secs_f64();
            return Some((wait.ceil() as u64).max(1));
        }
        hits.push_back(now);
        None
    }

    fn record(&mut self, call: CallRecord) {
        self.calls.push(call);
    }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

fn render_msg(m: &Msg, include_metadata: bool) -> Value {
    let mut v = Map::new();
    if let Some(id) = &m.client_msg_id {
        v.insert("client_msg_id".into(), json!(id));
    }
    v.insert("type".into(), json!("message"));
    if let Some(subtype) = &m.subtype {
        v.insert("subtype".into(), json!(subtype));
    }
    if m.hidden {
        v.insert("hidden".into(), json!(true));
    }
    v.insert("user".into(), json!(m.user));
    if let Some(bot_id) = &m.bot_id {
        v.insert("bot_id".into(), json!(bot_id));
    }
    if let Some(app_id) = &m.app_id {
        v.insert("app_id".into(), json!(app_id));
    }
    if let Some(username) = &m.username {
        v.insert("username".into(), json!(username));
    }
    v.insert("text".into(), json!(m.text));
    v.insert("ts".into(), json!(m.ts));
    v.insert("team".into(), json!(m.team));
    if let Some(bot_profile) = &m.bot_profile {
        v.insert("bot_profile".into(), bot_profile.clone());
    }
    if let Some(blocks) = &m.blocks {
        v.insert("blocks".into(), blocks.clone());
    }
    if let Some(attachments) = &m.attachments {
        v.insert("attachments".into(), attachments.clone());
    }
    if let Some(files) = &m.files {
        v.insert("files".into(), files.clone());
        v.insert("upload".into(), json!(true));
    }
    if let Some((user, ts)) = &m.edited {
        v.insert("edited".into(), json!({"user": user, "ts": ts}));
    }
    if !m.reactions.is_empty() {
        let reactions: Vec<Value> = m
            .reactions
            .iter()
            .map(|(name, users)| json!({"name": name, "users": users, "count": users.len()}))
            .collect();
        v.insert("reactions".into(), json!(reactions));
    }
    if include_metadata && let Some(metadata) = &m.metadata {
        v.insert("metadata".into(), metadata.clone());
    }
    if let Some(thread_ts) = &m.thread_ts {
        v.insert("thread_ts".into(), json!(thread_ts));
        if thread_ts == &m.ts {
            v.insert("reply_count".into(), json!(m.reply_count));
            v.insert("reply_users_count".into(), json!(m.reply_users.len()));
            v.insert("latest_reply".into(), json!(m.latest_reply));
            v.insert("reply_users".into(), json!(m.reply_users));
            v.insert("is_locked".into(), json!(false));
            v.insert("subscribed".into(), json!(false));
        } else if let Some(parent_user) = &m.parent_user_id {
            v.insert("parent_user_id".into(), json!(parent_user));
        }
    }
    Value::Object(v)
}

/// Stores `msg` in `ch`, threading it under `thread_ts` if given. Returns the stored message,
/// or `None` when the thread parent does not exist.
fn insert_message(
    ch: &mut Channel,
    mut msg: Msg,
    thread_ts: Option<&str>,
    broadcast: bool,
) -> Option<Msg> {
    if let Some(thread_ts) = thread_ts {
        let parent_index = ch.messages.iter().position(|m| m.ts == thread_ts)?;
        // A reply's ts threads under that reply's parent.
        let root_ts = ch.messages[parent_index]
            .thread_ts
            .clone()
            .unwrap_or_else(|| thread_ts.to_string());
        let root = ch.messages.iter_mut().find(|m| m.ts == root_ts)?;
        root.thread_ts = Some(root.ts.clone());
        root.reply_count += 1;
        if !root.reply_users.contains(&msg.user) {
            root.reply_users.push(msg.user.clone());
        }
        root.latest_reply = Some(msg.ts.clone());
        msg.parent_user_id = Some(root.user.clone());
        msg.thread_ts = Some(root_ts);
        if broadcast {
            msg.subtype = Some("thread_broadcast".into());
        }
    }
    ch.messages.push(msg.clone());
    Some(msg)
}

fn is_top_level(m: &Msg) -> bool {
    match &m.thread_ts {
        None => true,
        Some(t) => *t == m.ts || m.subtype.as_deref() == Some("thread_broadcast"),
    }
}

/// Deletes `ch.messages[mi]` as Slack does. A thread parent that still has replies stays as a
/// tombstone (`subtype: "tombstone"`, `hidden: true`, `user: "USLACKBOT"`, text "This message
/// was deleted.", thread fields kept); deleting a reply refreshes its parent's `reply_count`,
/// `reply_users` and `latest_reply` (the last reply gone: a tombstone goes too, a live parent
/// stops being a thread). Returns the message as it was and the tombstone, if one was left.
fn remove_message(ch: &mut Channel, mi: usize) -> (Msg, Option<Msg>) {
    let old = ch.messages[mi].clone();
    let is_parent = old.thread_ts.as_deref() == Some(old.ts.as_str());
    if is_parent && old.reply_count > 0 {
        let m = &mut ch.messages[mi];
        m.user = "USLACKBOT".into();
        m.text = "This message was deleted.".into();
        m.subtype = Some("tombstone".into());
        m.hidden = true;
        m.bot_id = None;
        m.app_id = None;
        m.blocks = None;
        m.attachments = None;
        m.metadata = None;
        m.edited = None;
        m.username = None;
        m.bot_profile = None;
        m.client_msg_id = None;
        m.reactions.clear();
        return (old, Some(m.clone()));
    }
    ch.messages.remove(mi);
    if let Some(root_ts) = old.thread_ts.as_ref().filter(|t| **t != old.ts) {
        refresh_thread(ch, root_ts);
    }
    (old, None)
}

/// Recomputes a thread parent's reply fields from the replies left.
fn refresh_thread(ch: &mut Channel, root_ts: &str) {
    let replies: Vec<(String, String)> = ch
        .messages
        .iter()
        .filter(|m| m.ts != root_ts && m.thread_ts.as_deref() == Some(root_ts))
        .map(|m| (m.ts.clone(), m.user.clone()))
        .collect();
    let Some(ri) = ch.messages.iter().position(|m| m.ts == root_ts) else {
        return;
    };
    if replies.is_empty() && ch.messages[ri].subtype.as_deref() == Some("tombstone") {
        ch.messages.remove(ri);
        return;
    }
    let root = &mut ch.messages[ri];
    root.reply_count = replies.len();
    root.reply_users.clear();
    for (_, user) in &replies {
        if !root.reply_users.contains(user) {
            root.reply_users.push(user.clone());
        }
    }
    root.latest_reply = replies.last().map(|(ts, _)| ts.clone());
    if replies.is_empty() {
        root.thread_ts = None;
    }
}

/// Emoji names as `reactions.add` takes them: no colons, lowercase letters, digits, `_`, `+`,
/// `-`, optionally followed by a skin tone (`thumbsup::skin-tone-3`).
fn valid_emoji_name(name: &str) -> bool {
    let (base, tone) = match name.split_once("::") {
        Some((base, tone)) => (base, Some(tone)),
        None => (name, None),
    };
    let base_ok = !base.is_empty()
        && base.len() <= 100
        && base
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '+' | '-'));
    base_ok
        && tone.is_none_or(|t| {
            matches!(
                t,
                "skin-tone-2" | "skin-tone-3" | "skin-tone-4" | "skin-tone-5" | "skin-tone-6"
            )
        })
}

/// A message `ts`: digits, a dot, digits.
fn valid_ts(ts: &str) -> bool {
    ts.split_once('.').is_some_and(|(secs, micros)| {
        !secs.is_empty()
            && !micros.is_empty()
            && secs.bytes().all(|b| b.is_ascii_digit())
            && micros.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `&amp;`, `&lt;`, `&gt;` back to characters (Slack escapes them in message `text`).
fn unescape_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One `<…>` token of message text as a `rich_text_section` element.
fn rich_text_token(inner: &str) -> Value {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return json!({"type": "user", "user_id": id});
    }
    if let Some(id) = target.strip_prefix('#') {
        return json!({"type": "channel", "channel_id": id});
    }
    if let Some(id) = target.strip_prefix("!subteam^") {
        return json!({"type": "usergroup", "usergroup_id": id});
    }
    if let Some(range) = target.strip_prefix('!') {
        if matches!(range, "here" | "channel" | "everyone") {
            return json!({"type": "broadcast", "range": range});
        }
        return json!({"type": "text", "text": unescape_text(label.unwrap_or(range))});
    }
    let mut link = json!({"type": "link", "url": unescape_text(target)});
    if let Some(label) = label {
        link["text"] = json!(unescape_text(label));
    }
    link
}

/// The `rich_text` block a Slack client sends along with what a person typed: one
/// `rich_text_section` of `text`, `user`, `channel`, `usergroup`, `broadcast` and `link`
/// elements parsed from the message's `text` (`<@U…>`, `<#C…>`, `<!subteam^S…>`, `<!here>`,
/// `<https://…|label>`).
fn rich_text_blocks(text: &str) -> Value {
    let mut elements = Vec::new();
    let push_text = |elements: &mut Vec<Value>, s: &str| {
        if !s.is_empty() {
            elements.push(json!({"type": "text", "text": unescape_text(s)}));
        }
    };
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        push_text(&mut elements, &rest[..start]);
        elements.push(rich_text_token(&rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    push_text(&mut elements, rest);
    json!([{
        "type": "rich_text",
        "block_id": random_alnum(5),
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }])
}

/// `channel_type` in message events: `channel` (public), `group` (private), `im`.
fn channel_type(ch: &Channel) -> &'static str {
    if ch.im_user.is_some() {
        "im"
    } else if ch.private {
        "group"
    } else {
        "channel"
    }
}

// ---------------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------------

fn arg_str(args: &Args, key: &str) -> Option<String> {
    match args.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn arg_bool(args: &Args, key: &str) -> bool {
    match args.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn arg_u64(args: &Args, key: &str) -> Result<Option<u64>, ApiErr> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| err("invalid_limit")),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| err("invalid_limit")),
        Some(_) => Err(err("invalid_limit")),
    }
}

/// A JSON argument sent either as JSON or as a JSON string (form encoding).
fn arg_json(args: &Args, key: &str) -> Result<Option<Value>, ()> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| ()),
        Some(v) => Ok(Some(v.clone())),
    }
}

fn parse_urlencoded(input: &str, into: &mut Args) {
    for pair in input.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        into.insert(percent_decode(k), Value::String(percent_decode(v)));
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_cursor(prefix: &str, value: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{prefix}:{value}"))
}

fn decode_cursor(prefix: &str, cursor: &str) -> Result<String, ApiErr> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .map_err(|_| err("invalid_cursor"))?;
    let raw = String::from_utf8(raw).map_err(|_| err("invalid_cursor"))?;
    raw.strip_prefix(&format!("{prefix}:"))
        .map(str::to_string)
        .ok_or_else(|| err("invalid_cursor"))
}

// ---------------------------------------------------------------------------------------------
// Block Kit validation (the subset of Slack's schema checks that matter for messages)
// ---------------------------------------------------------------------------------------------

const INTERACTIVE_ELEMENTS: &[&str] = &[
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "timepicker",
    "workflow_button",
    "plain_text_input",
    "rich_text_input",
    "email_text_input",
    "number_input",
    "url_text_input",
    "file_input",
];

const KNOWN_BLOCKS: &[&str] = &[
    "section",
    "header",
    "divider",
    "image",
    "actions",
    "context",
    "input",
    "file",
    "video",
    "markdown",
    "rich_text",
    "table",
    "context_actions",
];

fn chars(s: &str) -> usize {
    s.chars().count()
}

struct BlockCheck {
    errors: Vec<String>,
}

impl BlockCheck {
    fn fail(&mut self, msg: &str, path: &str) {
        self.errors.push(format!("{msg} [json-pointer:{path}]"));
    }

    fn max_len(&mut self, v: Option<&Value>, max: usize, path: &str) {
        if let Some(Value::String(s)) = v
            && chars(s) > max
        {
            self.fail(&format!("must be less than {} characters", max + 1), path);
        }
    }

    fn text(
        &mut self,
        v: Option<&Value>,
        path: &str,
        max: usize,
        plain_only: bool,
        required: bool,
    ) {
        let Some(v) = v else {
            if required {
                let (parent, field) = path.rsplit_once('/').unwrap_or(("", path));
                self.fail(&format!("missing required field: {field}"), parent);
            }
            return;
        };
        let Some(obj) = v.as_object() else {
            self.fail("must provide an object", path);
            return;
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("plain_text") => {}
            Some("mrkdwn") if !plain_only => {}
            Some(other) => {
                let expected = if plain_only {
                    "plain_text"
                } else {
                    "plain_text, mrkdwn"
                };
                self.fail(
                    &format!("must be a valid enum value ({other}; expected {expected})"),
                    &format!("{path}/type"),
                );
            }
            None => self.fail("missing required field: type", path),
        }
        match obj.get("text") {
            Some(Value::String(s)) if s.is_empty() => {
                self.fail("must be more than 0 characters", &format!("{path}/text"));
            }
            Some(Value::String(s)) if chars(s) > max => self.fail(
                &format!("must be less than {} characters", max + 1),
                &format!("{path}/text"),
            ),
            Some(Value::String(_)) => {}
            Some(_) => self.fail("must be a string", &format!("{path}/text")),
            None => self.fail("missing required field: text", path),
        }
    }

    fn options(&mut self, v: Option<&Value>, path: &str, max_items: usize, required: bool) {
        match v {
            None => {
                if required {
                    let (parent, field) = path.rsplit_once('/').unwrap_or(("", path));
                    self.fail(&format!("missing required field: {field}"), parent);
                }
            }
            Some(Value::Array(items)) => {
                if items.len() > max_items {
                    self.fail(&format!("no more than {max_items} items allowed"), path);
                }
                for (i, o) in items.iter().enumerate() {
                    let p = format!("{path}/{i}");
                    self.text(o.get("text"), &format!("{p}/text"), 75, false, true);
                    self.max_len(o.get("value"), 150, &format!("{p}/value"));
                    self.max_len(o.get("url"), 3000, &format!("{p}/url"));
                }
            }
            Some(_) => self.fail("must provide an array", path),
        }
    }

    fn element(&mut self, v: &Value, path: &str, allowed: &[&str]) {
        let Some(obj) = v.as_object() else {
            self.fail("must provide an object", path);
            return;
        };
        let Some(kind) = obj.get("type").and_then(Value::as_str) else {
            self.fail("missing required field: type", path);
            return;
        };
        if !allowed.contains(&kind) {
            self.fail(
                &format!("unsupported type: {kind}"),
                &format!("{path}/type"),
            );
            return;
        }
        self.max_len(obj.get("action_id"), 255, &format!("{path}/action_id"));
        match kind {
            "button" => {
                self.text(obj.get("text"), &format!("{path}/text"), 75, true, true);
                self.max_len(obj.get("url"), 3000, &format!("{path}/url"));
                self.max_len(obj.get("value"), 2000, &format!("{path}/value"));
                if let Some(style) = obj.get("style")
                    && !matches!(style.as_str(), Some("primary" | "danger"))
                {
                    self.fail("must be a valid enum value", &format!("{path}/style"));
                }
            }
            "static_select" | "multi_static_select" => {
                self.text(
                    obj.get("placeholder"),
                    &format!("{path}/placeholder"),
                    150,
                    true,
                    false,
                );
                if obj.get("option_groups").is_none() {
                    self.options(obj.get("options"), &format!("{path}/options"), 100, true);
                }
            }
            "external_select" | "multi_external_select" => {
                self.text(
                    obj.get("placeholder"),
                    &format!("{path}/placeholder"),
                    150,
                    true,
                    false,
                );
                // Options come from the app's options load URL (`block_suggestion`).
                for key in ["options", "option_groups"] {
                    if obj.contains_key(key) {
                        self.fail(
                            &format!("invalid additional property: {key}"),
                            &format!("{path}/{key}"),
                        );
                    }
                }
                match obj.get("min_query_length") {
                    None => {}
                    Some(v) if v.as_u64().is_some() => {}
                    Some(_) => self.fail(
                        "must be a non-negative integer",
                        &format!("{path}/min_query_length"),
                    ),
                }
                if kind == "external_select" {
                    if let Some(o) = obj.get("initial_option") {
                        let p = format!("{path}/initial_option");
                        self.text(o.get("text"), &format!("{p}/text"), 75, false, true);
                        self.max_len(o.get("value"), 150, &format!("{p}/value"));
                    }
                } else {
                    if obj.contains_key("initial_options") {
                        self.options(
                            obj.get("initial_options"),
                            &format!("{path}/initial_options"),
                            100,
                            false,
                        );
                    }
                    match obj.get("max_selected_items") {
                        None => {}
                        Some(v) if v.as_u64().is_some_and(|n| n >= 1) => {}
                        Some(_) => self.fail(
                            "must be an integer of at least 1",
                            &format!("{path}/max_selected_items"),
                        ),
                    }
                }
            }
            "overflow" => self.options(obj.get("options"), &format!("{path}/options"), 5, true),
            "checkboxes" | "radio_buttons" => {
                self.options(obj.get("options"), &format!("{path}/options"), 10, true);
            }
            "image" => {
                if obj.get("image_url").is_none() && obj.get("slack_file").is_none() {
                    self.fail("missing required field: image_url", path);
                }
                self.max_len(obj.get("image_url"), 3000, &format!("{path}/image_url"));
                match obj.get("alt_text") {
                    Some(Value::String(_)) => {}
                    _ => self.fail("missing required field: alt_text", path),
                }
            }
            "plain_text" | "mrkdwn" => self.text(Some(v), path, 3000, false, true),
            _ => {
                if kind.ends_with("select") {
                    self.text(
                        obj.get("placeholder"),
                        &format!("{path}/placeholder"),
                        150,
                        true,
                        false,
                    );
                }
            }
        }
    }

    fn block(&mut self, b: &Value, path: &str, block_ids: &mut HashSet<String>) {
        let Some(obj) = b.as_object() else {
            self.fail("must provide an object", path);
            return;
        };
        let Some(kind) = obj.get("type").and_then(Value::as_str) else {
            self.fail("missing required field: type", path);
            return;
        };
        if !KNOWN_BLOCKS.contains(&kind) {
            self.fail(
                &format!("unsupported type: {kind}"),
                &format!("{path}/type"),
            );
            return;
        }
        match obj.get("block_id") {
            None => {}
            Some(Value::String(id)) => {
                if chars(id) > 255 {
                    self.fail(
                        "must be less than 256 characters",
                        &format!("{path}/block_id"),
                    );
                }
                if !block_ids.insert(id.clone()) {
                    self.fail(
                        &format!("duplicate block_id: {id}"),
                        &format!("{path}/block_id"),
                    );
                }
            }
            Some(_) => self.fail("must be a string", &format!("{path}/block_id")),
        }
        let mut accessory_allowed: Vec<&str> = INTERACTIVE_ELEMENTS.to_vec();
        accessory_allowed.push("image");
        match kind {
            "header" => self.text(obj.get("text"), &format!("{path}/text"), 150, true, true),
            "section" => {
                if obj.get("text").is_none() && obj.get("fields").is_none() {
                    self.fail("must provide either text or fields", path);
                }
                self.text(obj.get("text"), &format!("{path}/text"), 3000, false, false);
                match obj.get("fields") {
                    None => {}
                    Some(Value::Array(fields)) => {
                        if fields.len() > 10 {
                            self.fail("no more than 10 items allowed", &format!("{path}/fields"));
                        }
                        for (i, f) in fields.iter().enumerate() {
                            self.text(Some(f), &format!("{path}/fields/{i}"), 2000, false, true);
                        }
                    }
                    Some(_) => self.fail("must provide an array", &format!("{path}/fields")),
                }
                if let Some(acc) = obj.get("accessory") {
                    self.element(acc, &format!("{path}/accessory"), &accessory_allowed);
                }
            }
            "divider" => {}
            "image" => {
                if obj.get("image_url").is_none() && obj.get("slack_file").is_none() {
                    self.fail("missing required field: image_url", path);
                }
                self.max_len(obj.get("image_url"), 3000, &format!("{path}/image_url"));
                match obj.get("alt_text") {
                    Some(Value::String(s)) if chars(s) > 2000 => self.fail(
                        "must be less than 2001 characters",
                        &format!("{path}/alt_text"),
                    ),
                    Some(Value::String(_)) => {}
                    _ => self.fail("missing required field: alt_text", path),
                }
                self.text(
                    obj.get("title"),
                    &format!("{path}/title"),
                    2000,
                    true,
                    false,
                );
            }
            "actions" => match obj.get("elements") {
                Some(Value::Array(els)) => {
                    if els.is_empty() {
                        self.fail("must provide at least 1 items", &format!("{path}/elements"));
                    }
                    if els.len() > 25 {
                        self.fail("no more than 25 items allowed", &format!("{path}/elements"));
                    }
                    for (i, e) in els.iter().enumerate() {
                        self.element(e, &format!("{path}/elements/{i}"), INTERACTIVE_ELEMENTS);
                    }
                }
                Some(_) => self.fail("must provide an array", &format!("{path}/elements")),
                None => self.fail("missing required field: elements", path),
            },
            "context" => match obj.get("elements") {
                Some(Value::Array(els)) => {
                    if els.is_empty() {
                        self.fail("must provide at least 1 items", &format!("{path}/elements"));
                    }
                    if els.len() > 10 {
                        self.fail("no more than 10 items allowed", &format!("{path}/elements"));
                    }
                    for (i, e) in els.iter().enumerate() {
                        self.element(
                            e,
                            &format!("{path}/elements/{i}"),
                            &["image", "plain_text", "mrkdwn"],
                        );
                    }
                }
                Some(_) => self.fail("must provide an array", &format!("{path}/elements")),
                None => self.fail("missing required field: elements", path),
            },
            "input" => {
                self.text(obj.get("label"), &format!("{path}/label"), 2000, true, true);
                match obj.get("element") {
                    Some(e) => self.element(e, &format!("{path}/element"), INTERACTIVE_ELEMENTS),
                    None => self.fail("missing required field: element", path),
                }
            }
            "markdown" => match obj.get("text") {
                Some(Value::String(s)) if chars(s) > 12_000 => {
                    self.fail(
                        "must be less than 12001 characters",
                        &format!("{path}/text"),
                    );
                }
                Some(Value::String(_)) => {}
                _ => self.fail("missing required field: text", path),
            },
            "rich_text" => match obj.get("elements") {
                Some(Value::Array(_)) => {}
                _ => self.fail("missing required field: elements", path),
            },
            _ => {}
        }
    }
}

/// `Err((code, errors))` when Slack would reject these blocks.
fn validate_blocks(blocks: &Value) -> Result<(), (String, Vec<String>)> {
    let Some(items) = blocks.as_array() else {
        return Err(("invalid_blocks_format".into(), Vec::new()));
    };
    let mut check = BlockCheck { errors: Vec::new() };
    if items.len() > MAX_BLOCKS {
        check.fail(
            &format!("no more than {MAX_BLOCKS} items allowed"),
            "/blocks",
        );
    }
    let mut ids = HashSet::new();
    for (i, b) in items.iter().enumerate() {
        check.block(b, &format!("/blocks/{i}"), &mut ids);
    }
    if check.errors.is_empty() {
        Ok(())
    } else {
        Err(("invalid_blocks".into(), check.errors))
    }
}

/// What Slack stores: generated `block_id`/`action_id`s, `emoji: true` on plain_text and
/// `verbatim: false` on mrkdwn text objects.
fn normalize_blocks(blocks: &Value) -> Value {
    fn texts(v: &mut Value) {
        match v {
            Value::Object(obj) => {
                let text_type = obj.get("type").and_then(Value::as_str).map(str::to_string);
                if obj.get("text").is_some_and(Value::is_string) {
                    match text_type.as_deref() {
                        Some("plain_text") => {
                            obj.entry("emoji").or_insert(json!(true));
                        }
                        Some("mrkdwn") => {
                            obj.entry("verbatim").or_insert(json!(false));
                        }
                        _ => {}
                    }
                }
                for child in obj.values_mut() {
                    texts(child);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(texts),
            _ => {}
        }
    }
    fn action_id(el: &mut Value) {
        if let Some(obj) = el.as_object_mut() {
            let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
            if INTERACTIVE_ELEMENTS.contains(&kind) {
                obj.entry("action_id")
                    .or_insert_with(|| json!(random_alnum(5)));
            }
        }
    }
    let mut out = blocks.clone();
    if let Some(items) = out.as_array_mut() {
        for b in items.iter_mut() {
            if let Some(obj) = b.as_object_mut() {
                obj.entry("block_id")
                    .or_insert_with(|| json!(random_alnum(5)));
            }
            let is_actions = obj_type_is(b, "actions");
            if let Some(obj) = b.as_object_mut() {
                if is_actions && let Some(Value::Array(els)) = obj.get_mut("elements") {
                    els.iter_mut().for_each(action_id);
                }
                if let Some(acc) = obj.get_mut("accessory") {
                    action_id(acc);
                }
                if let Some(el) = obj.get_mut("element") {
                    action_id(el);
                }
            }
        }
    }
    texts(&mut out);
    out
}

fn obj_type_is(v: &Value, kind: &str) -> bool {
    v.get("type").and_then(Value::as_str) == Some(kind)
}

// ---------------------------------------------------------------------------------------------
// Web API
// ---------------------------------------------------------------------------------------------

const KNOWN_METHODS: &[&str] = &[
    "api.test",
    "auth.test",
    "auth.revoke",
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.postEphemeral",
    "chat.getPermalink",
    "reactions.add",
    "conversations.join",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
    "conversations.list",
    "conversations.members",
    "conversations.open",
    "users.info",
    "users.list",
    "users.lookupByEmail",
    "usergroups.list",
    "usergroups.users.list",
    "apps.connections.open",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "oauth.v2.access",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    "files.info",
];

/// Methods that take `application/x-www-form-urlencoded` (or query) arguments only: Slack
/// ignores a JSON body there.
const FORM_ONLY_METHODS: &[&str] = &["oauth.v2.access"];

/// A JSON body as sent on the wire; the calls log keeps these bytes (parsed again only when a
/// test reads the log), which keeps 100k-user directory syncs cheap in memory.
fn json_bytes(body: &Value) -> Bytes {
    Bytes::from(body.to_string())
}

fn json_response(status: u16, body: Bytes, retry_after: Option<u64>) -> Response {
    let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// Like Slack, a request that arrived is carried out even if the client goes away
/// before the answer (a crashed client must find its message posted).
async fn api_entry(
    AxState(inner): AxState<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    tokio::spawn(api_handler(inner, uri, headers, body))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn api_handler(inner: Arc<Inner>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let at = Instant::now();
    let Some(rest) = uri.path().strip_prefix("/api/") else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let method = rest.trim_matches('/').to_string();

    // Parameters: query string, then the body (form or JSON).
    let mut args = Map::new();
    if let Some(q) = uri.query() {
        parse_urlencoded(q, &mut args);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut body_error = None;
    let mut warnings: Vec<String> = Vec::new();
    let mut token_from_params = true;
    // A JSON body is not read for a form-only method: its arguments go unseen, as at Slack.
    let json_body = content_type.starts_with("application/json")
        && !FORM_ONLY_METHODS.contains(&method.as_str());
    if json_body {
        // A JSON body's token must come in the Authorization header.
        token_from_params = false;
        if !content_type.contains("charset") {
            warnings.push("missing_charset".to_string());
        }
        if !body.is_empty() {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(obj)) => args.extend(obj),
                _ => body_error = Some("invalid_json"),
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        parse_urlencoded(&String::from_utf8_lossy(&body), &mut args);
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty());
    let token = bearer.or_else(|| token_from_params.then(|| arg_str(&args, "token")).flatten());
    // HTTP Basic client credentials (`oauth.v2.access`).
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic_auth);

    // Injected faults come first.
    let fault = {
        let mut st = inner.lock();
        *st.received.entry(method.clone()).or_default() += 1;
        let queued = st.faults.get_mut(&method).and_then(VecDeque::pop_front);
        let fault = queued.or_else(|| {
            let (chaos, rng) = st.chaos.as_mut()?;
            if !chaos.methods.contains(&method) {
                return None;
            }
            chaos.draw(rng)
        });
        if fault.is_some() {
            *st.faulted.entry(method.clone()).or_default() += 1;
        }
        fault
    };
    let record = |status: u16, body: Option<Bytes>| {
        inner.lock().record(CallRecord {
            method: method.clone(),
            token: token.clone(),
            args: Value::Object(args.clone()),
            at,
            body,
            status,
        });
    };
    match fault.clone() {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let body = json_bytes(&json!({"ok": false, "error": "ratelimited"}));
            record(429, Some(body.clone()));
            return json_response(429, body, Some(retry_after_secs));
        }
        Some(Fault::ServerError(code)) => {
            record(code, None);
            let mut resp = (
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                HTML_5XX,
            )
                .into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return resp;
        }
        Some(Fault::ApiError(code)) => {
            let body = json_bytes(&json!({"ok": false, "error": code}));
            record(200, Some(body.clone()));
            return json_response(200, body, None);
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Reset) => {
            record(0, None);
            return dropped_connection();
        }
        Some(Fault::Late(_) | Fault::ServerErrorAfterEffect(_) | Fault::ResetAfterEffect)
        | None => {}
    }

    let latency = inner.lock().latency.get(&method).copied();
    if let Some(latency) = latency.filter(|d| !d.is_zero()) {
        tokio::time::sleep(latency).await;
    }
    let limited = inner.lock().rate_check(&method, token.as_deref());
    if let Some(retry_after) = limited {
        let body = json_bytes(&json!({"ok": false, "error": "ratelimited"}));
        record(429, Some(body.clone()));
        return json_response(429, body, Some(retry_after));
    }
    let result = match body_error {
        Some(code) => Err(err(code)),
        None => {
            let mut st = inner.lock();
            st.dispatch(&method, token.as_deref(), &args, basic.as_ref())
        }
    };
    let body = match result {
        Ok(mut fields) => {
            if let Some(Value::String(w)) = fields.remove("warning") {
                warnings.insert(0, w);
            }
            let mut out = Map::new();
            out.insert("ok".into(), json!(true));
            out.append(&mut fields);
            if !warnings.is_empty() {
                out.insert("warning".into(), json!(warnings.join(",")));
                let meta = out.entry("response_metadata").or_insert_with(|| json!({}));
                if let Some(meta) = meta.as_object_mut() {
                    meta.insert("warnings".into(), json!(warnings));
                }
            }
            Value::Object(out)
        }
        Err(e) => {
            let mut out = Map::new();
            out.insert("ok".into(), json!(false));
            out.insert("error".into(), json!(e.code));
            out.extend(e.extra);
            if !warnings.is_empty() {
                out.insert("warning".into(), json!(warnings.join(",")));
            }
            Value::Object(out)
        }
    };
    let body = json_bytes(&body);
    // The effect has happened; some faults strike on the way back.
    match fault {
        Some(Fault::Late(d)) => {
            record(200, Some(body.clone()));
            tokio::time::sleep(d).await;
        }
        Some(Fault::ServerErrorAfterEffect(code)) => {
            record(code, None);
            let mut resp = (
                StatusCode::from_u16(code).unwrap_or(StatusCode::GATEWAY_TIMEOUT),
                HTML_5XX,
            )
                .into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return resp;
        }
        Some(Fault::ResetAfterEffect) => {
            record(0, None);
            return dropped_connection();
        }
        _ => record(200, Some(body.clone())),
    }
    json_response(200, body, None)
}

/// A response whose body fails at once: the server closes the connection mid-answer,
/// which the client sees as a connection dropped without a (complete) answer.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    let mut resp = Response::new(axum::body::Body::from_stream(failing));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

impl State {
    fn dispatch(
        &mut self,
        method: &str,
        token: Option<&str>,
        args: &Args,
        basic: Option<&(String, String)>,
    ) -> ApiResult {
        if !KNOWN_METHODS.contains(&method) {
            let mut e = err("unknown_method");
            e.extra.insert("req_method".into(), json!(method));
            return Err(e);
        }
        if method == "api.test" {
            let mut out = Map::new();
            out.insert("args".into(), Value::Object(args.clone()));
            return Ok(out);
        }
        if method == "oauth.v2.access" {
            // Authenticated by the client credentials, not a token.
            return self.oauth_v2_access(args, basic);
        }
        let user_token = token
            .and_then(|t| self.tokens.get(t))
            .is_some_and(|t| t.kind == TokenKind::User);
        let kind = match method {
            "apps.connections.open" => TokenKind::App,
            "auth.test" | "auth.revoke" if user_token => TokenKind::User,
            _ => TokenKind::Bot,
        };
        let team_id = self.auth(token, kind)?;
        match method {
            "auth.test" if user_token => self.auth_test_user(&team_id, token),
            "auth.test" => self.auth_test(&team_id),
            "auth.revoke" => {
                let revoked = !arg_bool(args, "test");
                if revoked && let Some(t) = token.and_then(|t| self.tokens.get_mut(t)) {
                    t.revoked = true;
                }
                let mut out = Map::new();
                out.insert("revoked".into(), json!(revoked));
                Ok(out)
            }
            "chat.postMessage" => self.chat_post_message(&team_id, args),
            "chat.update" => self.chat_update(&team_id, args),
            "chat.delete" => self.chat_delete(&team_id, args),
            "chat.postEphemeral" => self.chat_post_ephemeral(&team_id, args),
            "chat.getPermalink" => self.chat_get_permalink(&team_id, args),
            "reactions.add" => self.reactions_add(&team_id, args),
            "conversations.join" => self.conversations_join(&team_id, args),
            "conversations.info" => self.conversations_info(&team_id, args),
            "conversations.history" => self.conversations_history(&team_id, args),
            "conversations.replies" => self.conversations_replies(&team_id, args),
            "conversations.list" => self.conversations_list(&team_id, args),
            "conversations.members" => self.conversations_members(&team_id, args),
            "conversations.open" => self.conversations_open(&team_id, args),
            "users.info" => self.users_info(&team_id, args),
            "users.list" => self.users_list(&team_id, args),
            "users.lookupByEmail" => self.users_lookup_by_email(&team_id, args),
            "usergroups.list" => self.usergroups_list(&team_id, args),
            "usergroups.users.list" => self.usergroups_users_list(&team_id, args),
            "views.open" => self.views_open(&team_id, args),
            "views.push" => self.views_push(&team_id, args),
            "views.update" => self.views_update(&team_id, args),
            "views.publish" => self.views_publish(&team_id, args),
            "files.getUploadURLExternal" => self.files_get_upload_url_external(&team_id, args),
            "files.info" => self.files_info(&team_id, args),
            "files.completeUploadExternal" => self.files_complete_upload_external(&team_id, args),
            "apps.connections.open" => {
                let ticket = random_uuid();
                self.tickets.insert(ticket.clone());
                let mut out = Map::new();
                out.insert("url".into(), json!(format!("{}{ticket}", self.ws_base)));
                Ok(out)
            }
            _ => Err(err("unknown_method")),
        }
    }

    fn auth_test(&self, team_id: &str) -> ApiResult {
        let team = self.team(team_id).ok_or_else(|| err("invalid_auth"))?;
        let bot = self.user(&team.bot_user_id);
        let out = json!({
            "url": format!("https://{}.slack.com/", team.domain),
            "team": team.name,
            "user": bot.map(|b| b.name.clone()).unwrap_or_default(),
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": false,
        });
        Ok(into_map(out))
    }

    /// `auth.test` with a user token (`xoxp-…`): the user, no `bot_id`.
    fn auth_test_user(&self, team_id: &str, token: Option<&str>) -> ApiResult {
        let team = self.team(team_id).ok_or_else(|| err("invalid_auth"))?;
        let user_id = token
            .and_then(|t| self.tokens.get(t))
            .and_then(|t| t.user_id.clone())
            .unwrap_or_default();
        let name = self
            .user(&user_id)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let out = json!({
            "url": format!("https://{}.slack.com/", team.domain),
            "team": team.name,
            "user": name,
            "team_id": team.id,
            "user_id": user_id,
            "is_enterprise_install": false,
        });
        Ok(into_map(out))
    }

    /// Resolves `channel` for a read/write by the bot: Slack's visibility rules.
    fn accessible_channel(
        &self,
        team_id: &str,
        args: &Args,
        require_member: bool,
    ) -> Result<usize, ApiErr> {
        let raw = arg_str(args, "channel").ok_or_else(|| err("channel_not_found"))?;
        let idx = self
            .find_channel(team_id, &raw)
            .ok_or_else(|| err("channel_not_found"))?;
        let ch = &self.channels[idx];
        let member = ch.members.contains(&self.bot_user(team_id));
        if ch.private && !member {
            return Err(err("channel_not_found"));
        }
        if require_member && !member {
            return Err(err("not_in_channel"));
        }
        Ok(idx)
    }

    /// Text, blocks, attachments and metadata of a post/update, validated.
    fn content(args: &Args) -> Result<Content, ApiErr> {
        let text = arg_str(args, "text");
        let blocks = arg_json(args, "blocks").map_err(|()| err("invalid_blocks_format"))?;
        let attachments = arg_json(args, "attachments").map_err(|()| err("invalid_attachments"))?;
        let metadata = arg_json(args, "metadata").map_err(|()| err("invalid_metadata_format"))?;
        if let Some(blocks) = &blocks
            && let Err((code, errors)) = validate_blocks(blocks)
        {
            let mut e = err(&code);
            if !errors.is_empty() {
                let messages: Vec<String> = errors.iter().map(|m| format!("[ERROR] {m}")).collect();
                e.extra.insert("errors".into(), json!(errors));
                e.extra
                    .insert("response_metadata".into(), json!({"messages": messages}));
            }
            return Err(e);
        }
        if let Some(a) = &attachments
            && !a.is_array()
        {
            return Err(err("invalid_attachments"));
        }
        if let Some(text) = &text
            && chars(text) > MAX_TEXT_CHARS
        {
            return Err(err("msg_too_long"));
        }
        if let Some(m) = &metadata {
            let ok = m
                .get("event_type")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
                && m.get("event_payload").is_some_and(Value::is_object);
            if !ok {
                return Err(err("invalid_metadata_format"));
            }
        }
        Ok(Content {
            text,
            blocks,
            attachments,
            metadata,
        })
    }

    fn chat_post_message(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let raw = arg_str(args, "channel").ok_or_else(|| err("channel_not_found"))?;
        // A user id posts to the bot's DM with that user.
        let idx = if raw.starts_with('U') || raw.starts_with('W') {
            let user = self
                .user(&raw)
                .filter(|u| u.team_id == team_id)
                .ok_or_else(|| err("channel_not_found"))?;
            if user.is_bot {
                return Err(err("cannot_dm_bot"));
            }
            self.im_with(team_id, &raw)
        } else {
            let idx = self
                .find_channel_or_name(team_id, &raw)
                .ok_or_else(|| err("channel_not_found"))?;
            let ch = &self.channels[idx];
            let member = ch.members.contains(&self.bot_user(team_id));
            if ch.private && !member {
                return Err(err("channel_not_found"));
            }
            if ch.archived {
                return Err(err("is_archived"));
            }
            if !member {
                return Err(err("not_in_channel"));
            }
            idx
        };
        let Content {
            text,
            blocks,
            attachments,
            metadata,
        } = Self::content(args)?;
        if text.is_none() && blocks.is_none() && attachments.is_none() {
            return Err(err("no_text"));
        }
        let thread_ts = arg_str(args, "thread_ts");
        if let Some(t) = &thread_ts
            && !self.channels[idx].messages.iter().any(|m| &m.ts == t)
        {
            return Err(err("thread_not_found"));
        }
        let team = self.team(team_id).ok_or_else(|| err("invalid_auth"))?;
        let (bot_user, bot_id) = (team.bot_user_id.clone(), team.bot_id.clone());
        let bot_profile = json!({
            "id": bot_id,
            "deleted": false,
            "name": "Herald",
            "updated": now_secs(),
            "app_id": self.app_id,
            "user_id": bot_user,
            "icons": {
                "image_36": "https://a.slack-edge.com/bot_36.png",
                "image_48": "https://a.slack-edge.com/bot_48.png",
                "image_72": "https://a.slack-edge.com/bot_72.png",
            },
            "team_id": team_id,
        });
        let ts = self.next_ts();
        let msg = Msg {
            ts: ts.clone(),
            user: bot_user,
            bot_id: Some(bot_id),
            app_id: Some(self.app_id.clone()),
            team: team_id.to_string(),
            text: text.unwrap_or_default(),
            blocks: blocks.as_ref().map(normalize_blocks),
            attachments,
            metadata,
            thread_ts: None,
            parent_user_id: None,
            reply_count: 0,
            reply_users: Vec::new(),
            latest_reply: None,
            subtype: None,
            edited: None,
            username: arg_str(args, "username"),
            bot_profile: Some(bot_profile),
            client_msg_id: None,
            reactions: Vec::new(),
            hidden: false,
            files: None,
        };
        let broadcast = arg_bool(args, "reply_broadcast");
        let ch = &mut self.channels[idx];
        let channel_id = ch.id.clone();
        let stored = insert_message(ch, msg, thread_ts.as_deref(), broadcast)
            .ok_or_else(|| err("thread_not_found"))?;
        Ok(into_map(json!({
            "channel": channel_id,
            "ts": ts,
            "message": render_msg(&stored, true),
        })))
    }

    fn find_message(&self, idx: usize, args: &Args) -> Result<usize, ApiErr> {
        let ts = arg_str(args, "ts").ok_or_else(|| err("message_not_found"))?;
        self.channels[idx]
            .messages
            .iter()
            .position(|m| m.ts == ts)
            .ok_or_else(|| err("message_not_found"))
    }

    fn chat_update(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, false)?;
        let mi = self.find_message(idx, args)?;
        let bot_user = self.bot_user(team_id);
        if self.channels[idx].messages[mi].user != bot_user {
            return Err(err("cant_update_message"));
        }
        if self.channels[idx].archived {
            return Err(err("is_archived"));
        }
        let Content {
            text,
            blocks,
            attachments,
            metadata,
        } = Self::content(args)?;
        if text.is_none() && blocks.is_none() && attachments.is_none() {
            return Err(err("no_text"));
        }
        let edit_ts = self.next_ts();
        let ch = &mut self.channels[idx];
        let channel_id = ch.id.clone();
        let m = &mut ch.messages[mi];
        if let Some(text) = text {
            m.text = text;
        }
        // Omitted blocks/attachments are kept; an empty array removes them.
        if let Some(blocks) = blocks {
            m.blocks = blocks
                .as_array()
                .is_some_and(|a| !a.is_empty())
                .then(|| normalize_blocks(&blocks));
        }
        if let Some(attachments) = attachments {
            m.attachments = attachments
                .as_array()
                .is_some_and(|a| !a.is_empty())
                .then_some(attachments);
        }
        if metadata.is_some() {
            m.metadata = metadata;
        }
        m.edited = Some((bot_user, edit_ts));
        let rendered = render_msg(m, true);
        let mut message = rendered.clone();
        if let Some(obj) = message.as_object_mut() {
            obj.remove("ts");
            obj.remove("thread_ts");
        }
        let mut out = json!({
            "channel": channel_id,
            "ts": m.ts,
            "text": m.text,
            "message": message,
        });
        if let Some(t) = rendered.get("thread_ts") {
            out["thread_ts"] = t.clone();
        }
        Ok(into_map(out))
    }

    fn chat_delete(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, false)?;
        let mi = self.find_message(idx, args)?;
        let bot_user = self.bot_user(team_id);
        if self.channels[idx].messages[mi].user != bot_user {
            return Err(err("cant_delete_message"));
        }
        if self.channels[idx].archived {
            return Err(err("is_archived"));
        }
        let ch = &mut self.channels[idx];
        let (removed, _tombstone) = remove_message(ch, mi);
        Ok(into_map(json!({"channel": ch.id, "ts": removed.ts})))
    }

    /// `chat.postEphemeral`: shown to `user` only, so never stored in the channel's history
    /// (see `SlackEmulator::ephemerals`).
    fn chat_post_ephemeral(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let raw = arg_str(args, "channel").ok_or_else(|| err("channel_not_found"))?;
        let idx = self
            .find_channel_or_name(team_id, &raw)
            .ok_or_else(|| err("channel_not_found"))?;
        let ch = &self.channels[idx];
        let member = ch.members.contains(&self.bot_user(team_id));
        if ch.private && !member {
            return Err(err("channel_not_found"));
        }
        if ch.archived {
            return Err(err("is_archived"));
        }
        if !member {
            return Err(err("not_in_channel"));
        }
        let Content {
            text,
            blocks,
            attachments,
            metadata: _,
        } = Self::content(args)?;
        if text.is_none() && blocks.is_none() && attachments.is_none() {
            return Err(err("no_text"));
        }
        let user = arg_str(args, "user")
            .ok_or_else(|| invalid_arguments_msg("[ERROR] missing required field: user"))?;
        if !self.channels[idx].members.contains(&user) {
            return Err(err("user_not_in_channel"));
        }
        let message_ts = self.next_ts();
        self.ephemerals.push(Ephemeral {
            channel: self.channels[idx].id.clone(),
            user,
            text: text.unwrap_or_default(),
            blocks: blocks.as_ref().map(normalize_blocks),
            attachments,
            thread_ts: arg_str(args, "thread_ts"),
            message_ts: message_ts.clone(),
        });
        Ok(into_map(json!({"message_ts": message_ts})))
    }

    /// `chat.getPermalink`: `https://<domain>.slack.com/archives/<channel>/p<ts without the dot>`,
    /// plus `?thread_ts=<parent ts>&cid=<channel>` for a thread reply. Needs no membership in a
    /// public channel (the method has no scope).
    fn chat_get_permalink(&self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, false)?;
        let ts = arg_str(args, "message_ts").ok_or_else(|| err("message_not_found"))?;
        let ch = &self.channels[idx];
        let m = ch
            .messages
            .iter()
            .find(|m| m.ts == ts)
            .ok_or_else(|| err("message_not_found"))?;
        let domain = self
            .team(team_id)
            .map(|t| t.domain.clone())
            .unwrap_or_default();
        let mut permalink = format!(
            "https://{domain}.slack.com/archives/{}/p{}",
            ch.id,
            m.ts.replace('.', "")
        );
        if let Some(root) = m.thread_ts.as_ref().filter(|t| **t != m.ts) {
            permalink.push_str(&format!("?thread_ts={root}&cid={}", ch.id));
        }
        Ok(into_map(json!({"channel": ch.id, "permalink": permalink})))
    }

    /// `reactions.add` by the bot on a message (`channel` + `timestamp`).
    fn reactions_add(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let name = arg_str(args, "name").unwrap_or_default();
        if !valid_emoji_name(&name) {
            return Err(err("invalid_name"));
        }
        let (Some(raw), Some(ts)) = (arg_str(args, "channel"), arg_str(args, "timestamp")) else {
            return Err(err("no_item_specified"));
        };
        if !valid_ts(&ts) {
            return Err(err("bad_timestamp"));
        }
        let idx = self
            .find_channel(team_id, &raw)
            .ok_or_else(|| err("channel_not_found"))?;
        let bot = self.bot_user(team_id);
        let ch = &self.channels[idx];
        let member = ch.members.contains(&bot);
        if ch.private && !member {
            return Err(err("channel_not_found"));
        }
        if ch.archived {
            return Err(err("is_archived"));
        }
        if !member {
            return Err(err("not_in_channel"));
        }
        let m = self.channels[idx]
            .messages
            .iter_mut()
            .find(|m| m.ts == ts && m.subtype.as_deref() != Some("tombstone"))
            .ok_or_else(|| err("message_not_found"))?;
        match m.reactions.iter_mut().find(|(n, _)| *n == name) {
            Some((_, users)) if users.contains(&bot) => return Err(err("already_reacted")),
            Some((_, users)) => users.push(bot),
            None => m.reactions.push((name, vec![bot])),
        }
        Ok(Map::new())
    }

    fn conversations_join(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let raw = arg_str(args, "channel").ok_or_else(|| err("channel_not_found"))?;
        let idx = self
            .find_channel(team_id, &raw)
            .ok_or_else(|| err("channel_not_found"))?;
        let bot = self.bot_user(team_id);
        let ch = &self.channels[idx];
        if ch.im_user.is_some() || ch.private {
            return Err(err("method_not_supported_for_channel_type"));
        }
        if ch.archived {
            return Err(err("is_archived"));
        }
        let already = ch.members.contains(&bot);
        self.channels[idx].members.insert(bot);
        let mut out = Map::new();
        out.insert(
            "channel".into(),
            self.channel_json(&self.channels[idx], team_id, true),
        );
        if already {
            out.insert("warning".into(), json!("already_in_channel"));
        }
        Ok(out)
    }

    fn conversations_info(&self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, false)?;
        let mut out = Map::new();
        out.insert(
            "channel".into(),
            self.channel_json(
                &self.channels[idx],
                team_id,
                arg_bool(args, "include_num_members"),
            ),
        );
        Ok(out)
    }

    fn conversations_history(&self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, true)?;
        let limit = arg_u64(args, "limit")?.unwrap_or(100).clamp(1, 999) as usize;
        let limit = self.history_page_cap.map_or(limit, |cap| limit.min(cap));
        let with_meta = arg_bool(args, "include_all_metadata");
        let inclusive = arg_bool(args, "inclusive");
        let oldest = arg_str(args, "oldest").unwrap_or_else(|| "0".into());
        let mut latest = arg_str(args, "latest");
        let mut latest_inclusive = inclusive;
        if let Some(cursor) = arg_str(args, "cursor") {
            latest = Some(decode_cursor("next_ts", &cursor)?);
            latest_inclusive = false;
        }
        let ts_num = |t: &str| t.parse::<f64>().unwrap_or(0.0);
        let (oldest_n, latest_n) = (ts_num(&oldest), latest.as_deref().map(ts_num));
        let mut matching: Vec<&Msg> = self.channels[idx]
            .messages
            .iter()
            .filter(|m| is_top_level(m))
            .filter(|m| {
                let t = ts_num(&m.ts);
                let above = if inclusive {
                    t >= oldest_n
                } else {
                    t > oldest_n
                };
                let below = match latest_n {
                    None => true,
                    Some(l) if latest_inclusive => t <= l,
                    Some(l) => t < l,
                };
                above && below
            })
            .collect();
        matching.reverse();
        let has_more = matching.len() > limit;
        matching.truncate(limit);
        let all = &self.channels[idx].messages;
        let messages: Vec<Value> = matching
            .iter()
            .map(|m| {
                let mut v = render_msg(m, with_meta);
                // A reply also sent to the channel carries its thread's parent as `root`.
                if m.subtype.as_deref() == Some("thread_broadcast")
                    && let Some(root) = all.iter().find(|r| Some(&r.ts) == m.thread_ts.as_ref())
                {
                    v["root"] = render_msg(root, with_meta);
                }
                v
            })
            .collect();
        let mut out = json!({
            "messages": messages,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": null,
            "channel_actions_count": 0,
        });
        if has_more && let Some(last) = matching.last() {
            out["response_metadata"] = json!({"next_cursor": encode_cursor("next_ts", &last.ts)});
        }
        Ok(into_map(out))
    }

    fn conversations_replies(&self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, true)?;
        let ts = arg_str(args, "ts").ok_or_else(|| err("thread_not_found"))?;
        let with_meta = arg_bool(args, "include_all_metadata");
        let limit = arg_u64(args, "limit")?.unwrap_or(1000).clamp(1, 1000) as usize;
        let limit = self.history_page_cap.map_or(limit, |cap| limit.min(cap));
        let inclusive = arg_bool(args, "inclusive");
        let msgs = &self.channels[idx].messages;
        let parent = msgs
            .iter()
            .find(|m| m.ts == ts)
            .ok_or_else(|| err("thread_not_found"))?;
        let root_ts = parent
            .thread_ts
            .clone()
            .unwrap_or_else(|| parent.ts.clone());
        // Cursor-paginated, earliest first, between `oldest` and `latest` (Slack's
        // conversations.replies reference: "Pagination by time … The earliest messages in
        // the time range are returned first", docs.slack.dev/reference/methods/
        // conversations.replies). The parent is shown on the first page.
        let ts_num = |t: &str| t.parse::<f64>().unwrap_or(0.0);
        let oldest = arg_str(args, "oldest").map_or(0.0, |t| ts_num(&t));
        let after = match arg_str(args, "cursor") {
            Some(cursor) => Some(ts_num(&decode_cursor("next_ts", &cursor)?)),
            None => None,
        };
        let in_thread: Vec<&Msg> = msgs
            .iter()
            .filter(|m| m.ts == root_ts || m.thread_ts.as_deref() == Some(root_ts.as_str()))
            .filter(|m| {
                let t = ts_num(&m.ts);
                if m.ts == root_ts {
                    return after.is_none();
                }
                // `oldest` itself only with `inclusive` (default false, as in
                // conversations.history).
                let above = if inclusive { t >= oldest } else { t > oldest };
                above && after.is_none_or(|a| t > a)
            })
            .collect();
        let has_more = in_thread.len() > limit;
        let page = &in_thread[..in_thread.len().min(limit)];
        let thread: Vec<Value> = page.iter().map(|m| render_msg(m, with_meta)).collect();
        let mut out = json!({"messages": thread, "has_more": has_more});
        if has_more && let Some(last) = page.last() {
            out["response_metadata"] = json!({"next_cursor": encode_cursor("next_ts", &last.ts)});
        }
        Ok(into_map(out))
    }

    /// Cursor pages over the team's channels in creation order. As Slack documents, the page is
    /// cut at `limit` channels first and `exclude_archived` applies afterwards, so a page may hold
    /// fewer channels (even none) while `next_cursor` is still set.
    fn conversations_list(&self, team_id: &str, args: &Args) -> ApiResult {
        let limit = arg_u64(args, "limit")?.unwrap_or(100);
        if limit > MAX_LIST_LIMIT {
            return Err(err("invalid_limit"));
        }
        let limit = limit.max(1) as usize;
        let types = arg_str(args, "types").unwrap_or_else(|| "public_channel".into());
        let types: Vec<&str> = types.split(',').map(str::trim).collect();
        let exclude_archived = arg_bool(args, "exclude_archived");
        let bot = self.bot_user(team_id);
        let listed = |c: &Channel| {
            !c.deleted
                && match (&c.im_user, c.private) {
                    (Some(_), _) => types.contains(&"im"),
                    (None, false) => types.contains(&"public_channel"),
                    (None, true) => types.contains(&"private_channel") && c.members.contains(&bot),
                }
        };
        let ids: &[usize] = self.team_channels.get(team_id).map_or(&[], Vec::as_slice);
        let mut pos = match arg_str(args, "cursor") {
            Some(c) => {
                let id = decode_cursor("team", &c)?;
                let idx = self
                    .channel_index
                    .get(&id)
                    .ok_or_else(|| err("invalid_cursor"))?;
                ids.binary_search(idx).map_err(|_| err("invalid_cursor"))?
            }
            None => 0,
        };
        let mut page = Vec::new();
        let mut taken = 0;
        while pos < ids.len() && taken < limit {
            let c = &self.channels[ids[pos]];
            pos += 1;
            if !listed(c) {
                continue;
            }
            taken += 1;
            if !(exclude_archived && c.archived) {
                page.push(self.channel_json(c, team_id, true));
            }
        }
        let next = ids[pos..]
            .iter()
            .map(|&i| &self.channels[i])
            .find(|c| listed(c))
            .map(|c| encode_cursor("team", &c.id))
            .unwrap_or_default();
        Ok(into_map(json!({
            "channels": page,
            "response_metadata": {"next_cursor": next},
        })))
    }

    fn conversations_members(&self, team_id: &str, args: &Args) -> ApiResult {
        let idx = self.accessible_channel(team_id, args, false)?;
        let members: Vec<&String> = self.channels[idx].members.iter().collect();
        Ok(into_map(json!({
            "members": members,
            "response_metadata": {"next_cursor": ""},
        })))
    }

    fn conversations_open(&mut self, team_id: &str, args: &Args) -> ApiResult {
        if let Some(channel) = arg_str(args, "channel") {
            let idx = self
                .find_channel(team_id, &channel)
                .filter(|i| self.channels[*i].im_user.is_some())
                .ok_or_else(|| err("channel_not_found"))?;
            return Ok(into_map(json!({
                "no_op": true,
                "already_open": true,
                "channel": {"id": self.channels[idx].id},
            })));
        }
        let users = arg_str(args, "users").ok_or_else(|| err("users_list_not_supplied"))?;
        let users: Vec<&str> = users.split(',').map(str::trim).collect();
        if users.len() != 1 {
            // Multi-person DMs are not emulated.
            return Err(err("not_supported_by_emulator"));
        }
        let user = self
            .user(users[0])
            .filter(|u| u.team_id == team_id)
            .ok_or_else(|| err("user_not_found"))?;
        if user.is_bot {
            return Err(err("cannot_dm_bot"));
        }
        let existed = self
            .ims
            .contains_key(&(team_id.to_string(), users[0].to_string()));
        let idx = self.im_with(team_id, users[0]);
        let channel = if arg_bool(args, "return_im") {
            self.channel_json(&self.channels[idx], team_id, false)
        } else {
            json!({"id": self.channels[idx].id})
        };
        let mut out = json!({"channel": channel});
        if existed {
            out["no_op"] = json!(true);
            out["already_open"] = json!(true);
        }
        Ok(into_map(out))
    }

    fn users_info(&self, team_id: &str, args: &Args) -> ApiResult {
        let id = arg_str(args, "user").ok_or_else(|| err("user_not_found"))?;
        // A user of another organisation is visible when a Slack Connect channel is
        // shared between the two, with their own `team_id` (and their own admin flags):
        // https://api.slack.com/apis/connect ("users.info" on external members).
        let user = self
            .user(&id)
            .filter(|u| u.team_id == team_id || self.shares_channel(team_id, &u.team_id))
            .ok_or_else(|| err("user_not_found"))?;
        let mut json = self.user_json(user);
        if arg_bool(args, "include_locale") {
            json["locale"] = json!(user.locale);
        }
        Ok(into_map(json!({"user": json})))
    }

    /// Cursor pages over the team's users (deactivated ones included) in creation order.
    fn users_list(&self, team_id: &str, args: &Args) -> ApiResult {
        let limit = arg_u64(args, "limit")?.unwrap_or(0);
        if limit > MAX_LIST_LIMIT {
            return Err(err("invalid_limit"));
        }
        // No limit: Slack "attempts to deliver the entire result set", but in practice stops at
        // 1000 members and hands out a cursor for the rest.
        let take = if limit == 0 {
            USERS_LIST_DEFAULT_CAP
        } else {
            limit as usize
        };
        let include_locale = arg_bool(args, "include_locale");
        let ids: &[usize] = self.team_users.get(team_id).map_or(&[], Vec::as_slice);
        let start = match arg_str(args, "cursor") {
            Some(c) => {
                let id = decode_cursor("user", &c)?;
                let idx = self
                    .user_index
                    .get(&id)
                    .ok_or_else(|| err("invalid_cursor"))?;
                ids.binary_search(idx).map_err(|_| err("invalid_cursor"))?
            }
            None => 0,
        };
        let end = (start + take).min(ids.len());
        let page: Vec<Value> = ids[start..end]
            .iter()
            .map(|&i| {
                let u = &self.users[i];
                let mut json = self.user_json(u);
                if include_locale {
                    json["locale"] = json!(u.locale);
                }
                json
            })
            .collect();
        let next = ids
            .get(end)
            .map(|&i| encode_cursor("user", &self.users[i].id))
            .unwrap_or_default();
        Ok(into_map(json!({
            "members": page,
            "cache_ts": now_secs(),
            "response_metadata": {"next_cursor": next},
        })))
    }

    fn users_lookup_by_email(&self, team_id: &str, args: &Args) -> ApiResult {
        let email = arg_str(args, "email").ok_or_else(|| err("invalid_arguments"))?;
        let user = self
            .users
            .iter()
            .find(|u| {
                u.team_id == team_id
                    && u.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            })
            .ok_or_else(|| err("users_not_found"))?;
        let mut json = self.user_json(user);
        if arg_bool(args, "include_locale") {
            json["locale"] = json!(user.locale);
        }
        Ok(into_map(json!({"user": json})))
    }

    /// All the team's user groups at once (Slack does not page this method); disabled ones
    /// (`date_delete` ≠ 0) only with `include_disabled`.
    fn usergroups_list(&self, team_id: &str, args: &Args) -> ApiResult {
        let include_users = arg_bool(args, "include_users");
        let include_count = arg_bool(args, "include_count");
        let include_disabled = arg_bool(args, "include_disabled");
        let groups: Vec<Value> = self
            .usergroups
            .iter()
            .filter(|g| g.team_id == team_id && (include_disabled || g.date_delete == 0))
            .map(|g| self.usergroup_json(g, include_users, include_count))
            .collect();
        Ok(into_map(json!({"usergroups": groups})))
    }

    fn usergroups_users_list(&self, team_id: &str, args: &Args) -> ApiResult {
        let id = arg_str(args, "usergroup").ok_or_else(|| err("invalid_arguments"))?;
        let include_disabled = arg_bool(args, "include_disabled");
        let group = self
            .usergroups
            .iter()
            .find(|g| g.id == id && g.team_id == team_id)
            .filter(|g| include_disabled || g.date_delete == 0)
            .ok_or_else(|| err("no_such_subteam"))?;
        Ok(into_map(json!({"users": group.users})))
    }
}

fn into_map(v: Value) -> Args {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Views (modals, App Home), trigger ids and interaction payloads
// ---------------------------------------------------------------------------------------------

/// A `trigger_id` can be exchanged once, within 3 seconds of the interaction.
const TRIGGER_TTL: Duration = Duration::from_secs(3);
/// Blocks per modal or Home tab view.
const MAX_VIEW_BLOCKS: usize = 100;
/// Views in one modal's stack: the root view and two pushed ones.
const MAX_VIEW_STACK: usize = 3;
/// Slack answers `view_too_large` past 250 kB of view JSON.
const MAX_VIEW_BYTES: usize = 250_000;

struct Trigger {
    team_id: String,
    user_id: String,
    /// The view the interaction happened in (`views.push` stacks onto its modal).
    view_id: Option<String>,
    expires_at: Instant,
    exchanged: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ViewKind {
    Modal,
    Home,
}

impl ViewKind {
    fn as_str(self) -> &'static str {
        match self {
            ViewKind::Modal => "modal",
            ViewKind::Home => "home",
        }
    }
}

/// The content of a `view` argument, validated and normalised as Slack stores it.
struct ViewContent {
    kind: ViewKind,
    title: Option<Value>,
    blocks: Value,
    close: Option<Value>,
    submit: Option<Value>,
    private_metadata: String,
    callback_id: String,
    external_id: String,
    clear_on_close: bool,
    notify_on_close: bool,
}

struct StoredView {
    id: String,
    team_id: String,
    /// Who sees it: the user of the trigger (modal) or the Home tab's owner.
    user_id: String,
    content: ViewContent,
    /// `state.values`: `{block_id: {action_id: {type, …}}}`.
    state_values: Value,
    hash: String,
    root_view_id: String,
    previous_view_id: Option<String>,
    /// A modal the user closed or submitted (Slack shows it no more; the id stays known).
    closed: bool,
}

impl StoredView {
    /// A modal `user_id` of `team_id` still sees.
    fn is_open_modal_of(&self, team_id: &str, user_id: &str) -> bool {
        self.content.kind == ViewKind::Modal
            && self.team_id == team_id
            && self.user_id == user_id
            && !self.closed
    }
}

/// Slack-style trigger id: `{digits}.{digits}.{32 hex}`.
fn new_trigger_id() -> String {
    let hex: String =
        std::iter::repeat_with(|| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
            .take(32)
            .collect();
    format!(
        "{}.{}.{hex}",
        fastrand::u64(1_000_000_000_000..10_000_000_000_000),
        fastrand::u64(1_000_000_000_000..10_000_000_000_000),
    )
}

/// `132456.7890123.abcdef`, the format Slack documents for `trigger_id`.
fn trigger_id_well_formed(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('.').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && !parts[2].is_empty()
        && parts[2].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Slack-style view hash: `{unix seconds}.{8 hex}`, new on every change.
fn new_view_hash() -> String {
    let hex: String =
        std::iter::repeat_with(|| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
            .take(8)
            .collect();
    format!("{}.{hex}", now_secs())
}

/// `invalid_arguments` with Slack's `response_metadata.messages` (`[ERROR] … [json-pointer:…]`).
fn invalid_arguments(errors: &[String]) -> ApiErr {
    let mut e = err("invalid_arguments");
    let messages: Vec<String> = errors.iter().map(|m| format!("[ERROR] {m}")).collect();
    e.extra
        .insert("response_metadata".into(), json!({"messages": messages}));
    e
}

/// `invalid_arguments` with a bare message, as Slack words argument-level problems
/// (``invalid `trigger_id` ``, ``invalid `user_id` ``).
fn invalid_arguments_msg(message: &str) -> ApiErr {
    let mut e = err("invalid_arguments");
    e.extra
        .insert("response_metadata".into(), json!({"messages": [message]}));
    e
}

/// `emoji: true` on a plain_text object, as Slack stores it.
fn normalize_plain_text(v: &Value) -> Value {
    let mut out = v.clone();
    if let Some(obj) = out.as_object_mut()
        && obj.get("type").and_then(Value::as_str) == Some("plain_text")
    {
        obj.entry("emoji").or_insert(json!(true));
    }
    out
}

/// An optional string field of a view: must be a string of at most `max` characters.
fn view_string(obj: &Map<String, Value>, key: &str, max: usize, check: &mut BlockCheck) -> String {
    match obj.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            if chars(s) > max {
                check.fail(
                    &format!("must be less than {} characters", max + 1),
                    &format!("/view/{key}"),
                );
            }
            s.clone()
        }
        Some(_) => {
            check.fail("must be a string", &format!("/view/{key}"));
            String::new()
        }
    }
}

/// Parses and validates the `view` argument. `expected` is the type the method accepts
/// (`None`: either).
fn view_content(args: &Args, expected: Option<ViewKind>) -> Result<ViewContent, ApiErr> {
    let view = match arg_json(args, "view") {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Err(invalid_arguments(&[
                "missing required field: view".to_string()
            ]));
        }
        Err(()) => return Err(invalid_arguments_msg("invalid `view`")),
    };
    if view.to_string().len() > MAX_VIEW_BYTES {
        return Err(err("view_too_large"));
    }
    let Some(obj) = view.as_object() else {
        return Err(invalid_arguments(&[
            "must provide an object [json-pointer:/view]".to_string(),
        ]));
    };
    let mut check = BlockCheck { errors: Vec::new() };
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("modal") if expected != Some(ViewKind::Home) => ViewKind::Modal,
        Some("home") if expected != Some(ViewKind::Modal) => ViewKind::Home,
        Some(other) => {
            let allowed = expected.map_or("modal, home", ViewKind::as_str);
            check.fail(
                &format!("must be a valid enum value ({other}; expected {allowed})"),
                "/view/type",
            );
            return Err(invalid_arguments(&check.errors));
        }
        None => {
            check.fail("missing required field: type", "/view");
            return Err(invalid_arguments(&check.errors));
        }
    };
    let (mut title, mut close, mut submit) = (None, None, None);
    if kind == ViewKind::Modal {
        check.text(obj.get("title"), "/view/title", 24, true, true);
        check.text(obj.get("close"), "/view/close", 24, true, false);
        check.text(obj.get("submit"), "/view/submit", 24, true, false);
        title = obj.get("title").map(normalize_plain_text);
        close = obj
            .get("close")
            .filter(|v| !v.is_null())
            .map(normalize_plain_text);
        submit = obj
            .get("submit")
            .filter(|v| !v.is_null())
            .map(normalize_plain_text);
    }
    let mut blocks = json!([]);
    match obj.get("blocks") {
        Some(Value::Array(items)) => {
            if items.len() > MAX_VIEW_BLOCKS {
                check.fail(
                    &format!("no more than {MAX_VIEW_BLOCKS} items allowed"),
                    "/view/blocks",
                );
            }
            let mut ids = HashSet::new();
            for (i, b) in items.iter().enumerate() {
                check.block(b, &format!("/view/blocks/{i}"), &mut ids);
            }
            let has_input = items.iter().any(|b| obj_type_is(b, "input"));
            if kind == ViewKind::Modal && has_input && submit.is_none() {
                check.fail(
                    "missing required field: submit (required when blocks contain an input block)",
                    "/view",
                );
            }
            blocks = normalize_blocks(&Value::Array(items.clone()));
        }
        Some(_) => check.fail("must provide an array", "/view/blocks"),
        None => check.fail("missing required field: blocks", "/view"),
    }
    let private_metadata = view_string(obj, "private_metadata", 3000, &mut check);
    let callback_id = view_string(obj, "callback_id", 255, &mut check);
    let external_id = view_string(obj, "external_id", 255, &mut check);
    if !check.errors.is_empty() {
        return Err(invalid_arguments(&check.errors));
    }
    let flag = |key: &str| kind == ViewKind::Modal && arg_bool(obj, key);
    Ok(ViewContent {
        kind,
        title,
        blocks,
        close,
        submit,
        private_metadata,
        callback_id,
        external_id,
        clear_on_close: flag("clear_on_close"),
        notify_on_close: flag("notify_on_close"),
    })
}

/// `(block_id, action_id)` of every interactive element in (normalised) blocks.
fn element_ids(blocks: &Value) -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    for b in blocks.as_array().into_iter().flatten() {
        let Some(block_id) = b.get("block_id").and_then(Value::as_str) else {
            continue;
        };
        let mut elements: Vec<&Value> = Vec::new();
        elements.extend(b.get("element"));
        elements.extend(b.get("accessory"));
        if let Some(Value::Array(els)) = b.get("elements") {
            elements.extend(els);
        }
        for el in elements {
            if let Some(action_id) = el.get("action_id").and_then(Value::as_str) {
                out.insert((block_id.to_string(), action_id.to_string()));
            }
        }
    }
    out
}

/// Keeps the entered values whose block and element survive an update (Slack preserves
/// input when `block_id` and `action_id` are unchanged).
fn carry_state(old: &Value, blocks: &Value) -> Value {
    let ids = element_ids(blocks);
    let mut out = Map::new();
    for (block_id, actions) in old.as_object().into_iter().flatten() {
        let kept: Map<String, Value> = actions
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(action_id, _)| ids.contains(&(block_id.clone(), (*action_id).clone())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            out.insert(block_id.clone(), Value::Object(kept));
        }
    }
    Value::Object(out)
}

impl SlackEmulator {
    /// A trigger id as Slack sends with an interaction (`12345.98765.abcd…`) for `user_id` in
    /// `team_id`: one `views.open` / `views.push` within 3 seconds.
    pub fn issue_trigger(&self, team_id: &str, user_id: &str) -> String {
        self.inner.lock().new_trigger(team_id, user_id, None)
    }

    /// Ages every trigger issued so far past its 3 seconds (`expired_trigger_id`).
    pub fn expire_triggers(&self) {
        let now = Instant::now();
        for t in self.inner.lock().triggers.values_mut() {
            t.expires_at = now;
        }
    }

    /// The app's verification token (`token` in interaction payloads).
    pub fn verification_token(&self) -> String {
        self.inner.lock().verification_token.clone()
    }

    /// Every view known (modals and Home tabs), in creation order, in Slack's view shape.
    pub fn views_opened(&self) -> Vec<Value> {
        let st = self.inner.lock();
        st.views.iter().map(|v| st.view_json(v)).collect()
    }

    /// A view (`V…`) in Slack's shape.
    pub fn view(&self, view_id: &str) -> Option<Value> {
        let st = self.inner.lock();
        st.views
            .iter()
            .find(|v| v.id == view_id)
            .map(|v| st.view_json(v))
    }

    /// The Home tab published for `user_id` in `team_id`.
    pub fn home_view(&self, team_id: &str, user_id: &str) -> Option<Value> {
        let st = self.inner.lock();
        st.home_index(team_id, user_id)
            .map(|i| st.view_json(&st.views[i]))
    }

    /// What Slack sends when `user_id` submits the modal `view_id`: a `view_submission`
    /// payload whose `view.state.values` is `values` (Slack's shape:
    /// `{block_id: {action_id: {"type": …, "value"/"selected_option"/…}}}`), with a fresh
    /// trigger id. The values are also kept as the stored view's state. `user_id` may be
    /// someone other than the user the modal was opened for (any user of its workspace): Slack
    /// never sends that, but a forged request can, which is what authorization tests need.
    pub fn view_submission(&self, view_id: &str, user_id: &str, values: Value) -> Value {
        assert!(values.is_object(), "state values must be a JSON object");
        let mut st = self.inner.lock();
        let idx = st
            .views
            .iter()
            .position(|v| v.id == view_id)
            .unwrap_or_else(|| panic!("unknown view {view_id}"));
        let (team_id, kind) = (st.views[idx].team_id.clone(), st.views[idx].content.kind);
        assert_eq!(kind, ViewKind::Modal, "only modals are submitted");
        st.views[idx].state_values = values;
        let mut payload = st.interaction_base("view_submission", &team_id, user_id, Some(view_id));
        payload.insert("view".into(), st.view_json(&st.views[idx]));
        payload.insert("response_urls".into(), json!([]));
        Value::Object(payload)
    }

    /// What Slack sends when `user_id` uses interactive elements in a view: a `block_actions`
    /// payload with `container: {"type": "view", "view_id": …}`, the view, a fresh trigger id
    /// and `actions` (each given `action_ts` if missing). `view_id: None` means the user's Home
    /// tab in `team_id` (which must have been published). As with `view_submission`, `user_id`
    /// need not be the view's own user (a forged request).
    pub fn block_actions(
        &self,
        view_id: Option<&str>,
        user_id: &str,
        team_id: &str,
        actions: Value,
    ) -> Value {
        let mut st = self.inner.lock();
        let idx = match view_id {
            Some(id) => st
                .views
                .iter()
                .position(|v| v.id == id)
                .unwrap_or_else(|| panic!("unknown view {id}")),
            None => st
                .home_index(team_id, user_id)
                .unwrap_or_else(|| panic!("no Home tab published for {user_id} in {team_id}")),
        };
        let (id, view_team) = (st.views[idx].id.clone(), st.views[idx].team_id.clone());
        assert_eq!(view_team, team_id, "view {id} belongs to {view_team}");
        let actions = st.stamp_actions(actions);
        let mut payload = st.interaction_base("block_actions", team_id, user_id, Some(&id));
        payload.insert("container".into(), json!({"type": "view", "view_id": id}));
        payload.insert("view".into(), st.view_json(&st.views[idx]));
        payload.insert("actions".into(), Value::Array(actions));
        Value::Object(payload)
    }

    /// What Slack sends to the options load URL when `user_id` types `value` into the
    /// `external_select` / `multi_external_select` (`block_id`, `action_id`) of view `view_id`:
    /// a `block_suggestion` payload (no trigger id) with the view as published. Panics if the
    /// view has no such element, or if `value` is shorter than the element's `min_query_length`
    /// (default 3), since Slack does not ask for options before that.
    pub fn block_suggestion(
        &self,
        view_id: &str,
        user_id: &str,
        team_id: &str,
        action_id: &str,
        block_id: &str,
        value: &str,
    ) -> Value {
        let st = self.inner.lock();
        let view = st
            .views
            .iter()
            .find(|v| v.id == view_id)
            .unwrap_or_else(|| panic!("unknown view {view_id}"));
        assert_eq!(
            view.team_id, team_id,
            "view {view_id} belongs to {}",
            view.team_id
        );
        assert!(
            st.user(user_id).is_some_and(|u| u.team_id == team_id),
            "unknown user {user_id} in {team_id}"
        );
        let element =
            external_select(&view.content.blocks, block_id, action_id).unwrap_or_else(|| {
                panic!("view {view_id} has no external select {block_id}/{action_id}")
            });
        let min_query_length = min_query_length(element);
        assert!(
            chars(value) >= min_query_length,
            "Slack sends block_suggestion only once {min_query_length} characters are typed"
        );
        let domain = st
            .team(team_id)
            .map(|t| t.domain.clone())
            .unwrap_or_default();
        let handle = st.user(user_id).map(|u| u.name.clone()).unwrap_or_default();
        json!({
            "type": "block_suggestion",
            "user": {"id": user_id, "username": handle, "name": handle, "team_id": team_id},
            "container": {"type": "view", "view_id": view_id},
            "api_app_id": st.app_id,
            "token": st.verification_token,
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "team": {"id": team_id, "domain": domain},
            "enterprise": null,
            "is_enterprise_install": false,
            "view": st.view_json(view),
        })
    }
}

/// How many characters an external select wants before Slack asks for options: its
/// `min_query_length`, 3 by default
/// (<https://api.slack.com/reference/block-kit/block-elements#external_select>).
fn min_query_length(element: &Value) -> usize {
    element
        .get("min_query_length")
        .and_then(Value::as_u64)
        .unwrap_or(3) as usize
}

/// The `external_select` / `multi_external_select` element (`block_id`, `action_id`) of blocks.
fn external_select<'a>(blocks: &'a Value, block_id: &str, action_id: &str) -> Option<&'a Value> {
    let block = blocks
        .as_array()?
        .iter()
        .find(|b| b.get("block_id").and_then(Value::as_str) == Some(block_id))?;
    let mut elements: Vec<&Value> = Vec::new();
    elements.extend(block.get("element"));
    elements.extend(block.get("accessory"));
    if let Some(Value::Array(els)) = block.get("elements") {
        elements.extend(els);
    }
    elements.into_iter().find(|el| {
        el.get("action_id").and_then(Value::as_str) == Some(action_id)
            && matches!(
                el.get("type").and_then(Value::as_str),
                Some("external_select" | "multi_external_select")
            )
    })
}

impl State {
    fn new_trigger(&mut self, team_id: &str, user_id: &str, view_id: Option<&str>) -> String {
        assert!(self.team(team_id).is_some(), "unknown workspace {team_id}");
        assert!(
            self.user(user_id).is_some_and(|u| u.team_id == team_id),
            "unknown user {user_id} in {team_id}"
        );
        let id = new_trigger_id();
        self.triggers.insert(
            id.clone(),
            Trigger {
                team_id: team_id.to_string(),
                user_id: user_id.to_string(),
                view_id: view_id.map(str::to_string),
                expires_at: Instant::now() + TRIGGER_TTL,
                exchanged: false,
            },
        );
        id
    }

    /// The fields every interaction payload carries, with a fresh trigger id.
    fn interaction_base(
        &mut self,
        kind: &str,
        team_id: &str,
        user_id: &str,
        view_id: Option<&str>,
    ) -> Args {
        let trigger_id = self.new_trigger(team_id, user_id, view_id);
        let domain = self
            .team(team_id)
            .map(|t| t.domain.clone())
            .unwrap_or_default();
        let handle = self
            .user(user_id)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        into_map(json!({
            "type": kind,
            "team": {"id": team_id, "domain": domain},
            "user": {"id": user_id, "username": handle, "name": handle, "team_id": team_id},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "is_enterprise_install": false,
            "enterprise": null,
        }))
    }

    /// One action or several, each given an `action_ts` when it has none, as Slack
    /// stamps every action it sends.
    fn stamp_actions(&mut self, actions: Value) -> Vec<Value> {
        let mut actions = match actions {
            Value::Array(items) => items,
            other => vec![other],
        };
        for action in &mut actions {
            if let Some(obj) = action.as_object_mut()
                && !obj.contains_key("action_ts")
            {
                let ts = self.next_ts();
                obj.insert("action_ts".into(), json!(ts));
            }
        }
        actions
    }

    /// Closes the view at `idx` and every view pushed on top of it; with
    /// `whole_stack`, the views below it too.
    fn close_stack(&mut self, idx: usize, whole_stack: bool) {
        let root = self.views[idx].root_view_id.clone();
        for (i, v) in self.views.iter_mut().enumerate() {
            if v.root_view_id == root && (whole_stack || i >= idx) {
                v.closed = true;
            }
        }
    }

    fn home_index(&self, team_id: &str, user_id: &str) -> Option<usize> {
        self.views.iter().position(|v| {
            v.content.kind == ViewKind::Home && v.team_id == team_id && v.user_id == user_id
        })
    }

    fn view_json(&self, v: &StoredView) -> Value {
        let bot_id = self
            .team(&v.team_id)
            .map(|t| t.bot_id.clone())
            .unwrap_or_default();
        let c = &v.content;
        let mut out = json!({
            "id": v.id,
            "team_id": v.team_id,
            "type": c.kind.as_str(),
            "blocks": c.blocks,
            "private_metadata": c.private_metadata,
            "callback_id": c.callback_id,
            "state": {"values": v.state_values},
            "hash": v.hash,
            "clear_on_close": c.clear_on_close,
            "notify_on_close": c.notify_on_close,
            "close": c.close,
            "submit": c.submit,
            "previous_view_id": v.previous_view_id,
            "root_view_id": v.root_view_id,
            "app_id": self.app_id,
            "external_id": c.external_id,
            "app_installed_team_id": v.team_id,
            "bot_id": bot_id,
        });
        if let Some(title) = &c.title {
            out["title"] = title.clone();
        }
        out
    }

    fn view_result(&self, idx: usize) -> ApiResult {
        let mut out = Map::new();
        out.insert("view".into(), self.view_json(&self.views[idx]));
        Ok(out)
    }

    /// `duplicate_external_id` when another view of the team already uses `external_id`.
    fn check_external_id(
        &self,
        team_id: &str,
        external_id: &str,
        except: Option<&str>,
    ) -> Result<(), ApiErr> {
        let taken = !external_id.is_empty()
            && self.views.iter().any(|v| {
                v.team_id == team_id
                    && v.content.external_id == external_id
                    && Some(v.id.as_str()) != except
            });
        if taken {
            Err(err("duplicate_external_id"))
        } else {
            Ok(())
        }
    }

    /// Checks `trigger_id` (or `interactivity_pointer`) without using it up:
    /// `(trigger id, user, view it came from)`.
    fn check_trigger(
        &self,
        team_id: &str,
        args: &Args,
    ) -> Result<(String, String, Option<String>), ApiErr> {
        let raw = arg_str(args, "trigger_id")
            .or_else(|| arg_str(args, "interactivity_pointer"))
            .ok_or_else(|| invalid_arguments_msg("invalid `trigger_id`"))?;
        if !trigger_id_well_formed(&raw) {
            return Err(err("invalid_trigger_id"));
        }
        let trigger = self
            .triggers
            .get(&raw)
            .filter(|t| t.team_id == team_id)
            .ok_or_else(|| err("invalid_trigger_id"))?;
        if trigger.exchanged {
            return Err(err("exchanged_trigger_id"));
        }
        if Instant::now() >= trigger.expires_at {
            return Err(err("expired_trigger_id"));
        }
        Ok((raw, trigger.user_id.clone(), trigger.view_id.clone()))
    }

    fn exchange_trigger(&mut self, trigger_id: &str) {
        if let Some(t) = self.triggers.get_mut(trigger_id) {
            t.exchanged = true;
        }
    }

    fn add_view(
        &mut self,
        team_id: &str,
        user_id: &str,
        content: ViewContent,
        stack: Option<(String, String)>,
    ) -> usize {
        let id = self.new_id('V');
        let (root_view_id, previous_view_id) = match stack {
            Some((root, previous)) => (root, Some(previous)),
            None => (id.clone(), None),
        };
        self.views.push(StoredView {
            id,
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            content,
            state_values: json!({}),
            hash: new_view_hash(),
            root_view_id,
            previous_view_id,
            closed: false,
        });
        self.views.len() - 1
    }

    /// Replaces a view's content (new hash; input values of unchanged elements survive).
    fn replace_view(&mut self, idx: usize, mut content: ViewContent) {
        let v = &mut self.views[idx];
        if content.external_id.is_empty() {
            content.external_id = v.content.external_id.clone();
        }
        v.state_values = carry_state(&v.state_values, &content.blocks);
        v.content = content;
        v.hash = new_view_hash();
    }

    fn views_open(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let content = view_content(args, Some(ViewKind::Modal))?;
        let (trigger_id, user_id, _) = self.check_trigger(team_id, args)?;
        self.check_external_id(team_id, &content.external_id, None)?;
        self.exchange_trigger(&trigger_id);
        let idx = self.add_view(team_id, &user_id, content, None);
        self.view_result(idx)
    }

    fn views_push(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let content = view_content(args, Some(ViewKind::Modal))?;
        let (trigger_id, user_id, from_view) = self.check_trigger(team_id, args)?;
        let is_open_modal = |v: &StoredView| v.is_open_modal_of(team_id, &user_id);
        // The modal the interaction came from, else the user's latest modal.
        let base = from_view
            .as_deref()
            .and_then(|id| self.views.iter().find(|v| v.id == id && is_open_modal(v)))
            .or_else(|| self.views.iter().rev().find(|v| is_open_modal(v)))
            .ok_or_else(|| err("not_found"))?;
        let root = base.root_view_id.clone();
        let stack: Vec<&StoredView> = self
            .views
            .iter()
            .filter(|v| v.root_view_id == root)
            .collect();
        if stack.len() >= MAX_VIEW_STACK {
            return Err(err("push_limit_reached"));
        }
        let top = stack.last().map_or_else(|| root.clone(), |v| v.id.clone());
        self.check_external_id(team_id, &content.external_id, None)?;
        self.exchange_trigger(&trigger_id);
        let idx = self.add_view(team_id, &user_id, content, Some((root, top)));
        self.view_result(idx)
    }

    fn views_update(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let idx = match (arg_str(args, "view_id"), arg_str(args, "external_id")) {
            (Some(id), _) => self
                .views
                .iter()
                .position(|v| v.id == id && v.team_id == team_id),
            (None, Some(ext)) => self
                .views
                .iter()
                .position(|v| v.content.external_id == ext && v.team_id == team_id),
            (None, None) => {
                return Err(invalid_arguments_msg(
                    "either `view_id` or `external_id` is required",
                ));
            }
        }
        .ok_or_else(|| err("not_found"))?;
        let content = view_content(args, Some(self.views[idx].content.kind))?;
        if let Some(hash) = arg_str(args, "hash")
            && hash != self.views[idx].hash
        {
            return Err(err("hash_conflict"));
        }
        let id = self.views[idx].id.clone();
        self.check_external_id(team_id, &content.external_id, Some(&id))?;
        self.replace_view(idx, content);
        self.view_result(idx)
    }

    fn views_publish(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let user_id = arg_str(args, "user_id")
            .filter(|u| self.user(u).is_some_and(|u| u.team_id == team_id))
            .ok_or_else(|| invalid_arguments_msg("invalid `user_id`"))?;
        let content = view_content(args, Some(ViewKind::Home))?;
        let existing = self.home_index(team_id, &user_id);
        if let (Some(hash), Some(i)) = (arg_str(args, "hash"), existing)
            && hash != self.views[i].hash
        {
            return Err(err("hash_conflict"));
        }
        let except = existing.map(|i| self.views[i].id.clone());
        self.check_external_id(team_id, &content.external_id, except.as_deref())?;
        let idx = match existing {
            Some(i) => {
                self.replace_view(i, content);
                i
            }
            None => self.add_view(team_id, &user_id, content, None),
        };
        self.view_result(idx)
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth v2 install flow (`/oauth/v2/authorize`, `oauth.v2.access`)
// ---------------------------------------------------------------------------------------------

/// Slack's authorization codes expire ten minutes after the redirect.
const OAUTH_CODE_TTL: Duration = Duration::from_secs(600);

/// An OAuth client of the emulated app (every client is the one app, `app_id()`).
struct OAuthApp {
    client_id: String,
    client_secret: String,
    /// The app's configured Redirect URLs, the first being the default.
    redirect_uris: Vec<String>,
}

struct OAuthCode {
    client_id: String,
    team_id: String,
    user_id: String,
    scopes: Vec<String>,
    user_scopes: Vec<String>,
    /// The redirect URI the user was sent to (given at authorize, else the default).
    redirect_uri: String,
    expires_at: Instant,
    used: bool,
}

#[derive(Default)]
struct OAuthState {
    apps: Vec<OAuthApp>,
    /// Who approves `/oauth/v2/authorize`: `(team_id, user_id)`.
    installer: Option<(String, String)>,
    /// Deny this many upcoming authorizations (`error=access_denied`).
    deny_next: usize,
    codes: HashMap<String, OAuthCode>,
    authorizations: Vec<OAuthAuthorization>,
}

/// `xoxb-…` / `xoxp-…`: `{prefix}-{digits}-{digits}-{24 alphanumerics}`.
fn new_slack_token(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}-{}",
        fastrand::u64(1_000_000_000..10_000_000_000),
        fastrand::u64(1_000_000_000..10_000_000_000),
        random_alnum(24)
    )
}

/// A Slack-style temporary code: `{digits}.{digits}.{64 hex}`.
fn new_oauth_code() -> String {
    let hex: String =
        std::iter::repeat_with(|| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
            .take(64)
            .collect();
    format!(
        "{}.{}.{hex}",
        fastrand::u64(1_000_000_000..10_000_000_000),
        fastrand::u64(1_000_000_000_000..10_000_000_000_000),
    )
}

/// `Authorization: Basic base64(client_id:client_secret)`.
fn parse_basic_auth(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Scopes as Slack takes them: comma-separated (spaces tolerated), deduplicated, in order.
fn split_scopes(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_string());
        }
    }
    out
}

/// `(scheme://authority, path)` of an absolute URL, query and fragment dropped.
fn split_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if scheme.is_empty() || authority.is_empty() {
        return None;
    }
    Some((
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        ),
        path.to_string(),
    ))
}

/// Slack's rule for a `redirect_uri` at authorize: same scheme, host and port as one of the
/// configured Redirect URLs, and the same path or a path below it.
fn redirect_uri_allowed(configured: &[String], candidate: &str) -> bool {
    let Some((origin, path)) = split_url(candidate) else {
        return false;
    };
    configured.iter().any(|c| {
        split_url(c).is_some_and(|(c_origin, c_path)| {
            let base = c_path.trim_end_matches('/');
            c_origin == origin
                && (path == c_path
                    || path.trim_end_matches('/') == base
                    || path.starts_with(&format!("{base}/")))
        })
    })
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `redirect_uri` with `params` appended to its query string.
fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match redirect_uri.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (redirect_uri, None),
    };
    let mut out = base.to_string();
    for (k, v) in params {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(k);
        out.push('=');
        out.push_str(&url_encode(v));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Slack's authorize error page (HTTP 400, HTML).
fn oauth_error_page(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>Slack</title></head><body><h1>Oops! Something went wrong.</h1><p class=\"error\">{}</p></body></html>",
        html_escape(message)
    );
    let mut resp = (StatusCode::BAD_REQUEST, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

impl SlackEmulator {
    /// Registers an OAuth client of the emulated app (`app_id()`): its credentials and its
    /// configured Redirect URLs (the first is the default when authorize has no
    /// `redirect_uri`). Registering the same `client_id` again replaces it.
    pub fn register_oauth_app(&self, client_id: &str, client_secret: &str, redirect_uris: &[&str]) {
        let mut st = self.inner.lock();
        st.oauth.apps.retain(|a| a.client_id != client_id);
        st.oauth.apps.push(OAuthApp {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_uris: redirect_uris.iter().map(|u| (*u).to_string()).collect(),
        });
    }

    /// The user who approves `GET /oauth/v2/authorize` (no human is there to click "Allow"):
    /// a human user of an existing workspace (`add_workspace`, `add_user`). The installation
    /// goes to this user's workspace, whatever `team` the authorize URL names.
    pub fn set_oauth_installer(&self, team_id: &str, user_id: &str) {
        let mut st = self.inner.lock();
        assert!(st.team(team_id).is_some(), "unknown workspace {team_id}");
        assert!(
            st.user(user_id)
                .is_some_and(|u| u.team_id == team_id && !u.is_bot),
            "unknown human user {user_id} in {team_id}"
        );
        st.oauth.installer = Some((team_id.to_string(), user_id.to_string()));
    }

    /// The next `GET /oauth/v2/authorize` is denied by the user ("Cancel"): a redirect with
    /// `error=access_denied&state=…`. Calls add up (two calls deny the next two).
    pub fn deny_next_oauth_authorize(&self) {
        self.inner.lock().oauth.deny_next += 1;
    }

    /// `http://127.0.0.1:PORT/oauth/v2/authorize`, the emulator's `https://slack.com/oauth/v2/authorize`.
    pub fn oauth_authorize_url(&self) -> String {
        format!("http://{}/oauth/v2/authorize", self.addr)
    }

    /// A code as if `user_id` of `team_id` had approved `client_id`'s authorize URL asking for
    /// these bot `scopes` (and no user scopes) with this `redirect_uri` (`None`: the client's
    /// first Redirect URL). Single use, valid for 10 minutes.
    pub fn issue_oauth_code(
        &self,
        client_id: &str,
        team_id: &str,
        user_id: &str,
        scopes: &[&str],
        redirect_uri: Option<&str>,
    ) -> String {
        let mut st = self.inner.lock();
        assert!(st.team(team_id).is_some(), "unknown workspace {team_id}");
        assert!(
            st.user(user_id).is_some_and(|u| u.team_id == team_id),
            "unknown user {user_id} in {team_id}"
        );
        let app = st
            .oauth
            .apps
            .iter()
            .find(|a| a.client_id == client_id)
            .unwrap_or_else(|| panic!("unknown OAuth client {client_id}"));
        let redirect_uri = match redirect_uri {
            Some(uri) => {
                assert!(
                    redirect_uri_allowed(&app.redirect_uris, uri),
                    "{uri} is not a Redirect URL of {client_id}"
                );
                uri.to_string()
            }
            None => app
                .redirect_uris
                .first()
                .cloned()
                .unwrap_or_else(|| panic!("{client_id} has no Redirect URL")),
        };
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_string()).collect();
        st.new_oauth_code(
            client_id,
            team_id,
            user_id,
            scopes,
            Vec::new(),
            redirect_uri,
        )
    }

    /// Ages every code issued so far past its 10 minutes (`invalid_code`).
    pub fn expire_oauth_codes(&self) {
        let now = Instant::now();
        for c in self.inner.lock().oauth.codes.values_mut() {
            c.expires_at = now;
        }
    }

    /// Every `GET /oauth/v2/authorize` answered, oldest first.
    pub fn oauth_authorizations(&self) -> Vec<OAuthAuthorization> {
        self.inner.lock().oauth.authorizations.clone()
    }

    /// Bot scopes granted in `team_id` by OAuth installs so far.
    pub fn oauth_bot_scopes(&self, team_id: &str) -> Vec<String> {
        self.inner
            .lock()
            .team(team_id)
            .map(|t| t.bot_scopes.clone())
            .unwrap_or_default()
    }
}

impl State {
    fn new_oauth_code(
        &mut self,
        client_id: &str,
        team_id: &str,
        user_id: &str,
        scopes: Vec<String>,
        user_scopes: Vec<String>,
        redirect_uri: String,
    ) -> String {
        let code = new_oauth_code();
        self.oauth.codes.insert(
            code.clone(),
            OAuthCode {
                client_id: client_id.to_string(),
                team_id: team_id.to_string(),
                user_id: user_id.to_string(),
                scopes,
                user_scopes,
                redirect_uri,
                expires_at: Instant::now() + OAUTH_CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// `GET /oauth/v2/authorize`: the error page, or where to send the browser.
    fn authorize(&mut self, args: &Args) -> Result<String, String> {
        let client_id = arg_str(args, "client_id").unwrap_or_default();
        let Some(app) = self.oauth.apps.iter().find(|a| a.client_id == client_id) else {
            return Err("Invalid client_id parameter".to_string());
        };
        let redirect_uri = match arg_str(args, "redirect_uri") {
            Some(uri) if redirect_uri_allowed(&app.redirect_uris, &uri) => uri,
            Some(uri) => {
                return Err(format!(
                    "redirect_uri did not match any configured URIs. Passed URI: {uri}"
                ));
            }
            None => app
                .redirect_uris
                .first()
                .cloned()
                .ok_or_else(|| "No redirect_uri configured for this app".to_string())?,
        };
        let scopes = split_scopes(&arg_str(args, "scope").unwrap_or_default());
        let user_scopes = split_scopes(&arg_str(args, "user_scope").unwrap_or_default());
        if scopes.is_empty() && user_scopes.is_empty() {
            return Err("Invalid permissions requested".to_string());
        }
        let state = arg_str(args, "state");
        let mut params: Vec<(&str, &str)> = Vec::new();
        if self.oauth.deny_next > 0 {
            self.oauth.deny_next -= 1;
            params.push(("error", "access_denied"));
            if let Some(state) = &state {
                params.push(("state", state));
            }
            return Ok(with_query(&redirect_uri, &params));
        }
        let Some((team_id, user_id)) = self.oauth.installer.clone() else {
            return Err(
                "No one is signed in to approve this app (the test must call set_oauth_installer)"
                    .to_string(),
            );
        };
        let code = self.new_oauth_code(
            &client_id,
            &team_id,
            &user_id,
            scopes,
            user_scopes,
            redirect_uri.clone(),
        );
        params.push(("code", &code));
        if let Some(state) = &state {
            params.push(("state", state));
        }
        Ok(with_query(&redirect_uri, &params))
    }

    /// `oauth.v2.access`: exchanges a code for the installation's tokens.
    fn oauth_v2_access(&mut self, args: &Args, basic: Option<&(String, String)>) -> ApiResult {
        let (client_id, client_secret) = match basic {
            Some((id, secret)) => (Some(id.clone()), Some(secret.clone())),
            None => (arg_str(args, "client_id"), arg_str(args, "client_secret")),
        };
        let app = client_id
            .and_then(|id| self.oauth.apps.iter().find(|a| a.client_id == id))
            .ok_or_else(|| err("invalid_client_id"))?;
        if client_secret.as_deref() != Some(app.client_secret.as_str()) {
            return Err(err("bad_client_secret"));
        }
        let client_id = app.client_id.clone();
        if let Some(grant_type) = arg_str(args, "grant_type") {
            match grant_type.as_str() {
                "authorization_code" => {}
                // The emulator does not rotate tokens, so it issued no refresh token.
                "refresh_token" => return Err(err("invalid_refresh_token")),
                _ => return Err(err("invalid_grant_type")),
            }
        }
        let code_value = arg_str(args, "code").ok_or_else(|| err("invalid_code"))?;
        let code = self
            .oauth
            .codes
            .get(&code_value)
            .filter(|c| c.client_id == client_id && !c.used && Instant::now() < c.expires_at)
            .ok_or_else(|| err("invalid_code"))?;
        if let Some(uri) = arg_str(args, "redirect_uri")
            && uri != code.redirect_uri
        {
            return Err(err("bad_redirect_uri"));
        }
        let (team_id, user_id) = (code.team_id.clone(), code.user_id.clone());
        let (scopes, user_scopes) = (code.scopes.clone(), code.user_scopes.clone());
        if let Some(c) = self.oauth.codes.get_mut(&code_value) {
            c.used = true;
        }

        let mut out = Map::new();
        let app_id = self.app_id.clone();
        let team = self
            .teams
            .iter_mut()
            .find(|t| t.id == team_id)
            .ok_or_else(|| err("invalid_code"))?;
        if !scopes.is_empty() {
            // A reinstall mints a new bot token; earlier ones stay valid until revoked.
            let bot_token = new_slack_token("xoxb");
            team.bot_token = bot_token.clone();
            for scope in scopes {
                if !team.bot_scopes.contains(&scope) {
                    team.bot_scopes.push(scope);
                }
            }
            out.insert("access_token".into(), json!(bot_token));
            out.insert("token_type".into(), json!("bot"));
            out.insert("scope".into(), json!(team.bot_scopes.join(",")));
            out.insert("bot_user_id".into(), json!(team.bot_user_id));
            self.tokens.insert(
                bot_token,
                TokenInfo {
                    team_id: team_id.clone(),
                    kind: TokenKind::Bot,
                    revoked: false,
                    user_id: None,
                },
            );
        }
        let team_json = json!({"name": team.name, "id": team.id});
        out.insert("app_id".into(), json!(app_id));
        out.insert("team".into(), team_json);
        out.insert("enterprise".into(), Value::Null);
        let mut authed_user = Map::new();
        authed_user.insert("id".into(), json!(user_id));
        if !user_scopes.is_empty() {
            let user_token = new_slack_token("xoxp");
            authed_user.insert("scope".into(), json!(user_scopes.join(",")));
            authed_user.insert("access_token".into(), json!(user_token));
            authed_user.insert("token_type".into(), json!("user"));
            self.tokens.insert(
                user_token,
                TokenInfo {
                    team_id,
                    kind: TokenKind::User,
                    revoked: false,
                    user_id: Some(user_id),
                },
            );
        }
        out.insert("authed_user".into(), Value::Object(authed_user));
        out.insert("is_enterprise_install".into(), json!(false));
        Ok(out)
    }
}

/// `GET /oauth/v2/authorize`: the user (`set_oauth_installer`) approves at once, or denies
/// (`deny_next_oauth_authorize`); a bad `client_id` or `redirect_uri` gets Slack's error page.
async fn oauth_authorize(AxState(inner): AxState<Arc<Inner>>, uri: Uri) -> Response {
    let mut args = Map::new();
    if let Some(q) = uri.query() {
        parse_urlencoded(q, &mut args);
    }
    let mut st = inner.lock();
    let outcome = st.authorize(&args);
    let (status, location) = match &outcome {
        Ok(location) => (302, Some(location.clone())),
        Err(_) => (400, None),
    };
    st.oauth.authorizations.push(OAuthAuthorization {
        args: Value::Object(args),
        at: Instant::now(),
        status,
        location,
    });
    drop(st);
    match outcome {
        Ok(location) => {
            let mut resp = StatusCode::FOUND.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, value);
            }
            resp
        }
        Err(message) => oauth_error_page(&message),
    }
}

// ---------------------------------------------------------------------------------------------
// Directory changes: state mutations that return the Events API payload Slack would POST
// ---------------------------------------------------------------------------------------------

/// `Ev…` followed by uppercase alphanumerics, like Slack's event ids.
fn new_event_id() -> String {
    let tail: String = std::iter::repeat_with(|| fastrand::alphanumeric().to_ascii_uppercase())
        .take(10)
        .collect();
    format!("Ev{tail}")
}

/// The keys of `v` (an object) listed in `keys`, in a new object.
fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    for key in keys {
        if let Some(x) = v.get(*key) {
            out.insert((*key).to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// Slack truncates `users` at 500 in `subteam_*` events (`user_count` stays the real count).
const SUBTEAM_EVENT_MAX_USERS: usize = 500;

/// Surname: kanji, hiragana, half-width katakana, romaji.
const JA_SURNAMES: &[(&str, &str, &str, &str)] = &[
    ("佐藤", "さとう", "ｻﾄｳ", "sato"),
    ("鈴木", "すずき", "ｽｽﾞｷ", "suzuki"),
    ("高橋", "たかはし", "ﾀｶﾊｼ", "takahashi"),
    ("田中", "たなか", "ﾀﾅｶ", "tanaka"),
    ("伊藤", "いとう", "ｲﾄｳ", "ito"),
    ("渡辺", "わたなべ", "ﾜﾀﾅﾍﾞ", "watanabe"),
    ("山本", "やまもと", "ﾔﾏﾓﾄ", "yamamoto"),
    ("中村", "なかむら", "ﾅｶﾑﾗ", "nakamura"),
    ("小林", "こばやし", "ｺﾊﾞﾔｼ", "kobayashi"),
    ("加藤", "かとう", "ｶﾄｳ", "kato"),
    ("吉田", "よしだ", "ﾖｼﾀﾞ", "yoshida"),
    ("山田", "やまだ", "ﾔﾏﾀﾞ", "yamada"),
    ("斎藤", "さいとう", "ｻｲﾄｳ", "saito"),
    ("松本", "まつもと", "ﾏﾂﾓﾄ", "matsumoto"),
    ("井上", "いのうえ", "ｲﾉｳｴ", "inoue"),
    ("木村", "きむら", "ｷﾑﾗ", "kimura"),
];

/// Given name: kanji (or kana), hiragana, half-width katakana, romaji.
const JA_GIVEN: &[(&str, &str, &str, &str)] = &[
    ("太郎", "たろう", "ﾀﾛｳ", "taro"),
    ("花子", "はなこ", "ﾊﾅｺ", "hanako"),
    ("翔太", "しょうた", "ｼｮｳﾀ", "shota"),
    ("陽菜", "ひな", "ﾋﾅ", "hina"),
    ("蓮", "れん", "ﾚﾝ", "ren"),
    ("結衣", "ゆい", "ﾕｲ", "yui"),
    ("大翔", "ひろと", "ﾋﾛﾄ", "hiroto"),
    ("美咲", "みさき", "ﾐｻｷ", "misaki"),
    ("健太", "けんた", "ｹﾝﾀ", "kenta"),
    ("葵", "あおい", "ｱｵｲ", "aoi"),
    ("悠真", "ゆうま", "ﾕｳﾏ", "yuma"),
    ("さくら", "さくら", "ｻｸﾗ", "sakura"),
];

const WESTERN_FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Ivy", "Jack", "Léa",
    "José",
];
const WESTERN_LAST: &[&str] = &[
    "Smith", "Johnson", "Brown", "Garcia", "Müller", "Martin", "Lee", "Kim", "Nguyen", "O'Brien",
];

const CHANNEL_DEPTS: &[&str] = &[
    "sales",
    "eng",
    "support",
    "marketing",
    "ops",
    "hr",
    "finance",
    "design",
];
const CHANNEL_CITIES: &[&str] = &[
    "tokyo", "osaka", "nagoya", "fukuoka", "sapporo", "nyc", "london", "sf",
];
const CHANNEL_JA_DEPTS: &[&str] = &[
    "営業部",
    "開発部",
    "人事部",
    "経理部",
    "総務部",
    "企画室",
    "カスタマーサポート",
    "マーケティング",
];
const CHANNEL_JA_CITIES: &[&str] = &["東京", "大阪", "名古屋", "福岡", "札幌", "横浜"];
const CHANNEL_JA_WORDS: &[&str] = &["お知らせ", "雑談", "プロジェクト", "障害対応", "勉強会"];
const CHANNEL_PROJECTS: &[&str] = &["phoenix", "atlas", "sakura", "fuji", "kaizen", "orion"];

/// Hiragana → full-width katakana (the kana blocks are 0x60 apart).
fn to_katakana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// ASCII letters and digits → their full-width forms (Ｔａｒｏ).
fn to_fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `(real_name, display_name, handle stem, email domain)` for the `i`-th bulk user: Japanese
/// names in kanji with half-width, full-width or no space, kana (hiragana, full- and half-width
/// katakana) and romaji display names, full-width Latin, empty display names, Western names.
fn bulk_user_name(i: usize) -> (String, String, String, &'static str) {
    let (s_kanji, s_kana, s_half, s_roma) = JA_SURNAMES[(i / 8) % JA_SURNAMES.len()];
    let (g_kanji, g_kana, g_half, g_roma) =
        JA_GIVEN[(i / 8 / JA_SURNAMES.len() + i) % JA_GIVEN.len()];
    let ja_stem = format!("{g_roma}.{s_roma}");
    match i % 8 {
        0 => (
            format!("{s_kanji} {g_kanji}"),
            s_kanji.to_string(),
            ja_stem,
            "example.co.jp",
        ),
        1 => (
            format!("{s_kanji}\u{3000}{g_kanji}"),
            format!("{s_kana} {g_kana}"),
            ja_stem,
            "example.co.jp",
        ),
        2 => (
            format!("{s_kanji} {g_kanji}"),
            format!("{} {}", to_katakana(s_kana), to_katakana(g_kana)),
            ja_stem,
            "example.co.jp",
        ),
        3 => (
            format!("{s_kanji}{g_kanji}"),
            format!("{s_half} {g_half}"),
            ja_stem,
            "example.co.jp",
        ),
        4 => (
            format!("{} {}", capitalize(g_roma), capitalize(s_roma)),
            ja_stem.clone(),
            ja_stem,
            "example.com",
        ),
        5 => (
            format!(
                "{s_kanji} {g_kanji} ({} {})",
                capitalize(g_roma),
                capitalize(s_roma)
            ),
            String::new(),
            ja_stem,
            "example.co.jp",
        ),
        6 => {
            let first = WESTERN_FIRST[(i / 8) % WESTERN_FIRST.len()];
            let last = WESTERN_LAST[(i / 8 / WESTERN_FIRST.len() + i) % WESTERN_LAST.len()];
            let stem: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            (
                format!("{first} {last}"),
                first.to_string(),
                stem,
                "example.com",
            )
        }
        _ => (
            format!("{} {}", s_roma.to_uppercase(), capitalize(g_roma)),
            to_fullwidth(&capitalize(g_roma)),
            ja_stem,
            "example.co.jp",
        ),
    }
}

/// A channel name for the `i`-th bulk channel, made unique by `n`.
fn bulk_channel_name(i: usize, n: u64) -> String {
    let pick_from = |list: &[&str], k: usize| list[(i / 6 + k) % list.len()].to_string();
    match i % 6 {
        0 => format!(
            "{}-{}-{n}",
            pick_from(CHANNEL_DEPTS, 0),
            pick_from(CHANNEL_CITIES, i / 48)
        ),
        1 => format!("{}-{n}", pick_from(CHANNEL_JA_DEPTS, 0)),
        2 => format!(
            "{}-{}-{n}",
            pick_from(CHANNEL_JA_DEPTS, 3),
            pick_from(CHANNEL_JA_CITIES, i / 48)
        ),
        3 => format!("proj-{}-{n}", pick_from(CHANNEL_PROJECTS, 0)),
        4 => format!("times-{}-{n}", JA_SURNAMES[(i / 6) % JA_SURNAMES.len()].3),
        _ => format!("{}-{n}", pick_from(CHANNEL_JA_WORDS, 0)),
    }
}

impl State {
    /// Wraps an inner event in the `event_callback` envelope Slack POSTs to the app, as
    /// authorized for the bot; sets the event's `event_ts` unless it has one.
    fn event_callback(&mut self, team_id: &str, mut event: Value, channel: Option<&str>) -> Value {
        // Message events come with their own `event_ts` (the message's or the edit's `ts`).
        let event_ts = match event.get("event_ts").and_then(Value::as_str) {
            Some(ts) => ts.to_string(),
            None => self.next_ts(),
        };
        let event_time: i64 = event_ts
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(now_secs);
        event["event_ts"] = json!(event_ts);
        let ext_shared = channel
            .and_then(|c| self.channel_index.get(c))
            .is_some_and(|&i| self.channels[i].shared_from_team.is_some());
        let mut context = json!({
            "et": event["type"],
            "tid": team_id,
            "aid": self.app_id,
        });
        if let Some(c) = channel {
            context["cid"] = json!(c);
        }
        let event_context = format!(
            "4-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(context.to_string())
        );
        json!({
            "token": self.verification_token,
            "team_id": team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": new_event_id(),
            "event_time": event_time,
            "authorizations": [{
                "enterprise_id": null,
                "team_id": team_id,
                "user_id": self.bot_user(team_id),
                "is_bot": true,
                "is_enterprise_install": false,
            }],
            "is_ext_shared_channel": ext_shared,
            "event_context": event_context,
        })
    }

    /// A live (not deleted) public or private channel, for the event helpers.
    fn live_channel(&self, id: &str) -> usize {
        let idx = *self
            .channel_index
            .get(id)
            .unwrap_or_else(|| panic!("unknown channel {id}"));
        let ch = &self.channels[idx];
        assert!(!ch.deleted, "channel {id} was deleted");
        assert!(ch.im_user.is_none(), "{id} is a DM, not a channel");
        idx
    }

    /// Who acts in a channel event: the channel's creator if human, else the team's first human.
    fn channel_actor(&self, idx: usize) -> String {
        let ch = &self.channels[idx];
        if self.user(&ch.creator).is_some_and(|u| !u.is_bot) {
            return ch.creator.clone();
        }
        self.first_human(&ch.team_id)
            .unwrap_or_else(|| self.bot_user(&ch.team_id))
    }

    /// The user object as `users.info` (with `include_locale`) returns it.
    fn user_event_json(&self, id: &str) -> Value {
        let user = self.user(id).unwrap_or_else(|| panic!("unknown user {id}"));
        let mut json = self.user_json(user);
        json["locale"] = json!(user.locale);
        json
    }

    fn usergroup_index(&self, id: &str) -> usize {
        self.usergroups
            .iter()
            .position(|g| g.id == id)
            .unwrap_or_else(|| panic!("unknown user group {id}"))
    }

    /// The subteam as `usergroups.list` (`include_users`, `include_count`) returns it, with
    /// `users` truncated at 500 as in Slack's `subteam_*` events.
    fn subteam_event(&mut self, idx: usize, kind: &str) -> Value {
        let g = &self.usergroups[idx];
        let team_id = g.team_id.clone();
        let mut subteam = self.usergroup_json(g, true, true);
        if let Some(Value::Array(users)) = subteam.get_mut("users") {
            users.truncate(SUBTEAM_EVENT_MAX_USERS);
        }
        self.event_callback(&team_id, json!({"type": kind, "subteam": subteam}), None)
    }

    fn channel_type_letter(&self, idx: usize) -> &'static str {
        if self.channels[idx].private { "G" } else { "C" }
    }
}

impl SlackEmulator {
    /// Creates a public channel (as `add_channel` does) and returns its id with the
    /// `channel_created` event. Slack sends no `channel_created` for private channels (panics:
    /// use `add_channel`, then `add_bot_to_channel` for the bot's `member_joined_channel`). With
    /// `bot_member` the bot is in the channel at once, but only `channel_created` is returned.
    pub fn create_channel(&self, team_id: &str, spec: ChannelSpec) -> (String, Value) {
        assert!(
            !spec.private,
            "Slack sends no channel_created for a private channel: use add_channel"
        );
        let id = self.add_channel(team_id, spec);
        let mut st = self.inner.lock();
        let idx = st.live_channel(&id);
        let full = st.channel_json(&st.channels[idx], team_id, false);
        let mut channel = pick(
            &full,
            &[
                "id",
                "is_channel",
                "name",
                "name_normalized",
                "created",
                "creator",
                "is_shared",
                "is_org_shared",
                "context_team_id",
                "is_archived",
                "is_general",
                "is_group",
                "is_private",
                "is_ext_shared",
                "is_im",
                "is_mpim",
                "is_pending_ext_shared",
            ],
        );
        channel["is_frozen"] = json!(false);
        let event = json!({"type": "channel_created", "channel": channel});
        let envelope = st.event_callback(team_id, event, Some(&id));
        (id, envelope)
    }

    /// Renames a channel (its old name goes to `previous_names`): `channel_rename`, or
    /// `group_rename` for a private channel.
    pub fn rename_channel(&self, id: &str, new_name: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        let ch = &mut st.channels[idx];
        let old = std::mem::replace(&mut ch.name, new_name.to_string());
        ch.previous_names.push(old);
        let kind = if ch.private {
            "group_rename"
        } else {
            "channel_rename"
        };
        let channel = json!({
            "id": ch.id,
            "name": ch.name,
            "name_normalized": ch.name.to_lowercase(),
            "created": ch.created,
            "is_channel": true,
            "is_mpim": false,
        });
        let team_id = ch.team_id.clone();
        st.event_callback(
            &team_id,
            json!({"type": kind, "channel": channel}),
            Some(id),
        )
    }

    /// Archives a channel: `channel_archive` (`channel`, `user`), or `group_archive` for a
    /// private one. `archive_channel` does the same without the event.
    pub fn archive_channel_event(&self, id: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        assert!(
            !st.channels[idx].archived,
            "channel {id} is already archived"
        );
        st.channels[idx].archived = true;
        let user = st.channel_actor(idx);
        let team_id = st.channels[idx].team_id.clone();
        let event = if st.channels[idx].private {
            json!({"type": "group_archive", "channel": id, "user": user, "is_moved": 0})
        } else {
            json!({"type": "channel_archive", "channel": id, "user": user})
        };
        st.event_callback(&team_id, event, Some(id))
    }

    /// Unarchives a channel: `channel_unarchive` (`channel`, `user`), or `group_unarchive`
    /// (`channel`, `actor_id`) for a private one.
    pub fn unarchive_channel_event(&self, id: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        assert!(st.channels[idx].archived, "channel {id} is not archived");
        st.channels[idx].archived = false;
        let user = st.channel_actor(idx);
        let team_id = st.channels[idx].team_id.clone();
        let event = if st.channels[idx].private {
            json!({"type": "group_unarchive", "channel": id, "actor_id": user})
        } else {
            json!({"type": "channel_unarchive", "channel": id, "user": user})
        };
        st.event_callback(&team_id, event, Some(id))
    }

    /// Deletes a channel: from then on the Web API answers `channel_not_found` for it and lists
    /// leave it out. Returns `channel_deleted`, or `group_deleted` (`date_deleted`, `actor_id`)
    /// for a private one.
    pub fn delete_channel(&self, id: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        let actor = st.channel_actor(idx);
        st.channels[idx].deleted = true;
        let team_id = st.channels[idx].team_id.clone();
        let event = if st.channels[idx].private {
            json!({
                "type": "group_deleted",
                "channel": id,
                "date_deleted": now_secs(),
                "actor_id": actor,
            })
        } else {
            json!({"type": "channel_deleted", "channel": id})
        };
        st.event_callback(&team_id, event, Some(id))
    }

    /// `actor` removes the bot from the channel. The bot hears of its own removal as
    /// `channel_left` (public) or `group_left` (private), `{type, channel, actor_id,
    /// event_ts}`, not as `member_left_channel`, which only the remaining members get
    /// (Slack's reference: docs.slack.dev/reference/events/channel_left and group_left;
    /// a real bot delivery recorded in the slack-web package's golden test
    /// `tests/golden/SlackWebhookEvent/channel_left.json`).
    pub fn remove_bot_from_channel(&self, id: &str, actor: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        let team_id = st.channels[idx].team_id.clone();
        let bot = st.bot_user(&team_id);
        assert!(
            st.channels[idx].members.remove(&bot),
            "the bot is not in channel {id}"
        );
        let kind = if st.channels[idx].private {
            "group_left"
        } else {
            "channel_left"
        };
        let event = json!({
            "type": kind,
            "channel": id,
            "actor_id": actor,
        });
        st.event_callback(&team_id, event, Some(id))
    }

    /// A member of the channel adds the bot: `member_joined_channel` with `inviter`.
    pub fn add_bot_to_channel(&self, id: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.live_channel(id);
        assert!(!st.channels[idx].archived, "channel {id} is archived");
        let team_id = st.channels[idx].team_id.clone();
        let bot = st.bot_user(&team_id);
        assert!(
            st.channels[idx].members.insert(bot.clone()),
            "the bot is already in channel {id}"
        );
        let inviter = st.channel_actor(idx);
        let event = json!({
            "type": "member_joined_channel",
            "user": bot,
            "channel": id,
            "channel_type": st.channel_type_letter(idx),
            "team": team_id,
            "inviter": inviter,
        });
        st.event_callback(&team_id, event, Some(id))
    }

    /// Changes a user's `real_name`, `profile.display_name` and/or `deleted` (deactivation):
    /// `user_change` with the whole user object as `users.info` returns it (`locale` included).
    pub fn update_user(
        &self,
        id: &str,
        real_name: Option<&str>,
        display_name: Option<&str>,
        deleted: Option<bool>,
    ) -> Value {
        let mut st = self.inner.lock();
        let u = st.user_mut(id);
        if let Some(name) = real_name {
            u.real_name = name.to_string();
        }
        if let Some(name) = display_name {
            u.display_name = name.to_string();
        }
        if let Some(deleted) = deleted {
            u.deleted = deleted;
        }
        u.updated = now_secs();
        let team_id = u.team_id.clone();
        let user = st.user_event_json(id);
        let event = json!({"type": "user_change", "user": user, "cache_ts": now_secs()});
        st.event_callback(&team_id, event, None)
    }

    /// A new member joins the workspace (as `add_user`): its id and `team_join`.
    pub fn add_user_event(&self, team_id: &str, name: &str, email: &str) -> (String, Value) {
        let id = self.add_user(team_id, name, email);
        let mut st = self.inner.lock();
        let user = st.user_event_json(&id);
        let event = json!({"type": "team_join", "user": user, "cache_ts": now_secs()});
        let envelope = st.event_callback(team_id, event, None);
        (id, envelope)
    }

    /// Creates a user group (created by the workspace's first human): its `S…` id and
    /// `subteam_created` with the subteam as `usergroups.list` returns it.
    pub fn add_usergroup_event(
        &self,
        team_id: &str,
        handle: &str,
        name: &str,
        members: &[&str],
    ) -> (String, Value) {
        let id = self.add_usergroup(team_id, handle, members);
        let mut st = self.inner.lock();
        let idx = st.usergroup_index(&id);
        let actor = st
            .first_human(team_id)
            .unwrap_or_else(|| st.bot_user(team_id));
        let g = &mut st.usergroups[idx];
        g.name = name.to_string();
        g.created_by.clone_from(&actor);
        g.updated_by = actor;
        let envelope = st.subteam_event(idx, "subteam_created");
        (id, envelope)
    }

    /// Changes a user group's name, handle and/or members (the whole member list):
    /// `subteam_updated` with the subteam as `usergroups.list` returns it (`users` truncated
    /// at 500, `user_count` exact).
    pub fn update_usergroup(
        &self,
        id: &str,
        name: Option<&str>,
        handle: Option<&str>,
        users: Option<&[&str]>,
    ) -> Value {
        let mut st = self.inner.lock();
        let idx = st.usergroup_index(id);
        let team_id = st.usergroups[idx].team_id.clone();
        let actor = st
            .first_human(&team_id)
            .unwrap_or_else(|| st.bot_user(&team_id));
        let g = &mut st.usergroups[idx];
        if let Some(name) = name {
            g.name = name.to_string();
        }
        if let Some(handle) = handle {
            g.handle = handle.to_string();
        }
        if let Some(users) = users {
            g.users = users.iter().map(|u| (*u).to_string()).collect();
        }
        g.updated = now_secs();
        g.updated_by = actor;
        st.subteam_event(idx, "subteam_updated")
    }

    /// Disables (`date_delete` ≠ 0) or re-enables a user group: `subteam_updated`, which Slack
    /// also sends for that.
    pub fn set_usergroup_disabled(&self, id: &str, disabled: bool) -> Value {
        let mut st = self.inner.lock();
        let idx = st.usergroup_index(id);
        let team_id = st.usergroups[idx].team_id.clone();
        let actor = st
            .first_human(&team_id)
            .unwrap_or_else(|| st.bot_user(&team_id));
        let now = now_secs();
        let g = &mut st.usergroups[idx];
        g.date_delete = if disabled { now } else { 0 };
        g.updated = now;
        g.updated_by = actor;
        st.subteam_event(idx, "subteam_updated")
    }

    /// Adds `n` human users to `team_id` at once (fast enough for 100,000) and returns their
    /// ids in order. Names are varied like a Japanese company's: kanji real names with
    /// half-width, full-width or no space, display names in hiragana, katakana, half-width
    /// katakana, romaji, full-width Latin or empty, and some Western names; handles and emails
    /// are unique ASCII. Every 50th user is deactivated (`deleted: true`).
    pub fn add_users_bulk(&self, team_id: &str, n: usize) -> Vec<String> {
        let mut st = self.inner.lock();
        assert!(st.team(team_id).is_some(), "unknown workspace {team_id}");
        let now = now_secs();
        let mut ids = Vec::with_capacity(n);
        st.users.reserve(n);
        st.user_index.reserve(n);
        for i in 0..n {
            let id = st.new_id('U');
            let (real_name, display_name, stem, domain) = bulk_user_name(i);
            let handle = format!("{stem}{}", st.seq);
            let email = format!("{handle}@{domain}");
            st.push_user(User {
                id: id.clone(),
                team_id: team_id.to_string(),
                name: handle,
                real_name,
                display_name,
                email: Some(email),
                is_bot: false,
                bot_id: None,
                deleted: i % 50 == 49,
                updated: now,
                is_admin: false,
                is_owner: false,
                is_restricted: false,
                is_ultra_restricted: false,
                locale: if i % 8 == 6 { "en-US" } else { "ja-JP" }.to_string(),
            });
            ids.push(id);
        }
        ids
    }

    /// Adds `n` public channels to `team_id` at once (fast enough for 20,000) and returns their
    /// ids in order. Names mix `sales-tokyo-123`, `営業部-45`, `開発部-大阪-7`, `proj-…`,
    /// `times-…` and `お知らせ-…` forms, unique by their number. The bot is a member of every
    /// 10th channel (the first included); none is archived.
    pub fn add_channels_bulk(&self, team_id: &str, n: usize) -> Vec<String> {
        let mut st = self.inner.lock();
        let bot = st
            .team(team_id)
            .unwrap_or_else(|| panic!("unknown workspace {team_id}"))
            .bot_user_id
            .clone();
        let creator = st.first_human(team_id).unwrap_or_else(|| bot.clone());
        let now = now_secs();
        let mut ids = Vec::with_capacity(n);
        st.channels.reserve(n);
        st.channel_index.reserve(n);
        for i in 0..n {
            let id = st.new_id('C');
            let name = bulk_channel_name(i, st.seq);
            let mut members = BTreeSet::new();
            if creator != bot {
                members.insert(creator.clone());
            }
            if i % 10 == 0 {
                members.insert(bot.clone());
            }
            st.push_channel(Channel {
                id: id.clone(),
                team_id: team_id.to_string(),
                name,
                private: false,
                archived: false,
                im_user: None,
                shared_from_team: None,
                members,
                created: now,
                creator: creator.clone(),
                messages: Vec::new(),
                previous_names: Vec::new(),
                deleted: false,
            });
            ids.push(id);
        }
        ids
    }
}

// ---------------------------------------------------------------------------------------------
// People in channels: messages, thread replies, edits and deletions with their message events;
// reactions and ephemeral messages as the bot left them
// ---------------------------------------------------------------------------------------------

impl State {
    /// Stores a message typed by a human in a Slack client (text, `rich_text` blocks and a
    /// `client_msg_id`), threaded under `thread_ts` if given.
    fn store_user_message(
        &mut self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Msg {
        let team = self.channel_mut(channel).team_id.clone();
        let ts = self.next_ts();
        let msg = Msg {
            ts,
            user: user.to_string(),
            bot_id: None,
            app_id: None,
            team,
            text: text.to_string(),
            blocks: Some(rich_text_blocks(text)),
            attachments: None,
            metadata: None,
            thread_ts: None,
            parent_user_id: None,
            reply_count: 0,
            reply_users: Vec::new(),
            latest_reply: None,
            subtype: None,
            edited: None,
            username: None,
            bot_profile: None,
            client_msg_id: Some(random_uuid()),
            reactions: Vec::new(),
            hidden: false,
            files: None,
        };
        let ch = self.channel_mut(channel);
        insert_message(ch, msg, thread_ts, false).expect("thread parent exists")
    }

    /// A channel where Slack would deliver a person's message event to the app: it exists, is
    /// not archived, and the bot is a member (message events arrive only there).
    fn event_channel(&self, channel: &str) -> usize {
        let idx = *self
            .channel_index
            .get(channel)
            .unwrap_or_else(|| panic!("unknown channel {channel}"));
        let ch = &self.channels[idx];
        assert!(!ch.deleted, "channel {channel} was deleted");
        assert!(
            !ch.archived,
            "channel {channel} is archived: nobody can post there"
        );
        let bot = self.bot_user(&ch.team_id);
        assert!(
            ch.members.contains(&bot),
            "the bot is not in {channel}: Slack would send the app no message event"
        );
        idx
    }

    /// A `message` event (any subtype) in `channel_idx`, wrapped in its `event_callback`.
    fn message_event(&mut self, channel_idx: usize, mut event: Value) -> Value {
        let ch = &self.channels[channel_idx];
        event["channel"] = json!(ch.id);
        event["channel_type"] = json!(channel_type(ch));
        let (team, id) = (ch.team_id.clone(), ch.id.clone());
        self.event_callback(&team, event, Some(&id))
    }

    fn message_index(&self, channel_idx: usize, ts: &str) -> usize {
        self.channels[channel_idx]
            .messages
            .iter()
            .position(|m| m.ts == ts)
            .unwrap_or_else(|| panic!("no message {ts} in {}", self.channels[channel_idx].id))
    }
}

impl SlackEmulator {
    /// `user` adds the reaction `name` to the message `ts` (a person in Slack's client, or
    /// the bot's own `reactions.add` already recorded) and the `reaction_added` event Slack
    /// sends is returned, as in Slack's reference (docs.slack.dev/reference/events/
    /// reaction_added): `user`, `reaction`, `item_user` (the message's author), `item`
    /// `{type: "message", channel, ts}` and `event_ts`. Reacting twice with the same emoji
    /// records it once, as Slack's client does.
    pub fn user_react(&self, channel: &str, ts: &str, user: &str, name: &str) -> Value {
        self.reaction_event(channel, ts, user, name, true)
    }

    /// `user` removes their reaction `name`: `reaction_removed`, the same shape
    /// (docs.slack.dev/reference/events/reaction_removed).
    pub fn user_unreact(&self, channel: &str, ts: &str, user: &str, name: &str) -> Value {
        self.reaction_event(channel, ts, user, name, false)
    }

    fn reaction_event(
        &self,
        channel: &str,
        ts: &str,
        user: &str,
        name: &str,
        added: bool,
    ) -> Value {
        let mut st = self.inner.lock();
        let idx = st.event_channel(channel);
        let mi = st.message_index(idx, ts);
        let m = &mut st.channels[idx].messages[mi];
        let item_user = m.user.clone();
        let at = m.reactions.iter().position(|(n, _)| n == name);
        match (added, at) {
            (true, Some(i)) => {
                if !m.reactions[i].1.iter().any(|u| u == user) {
                    m.reactions[i].1.push(user.to_string());
                }
            }
            (true, None) => m.reactions.push((name.to_string(), vec![user.to_string()])),
            (false, Some(i)) => {
                m.reactions[i].1.retain(|u| u != user);
                if m.reactions[i].1.is_empty() {
                    m.reactions.remove(i);
                }
            }
            (false, None) => {}
        }
        let event = json!({
            "type": if added { "reaction_added" } else { "reaction_removed" },
            "user": user,
            "reaction": name,
            "item_user": item_user,
            "item": {"type": "message", "channel": channel, "ts": ts},
        });
        let team = st.channels[idx].team_id.clone();
        st.event_callback(&team, event, Some(channel))
    }

    /// The reactions on a message, in Slack's order (by first use): `(emoji name, user ids)`.
    /// Empty for an unknown channel or message.
    pub fn reactions(&self, channel: &str, ts: &str) -> Vec<(String, Vec<String>)> {
        let st = self.inner.lock();
        st.channel_index
            .get(channel)
            .and_then(|&i| st.channels[i].messages.iter().find(|m| m.ts == ts))
            .map(|m| m.reactions.clone())
            .unwrap_or_default()
    }

    /// The `chat.postEphemeral` messages sent to `channel`, oldest first: `{channel, user, text,
    /// blocks, attachments, thread_ts, message_ts}` (`null` where not given).
    pub fn ephemerals(&self, channel: &str) -> Vec<Value> {
        self.inner
            .lock()
            .ephemerals
            .iter()
            .filter(|e| e.channel == channel)
            .map(|e| {
                json!({
                    "channel": e.channel,
                    "user": e.user,
                    "text": e.text,
                    "blocks": e.blocks,
                    "attachments": e.attachments,
                    "thread_ts": e.thread_ts,
                    "message_ts": e.message_ts,
                })
            })
            .collect()
    }

    /// A person posts in a channel the bot is in (panics otherwise, as Slack would send no
    /// event): top level, or as a reply in `thread_ts`'s thread (a reply's `ts` threads under
    /// its parent). Posting in a public channel makes the user a member; a private channel
    /// or DM must already have them. Returns the new `ts` and the `event_callback` Slack would
    /// POST: a `message` event with `client_msg_id`, `user`, `text`, `ts`, `team`, `blocks`
    /// (`rich_text`), `thread_ts` and `parent_user_id` for a reply, `channel`, `event_ts` (the
    /// message's `ts`) and `channel_type` (`channel`, `group`, `im`).
    pub fn user_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> (String, Value) {
        let mut st = self.inner.lock();
        let idx = st.event_channel(channel);
        let u = st
            .user(user)
            .unwrap_or_else(|| panic!("unknown user {user}"));
        assert!(
            !u.is_bot,
            "{user} is a bot: post as the bot through chat.postMessage"
        );
        assert!(!u.deleted, "{user} is deactivated");
        let ch = &mut st.channels[idx];
        match &ch.im_user {
            Some(im_user) => assert_eq!(im_user, user, "{channel} is a DM with {im_user}"),
            None if ch.private => assert!(
                ch.members.contains(user),
                "{user} is not a member of private channel {channel}"
            ),
            None => {
                ch.members.insert(user.to_string());
            }
        }
        if let Some(t) = thread_ts {
            assert!(
                ch.messages.iter().any(|m| m.ts == t),
                "no thread parent {t} in {channel}"
            );
        }
        let msg = st.store_user_message(channel, user, text, thread_ts);
        let mut event = render_msg(&msg, false);
        event["event_ts"] = json!(msg.ts);
        let envelope = st.message_event(idx, event);
        (msg.ts, envelope)
    }

    /// A person replies in a thread: `user_message` with `thread_ts`.
    pub fn user_reply(
        &self,
        channel: &str,
        thread_ts: &str,
        user: &str,
        text: &str,
    ) -> (String, Value) {
        self.user_message(channel, user, text, Some(thread_ts))
    }

    /// The author edits their message (a person's, not the bot's: panics otherwise). Returns
    /// the `message_changed` event: `hidden: true`, `message` (the message now, with
    /// `edited: {user, ts}`), `previous_message`, `channel`, `channel_type`, and `ts` =
    /// `event_ts` = the edit's time.
    pub fn user_edit(&self, channel: &str, ts: &str, new_text: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.event_channel(channel);
        let mi = st.message_index(idx, ts);
        let edit_ts = st.next_ts();
        let m = &mut st.channels[idx].messages[mi];
        assert!(
            m.bot_id.is_none() && m.subtype.is_none(),
            "{ts} is not a person's message: only its author can edit it"
        );
        let previous = render_msg(m, false);
        m.text = new_text.to_string();
        m.blocks = Some(rich_text_blocks(new_text));
        m.edited = Some((m.user.clone(), edit_ts.clone()));
        let message = render_msg(m, false);
        let event = json!({
            "type": "message",
            "subtype": "message_changed",
            "hidden": true,
            "message": message,
            "previous_message": previous,
            "ts": edit_ts,
            "event_ts": edit_ts,
        });
        st.message_event(idx, event)
    }

    /// The message is deleted (by its author, or an admin for anyone's). Returns the event
    /// Slack sends: `message_deleted` (`hidden: true`, `deleted_ts`, `previous_message`,
    /// `channel`, `channel_type`, `ts` = `event_ts` = the deletion's time); for a thread
    /// parent that still has replies, which Slack keeps as a tombstone, `message_changed` whose
    /// `message` is the tombstone (`subtype: "tombstone"`, `hidden: true`, `user: "USLACKBOT"`,
    /// text "This message was deleted.").
    pub fn user_delete(&self, channel: &str, ts: &str) -> Value {
        let mut st = self.inner.lock();
        let idx = st.event_channel(channel);
        let mi = st.message_index(idx, ts);
        assert!(
            st.channels[idx].messages[mi].subtype.as_deref() != Some("tombstone"),
            "{ts} was already deleted"
        );
        let event_ts = st.next_ts();
        let (old, tombstone) = remove_message(&mut st.channels[idx], mi);
        let previous = render_msg(&old, false);
        let event = match tombstone {
            Some(t) => json!({
                "type": "message",
                "subtype": "message_changed",
                "hidden": true,
                "message": render_msg(&t, false),
                "previous_message": previous,
                "ts": event_ts,
                "event_ts": event_ts,
            }),
            None => json!({
                "type": "message",
                "subtype": "message_deleted",
                "hidden": true,
                "deleted_ts": old.ts,
                "previous_message": previous,
                "ts": event_ts,
                "event_ts": event_ts,
            }),
        };
        st.message_event(idx, event)
    }
}

// ---------------------------------------------------------------------------------------------
// Files: Slack's upload flow (files.getUploadURLExternal → POST to the URL → files.completeUploadExternal)
// ---------------------------------------------------------------------------------------------
//
// https://api.slack.com/methods/files.getUploadURLExternal: `filename` and `length` are
// required; a `length` of 0 is `missing_argument`; the answer is `upload_url` and `file_id`.
// The client then POSTs the file to the upload URL ("raw bytes or multipart form
// encoded"; Slack answers HTTP 200 `OK - <length>`).
// https://api.slack.com/methods/files.completeUploadExternal: `files` (a JSON array of
// `{id, title}`) is required; with `channel_id` the files are shared there in one message
// introduced by `initial_comment`; the answer lists the `files`. A file that was never
// asked for, or whose bytes never arrived, is not there to complete: `file_not_found`.

/// Slack's file size limit.
const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

struct StoredFile {
    id: String,
    team_id: String,
    /// The secret part of its upload URL.
    key: String,
    filename: String,
    length: u64,
    /// None until the upload URL received the bytes.
    bytes: Option<Vec<u8>>,
    title: Option<String>,
    /// Where `files.completeUploadExternal` shared it (None: not yet, or kept private).
    channel: Option<String>,
    completed: bool,
    created: i64,
    /// Who shared it: a person (`user_reply_with_file`), else the bot.
    user: Option<String>,
}

/// A file uploaded through the emulator, for tests to read back.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    pub id: String,
    pub name: String,
    pub title: Option<String>,
    /// What the upload URL received (empty when nothing was).
    pub bytes: Vec<u8>,
    /// The channel it was shared in by `files.completeUploadExternal`.
    pub channel: Option<String>,
    pub completed: bool,
}

impl SlackEmulator {
    /// Every file asked for with `files.getUploadURLExternal`, in that order.
    pub fn uploaded_files(&self) -> Vec<UploadedFile> {
        self.inner
            .lock()
            .files
            .iter()
            .map(|f| UploadedFile {
                id: f.id.clone(),
                name: f.filename.clone(),
                title: f.title.clone(),
                bytes: f.bytes.clone().unwrap_or_default(),
                channel: f.channel.clone(),
                completed: f.completed,
            })
            .collect()
    }
}

impl State {
    fn files_get_upload_url_external(&mut self, team_id: &str, args: &Args) -> ApiResult {
        let filename = arg_str(args, "filename")
            .filter(|f| !f.is_empty())
            .ok_or_else(|| err("invalid_arguments"))?;
        let length = arg_u64(args, "length")
            .map_err(|_| err("invalid_arguments"))?
            .ok_or_else(|| err("invalid_arguments"))?;
        if length == 0 {
            return Err(err("missing_argument"));
        }
        if length > MAX_FILE_BYTES {
            return Err(err("file_upload_size_restricted"));
        }
        let id = self.new_id('F');
        let key = random_alnum(32);
        let upload_url = format!("{}/upload/v1/{key}", self.http_base);
        self.files.push(StoredFile {
            id: id.clone(),
            team_id: team_id.to_string(),
            key,
            filename,
            length,
            bytes: None,
            title: None,
            channel: None,
            completed: false,
            created: now_secs(),
            user: None,
        });
        Ok(into_map(json!({"upload_url": upload_url, "file_id": id})))
    }

    fn files_complete_upload_external(&mut self, team_id: &str, args: &Args) -> ApiResult {
        // `files` is a JSON array in a JSON body, a JSON string in a form.
        let files = match args.get("files") {
            Some(Value::String(text)) => {
                serde_json::from_str::<Value>(text).map_err(|_| err("invalid_arguments"))?
            }
            Some(v) => v.clone(),
            None => return Err(err("invalid_arguments")),
        };
        let Some(files) = files.as_array().filter(|f| !f.is_empty()) else {
            return Err(err("invalid_arguments"));
        };
        let mut picked = Vec::new();
        for file in files {
            let id = file["id"]
                .as_str()
                .ok_or_else(|| err("invalid_arguments"))?;
            let at = self
                .files
                .iter()
                .position(|f| f.id == id && f.team_id == team_id && f.bytes.is_some())
                .ok_or_else(|| err("file_not_found"))?;
            picked.push((at, file["title"].as_str().map(str::to_string)));
        }
        let channel = match arg_str(args, "channel_id").filter(|c| !c.is_empty()) {
            None => None,
            Some(raw) => {
                let idx = self
                    .find_channel(team_id, &raw)
                    .ok_or_else(|| err("channel_not_found"))?;
                let ch = &self.channels[idx];
                if ch.im_user.is_none() {
                    let member = ch.members.contains(&self.bot_user(team_id));
                    if ch.private && !member {
                        return Err(err("channel_not_found"));
                    }
                    if ch.archived {
                        return Err(err("is_archived"));
                    }
                    if !member {
                        return Err(err("not_in_channel"));
                    }
                }
                Some(idx)
            }
        };
        // `thread_ts` shares the files as a reply in that thread (files.completeUploadExternal
        // reference, "thread_ts: Provide another message's ts value to upload this file as a
        // reply"). An unknown thread is refused as chat.postMessage refuses it; Slack's page
        // lists no code for it, so the code is chat.postMessage's.
        let thread_ts = arg_str(args, "thread_ts").filter(|t| !t.is_empty());
        if let (Some(t), Some(idx)) = (&thread_ts, channel)
            && !self.channels[idx].messages.iter().any(|m| &m.ts == t)
        {
            return Err(err("thread_not_found"));
        }
        let team = self.team(team_id).ok_or_else(|| err("invalid_auth"))?;
        let (bot_user, bot_id) = (team.bot_user_id.clone(), team.bot_id.clone());
        let channel_id = channel.map(|i| self.channels[i].id.clone());
        let mut listed = Vec::new();
        for (at, title) in picked {
            let f = &mut self.files[at];
            f.title = title.or_else(|| Some(f.filename.clone()));
            f.channel = channel_id.clone();
            f.completed = true;
            listed.push(json!({
                "id": f.id,
                "created": f.created,
                "timestamp": f.created,
                "name": f.filename,
                "title": f.title,
                "mimetype": mimetype_of(&f.filename),
                "filetype": f.filename.rsplit('.').next().unwrap_or("binary").to_ascii_lowercase(),
                "user": bot_user,
                "user_team": team_id,
                "size": f.bytes.as_ref().map_or(0, Vec::len),
                "is_external": false,
                "is_public": false,
                "url_private": format!("https://files.slack.com/files-pri/{team_id}-{}/{}", f.id, f.filename),
                "permalink": format!("https://emulated.slack.com/files/{bot_user}/{}/{}", f.id, f.filename),
            }));
        }
        if let Some(idx) = channel {
            let ts = self.next_ts();
            let msg = Msg {
                ts,
                user: bot_user,
                bot_id: Some(bot_id),
                app_id: Some(self.app_id.clone()),
                team: team_id.to_string(),
                text: arg_str(args, "initial_comment").unwrap_or_default(),
                blocks: None,
                attachments: None,
                metadata: None,
                thread_ts: None,
                parent_user_id: None,
                reply_count: 0,
                reply_users: Vec::new(),
                latest_reply: None,
                subtype: None,
                edited: None,
                username: None,
                bot_profile: None,
                client_msg_id: None,
                reactions: Vec::new(),
                hidden: false,
                files: Some(json!(listed)),
            };
            insert_message(&mut self.channels[idx], msg, thread_ts.as_deref(), false);
        }
        Ok(into_map(json!({"files": listed})))
    }
}

impl State {
    /// A stored file as Slack's file object shows it (files.info reference): `id`, `name`,
    /// `title`, `mimetype`, `filetype`, `size`, `user`, `url_private`,
    /// `url_private_download` (here on the emulator's own address, behind the bot token).
    fn file_json(&self, f: &StoredFile) -> Value {
        let user = f.user.clone().unwrap_or_else(|| self.bot_user(&f.team_id));
        let download = format!(
            "{}/files-pri/{}-{}/download/{}",
            self.http_base, f.team_id, f.id, f.filename
        );
        json!({
            "id": f.id,
            "created": f.created,
            "timestamp": f.created,
            "name": f.filename,
            "title": f.title.clone().unwrap_or_else(|| f.filename.clone()),
            "mimetype": mimetype_of(&f.filename),
            "filetype": f.filename.rsplit('.').next().unwrap_or("binary").to_ascii_lowercase(),
            "user": user,
            "user_team": f.team_id,
            "size": f.bytes.as_ref().map_or(0, Vec::len),
            "is_external": false,
            "is_public": false,
            "url_private": download.replace("/download/", "/"),
            "url_private_download": download,
        })
    }

    /// `files.info`: the file, if it is the workspace's and shared (`file_not_found`
    /// otherwise, as Slack answers).
    fn files_info(&self, team_id: &str, args: &Args) -> ApiResult {
        let id = arg_str(args, "file").ok_or_else(|| err("file_not_found"))?;
        let f = self
            .files
            .iter()
            .find(|f| f.id == id && f.team_id == team_id && f.completed)
            .ok_or_else(|| err("file_not_found"))?;
        Ok(into_map(
            json!({"file": self.file_json(f), "comments": [], "response_metadata": {"next_cursor": ""}}),
        ))
    }
}

/// A file's `url_private_download`: the bytes, to a request with a bot token of the
/// file's workspace in `Authorization: Bearer` ("url_private and url_private_download
/// … require an authorization header with a token that has either the files:read or
/// read scopes", Slack Platform Blog, "Important Changes to Files in the Web API",
/// 2015-11-18). What Slack answers without one is not documented; here it is never the
/// bytes, but a 302 to `/signin`.
async fn file_download_handler(
    AxState(inner): AxState<Arc<Inner>>,
    Path((file, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let st = inner.lock();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let team = token
        .and_then(|t| st.tokens.get(t))
        .filter(|t| !t.revoked)
        .map(|t| t.team_id.clone());
    let found = st.files.iter().find(|f| {
        format!("{}-{}", f.team_id, f.id) == file
            && Some(&f.team_id) == team.as_ref()
            && f.completed
    });
    match found {
        Some(f) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mimetype_of(&f.filename))],
            f.bytes.clone().unwrap_or_default(),
        )
            .into_response(),
        None => (StatusCode::FOUND, [(header::LOCATION, "/signin")], "").into_response(),
    }
}

impl SlackEmulator {
    /// A person replies in a thread with a file, as Slack's client shares one: the file is
    /// stored (so `files.info` and its `url_private_download` serve it) and the message event
    /// is `subtype: "file_share"` with `files` and `upload: true` (Slack's message
    /// `file_share` subtype). Returns the message's ts and the event.
    pub fn user_reply_with_file(
        &self,
        channel: &str,
        thread_ts: &str,
        user: &str,
        text: &str,
        name: &str,
        bytes: &[u8],
    ) -> (String, Value) {
        let mut st = self.inner.lock();
        let idx = st.event_channel(channel);
        let team_id = st.channels[idx].team_id.clone();
        let id = st.new_id('F');
        let file = StoredFile {
            id,
            team_id,
            key: random_alnum(32),
            filename: name.to_string(),
            length: bytes.len() as u64,
            bytes: Some(bytes.to_vec()),
            title: Some(name.to_string()),
            channel: Some(channel.to_string()),
            completed: true,
            created: now_secs(),
            user: Some(user.to_string()),
        };
        let shown = st.file_json(&file);
        st.files.push(file);
        let mut msg = st.store_user_message(channel, user, text, Some(thread_ts));
        let mi = st.message_index(idx, &msg.ts);
        st.channels[idx].messages[mi].files = Some(json!([shown.clone()]));
        st.channels[idx].messages[mi].subtype = Some("file_share".into());
        msg = st.channels[idx].messages[mi].clone();
        let mut event = render_msg(&msg, false);
        event["event_ts"] = json!(msg.ts);
        event["upload"] = json!(true);
        let envelope = st.message_event(idx, event);
        (msg.ts, envelope)
    }
}

/// The media type Slack reports for a file, by its name's extension (Slack detects it
/// from the content; these are the types Herald's tests upload).
fn mimetype_of(filename: &str) -> &'static str {
    match filename
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "csv" => "text/csv",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// The upload URL: takes the file's bytes, raw or as the one file of a multipart form.
async fn upload_handler(
    AxState(inner): AxState<Arc<Inner>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = match multipart_boundary(&content_type) {
        Some(boundary) => match multipart_first_part(&body, &boundary) {
            Some(part) => part,
            None => return (StatusCode::BAD_REQUEST, "bad multipart body").into_response(),
        },
        None => body.to_vec(),
    };
    let mut st = inner.lock();
    let Some(file) = st.files.iter_mut().find(|f| f.key == key) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let length = bytes.len();
    file.bytes = Some(bytes);
    let mut resp = (StatusCode::OK, format!("OK - {length}")).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let rest = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
        .then_some(content_type)?;
    rest.split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
        .next()
}

/// The body of a multipart form's first part.
fn multipart_first_part(body: &[u8], boundary: &str) -> Option<Vec<u8>> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let open = format!("--{boundary}");
    let start = find(body, open.as_bytes(), 0)? + open.len();
    let headers_end = find(body, b"\r\n\r\n", start)? + 4;
    let close = format!("\r\n--{boundary}");
    let end = find(body, close.as_bytes(), headers_end)?;
    Some(body[headers_end..end].to_vec())
}

// ---------------------------------------------------------------------------------------------
// Slash commands' response_url (hooks.slack.com/commands/…)
// ---------------------------------------------------------------------------------------------

/// Slack: a `response_url` takes up to 5 responses within 30 minutes of the command.
const RESPONSE_URL_USES: usize = 5;
const RESPONSE_URL_TTL: Duration = Duration::from_secs(30 * 60);

struct ResponseUrl {
    issued: Instant,
    posts: Vec<Value>,
}

impl SlackEmulator {
    /// A `response_url` as Slack puts in a slash command's payload.
    pub fn issue_response_url(&self, team_id: &str) -> String {
        let path = format!(
            "/commands/{team_id}/{}/{}",
            fastrand::u64(100_000_000_000..999_999_999_999),
            random_alnum(24)
        );
        self.inner.lock().response_urls.insert(
            path.clone(),
            ResponseUrl {
                issued: Instant::now(),
                posts: Vec::new(),
            },
        );
        format!("http://{}{path}", self.addr)
    }

    /// The messages posted to a `response_url`, oldest first.
    pub fn responses(&self, url: &str) -> Vec<Value> {
        let path = url
            .split_once("/commands/")
            .map(|(_, p)| format!("/commands/{p}"));
        let st = self.inner.lock();
        path.and_then(|p| st.response_urls.get(&p))
            .map(|r| r.posts.clone())
            .unwrap_or_default()
    }
}

async fn response_url_handler(
    AxState(inner): AxState<Arc<Inner>>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let refuse = |status: StatusCode, error: &str| {
        (status, axum::Json(json!({"ok": false, "error": error}))).into_response()
    };
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    if !message.is_object()
        || (message.get("text").is_none_or(|t| !t.is_string())
            && message.get("blocks").is_none_or(|b| !b.is_array())
            && message.get("delete_original").is_none())
    {
        return refuse(StatusCode::BAD_REQUEST, "no_text");
    }
    let mut st = inner.lock();
    let Some(entry) = st.response_urls.get_mut(uri.path()) else {
        return refuse(StatusCode::NOT_FOUND, "no_service");
    };
    if entry.issued.elapsed() > RESPONSE_URL_TTL {
        return refuse(StatusCode::NOT_FOUND, "expired_url");
    }
    if entry.posts.len() >= RESPONSE_URL_USES {
        return refuse(StatusCode::NOT_FOUND, "used_url");
    }
    entry.posts.push(message);
    axum::Json(json!({"ok": true})).into_response()
}

// ---------------------------------------------------------------------------------------------
// Socket Mode
// ---------------------------------------------------------------------------------------------

async fn socket_handler(
    ws: WebSocketUpgrade,
    Path(ticket): Path<String>,
    AxState(inner): AxState<Arc<Inner>>,
) -> Response {
    // Tickets from apps.connections.open are single-use.
    if !inner.lock().tickets.remove(&ticket) {
        return (StatusCode::UNAUTHORIZED, "invalid ticket").into_response();
    }
    ws.on_upgrade(move |socket| run_socket(inner, socket))
}

fn debug_info(conn_id: u64, lifetime: &SocketLifetime) -> Value {
    json!({
        "host": format!("applink-emulator-{conn_id}"),
        "build_number": 1,
        "approximate_connection_time": lifetime.announced_secs,
    })
}

async fn run_socket(inner: Arc<Inner>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (conn_id, open, hello, lifetime) = {
        let mut st = inner.lock();
        st.socket_seq += 1;
        let conn_id = st.socket_seq;
        let open = st.sockets.len();
        let lifetime = st.socket_lifetime;
        let hello = json!({
            "type": "hello",
            "num_connections": st.sockets.len() + 1,
            "debug_info": debug_info(conn_id, &lifetime),
            "connection_info": {"app_id": st.app_id},
        });
        (conn_id, open, hello, lifetime)
    };
    if open >= MAX_SOCKET_CONNECTIONS {
        let msg = json!({"type": "disconnect", "reason": "too_many_websockets", "debug_info": debug_info(conn_id, &lifetime)});
        let _ = socket.send(WsMessage::Text(msg.to_string().into())).await;
        let _ = socket.send(WsMessage::Close(None)).await;
        return;
    }
    // Listed before `hello` leaves: from then on the client may count on this socket.
    {
        let mut st = inner.lock();
        st.sockets.push(SocketConn { id: conn_id, tx });
        st.sockets_opened += 1;
    }
    let sent = socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_ok();
    let count = inner.lock().sockets.len();
    inner.connections.send_replace(count);
    if !sent {
        remove_socket(&inner, conn_id);
        return;
    }

    let mut shutdown = inner.shutdown.clone();
    let mut done: Option<oneshot::Sender<()>> = None;
    let far = Duration::from_secs(86_400 * 365);
    let rotate_at = tokio::time::Instant::now() + lifetime.rotate_after.unwrap_or(far);
    let mut close_at = tokio::time::Instant::now() + far;
    let mut rotating = false;
    loop {
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(rotate_at), if !rotating => {
                rotating = true;
                close_at = tokio::time::Instant::now() + lifetime.grace;
                let msg = json!({"type": "disconnect", "reason": "refresh_requested", "debug_info": debug_info(conn_id, &lifetime)});
                if socket.send(WsMessage::Text(msg.to_string().into())).await.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep_until(close_at) => {
                let _ = socket.send(WsMessage::Close(None)).await;
                break;
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                    let Some(id) = v.get("envelope_id").and_then(Value::as_str).map(str::to_string) else {
                        continue;
                    };
                    let mut st = inner.lock();
                    st.acks.push(v.clone());
                    if let Some(waiter) = st.pending_acks.remove(&id) {
                        let _ = waiter.send(v);
                    }
                }
                Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {} // pings are answered by the WebSocket layer
            },
            cmd = rx.recv() => match cmd {
                Some(SocketCmd::Send(text)) => {
                    if socket.send(WsMessage::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(SocketCmd::Drop) => break,
                Some(SocketCmd::DisconnectLater(reason, grace)) => {
                    rotating = true;
                    close_at = tokio::time::Instant::now() + grace;
                    let msg = json!({"type": "disconnect", "reason": reason, "debug_info": debug_info(conn_id, &lifetime)});
                    if socket.send(WsMessage::Text(msg.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Some(SocketCmd::Disconnect(reason, tx)) => {
                    let msg = json!({"type": "disconnect", "reason": reason, "debug_info": debug_info(conn_id, &lifetime)});
                    let _ = socket.send(WsMessage::Text(msg.to_string().into())).await;
                    let _ = socket.send(WsMessage::Close(None)).await;
                    done = Some(tx);
                    break;
                }
                None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    remove_socket(&inner, conn_id);
    if let Some(done) = done {
        let _ = done.send(());
    }
}

fn remove_socket(inner: &Inner, conn_id: u64) {
    let count = {
        let mut st = inner.lock();
        let before = st.sockets.len();
        st.sockets.retain(|s| s.id != conn_id);
        if before > 0 && st.sockets.is_empty() {
            st.socket_gaps += 1;
        }
        st.sockets.len()
    };
    inner.connections.send_replace(count);
}

/// Accepts Socket Mode clients and relays each one's bytes to the WebSocket server and
/// back, dropping them both ways while its flow is frozen. A client closing its side
/// closes the server's too, so a socket the client gave up on goes from Slack's list.
async fn relay_flows(
    relay: tokio::net::TcpListener,
    server: SocketAddr,
    inner: Arc<Inner>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let client = tokio::select! {
            accepted = relay.accept() => match accepted {
                Ok((client, _)) => client,
                Err(_) => continue,
            },
            _ = shutdown.wait_for(|stopped| *stopped) => return,
        };
        let Ok(upstream) = tokio::net::TcpStream::connect(server).await else {
            continue;
        };
        let flow = Arc::new(Flow {
            frozen: std::sync::atomic::AtomicBool::new(false),
        });
        {
            let mut st = inner.lock();
            st.flows.retain(|f| Arc::strong_count(f) > 1);
            st.flows.push(flow.clone());
        }
        tokio::spawn(relay_one(client, upstream, flow));
    }
}

async fn relay_one(
    client: tokio::net::TcpStream,
    upstream: tokio::net::TcpStream,
    flow: Arc<Flow>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut up_rx, mut up_tx) = upstream.into_split();
    let frozen = |flow: &Flow| flow.frozen.load(std::sync::atomic::Ordering::Relaxed);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) if !frozen(&flow) => {
                    if up_tx.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
            }
        }
        let _ = up_tx.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match up_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) if !frozen(&flow) => {
                    if client_tx.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
            }
        }
        if frozen(&flow) {
            // A cut path carries no close either.
            std::future::pending::<()>().await;
        }
        let _ = client_tx.shutdown().await;
    };
    // The client giving up ends the flow (and the server's socket with it); the server
    // closing reaches the client unless the flow is frozen.
    tokio::select! {
        () = up => {}
        () = async { down.await; std::future::pending::<()>().await } => {}
    }
}

// ---------------------------------------------------------------------------------------------
// What a Slack client shows and sends: the playground's view of a workspace
// ---------------------------------------------------------------------------------------------

impl SlackEmulator {
    /// The workspace's conversations as `conversations.info` shows them to its bot
    /// (`is_member` is the bot's membership), each with its `members`; DMs (`is_im`) with
    /// their `user`. Deleted channels are left out; creation order.
    pub fn conversations(&self, team_id: &str) -> Vec<Value> {
        let st = self.inner.lock();
        st.channels
            .iter()
            .filter(|c| !c.deleted && c.team_id == team_id)
            .map(|c| {
                with_field(
                    st.channel_json(c, team_id, true),
                    "members",
                    json!(c.members),
                )
            })
            .collect()
    }

    /// The workspace's users as `users.list` returns them (bots included), with the
    /// `locale` `users.info` gives for `include_locale=true`.
    pub fn users(&self, team_id: &str) -> Vec<Value> {
        let st = self.inner.lock();
        st.users
            .iter()
            .filter(|u| u.team_id == team_id)
            .map(|u| with_field(st.user_json(u), "locale", json!(u.locale)))
            .collect()
    }

    /// The workspace's user groups as `usergroups.list` returns them with `include_users`.
    pub fn usergroups(&self, team_id: &str) -> Vec<Value> {
        let st = self.inner.lock();
        st.usergroups
            .iter()
            .filter(|g| g.team_id == team_id)
            .map(|g| st.usergroup_json(g, true, true))
            .collect()
    }

    /// The `min_query_length` of the external select (`block_id`, `action_id`) in the view
    /// `view_id` (3 when the element sets none, as Slack documents), or `None` when the
    /// view has no such element: how many characters a person types before Slack asks
    /// for options ([`block_suggestion`](Self::block_suggestion)).
    pub fn suggestion_min_length(
        &self,
        view_id: &str,
        block_id: &str,
        action_id: &str,
    ) -> Option<usize> {
        let st = self.inner.lock();
        let view = st.views.iter().find(|v| v.id == view_id)?;
        external_select(&view.content.blocks, block_id, action_id).map(min_query_length)
    }

    /// What Slack POSTs to the app's Request URL when `user_id` runs `command` with `text`
    /// in `channel_id`: the form fields Slack documents for slash commands
    /// (<https://api.slack.com/interactivity/slash-commands#app_command_handling>), named and
    /// ordered as in the form bolt-python's tests replay (`slash_command_form.json` of
    /// `../shared/slack-fixtures`), with a fresh `response_url` and trigger id. A DM is
    /// named `directmessage`, as Slack names it in this payload.
    pub fn slash_command(
        &self,
        team_id: &str,
        user_id: &str,
        channel_id: &str,
        command: &str,
        text: &str,
    ) -> Vec<(String, String)> {
        let response_url = self.issue_response_url(team_id);
        let trigger_id = self.issue_trigger(team_id, user_id);
        let st = self.inner.lock();
        let domain = st
            .team(team_id)
            .map(|t| t.domain.clone())
            .unwrap_or_default();
        let user_name = st.user(user_id).map(|u| u.name.clone()).unwrap_or_default();
        let channel_name = st
            .channel_index
            .get(channel_id)
            .map(|&i| &st.channels[i])
            .map(|c| {
                if c.im_user.is_some() {
                    "directmessage".to_string()
                } else {
                    c.name.clone()
                }
            })
            .unwrap_or_default();
        [
            ("token", st.verification_token.clone()),
            ("team_id", team_id.to_string()),
            ("team_domain", domain),
            ("channel_id", channel_id.to_string()),
            ("channel_name", channel_name),
            ("user_id", user_id.to_string()),
            ("user_name", user_name),
            ("command", command.to_string()),
            ("text", text.to_string()),
            ("api_app_id", st.app_id.clone()),
            ("is_enterprise_install", "false".to_string()),
            ("response_url", response_url),
            ("trigger_id", trigger_id),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// What Slack sends when `user_id` uses an interactive element of the message `ts` in
    /// `channel_id` (a button, say): a `block_actions` payload with `container: {"type":
    /// "message", …}`, the `channel`, the `message` as posted, a fresh `response_url` and
    /// trigger id, and `actions` (each given `action_ts` if missing). The shape is that of
    /// `block_actions.json` (bolt-python's fixture) plus `message`, which Slack documents for
    /// a non-ephemeral message (<https://api.slack.com/reference/interaction-payloads/block-actions>).
    /// An ephemeral message (`ephemeral: true`) has no stored `message` to send, as at Slack.
    /// `None` when there is no such message.
    pub fn message_block_actions(
        &self,
        channel_id: &str,
        ts: &str,
        user_id: &str,
        ephemeral: bool,
        actions: Value,
    ) -> Option<Value> {
        let team_id = self.inner.lock().user(user_id)?.team_id.clone();
        let response_url = self.issue_response_url(&team_id);
        let mut st = self.inner.lock();
        let &index = st.channel_index.get(channel_id)?;
        let message = if ephemeral {
            None
        } else {
            Some(render_msg(
                st.channels[index].messages.iter().find(|m| m.ts == ts)?,
                true,
            ))
        };
        let channel_name = st.channels[index].name.clone();
        let actions = st.stamp_actions(actions);
        let mut payload = st.interaction_base("block_actions", &team_id, user_id, None);
        payload.insert(
            "container".into(),
            json!({"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": ephemeral}),
        );
        payload.insert(
            "channel".into(),
            json!({"id": channel_id, "name": channel_name}),
        );
        if let Some(message) = message {
            payload.insert("message".into(), message);
        }
        payload.insert("response_url".into(), json!(response_url));
        payload.insert("actions".into(), Value::Array(actions));
        Some(Value::Object(payload))
    }
}

/// What Slack does with the answer to a `view_submission`
/// (<https://api.slack.com/surfaces/modals#updating_response>).
#[derive(Clone, Debug, PartialEq)]
pub enum SubmissionOutcome {
    /// No `response_action`: the submitted view closes (the one below it, if any, shows).
    Closed,
    /// `response_action: clear`: the whole stack closes.
    Cleared,
    /// `response_action: update`: the submitted view shows the new content.
    Updated,
    /// `response_action: push`: a new view (its id) on top of the stack.
    Pushed(String),
    /// `response_action: errors`: the view stays open, with these messages by `block_id`.
    Errors(Value),
    /// An answer Slack would refuse to apply (the modal shows Slack's generic error).
    Refused(String),
}

impl SlackEmulator {
    /// The modal `user_id` sees in `team_id` now: the top of their latest open stack.
    pub fn open_modal(&self, team_id: &str, user_id: &str) -> Option<Value> {
        let st = self.inner.lock();
        st.views
            .iter()
            .rev()
            .find(|v| v.is_open_modal_of(team_id, user_id))
            .map(|v| st.view_json(v))
    }

    /// The user closes the modal `view_id` (its ✕ or Cancel): it and every view pushed
    /// on top of it close. Returns the `view_closed` payload Slack sends when the view set
    /// `notify_on_close` (<https://api.slack.com/reference/interaction-payloads/views#view_closed>).
    pub fn close_modal(&self, view_id: &str, user_id: &str) -> Option<Value> {
        let mut st = self.inner.lock();
        let idx = st.views.iter().position(|v| v.id == view_id)?;
        let (team_id, notify) = (
            st.views[idx].team_id.clone(),
            st.views[idx].content.notify_on_close,
        );
        let view = st.view_json(&st.views[idx]);
        st.close_stack(idx, false);
        notify.then(|| {
            let mut payload = st.interaction_base("view_closed", &team_id, user_id, None);
            payload.remove("trigger_id");
            payload.insert("view".into(), view);
            payload.insert("is_cleared".into(), json!(false));
            Value::Object(payload)
        })
    }

    /// Applies the app's answer to the `view_submission` of `view_id` (the HTTP body, `Null`
    /// when empty) as Slack does.
    pub fn answer_submission(&self, view_id: &str, answer: &Value) -> SubmissionOutcome {
        let mut st = self.inner.lock();
        let Some(idx) = st.views.iter().position(|v| v.id == view_id) else {
            return SubmissionOutcome::Refused(format!("unknown view {view_id}"));
        };
        let with_view = |answer: &Value| -> Result<ViewContent, String> {
            let mut args = Args::new();
            args.insert(
                "view".into(),
                answer.get("view").cloned().unwrap_or(Value::Null),
            );
            view_content(&args, Some(ViewKind::Modal)).map_err(|e| e.code)
        };
        match answer.get("response_action").and_then(Value::as_str) {
            None => {
                st.close_stack(idx, false);
                SubmissionOutcome::Closed
            }
            Some("clear") => {
                st.close_stack(idx, true);
                SubmissionOutcome::Cleared
            }
            Some("errors") => match answer.get("errors") {
                Some(errors @ Value::Object(_)) => SubmissionOutcome::Errors(errors.clone()),
                _ => SubmissionOutcome::Refused("errors must be an object".into()),
            },
            Some("update") => match with_view(answer) {
                Ok(content) => {
                    st.replace_view(idx, content);
                    SubmissionOutcome::Updated
                }
                Err(e) => SubmissionOutcome::Refused(e),
            },
            Some("push") => match with_view(answer) {
                Ok(content) => {
                    let (team, user, root) = (
                        st.views[idx].team_id.clone(),
                        st.views[idx].user_id.clone(),
                        st.views[idx].root_view_id.clone(),
                    );
                    let id = st.views[idx].id.clone();
                    let new = st.add_view(&team, &user, content, Some((root, id)));
                    SubmissionOutcome::Pushed(st.views[new].id.clone())
                }
                Err(e) => SubmissionOutcome::Refused(e),
            },
            Some(other) => SubmissionOutcome::Refused(format!("unknown response_action {other}")),
        }
    }
}

impl SlackEmulator {
    /// `user_id` opens the app's Home tab (`tab: "home"`) or its Messages tab: the
    /// `event_callback` Slack sends, an `app_home_opened` event shaped as the example of
    /// Slack's reference page (docs.slack.dev/reference/events/app_home_opened): `user`,
    /// `channel` (the user's DM with the app), `tab`, `event_ts`, and `view` once a Home
    /// tab has been published for the user.
    pub fn open_app_home(&self, team_id: &str, user_id: &str, tab: &str) -> Value {
        let mut st = self.inner.lock();
        let dm = st.im_with(team_id, user_id);
        let channel = st.channels[dm].id.clone();
        let mut event = json!({
            "type": "app_home_opened",
            "user": user_id,
            "channel": channel,
            "tab": tab,
        });
        if let Some(i) = st.home_index(team_id, user_id) {
            event["view"] = st.view_json(&st.views[i]);
        }
        st.event_callback(team_id, event, None)
    }

    /// The DM between the app's bot and `user_id` (`D…`), opened on first use as
    /// `conversations.open` would.
    pub fn dm_with(&self, team_id: &str, user_id: &str) -> String {
        let mut st = self.inner.lock();
        let dm = st.im_with(team_id, user_id);
        st.channels[dm].id.clone()
    }
}

impl SlackEmulator {
    /// What the person has entered in the view `view_id` so far (`state.values`, Slack's
    /// shape). Slack keeps a view's state as it is edited and sends it with every
    /// `block_actions` from that view.
    pub fn set_view_state(&self, view_id: &str, values: Value) {
        let mut st = self.inner.lock();
        if let Some(v) = st.views.iter_mut().find(|v| v.id == view_id) {
            v.state_values = values;
        }
    }
}

/// `v` with `key` set to `value` (a control API's extra beside Slack's shape).
fn with_field(mut v: Value, key: &str, value: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.insert(key.into(), value);
    }
    v
}
