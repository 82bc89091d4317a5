//! Spawns the real Herald (the library's `App`, as `main` runs it) against the Slack
//! emulator, on a random port and a fresh database: SQLite in a temp dir, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set.
//!
//! Each app runs in its own tokio runtime so a test can crash it the hard way
//! (`crash()` drops every task at its next await, like a killed process) and start a new
//! one on the same database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use herald::App;
use herald::config::{DeliverySettings, DirectorySettings, Settings, SettingsArgs};
use herald::core::signature::{slack as slack_sig, standard_webhooks};
use herald::store::{JobRecord, Store};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::slack_emulator::{ChannelSpec, SlackEmulator, Workspace};

pub const TEAM: &str = "T0HERALD1";
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// How long a test waits for something that should happen at once.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub struct Channels {
    pub general: String,
    pub public_not_member: String,
    pub private_member: String,
    pub private_not_member: String,
    pub archived: String,
    pub errors: String,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub emu: Arc<SlackEmulator>,
    pub ws: Workspace,
    pub channels: Channels,
    pub store: Store,
    pub settings: Settings,
    instance: Option<Instance>,
    _dir: Option<tempfile::TempDir>,
}

/// Stands for "the address this Herald listens on" in `Settings::public_url` until the
/// instance is launched (`Options::public_url`).
const OWN_ADDRESS: &str = "http://own-address.invalid";

#[derive(Clone)]
pub struct Options {
    pub socket_mode: bool,
    /// How Socket Mode connections are kept (Slack's defaults unless a test speeds them).
    pub socket_timing: herald::config::SocketTiming,
    pub lang: &'static str,
    pub delivery: DeliverySettings,
    pub directory: DirectorySettings,
    /// `HERALD_CALLBACK_ALLOW_PRIVATE`: on, because the fake platform listens on
    /// 127.0.0.1; the SSRF tests turn it off.
    pub callback_allow_private: bool,
    pub http: herald::config::HttpSettings,
    /// `HERALD_INGEST_RATE`, per connection per second.
    pub ingest_rate: u32,
    /// Herald's public URL is its own test address (links it hands out, such as a
    /// reply's file links, reach it); off by default, as in single-workspace mode.
    pub public_url: bool,
    /// Catch-up: as fast as the emulator answers, and (unless a test says otherwise)
    /// only the sweep at start, so other tests' Slack calls stay theirs.
    pub catch_up: herald::config::CatchUpSettings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            socket_mode: false,
            socket_timing: herald::config::SocketTiming::default(),
            lang: "ja",
            delivery: DeliverySettings {
                workers: 2,
                lease: Duration::from_secs(2),
                retry_schedule: vec![Duration::ZERO, Duration::from_millis(200)],
                channel_interval: Duration::from_millis(50),
                poll_interval: Duration::from_millis(100),
                request_timeout: Duration::from_secs(5),
                undo_window: Duration::from_millis(300),
                attachment_max_bytes: 20 * 1024 * 1024,
            },
            directory: DirectorySettings {
                page_interval: Duration::from_millis(5),
                ..DirectorySettings::default()
            },
            callback_allow_private: true,
            http: herald::config::HttpSettings::default(),
            ingest_rate: 200,
            public_url: false,
            catch_up: herald::config::CatchUpSettings {
                every: Duration::from_secs(3600),
                call_interval: Duration::from_millis(5),
                ..herald::config::CatchUpSettings::for_distribution(
                    herald::config::Distribution::Internal,
                )
            },
        }
    }
}

pub fn init_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("herald=debug,info"))
            .with_test_writer()
            .try_init();
    }
}

/// A fresh database URL: a temp SQLite file, or a new PostgreSQL database.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    if let Ok(base) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("herald_test_{:016x}", fastrand::u64(..));
        let admin = Store::connect(&base)
            .await
            .expect("TEST_DATABASE_URL must be reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .expect("create test database");
        admin.close().await;
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("TEST_DATABASE_URL ends with /dbname");
        (format!("{prefix}/{name}"), None)
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("herald.db").display());
        (url, Some(dir))
    }
}

impl TestApp {
    /// Emulator with one workspace and the usual channels, rules imported, app running.
    pub async fn start(rules: Value) -> Self {
        Self::start_with(rules, Options::default()).await
    }

    pub async fn start_with(rules: Value, options: Options) -> Self {
        init_tracing();
        let emu = Arc::new(SlackEmulator::start().await);
        let ws = emu.add_workspace(TEAM, "Herald Test");
        let channel = |name: &str, private: bool, archived: bool, bot_member: bool| {
            emu.add_channel(
                TEAM,
                ChannelSpec {
                    name: name.into(),
                    private,
                    archived,
                    bot_member,
                    shared_from_team: None,
                },
            )
        };
        let channels = Channels {
            general: channel("general", false, false, true),
            public_not_member: channel("sales", false, false, false),
            private_member: channel("secret-ops", true, false, true),
            private_not_member: channel("board", true, false, false),
            archived: channel("old-news", false, true, true),
            errors: channel("herald-errors", false, false, true),
        };
        let (database_url, dir) = fresh_database().await;
        let store = Store::connect(&database_url).await.expect("database");
        store.migrate().await.expect("migrate");
        let rules = substitute(&rules, &channels);
        herald::admin::rules_file::import(&store, TEAM, &rules.to_string(), "cli")
            .await
            .expect("rules import");

        let mut settings = Settings::from_args(SettingsArgs {
            slack_bot_token: Some(ws.bot_token.clone()),
            slack_signing_secret: Some(SIGNING_SECRET.into()),
            slack_app_token: options.socket_mode.then(|| ws.app_token.clone()),
            slack_api_url: Some(emu.api_url()),
            database_url: Some(database_url),
            listen: Some("127.0.0.1:0".into()),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            lang: Some(options.lang.into()),
            callback_allow_private: Some(options.callback_allow_private.to_string()),
            ..SettingsArgs::default()
        })
        .expect("settings");
        settings.delivery = options.delivery;
        settings.slack.socket_timing = options.socket_timing;
        settings.directory = options.directory;
        settings.http = options.http;
        settings.ingest_rate = options.ingest_rate;
        settings.catch_up = options.catch_up;
        if options.public_url {
            settings.public_url = Some(OWN_ADDRESS.into());
        }

        let mut app = Self {
            address: String::new(),
            client: reqwest::Client::new(),
            emu,
            ws,
            channels,
            store,
            settings,
            instance: None,
            _dir: dir,
        };
        app.boot().await;
        app
    }

    /// Starts Herald in a runtime of its own and waits until it serves.
    async fn boot(&mut self) {
        let instance = Instance::launch(self.settings.clone()).await;
        self.address = instance.address.clone();
        self.instance = Some(instance);
    }

    /// A second Herald process on the same database and Slack: scale-out.
    pub async fn peer(&self) -> Instance {
        Instance::launch(self.settings.clone()).await
    }

    /// Graceful stop: in-flight work finishes.
    pub async fn stop(&mut self) {
        if let Some(mut instance) = self.instance.take() {
            instance.stop().await;
        }
    }

    /// A crash: every task of the app is dropped where it stands.
    pub fn crash(&mut self) {
        self.instance = None;
    }

    pub async fn restart(&mut self) {
        self.boot().await;
    }

    /// Posts a signed event with a fresh webhook id.
    pub async fn send(&self, event: &Value) -> reqwest::Response {
        let id = format!("msg_{:016x}", fastrand::u64(..));
        self.send_raw("default", &id, now(), event.to_string().as_bytes(), None)
            .await
    }

    pub async fn send_raw(
        &self,
        connection: &str,
        webhook_id: &str,
        timestamp: i64,
        body: &[u8],
        signature: Option<&str>,
    ) -> reqwest::Response {
        self.send_to(
            &self.address,
            connection,
            webhook_id,
            timestamp,
            body,
            signature,
        )
        .await
    }

    /// Posts a signed event to the Herald at `address` (this one or a peer).
    pub async fn send_to(
        &self,
        address: &str,
        connection: &str,
        webhook_id: &str,
        timestamp: i64,
        body: &[u8],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let key = herald::config::WebhookSecret::parse(WEBHOOK_SECRET).unwrap();
        let signed = standard_webhooks::sign(key.key(), webhook_id, timestamp, body);
        self.client
            .post(format!("{address}/hooks/{connection}"))
            .header("content-type", "application/json")
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature.unwrap_or(&signed))
            .body(body.to_vec())
            .send()
            .await
            .expect("request")
    }

    /// Posts a Slack-signed body to one of the `/slack/*` endpoints.
    pub async fn slack_post(
        &self,
        path: &str,
        body: &str,
        timestamp: i64,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .header(slack_sig::TIMESTAMP, timestamp.to_string())
            .header(
                slack_sig::SIGNATURE,
                slack_sig::sign(SIGNING_SECRET, timestamp, body.as_bytes()),
            );
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        request
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    pub async fn jobs(&self, event_id: &str) -> Vec<JobRecord> {
        self.store
            .jobs_for_event(TEAM, event_id)
            .await
            .expect("jobs")
    }

    /// Waits until every job of the event has left the queue; returns them.
    pub async fn settled(&self, event_id: &str) -> Vec<JobRecord> {
        eventually(|| async {
            let jobs = self.jobs(event_id).await;
            jobs.iter()
                .all(|j| j.status != "pending" && j.status != "running")
                .then_some(jobs)
        })
        .await
    }

    pub fn posts(&self, channel: &str) -> Vec<Value> {
        self.emu.messages(channel)
    }
}

/// One running Herald: its own runtime, as a process of its own would have.
pub struct Instance {
    pub address: String,
    runtime: Option<tokio::runtime::Runtime>,
    task: Option<tokio::task::JoinHandle<()>>,
    shutdown: CancellationToken,
}

impl Instance {
    /// Starts Herald; with installs enabled and no public URL set, its public URL is the
    /// address it listens on (so Slack's redirect comes back to it).
    pub async fn launch(mut settings: Settings) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let own = settings.public_url.as_deref() == Some(OWN_ADDRESS);
        if own || (settings.slack.oauth.is_some() && settings.public_url.is_none()) {
            settings.public_url = Some(address.clone());
        }
        let shutdown = CancellationToken::new();
        let (ready, is_ready) = tokio::sync::oneshot::channel();
        let stop = shutdown.clone();
        let task = runtime.spawn(async move {
            let app = match App::build(settings).await {
                Ok(app) => app,
                Err(e) => {
                    let _ = ready.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready.send(Ok(()));
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            if let Err(e) = app.run(listener, stop).await {
                eprintln!("herald stopped with an error: {e}");
            }
        });
        is_ready.await.expect("app task").expect("App::build");
        Self {
            address,
            runtime: Some(runtime),
            task: Some(task),
            shutdown,
        }
    }

    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("Herald stops within 30 s")
                .expect("Herald's task");
        }
        if let Some(rt) = self.runtime.take() {
            tokio::task::spawn_blocking(move || rt.shutdown_timeout(Duration::from_secs(10)))
                .await
                .expect("shutdown");
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Posts a form to one of Herald's Slack endpoints as Slack does: signed now with the
/// app's signing secret.
pub async fn slack_form(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: String,
) -> reqwest::Response {
    let ts = now();
    client
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(slack_sig::TIMESTAMP, ts.to_string())
        .header(
            slack_sig::SIGNATURE,
            slack_sig::sign(SIGNING_SECRET, ts, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("request")
}

/// An interaction payload as Slack posts it (form field `payload`), signed.
pub async fn slack_payload(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    payload: &Value,
) -> reqwest::Response {
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    slack_form(client, base, path, body).await
}

pub fn now() -> i64 {
    herald::store::now_ms() / 1000
}

/// Polls `check` until it yields a value, failing the test with `what` after `limit`.
pub async fn eventually_within<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it yields a value, failing the test after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(DEADLINE, "condition", check).await
}

/// A booking event as the platform sends it.
pub fn booking(event_type: &str, meeting_type: &str) -> Value {
    json!({
        "type": event_type,
        "occurred_at": "2026-11-21T10:00:00+09:00",
        "meeting_type": {"id": meeting_type, "name": "初回面談"},
        "host": {"slack_user_id": "U0HOST01"},
        "customer": {"name": "山田 太郎", "company": "ACME株式会社", "email": "taro@example.com"},
        "title": "初回面談のご予約",
        "url": "https://platform.example/bookings/42",
        "fields": {"予算": "100万円"}
    })
}

/// Replaces `#general`-style channel names in a rules document with the emulator's ids.
fn substitute(rules: &Value, channels: &Channels) -> Value {
    let text = rules
        .to_string()
        .replace("#general", &channels.general)
        .replace("#sales", &channels.public_not_member)
        .replace("#secret-ops", &channels.private_member)
        .replace("#board", &channels.private_not_member)
        .replace("#old-news", &channels.archived)
        .replace("#herald-errors", &channels.errors);
    serde_json::from_str(&text).expect("rules JSON")
}

pub async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}
