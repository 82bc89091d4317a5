//! Prometheus Alertmanager as the bench's end-to-end baseline: the same job as Herald's
//! (an HTTP request in, a `chat.postMessage` out), posting to the same Slack emulator.
//!
//! Alertmanager's Slack receiver posts its JSON message to `api_url` with the HTTP
//! client built from `http_config` (notify/slack/slack.go): pointed at the emulator's
//! `chat.postMessage` with the bot token as a Bearer authorization, it is a Web API call
//! like Herald's. `group_wait: 0s` (the smallest Alertmanager accepts) flushes a new
//! alert group at once, and grouping by `alertname` makes every alert its own group.
//! Clustering is off (`--cluster.listen-address=`), so no gossip wait either.
//!
//! Alertmanager is found on the PATH (`prometheus-alertmanager`, as Debian names it, or
//! `alertmanager`) or at `ALERTMANAGER_BIN`; `bash .ci/install-alertmanager` installs it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

pub struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
    pub version: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary, or why the baseline is skipped.
pub fn binary() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("ALERTMANAGER_BIN") {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["prometheus-alertmanager", "alertmanager"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(
        "Alertmanager is not installed (install it with `bash .ci/install-alertmanager`, \
         or set ALERTMANAGER_BIN)"
            .into(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Alertmanager {
    /// Starts Alertmanager with a Slack receiver posting to `post_message_url` as `token`,
    /// into the channel named by each alert's `channel` label; waits until it is ready.
    pub async fn start(
        binary: &std::path::Path,
        post_message_url: &str,
        token: &str,
    ) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = format!(
            "route:\n  receiver: slack\n  group_by: ['alertname']\n  group_wait: 0s\n  \
             group_interval: 1h\n  repeat_interval: 24h\nreceivers:\n  - name: slack\n    \
             slack_configs:\n      - api_url: '{post_message_url}'\n        \
             channel: '{{{{ .CommonLabels.channel }}}}'\n        send_resolved: false\n        \
             http_config:\n          authorization:\n            type: Bearer\n            \
             credentials: '{token}'\n"
        );
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let version = Command::new(binary)
            .arg("--version")
            .output()
            .ok()
            .map(|o| {
                let text = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .unwrap_or_default();
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        let am = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
            version,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = client.get(format!("{}/-/ready", am.url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(am);
            }
            if Instant::now() > deadline {
                return Err("Alertmanager did not become ready within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fires one alert (its own group) for `channel`; returns once Alertmanager accepted it.
    pub async fn fire(&self, client: &reqwest::Client, alertname: &str, channel: &str) {
        let alerts = json!([{
            "labels": {"alertname": alertname, "channel": channel},
            "annotations": {"summary": "bench"},
        }]);
        let response = client
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .expect("alert request");
        assert!(
            response.status().is_success(),
            "Alertmanager refused the alert: {}",
            response.status()
        );
    }
}
