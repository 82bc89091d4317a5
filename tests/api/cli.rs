//! The `herald` binary: settings errors, migrate, and rules import/export.

use std::process::Command;

use serde_json::{Value, json};

fn herald(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run herald");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_without_a_token_says_exactly_what_to_set() {
    let (ok, _, stderr) = herald(&["serve"], &[]);
    assert!(!ok);
    assert!(stderr.contains("SLACK_BOT_TOKEN is not set"), "{stderr}");
    let (ok, _, stderr) = herald(
        &["serve"],
        &[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "x")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("HERALD_WEBHOOK_SECRET is not set"),
        "{stderr}"
    );
}

#[test]
fn rules_import_export_round_trips_and_bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    let file = dir.path().join("rules.json");
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": "mt_1", "channel": "C0123AAA", "mentions": ["U0AAA111", "S0BBB222"], "enabled": true},
        {"kind": "event", "event_type": "booking.cancelled", "meeting_type": null, "channel": "C0456BBB", "mentions": [], "enabled": true},
        {"kind": "error", "categories": ["salesforce", "calendar", "external_api", "internal", "delivery"], "channel": "C0789CCC", "mentions": ["U0CCC333"], "enabled": true}
    ]);
    std::fs::write(&file, rules.to_string()).unwrap();
    let file_arg = file.to_str().unwrap();
    let (ok, _, stderr) = herald(&["migrate"], &[("DATABASE_URL", &db)]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = herald(
        &["rules", "import", file_arg, "--team", "T0TEAM01"],
        &[("DATABASE_URL", &db)],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("imported 3 rules"), "{stdout}");
    let (ok, stdout, _) = herald(
        &["rules", "export", "-", "--team", "T0TEAM01"],
        &[("DATABASE_URL", &db)],
    );
    assert!(ok);
    let exported: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(exported, rules);

    let mut bad = rules.clone();
    bad[1]["mentions"] = json!(["U0A1", "U0A2", "U0A3", "U0A4"]);
    std::fs::write(&file, bad.to_string()).unwrap();
    let (ok, _, stderr) = herald(
        &["rules", "import", file_arg, "--team", "T0TEAM01"],
        &[("DATABASE_URL", &db)],
    );
    assert!(!ok);
    assert!(
        stderr.contains("[1].mentions") && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    let (_, stdout, _) = herald(
        &["rules", "export", "-", "--team", "T0TEAM01"],
        &[("DATABASE_URL", &db)],
    );
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), rules);
}

#[test]
fn secret_prints_a_fresh_valid_webhook_secret() {
    let (ok, first, _) = herald(&["secret"], &[]);
    let (_, second, _) = herald(&["secret"], &[]);
    assert!(ok);
    assert!(
        herald::config::WebhookSecret::parse(first.trim()).is_ok(),
        "{first}"
    );
    assert_ne!(first, second);
}

/// The README's single-workspace flow on a fresh database: set the bot token, import
/// rules, serve. The import learns the workspace from the token (`auth.test`).
#[tokio::test(flavor = "multi_thread")]
async fn rules_import_on_a_fresh_database_learns_the_workspace_from_the_bot_token() {
    let slack = crate::slack_emulator::SlackEmulator::start().await;
    let ws = slack.add_workspace("T0FRESH01", "Fresh");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    let file = dir.path().join("rules.json");
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "C0123AAA", "mentions": [], "enabled": true}
    ]);
    std::fs::write(&file, rules.to_string()).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    let api_url = slack.api_url();
    let token = ws.bot_token.clone();
    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let (db, api_url, token) = (db.clone(), api_url.clone(), token.clone());
        move || {
            herald(
                &["rules", "import", &file_arg],
                &[
                    ("DATABASE_URL", &db),
                    ("SLACK_BOT_TOKEN", &token),
                    ("SLACK_API_URL", &api_url),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("imported 1 rules into T0FRESH01"),
        "{stdout}"
    );
    assert_eq!(slack.received("auth.test"), 1);
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
        herald(&["rules", "export", "-"], &[("DATABASE_URL", &db)])
    })
    .await
    .unwrap();
    assert!(ok, "{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), rules);
    slack.shutdown().await;
}

/// A token Slack refuses is reported as such, and nothing is imported.
#[tokio::test(flavor = "multi_thread")]
async fn rules_import_with_a_revoked_bot_token_says_so_and_imports_nothing() {
    let slack = crate::slack_emulator::SlackEmulator::start().await;
    let ws = slack.add_workspace("T0FRESH02", "Fresh");
    slack.revoke_token(&ws.bot_token);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    let file = dir.path().join("rules.json");
    std::fs::write(&file, json!([]).to_string()).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    let api_url = slack.api_url();
    let token = ws.bot_token.clone();
    let (ok, _, stderr) = tokio::task::spawn_blocking(move || {
        herald(
            &["rules", "import", &file_arg],
            &[
                ("DATABASE_URL", &db),
                ("SLACK_BOT_TOKEN", &token),
                ("SLACK_API_URL", &api_url),
            ],
        )
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(
        stderr.contains("SLACK_BOT_TOKEN") && stderr.contains("token_revoked"),
        "{stderr}"
    );
    slack.shutdown().await;
}

#[test]
fn help_never_prints_the_database_password_or_any_secret() {
    let password = "s3cr3t-db-pass";
    let url = format!("postgres://herald:{password}@db.example:5432/herald");
    for args in [
        &["serve", "--help"][..],
        &["migrate", "--help"],
        &["rekey", "--help"],
        &["rules", "export", "--help"],
        &["rules", "import", "--help"],
    ] {
        let (_, stdout, stderr) = herald(
            args,
            &[
                ("DATABASE_URL", &url),
                ("SLACK_SIGNING_SECRET", "signing-secret-value"),
                ("HERALD_ENCRYPTION_KEY", "encryption-key-value"),
            ],
        );
        let out = format!("{stdout}{stderr}");
        assert!(
            out.contains("DATABASE_URL"),
            "{args:?} documents the setting: {out}"
        );
        for secret in [password, "signing-secret-value", "encryption-key-value"] {
            assert!(!out.contains(secret), "{args:?} printed {secret}: {out}");
        }
    }
}
