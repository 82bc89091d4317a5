use super::*;

fn valid() -> SettingsArgs {
    SettingsArgs {
        slack_bot_token: Some("xoxb-1-secret".into()),
        slack_signing_secret: Some("s1gn1ngs3cr3t".into()),
        webhook_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        ..SettingsArgs::default()
    }
}

#[test]
fn defaults_apply_when_only_required_settings_are_given() {
    let s = Settings::from_args(valid()).unwrap();
    assert_eq!(s.database_url, "sqlite://herald.db");
    assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(s.lang, Lang::Ja);
    assert_eq!(s.slack.api_url, SLACK_API_URL);
    assert_eq!(s.slack.transport, Transport::Http);
    assert!(
        !s.callback_allow_private,
        "private callback targets are off by default"
    );
}

#[test]
fn errors_name_the_bad_or_missing_setting() {
    type Case = (fn(&mut SettingsArgs), &'static str);
    let cases: Vec<Case> = vec![
        (|a| a.slack_bot_token = None, "SLACK_BOT_TOKEN is not set"),
        (
            |a| a.slack_bot_token = Some("xoxp-user".into()),
            "SLACK_BOT_TOKEN is invalid",
        ),
        (
            |a| a.slack_signing_secret = None,
            "SLACK_SIGNING_SECRET is not set",
        ),
        (
            |a| a.webhook_secret = None,
            "HERALD_WEBHOOK_SECRET is not set",
        ),
        (
            |a| a.webhook_secret = Some("abc".into()),
            "HERALD_WEBHOOK_SECRET is invalid",
        ),
        (|a| a.lang = Some("fr".into()), "HERALD_LANG is invalid"),
        (
            |a| a.listen = Some("nowhere".into()),
            "HERALD_LISTEN is invalid",
        ),
        (
            |a| a.database_url = Some("mysql://x".into()),
            "DATABASE_URL is invalid",
        ),
        (
            |a| a.slack_api_url = Some("ftp://x".into()),
            "SLACK_API_URL is invalid",
        ),
        (
            |a| a.slack_app_token = Some("xoxb-no".into()),
            "SLACK_APP_TOKEN is invalid",
        ),
        (
            |a| a.callback_allow_private = Some("yes please".into()),
            "HERALD_CALLBACK_ALLOW_PRIVATE is invalid",
        ),
        (
            |a| a.header_timeout_secs = Some("0".into()),
            "HERALD_HEADER_TIMEOUT_SECS is invalid",
        ),
        (
            |a| a.request_timeout_secs = Some("soon".into()),
            "HERALD_REQUEST_TIMEOUT_SECS is invalid",
        ),
        (
            |a| a.max_connections = Some("-1".into()),
            "HERALD_MAX_CONNECTIONS is invalid",
        ),
        (
            |a| a.ingest_rate = Some("0".into()),
            "HERALD_INGEST_RATE is invalid",
        ),
        (
            |a| {
                a.slack_app_token = Some("xapp-1".into());
                a.socket_connections = Some("11".into());
            },
            "HERALD_SOCKET_CONNECTIONS is invalid",
        ),
    ];
    for (mutate, expected) in cases {
        let mut args = valid();
        mutate(&mut args);
        let err = Settings::from_args(args).unwrap_err().to_string();
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
    }
}

#[test]
fn installs_need_a_key_and_a_public_url_but_no_bot_token() {
    let key = crate::crypto::Sealer::generate_key().unwrap();
    let installs = || SettingsArgs {
        slack_signing_secret: Some("s1gn1ngs3cr3t".into()),
        slack_client_id: Some("123.456".into()),
        slack_client_secret: Some("cl1ents3cret".into()),
        public_url: Some("https://herald.example.com/".into()),
        encryption_key: Some(key.clone()),
        ..SettingsArgs::default()
    };
    let s = Settings::from_args(installs()).unwrap();
    assert!(s.slack.bot_token.is_none() && s.webhook_secret.is_none());
    assert_eq!(s.public_url.as_deref(), Some("https://herald.example.com"));
    assert!(!format!("{s:?}").contains(&key), "the key is never printed");
    for (mutate, expected) in [
        (
            (|a: &mut SettingsArgs| a.encryption_key = None) as fn(&mut SettingsArgs),
            "HERALD_ENCRYPTION_KEY is not set",
        ),
        (
            |a| a.encryption_key = Some("short".into()),
            "HERALD_ENCRYPTION_KEY is invalid",
        ),
        (|a| a.public_url = None, "HERALD_PUBLIC_URL is not set"),
        (
            |a| a.slack_client_secret = None,
            "SLACK_CLIENT_SECRET is not set",
        ),
        (
            |a| {
                a.slack_client_id = None;
                a.slack_client_secret = None;
            },
            "SLACK_BOT_TOKEN is not set",
        ),
    ] {
        let mut args = installs();
        mutate(&mut args);
        let err = Settings::from_args(args).unwrap_err().to_string();
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
    }
}

#[test]
fn socket_mode_needs_no_signing_secret() {
    let mut args = valid();
    args.slack_signing_secret = None;
    args.slack_app_token = Some("xapp-1-abc".into());
    let s = Settings::from_args(args).unwrap();
    assert!(matches!(
        s.slack.transport,
        Transport::SocketMode { connections: 2, .. }
    ));
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let mut args = valid();
    args.slack_app_token = Some("xapp-1-appsecret".into());
    let s = Settings::from_args(args).unwrap();
    let printed = format!("{s:?}");
    for secret in [
        "xoxb-1-secret",
        "s1gn1ngs3cr3t",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "appsecret",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked into {printed}");
    }
}

#[test]
fn the_database_password_never_appears_in_debug_output() {
    let mut args = valid();
    args.database_url = Some("postgres://herald:pa55word@db.example.com:5432/herald".into());
    let printed = format!("{:?}", Settings::from_args(args).unwrap());
    assert!(
        !printed.contains("pa55word"),
        "the password leaked into {printed}"
    );
    assert!(
        printed.contains("postgres://herald:***@db.example.com:5432/herald"),
        "the rest of the URL is still shown: {printed}"
    );
}

#[test]
fn a_database_url_loses_its_password_and_nothing_else() {
    for (url, shown) in [
        ("sqlite://herald.db", "sqlite://herald.db"),
        ("sqlite::memory:", "sqlite::memory:"),
        ("postgres://herald@db/herald", "postgres://herald@db/herald"),
        (
            "postgres://herald:s3cret@db:5432/herald",
            "postgres://herald:***@db:5432/herald",
        ),
        (
            "postgresql://herald:p@ss?w&rd@db/herald?sslmode=require",
            "postgresql://herald:***@db/herald?sslmode=require",
        ),
        (
            "postgres://db/herald?user=herald&password=s3cret&sslmode=require",
            "postgres://db/herald?user=herald&password=***&sslmode=require",
        ),
        (
            "postgres://herald:s3cret@db/herald?PASSWORD=again",
            "postgres://herald:***@db/herald?PASSWORD=***",
        ),
    ] {
        assert_eq!(secrets::redact_password(url), shown, "{url}");
    }
}
