//! The install and result pages in a real browser: Debian's headless Chromium
//! (`/usr/bin/chromium`, installed on first use by `support/chromium.rs`)
//! opens Herald's "Add to Slack" page, follows its button through Slack's authorize
//! page (the emulator's, which approves at once) back to Herald's callback with the
//! cookie the page set, and every page renders with nothing on the console.
//!
//! Chromium runs as a child process with `--dump-dom` (the DOM after load on stdout) and
//! `--enable-logging=stderr` (console messages, script errors and Content Security
//! Policy violations on stderr). One profile directory is one browser: the install
//! cookie the first run stores is sent by the second run.

use emulator::slack as slack_emulator;

#[path = "support/chromium.rs"]
mod chromium;

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use herald::config::{Settings, SettingsArgs};
use herald::install::{BOT_SCOPES, CALLBACK_PATH, INSTALL_PATH};
use slack_emulator::SlackEmulator;
use tokio_util::sync::CancellationToken;

/// A browser that hangs fails the test instead of the CI run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const CLIENT_ID: &str = "1234567890.0987654321";
const CLIENT_SECRET: &str = "c1ient5ecret";
const TEAM: &str = "T0ACME0001";

/// Herald in install mode ("Add to Slack" enabled, no bot token) against the emulator.
struct Herald {
    emu: SlackEmulator,
    address: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Herald {
    async fn start() -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("herald=debug,info"))
                .with_test_writer()
                .try_init();
        }
        let emu = SlackEmulator::start().await;
        emu.add_workspace(TEAM, "Acme");
        let installer = emu.add_user(TEAM, "admin", "admin@acme.example");
        emu.set_user_role(&installer, true, false);
        emu.set_user_locale(&installer, "en-US");
        emu.set_oauth_installer(TEAM, &installer);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind Herald on 127.0.0.1:0");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::from_args(SettingsArgs {
            slack_signing_secret: Some("8f742231b10e8888abcd99yyyzzz85a5".into()),
            slack_api_url: Some(emu.api_url()),
            database_url: Some(format!(
                "sqlite://{}",
                dir.path().join("herald.db").display()
            )),
            listen: Some("127.0.0.1:0".into()),
            lang: Some("en".into()),
            slack_client_id: Some(CLIENT_ID.into()),
            slack_client_secret: Some(CLIENT_SECRET.into()),
            slack_oauth_authorize_url: Some(emu.oauth_authorize_url()),
            public_url: Some(address.clone()),
            encryption_key: Some(herald::crypto::Sealer::generate_key().expect("a key")),
            ..SettingsArgs::default()
        })
        .expect("install-mode settings");
        emu.register_oauth_app(
            CLIENT_ID,
            CLIENT_SECRET,
            &[&format!("{address}{CALLBACK_PATH}")],
        );
        let app = herald::App::build(settings).await.expect("App::build");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = app.run(listener, stop).await {
                eprintln!("herald stopped with an error: {e}");
            }
        });
        Self {
            emu,
            address,
            shutdown,
            task,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("Herald stops within 30 s")
            .expect("Herald's task");
        self.emu.shutdown().await;
    }
}

/// What Chromium made of one URL.
struct Page {
    url: String,
    /// The DOM after load, serialized.
    dom: String,
    /// Chromium's log, for failure messages.
    log: String,
}

impl Page {
    /// Console messages, uncaught errors and Content Security Policy violations. Chromium
    /// logs every console message at INFO whatever its level, and Herald's pages have no
    /// script, so any message at all is a fault.
    fn console(&self) -> Vec<&str> {
        self.log
            .lines()
            .filter(|line| {
                line.contains(":CONSOLE")
                    || line.contains("Uncaught")
                    || line.contains("Refused to")
                    || line.contains("Content Security Policy")
            })
            .collect()
    }

    fn assert_quiet(&self) {
        let console = self.console();
        assert!(
            console.is_empty(),
            "{} rendered with console messages:\n{}\n\nDOM:\n{}",
            self.url,
            console.join("\n"),
            self.dom
        );
    }

    fn has_id(&self, id: &str) -> bool {
        self.dom.contains(&format!("id=\"{id}\""))
    }

    /// An attribute of the element with this id, unescaped.
    fn attribute(&self, id: &str, name: &str) -> Option<String> {
        let at = self.dom.find(&format!("id=\"{id}\""))?;
        let start = self.dom[..at].rfind('<')?;
        let end = at + self.dom[at..].find('>')?;
        let value = self.dom[start..end]
            .split(&format!(" {name}=\""))
            .nth(1)?
            .split('"')
            .next()?;
        Some(value.replace("&amp;", "&"))
    }
}

/// One browser: a Chromium profile directory kept across runs, so cookies carry over.
struct Browser {
    profile: tempfile::TempDir,
}

impl Browser {
    fn new() -> Self {
        chromium::chromium();
        Self {
            profile: tempfile::tempdir().expect("a profile directory"),
        }
    }

    /// Loads `url` (following redirects) and returns the DOM once it has loaded.
    async fn open(&self, url: &str) -> Page {
        let (profile, url) = (self.profile.path().to_path_buf(), url.to_string());
        match tokio::task::spawn_blocking(move || dump_dom(&profile, &url)).await {
            Ok(page) => page,
            // Its assertion, as the test's own failure.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("the chromium run: {e}"),
        }
    }

    /// Whether Chromium's cookie store on disk names this cookie (for failure messages).
    fn stored_cookie(&self, name: &str) -> bool {
        ["Default/Cookies", "Default/Network/Cookies"]
            .iter()
            .filter_map(|p| std::fs::read(self.profile.path().join(p)).ok())
            .any(|db| db.windows(name.len()).any(|w| w == name.as_bytes()))
    }
}

fn dump_dom(profile: &Path, url: &str) -> Page {
    let out = tempfile::tempdir().expect("a temp dir");
    let (dom_path, log_path) = (out.path().join("dom.html"), out.path().join("chromium.log"));
    let mut child = Command::new(chromium::chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&dom_path).expect("dom file"))
        .stderr(File::create(&log_path).expect("log file"))
        // Its own process group, so a hung browser is killed with its helpers.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium::CHROMIUM));
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() >= deadline {
            // The leader is not reaped yet, so its group id is still ours.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish {url} within {RUN_TIMEOUT:?}; its log:\n{}",
                read(&log_path)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let page = Page {
        url: url.to_string(),
        dom: read(&dom_path),
        log: read(&log_path),
    };
    assert!(
        status.success(),
        "chromium failed on {url} ({status}); its log:\n{}",
        page.log
    );
    assert!(
        page.dom.contains("</html>"),
        "chromium rendered nothing for {url}; its log:\n{}",
        page.log
    );
    page
}

/// The parameters of a URL's query, decoded.
fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    let values: Vec<_> = pairs.iter().filter(|(k, _)| k == name).collect();
    assert_eq!(values.len(), 1, "one {name} in {pairs:?}");
    &values[0].1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_to_slack_in_chromium_installs_with_the_right_scopes_and_state() {
    let herald = Herald::start().await;
    let browser = Browser::new();

    // The install page: its button goes to Slack's authorize page with Herald's app,
    // scopes, callback and a signed state.
    let install = browser.open(&herald.url(INSTALL_PATH)).await;
    install.assert_quiet();
    let href = install
        .attribute("add-to-slack", "href")
        .unwrap_or_else(|| panic!("an Add to Slack button:\n{}", install.dom));
    let authorize = herald.emu.oauth_authorize_url();
    assert!(href.starts_with(&format!("{authorize}?")), "{href}");
    let scope: Vec<String> = BOT_SCOPES.iter().map(|s| s.replace(':', "%3A")).collect();
    assert!(
        href.contains(&format!("scope={}&", scope.join("%2C"))),
        "every bot scope, URL-encoded and comma-separated: {href}"
    );
    let pairs = query(&href);
    assert_eq!(param(&pairs, "client_id"), CLIENT_ID, "{href}");
    assert_eq!(param(&pairs, "scope"), BOT_SCOPES.join(","), "{href}");
    let callback = herald.url(CALLBACK_PATH);
    assert_eq!(param(&pairs, "redirect_uri"), callback, "{href}");
    let state = param(&pairs, "state").to_string();
    let parts: Vec<&str> = state.split('.').collect();
    assert!(
        parts.len() == 3 && parts[0].parse::<i64>().is_ok() && parts.iter().all(|p| !p.is_empty()),
        "a signed state (expiry.nonce.mac): {state:?}"
    );

    // The button, in the same browser: Slack approves and sends it back to the callback,
    // which sees the install cookie and installs.
    let done = browser.open(&href).await;
    done.assert_quiet();
    assert!(
        done.has_id("installed") && done.dom.contains("Acme"),
        "the installed page (install cookie stored on disk after the first run: {}):\n{}",
        browser.stored_cookie("herald_install"),
        done.dom
    );
    let authorizations = herald.emu.oauth_authorizations();
    assert_eq!(authorizations.len(), 1, "the browser went through Slack");
    let slack = &authorizations[0];
    assert_eq!(slack.status, 302);
    assert_eq!(slack.args["state"], state.as_str());
    let back = slack.location.clone().unwrap_or_default();
    assert!(back.starts_with(&format!("{callback}?")), "{back}");
    assert_eq!(param(&query(&back), "state"), state);
    let granted = herald.emu.oauth_bot_scopes(TEAM);
    for scope in BOT_SCOPES {
        assert!(granted.iter().any(|g| g == scope), "{scope} in {granted:?}");
    }

    herald.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_installs_render_their_pages_in_chromium() {
    let herald = Herald::start().await;

    // Cancelled at Slack: the install page, then its button, in one browser.
    let browser = Browser::new();
    let install = browser.open(&herald.url(INSTALL_PATH)).await;
    install.assert_quiet();
    let href = install
        .attribute("add-to-slack", "href")
        .unwrap_or_else(|| panic!("an Add to Slack button:\n{}", install.dom));
    herald.emu.deny_next_oauth_authorize();
    let cancelled = browser.open(&href).await;
    cancelled.assert_quiet();
    assert!(cancelled.has_id("cancelled"), "{}", cancelled.dom);
    assert_eq!(
        cancelled.attribute("retry", "href").as_deref(),
        Some(INSTALL_PATH)
    );

    // The install link opened in another browser: a genuine state, but no cookie.
    let state = param(&query(&href), "state").to_string();
    let elsewhere = Browser::new();
    let url = format!(
        "{}?{}",
        herald.url(CALLBACK_PATH),
        serde_urlencoded::to_string([("code", "abc"), ("state", state.as_str())]).unwrap()
    );
    let refused = elsewhere.open(&url).await;
    refused.assert_quiet();
    assert!(
        refused.has_id("bad-state") && refused.dom.contains("another browser"),
        "{}",
        refused.dom
    );
    assert_eq!(
        refused.attribute("retry", "href").as_deref(),
        Some(INSTALL_PATH)
    );

    herald.stop().await;
}
