//! Contract tests: the files other people read against the code that answers them.
//!
//! - `manifest.yml` against Slack's manifest schema (a copy in `tests/fixtures/`), and its
//!   events and URLs against what Herald handles and routes;
//! - `docs/event.schema.json` against `PlatformEvent::parse` and the catalog;
//! - `docs/events.md`: every block marked `<!-- contract: … -->` against the code (examples,
//!   the signature test vector, the answers table, the catalog table, the rules format).
//!
//! `tests/sign_script_check.py` runs the page's shell script for real; it needs bash,
//! openssl and curl, so it is not part of `cargo test`.

use std::collections::BTreeSet;
use std::path::Path;

use axum::response::IntoResponse;
use base64::Engine as _;
use herald::core::catalog::{CONVERSATION_TYPES, ConversationKind, ErrorCategory, EventType, Lang};
use herald::core::event::{EventError, PlatformEvent};
use herald::core::rule::FieldError;
use herald::core::rules_json::{RuleJson, validate_rules};
use herald::core::signature::{SignatureError, standard_webhooks};
use herald::webhook::{MAX_BODY_BYTES, WebhookError};
use jsonschema::{Resource, Validator};
use serde_json::{Value, json};
use slack_morphism::prelude::SlackPushEvent;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn manifest() -> Value {
    serde_yaml::from_str(&read("manifest.yml")).expect("manifest.yml is YAML")
}

fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

// ---------------------------------------------------------------------------------------
// manifest.yml

const SLACK_SCHEMA_DIR: &str = "tests/fixtures/slack-manifest-schema";

/// Slack's all-versions schema, its remote `$ref`s mapped to the local per-version files.
fn slack_manifest_validator() -> Validator {
    let top = read_json(&format!("{SLACK_SCHEMA_DIR}/manifest.schema.json"));
    let mut refs = Vec::new();
    collect_refs(&top, &mut refs);
    assert!(
        !refs.is_empty(),
        "the top-level schema refers to the per-version schemas"
    );
    let mut options = jsonschema::options();
    for uri in refs.into_iter().filter(|r| r.starts_with("https://")) {
        let file = uri.rsplit('/').next().unwrap();
        let contents = read_json(&format!("{SLACK_SCHEMA_DIR}/schemas/{file}"));
        let resource = Resource::from_contents(contents).expect("a schema resource");
        options = options.with_resource(uri, resource);
    }
    options
        .build(&top)
        .expect("Slack's manifest schema compiles")
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) if !out.contains(r) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn manifest_is_valid_against_slacks_manifest_schema() {
    let validator = slack_manifest_validator();
    let manifest = manifest();
    assert_eq!(
        manifest["_metadata"]["major_version"], 1,
        "an ordinary (non-workflow) app: manifest version 1"
    );
    // The per-version schema first: its errors name the offending key, where the
    // all-versions schema only says that no `oneOf` branch matched.
    let v1 = read_json(&format!(
        "{SLACK_SCHEMA_DIR}/schemas/manifest.schema.1.0.0.json"
    ));
    let v1 = jsonschema::validator_for(&v1).expect("the version 1 schema compiles");
    let found = errors(&v1, &manifest);
    assert!(found.is_empty(), "manifest.yml: {found:#?}");
    let found = errors(&validator, &manifest);
    assert!(found.is_empty(), "manifest.yml: {found:#?}");

    // The schema really bites (its references resolved): mistakes are refused.
    let mistakes = [
        ("", "bot", json!({})),
        ("display_information", "name", json!("H".repeat(36))),
        ("features", "bot_user", json!({"always_online": true})),
        ("settings", "interactivity", json!({})),
        ("settings", "socket_mode", json!(false)),
    ];
    for (parent, key, value) in mistakes {
        let mut bad = manifest.clone();
        let at = if parent.is_empty() {
            &mut bad
        } else {
            &mut bad[parent]
        };
        at[key] = value.clone();
        assert!(
            !validator.is_valid(&bad),
            "the schema should refuse {parent}.{key} = {value}"
        );
    }
}

/// Bot events Herald's Slack layer acts on (HTTP and Socket Mode alike).
const HANDLED_BOT_EVENTS: &[&str] = &herald::bot::HANDLED_EVENTS;

#[test]
fn every_directory_event_is_handled() {
    for event in herald::directory::events::EVENTS {
        assert!(HANDLED_BOT_EVENTS.contains(&event), "{event}");
    }
}

#[test]
fn manifest_subscribes_only_to_events_herald_handles() {
    let manifest = manifest();
    let subscriptions = &manifest["settings"]["event_subscriptions"];
    assert!(
        subscriptions.get("user_events").is_none(),
        "Herald has no user tokens"
    );
    let events: Vec<&str> = subscriptions["bot_events"]
        .as_array()
        .expect("bot_events")
        .iter()
        .map(|e| e.as_str().expect("event names are strings"))
        .collect();
    assert!(!events.is_empty());
    for event in events {
        assert!(
            HANDLED_BOT_EVENTS.contains(&event),
            "manifest.yml subscribes to {event:?}, which Herald does not handle"
        );
        // A real payload of that event goes through the same parser Herald's transports use.
        let fixture = read_json(&format!("tests/fixtures/slack/{event}.json"));
        let push: SlackPushEvent = serde_json::from_value(fixture["data"].clone())
            .unwrap_or_else(|e| panic!("{event}: slack-morphism refuses Slack's payload: {e}"));
        let SlackPushEvent::EventCallback(callback) = push else {
            panic!("{event}: not an event callback");
        };
        let parsed = serde_json::to_value(&callback.event).unwrap();
        // `message.channels`, `message.groups`… subscribe to `message` events of one kind of
        // conversation: the payload's type is `message`, its `channel_type` says which.
        match event.strip_prefix("message.") {
            Some(kind) => {
                assert_eq!(
                    parsed["type"], "message",
                    "{event}: the type Herald records"
                );
                let channel_type = kind.strip_suffix('s').unwrap_or(kind);
                assert_eq!(parsed["channel_type"], channel_type, "{event}");
            }
            None => assert_eq!(parsed["type"], event, "the type Herald records for it"),
        }
    }
}

#[test]
fn manifest_urls_are_routes_herald_serves() {
    let manifest = manifest();
    let events_url = manifest["settings"]["event_subscriptions"]["request_url"]
        .as_str()
        .expect("an Events API request URL");
    assert_eq!(url_path(events_url), "/slack/events");

    // Every URL Slack would call (events, interactivity, commands, OAuth redirects) must be a
    // route of src/app/routes.rs; features without a route stay out of the manifest.
    let routes = read("src/app/routes.rs");
    let mut urls = Vec::new();
    collect_urls(&manifest, &mut urls);
    assert!(urls.contains(&events_url.to_string()));
    for url in urls {
        let path = url_path(&url);
        assert!(
            routes.contains(&format!("\"{path}\"")),
            "manifest.yml points Slack at {url}, but src/app/routes.rs has no route {path}"
        );
    }
    assert_eq!(
        manifest["settings"]["interactivity"]["is_enabled"],
        json!(true)
    );
    let interactions = manifest["settings"]["interactivity"]["request_url"]
        .as_str()
        .unwrap();
    assert_eq!(url_path(interactions), "/slack/interactions");
    assert_eq!(manifest["settings"]["socket_mode_enabled"], json!(false));

    // The slash command Herald answers, with channels escaped so `/herald list #x` names an id.
    let commands = manifest["features"]["slash_commands"]
        .as_array()
        .expect("slash commands");
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["command"], "/herald");
    assert_eq!(
        url_path(commands[0]["url"].as_str().unwrap()),
        "/slack/commands"
    );
    assert_eq!(commands[0]["should_escape"], json!(true));
}

fn url_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("{url} is not an http(s) URL"));
    rest.find('/').map_or("/", |i| &rest[i..])
}

fn collect_urls(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            out.push(s.clone());
        }
        Value::Object(map) => map.values().for_each(|v| collect_urls(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_urls(v, out)),
        _ => {}
    }
}

#[test]
fn manifest_asks_for_least_privilege_scopes_each_explained() {
    let manifest = manifest();
    let scopes: BTreeSet<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .expect("bot scopes")
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = herald::install::BOT_SCOPES.iter().copied().collect();
    assert_eq!(
        scopes, expected,
        "the install asks for exactly the manifest's scopes (src/install/mod.rs BOT_SCOPES)"
    );
    let routes = read("src/app/routes.rs");
    for path in [
        herald::install::INSTALL_PATH,
        herald::install::CALLBACK_PATH,
    ] {
        assert!(routes.contains(&format!("\"{path}\"")), "{path} is routed");
    }
    let redirects = &manifest["oauth_config"]["redirect_urls"];
    assert_eq!(
        url_path(redirects[0].as_str().expect("a redirect URL")),
        herald::install::CALLBACK_PATH
    );
    assert!(
        manifest["oauth_config"]["scopes"].get("user").is_none(),
        "no user scopes"
    );
    // Each scope line is preceded by a comment saying what Herald calls with it.
    let text = read("manifest.yml");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for scope in scopes {
        let at = lines
            .iter()
            .position(|l| *l == format!("- {scope}"))
            .unwrap_or_else(|| panic!("{scope}: not on a line of its own"));
        assert!(
            at > 0 && lines[at - 1].starts_with('#'),
            "{scope}: explain it in a comment on the line above"
        );
    }
}

// ---------------------------------------------------------------------------------------
// docs/event.schema.json

fn event_schema() -> Value {
    read_json("docs/event.schema.json")
}

fn event_validator() -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&event_schema())
        .expect("docs/event.schema.json is a valid draft 2020-12 schema")
}

/// The types a platform may send, in catalog order: the meeting events, the error
/// categories except `delivery` (which only Herald raises), then the conversation events.
fn accepted_types() -> Vec<EventType> {
    EventType::MEETING
        .into_iter()
        .chain(
            ErrorCategory::ALL
                .into_iter()
                .filter(|c| !matches!(c, ErrorCategory::Delivery | ErrorCategory::Mapping))
                .map(EventType::Error),
        )
        .chain(
            ConversationKind::ALL
                .into_iter()
                .map(EventType::Conversation),
        )
        .collect()
}

#[test]
fn schema_declares_draft_2020_12() {
    assert_eq!(
        event_schema()["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    event_validator();
}

#[test]
fn schema_type_enum_is_the_catalog() {
    let schema = event_schema();
    let type_schema = &schema["properties"]["type"];
    let names: Vec<&str> = accepted_types()
        .into_iter()
        .map(EventType::as_str)
        .collect();
    let listed: Vec<&str> = type_schema["enum"]
        .as_array()
        .expect("type has an enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        listed, names,
        "the enum lists the accepted types in catalog order"
    );

    // One documented alternative per type, titled with its ja and en labels.
    let alternatives = type_schema["oneOf"].as_array().expect("type has oneOf");
    assert_eq!(alternatives.len(), names.len());
    for (alternative, t) in alternatives.iter().zip(accepted_types()) {
        assert_eq!(alternative["const"], t.as_str());
        let (ja, en) = (t.label(Lang::Ja), t.label(Lang::En));
        assert_eq!(alternative["title"], format!("{ja} / {en}"), "{t}");
        let description = alternative["description"].as_str().unwrap_or_default();
        assert!(
            description.contains(ja) && description.contains(en),
            "{t}: {description}"
        );
    }
    assert_eq!(
        schema["required"],
        json!(["type", "occurred_at"]),
        "what parse_from requires"
    );
}

/// The example event of DESIGN.md, verbatim.
const DESIGN_EXAMPLE: &str = r#"{ "type": "booking.created", "occurred_at": "2026-11-21T10:00:00+09:00",
  "meeting_type": {"id": "mt_1", "name": "初回面談"},
  "host": {"slack_user_id": "U0123", "email": "host@example.com"},
  "conversation": {"id": "chat_42", "state": "open"},
  "customer": {"name": "…", "company": "…", "email": "…"},
  "title": "…", "url": "https://…", "fields": {"…": "…"} }"#;

#[test]
fn design_example_is_valid_for_schema_and_parser() {
    let validator = event_validator();
    let body: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
    assert_eq!(errors(&validator, &body), Vec::<String>::new());
    let event = PlatformEvent::parse(DESIGN_EXAMPLE.as_bytes()).expect("Herald accepts it");
    assert_eq!(event.event_type, EventType::BookingCreated);
}

/// What `parse` should say about a body: accepted, or refused with this error.
#[derive(Debug)]
enum Expect {
    Ok,
    Field(&'static str),
    Unknown,
}

const T: &str = r#""occurred_at":"2026-11-21T10:00:00+09:00""#;

/// Bodies on which the schema and the parser must agree.
fn agreement_cases() -> Vec<(String, Expect)> {
    let with = |extra: &str| format!(r#"{{"type":"booking.created",{T}{extra}}}"#);
    let at = |ts: &str| format!(r#"{{"type":"booking.created","occurred_at":"{ts}"}}"#);
    let mut cases = vec![
        (with(""), Expect::Ok),
        (with(r#","host":{"slack_user_id":"W0123ABCD"}"#), Expect::Ok),
        (with(r#","host":{"slack_user_id":"U01"}"#), Expect::Ok),
        (
            with(&format!(
                r#","host":{{"slack_user_id":"U{}"}}"#,
                "A".repeat(31)
            )),
            Expect::Ok,
        ),
        (with(r#","host":{"email":"h@example.com"}"#), Expect::Ok),
        (with(r#","host":{}"#), Expect::Ok),
        (
            with(r#","meeting_type":null,"host":null,"customer":null,"fields":null"#),
            Expect::Ok,
        ),
        (
            with(r#","title":null,"url":null,"slack_channel":null"#),
            Expect::Ok,
        ),
        (with(r#","meeting_type":{"id":"mt_1"}"#), Expect::Ok),
        (
            with(r#","meeting_type":{"id":"mt_1","name":null}"#),
            Expect::Ok,
        ),
        (
            with(r#","customer":{"name":"A","company":null}"#),
            Expect::Ok,
        ),
        (with(r#","url":"http://example.com/x""#), Expect::Ok),
        (
            with(r#","fields":{"a":"x","b":1.5,"c":true,"d":null,"e":-3}"#),
            Expect::Ok,
        ),
        (with(r#","slack_channel":"G0123ABCD""#), Expect::Ok),
        (with(r#","future_field":{"any":["thing"]}"#), Expect::Ok),
        (at("2026-11-21T01:00:00Z"), Expect::Ok),
        (at("2026-11-21T01:00:00.123Z"), Expect::Ok),
        (at("2026-11-21T01:00:00-05:30"), Expect::Ok),
        (at("2024-02-29T00:00:00Z"), Expect::Ok),
        ("[]".into(), Expect::Field("$")),
        ("\"booking.created\"".into(), Expect::Field("$")),
        (format!("{{{T}}}"), Expect::Field("type")),
        (format!(r#"{{"type":42,{T}}}"#), Expect::Field("type")),
        (
            r#"{"type":"booking.created"}"#.into(),
            Expect::Field("occurred_at"),
        ),
        (
            r#"{"type":"booking.created","occurred_at":1795222800}"#.into(),
            Expect::Field("occurred_at"),
        ),
        (at("2026-11-21T10:00:00"), Expect::Field("occurred_at")),
        (at("2026-11-21"), Expect::Field("occurred_at")),
        (at("2026-11-21T23:59:60Z"), Expect::Field("occurred_at")),
        (
            at("2026-11-21T10:00:00+24:00"),
            Expect::Field("occurred_at"),
        ),
        (at("2026-11-21T10:00:00+0900"), Expect::Field("occurred_at")),
        (at("2026-02-30T10:00:00Z"), Expect::Field("occurred_at")),
        (at("2026-11-21T25:00:00Z"), Expect::Field("occurred_at")),
        (at("2026-11-21T10:00Z"), Expect::Field("occurred_at")),
        (
            with(r#","meeting_type":"mt_1""#),
            Expect::Field("meeting_type"),
        ),
        (
            with(r#","meeting_type":{"name":"x"}"#),
            Expect::Field("meeting_type.id"),
        ),
        (
            with(r#","meeting_type":{"id":""}"#),
            Expect::Field("meeting_type.id"),
        ),
        (
            with(r#","meeting_type":{"id":"  "}"#),
            Expect::Field("meeting_type.id"),
        ),
        (
            with(r#","meeting_type":{"id":7}"#),
            Expect::Field("meeting_type.id"),
        ),
        (
            with(r#","meeting_type":{"id":"m","name":7}"#),
            Expect::Field("meeting_type.name"),
        ),
        (with(r#","host":"U0123""#), Expect::Field("host")),
        (
            with(r#","host":{"slack_user_id":"C0123"}"#),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(r#","host":{"slack_user_id":"S0123"}"#),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(r#","host":{"slack_user_id":"u0123"}"#),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(r#","host":{"slack_user_id":"U1"}"#),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(&format!(
                r#","host":{{"slack_user_id":"U{}"}}"#,
                "A".repeat(32)
            )),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(r#","host":{"slack_user_id":123}"#),
            Expect::Field("host.slack_user_id"),
        ),
        (
            with(r#","host":{"email":"nobody"}"#),
            Expect::Field("host.email"),
        ),
        (with(r#","customer":"ACME""#), Expect::Field("customer")),
        (
            with(r#","customer":{"email":["a@b"]}"#),
            Expect::Field("customer.email"),
        ),
        (with(r#","title":{"ja":"x"}"#), Expect::Field("title")),
        (with(r#","url":"ftp://example.com""#), Expect::Field("url")),
        (
            with(r#","url":"javascript:alert(1)""#),
            Expect::Field("url"),
        ),
        (with(r#","fields":["a"]"#), Expect::Field("fields")),
        (
            with(r#","fields":{"a":{"b":1}}"#),
            Expect::Field("fields.a"),
        ),
        (with(r#","fields":{"a":[1]}"#), Expect::Field("fields.a")),
        (
            with(r#","slack_channel":"D0123""#),
            Expect::Field("slack_channel"),
        ),
        (
            with(r##","slack_channel":"#general""##),
            Expect::Field("slack_channel"),
        ),
        (
            format!(r#"{{"type":"booking.Created",{T}}}"#),
            Expect::Unknown,
        ),
        (
            format!(r#"{{"type":"error.delivery",{T}}}"#),
            Expect::Unknown,
        ),
        (
            format!(r#"{{"type":"error.mapping",{T}}}"#),
            Expect::Unknown,
        ),
        (
            format!(r#"{{"type":"error.unknown",{T}}}"#),
            Expect::Unknown,
        ),
    ];
    // Every other type needs nothing more than `type` and `occurred_at`.
    for t in accepted_types()
        .into_iter()
        .filter(|t| t.conversation().is_none())
    {
        cases.push((format!(r#"{{"type":"{t}",{T}}}"#), Expect::Ok));
    }
    cases.extend(conversation_cases());
    cases
}

/// A chat message as the platform sends it.
fn chat_message(i: usize) -> String {
    format!(
        r#"{{"id":"m_{i}","text":"メッセージ {i}","author":{{"kind":"customer","name":"山田"}}}}"#
    )
}

/// Conversation events need their `conversation`, and the `message` or `messages` their
/// kind carries.
fn conversation_cases() -> Vec<(String, Expect)> {
    let kinds: Vec<&str> = ConversationKind::ALL.map(ConversationKind::as_str).to_vec();
    assert_eq!(
        kinds, CONVERSATION_TYPES,
        "the catalog's conversation types"
    );
    let body = |t: &str, extra: &str| format!(r#"{{"type":"{t}",{T}{extra}}}"#);
    let conv = r#","conversation":{"id":"chat_42"}"#;
    let history = |n: usize| {
        let items: Vec<String> = (0..n).map(chat_message).collect();
        format!(r#"{conv},"messages":[{}]"#, items.join(","))
    };
    let mut cases = Vec::new();
    for kind in ConversationKind::ALL {
        let t = kind.as_str();
        // The smallest body each kind accepts.
        let minimal = match kind {
            ConversationKind::MessageCreated | ConversationKind::MessageUpdated => {
                format!(r#"{conv},"message":{{"id":"m_1","text":"こんにちは"}}"#)
            }
            ConversationKind::MessageDeleted => format!(r#"{conv},"message":{{"id":"m_1"}}"#),
            ConversationKind::History => history(1),
            _ => conv.to_string(),
        };
        cases.push((body(t, &minimal), Expect::Ok));
        // Everything after `conversation`, without a usable one.
        let rest = minimal.strip_prefix(conv).unwrap();
        for missing in [
            "",
            r#","conversation":null"#,
            r#","conversation":"chat_42""#,
        ] {
            cases.push((
                body(t, &format!("{missing}{rest}")),
                Expect::Field("conversation"),
            ));
        }
        for conversation in [
            r#"{}"#,
            r#"{"state":"open"}"#,
            r#"{"id":""}"#,
            r#"{"id":"  "}"#,
            r#"{"id":42}"#,
        ] {
            cases.push((
                body(t, &format!(r#","conversation":{conversation}{rest}"#)),
                Expect::Field("conversation.id"),
            ));
        }
        for state in [r#""waiting""#, r#""Closed""#, "true"] {
            cases.push((
                body(
                    t,
                    &format!(r#","conversation":{{"id":"chat_42","state":{state}}}{rest}"#),
                ),
                Expect::Field("conversation.state"),
            ));
        }
        if kind.has_message() {
            for message in ["", r#","message":null"#, r#","message":"こんにちは""#] {
                cases.push((
                    body(t, &format!("{conv}{message}")),
                    Expect::Field("message"),
                ));
            }
            for message in [
                r#"{"text":"x"}"#,
                r#"{"id":"","text":"x"}"#,
                r#"{"id":7,"text":"x"}"#,
            ] {
                cases.push((
                    body(t, &format!(r#"{conv},"message":{message}"#)),
                    Expect::Field("message.id"),
                ));
            }
            cases.push((
                body(t, &format!(r#"{conv},"message":{{"id":"m_1","text":7}}"#)),
                Expect::Field("message.text"),
            ));
            for text in ["", r#","text":null"#] {
                let message = format!(r#"{conv},"message":{{"id":"m_1"{text}}}"#);
                let expect = if kind == ConversationKind::MessageDeleted {
                    Expect::Ok
                } else {
                    Expect::Field("message.text")
                };
                cases.push((body(t, &message), expect));
            }
            cases.push((
                body(
                    t,
                    &format!(r#"{conv},"message":{{"id":"m_1","text":"x","author":"山田"}}"#),
                ),
                Expect::Field("message.author"),
            ));
            cases.push((
                body(
                    t,
                    &format!(r#"{conv},"message":{{"id":"m_1","text":"x","author":{{"kind":1}}}}"#),
                ),
                Expect::Field("message.author.kind"),
            ));
            // `messages` belongs to the history only: elsewhere it is ignored.
            cases.push((
                body(t, &format!(r#"{minimal},"messages":"ignored""#)),
                Expect::Ok,
            ));
        } else {
            // `message` belongs to the message events only: elsewhere it is ignored.
            cases.push((
                body(t, &format!(r#"{minimal},"message":"ignored""#)),
                Expect::Ok,
            ));
        }
    }

    let t = ConversationKind::History.as_str();
    cases.push((body(t, &history(0)), Expect::Ok));
    cases.push((body(t, &history(100)), Expect::Ok));
    cases.push((body(t, &history(101)), Expect::Field("messages")));
    for messages in [
        "",
        r#","messages":null"#,
        r#","messages":{}"#,
        r#","messages":"m_1""#,
    ] {
        cases.push((
            body(t, &format!("{conv}{messages}")),
            Expect::Field("messages"),
        ));
    }
    let one = chat_message(0);
    for (item, field) in [
        (r#"{"id":"m_1"}"#, "messages[1].text"),
        (r#"{"id":"m_1","text":null}"#, "messages[1].text"),
        (r#"{"text":"x"}"#, "messages[1].id"),
        (r#""x""#, "messages[1]"),
        (
            r#"{"id":"m_1","text":"x","author":{"name":[]}}"#,
            "messages[1].author.name",
        ),
    ] {
        cases.push((
            body(t, &format!(r#"{conv},"messages":[{one},{item}]"#)),
            Expect::Field(field),
        ));
    }

    // Everything a conversation may say, and its checks on the way.
    let t = ConversationKind::MessageCreated.as_str();
    let message = format!(r#","message":{}"#, chat_message(1));
    let full = r#","conversation":{"id":"chat_42","state":"open","page":"https://example.com/pricing","assignee":{"id":"op_7","email":"op@example.com","name":"佐藤"},"owner":{"email":"owner@example.com"}}"#;
    cases.push((body(t, &format!("{full}{message}")), Expect::Ok));
    // Pending keeps the thread; a message may carry files.
    cases.push((
        body(
            t,
            r#","conversation":{"id":"chat_42","state":"pending"},"message":{"id":"m_1","text":"x","attachments":[{"name":"a.png","url":"https://files.example/a.png","mimetype":"image/png","size":12},{"name":"b.txt","url":"https://files.example/b.txt","mimetype":null,"size":null}]}"#,
        ),
        Expect::Ok,
    ));
    for (files, field) in [
        (r#""a.png""#, "message.attachments"),
        (
            r#"[{"url":"https://files.example/a"}]"#,
            "message.attachments[0].name",
        ),
        (
            r#"[{"name":"a","url":"ftp://files.example/a"}]"#,
            "message.attachments[0].url",
        ),
        (
            r#"[{"name":"a","url":"https://files.example/a","size":-3}]"#,
            "message.attachments[0].size",
        ),
        (
            r#"[{"name":"a","url":"https://files.example/a","size":1.5}]"#,
            "message.attachments[0].size",
        ),
    ] {
        cases.push((
            body(
                t,
                &format!(r#","conversation":{{"id":"chat_42"}},"message":{{"id":"m_1","text":"x","attachments":{files}}}"#),
            ),
            Expect::Field(field),
        ));
    }
    cases.push((
        body(
            t,
            &format!(
                r#","conversation":{{"id":"chat_42","state":null,"page":null,"assignee":null,"owner":{{"id":null,"email":null,"name":null}}}}{message}"#
            ),
        ),
        Expect::Ok,
    ));
    for (person, field) in [
        (r#""assignee":"op_7""#, "conversation.assignee"),
        (r#""assignee":{"email":7}"#, "conversation.assignee.email"),
        (r#""owner":["x"]"#, "conversation.owner"),
        (r#""owner":{"name":{}}"#, "conversation.owner.name"),
        (r#""page":7"#, "conversation.page"),
    ] {
        cases.push((
            body(
                t,
                &format!(r#","conversation":{{"id":"chat_42",{person}}}{message}"#),
            ),
            Expect::Field(field),
        ));
    }

    // Other events may carry a conversation: it is checked the same way.
    let booking = |extra: &str| body("booking.created", extra);
    cases.push((
        booking(r#","conversation":{"id":"chat_42","state":"closed"}"#),
        Expect::Ok,
    ));
    cases.push((
        booking(r#","conversation":"chat_42""#),
        Expect::Field("conversation"),
    ));
    cases.push((
        booking(r#","conversation":{"state":"open"}"#),
        Expect::Field("conversation.id"),
    ));
    cases.push((
        booking(r#","conversation":{"id":"c","state":"gone"}"#),
        Expect::Field("conversation.state"),
    ));
    cases.push((booking(r#","message":7,"messages":7"#), Expect::Ok));
    cases
}

#[test]
fn schema_and_parser_agree() {
    let validator = event_validator();
    for (body, expect) in agreement_cases() {
        let value: Value = serde_json::from_str(&body).unwrap();
        let schema_errors = errors(&validator, &value);
        let parsed = PlatformEvent::parse(body.as_bytes());
        match (&expect, &parsed) {
            (Expect::Ok, Ok(_)) | (Expect::Unknown, Err(EventError::UnknownType(_))) => {}
            (Expect::Field(field), Err(EventError::Invalid(e))) if e.field == *field => {}
            _ => panic!("{body}\n  parse: expected {expect:?}, got {parsed:?}"),
        }
        assert_eq!(
            schema_errors.is_empty(),
            matches!(expect, Expect::Ok),
            "{body}\n  schema and parser disagree; schema errors: {schema_errors:#?}"
        );
    }
}

/// Where Herald is more lenient than the schema: it trims strings and treats blank ones as
/// absent, checks `host.email` only when there is no `slack_user_id`, and takes RFC 3339's
/// rarer forms (space or lowercase separators, a real leap second). The schema asks for the
/// common form; listing the differences keeps them deliberate.
#[test]
fn parser_is_more_lenient_than_schema_only_where_documented() {
    let validator = event_validator();
    let with = |extra: &str| format!(r#"{{"type":"booking.created",{T}{extra}}}"#);
    let lenient = [
        with(r#","host":{"slack_user_id":" U0123 "}"#),
        with(r#","host":{"slack_user_id":""}"#),
        with(r#","host":{"slack_user_id":"U0123","email":"not-an-email"}"#),
        with(r#","host":{"email":""}"#),
        with(r#","url":"""#),
        with(r#","url":" https://example.com""#),
        with(r#","slack_channel":"""#),
        with(r#","conversation":{"id":"chat_42","state":""}"#),
        with(r#","conversation":{"id":"chat_42","state":" closed "}"#),
        // RFC 3339 allows these; the schema asks for the common form.
        r#"{"type":"booking.created","occurred_at":"2026-11-21 10:00:00Z"}"#.into(),
        r#"{"type":"booking.created","occurred_at":"2026-11-21t10:00:00z"}"#.into(),
        r#"{"type":"booking.created","occurred_at":"2026-12-31T23:59:60Z"}"#.into(),
    ];
    for body in lenient {
        let value: Value = serde_json::from_str(&body).unwrap();
        assert!(
            !validator.is_valid(&value),
            "the schema should refuse {body}"
        );
        assert!(
            PlatformEvent::parse(body.as_bytes()).is_ok(),
            "Herald should accept {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// docs/events.md

/// The fenced code blocks that follow `<!-- contract: NAME ARGS -->` lines: (args, body).
fn marked_blocks(doc: &str, name: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- contract: ")
            .and_then(|m| m.strip_suffix(" -->"))
        else {
            continue;
        };
        let (marker_name, args) = marker.split_once(' ').unwrap_or((marker, ""));
        if marker_name != name {
            continue;
        }
        let rest = &lines[i + 1..];
        let open = rest
            .iter()
            .position(|l| !l.trim().is_empty())
            .unwrap_or_else(|| panic!("nothing follows the {name} marker"));
        let body = if rest[open].starts_with("```") {
            let close = rest[open + 1..]
                .iter()
                .position(|l| l.starts_with("```"))
                .expect("a closed code block");
            rest[open + 1..open + 1 + close].join("\n")
        } else {
            // A table: the lines up to the first blank one.
            rest[open..]
                .iter()
                .take_while(|l| !l.trim().is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        };
        blocks.push((args.to_string(), body));
    }
    blocks
}

fn events_doc() -> String {
    read("docs/events.md")
}

#[test]
fn doc_examples_marked_valid_are_accepted() {
    let validator = event_validator();
    let doc = events_doc();
    let examples = marked_blocks(&doc, "valid-event");
    assert!(examples.len() >= 4, "the page shows its valid examples");
    let mut types = BTreeSet::new();
    for (_, body) in examples {
        let event = PlatformEvent::parse(body.as_bytes())
            .unwrap_or_else(|e| panic!("Herald refuses a documented example: {e}\n{body}"));
        types.insert(event.event_type.as_str());
        let value: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(errors(&validator, &value), Vec::<String>::new(), "{body}");
    }
    for t in [
        "booking.created",
        "error.salesforce",
        "conversation.message.created",
        "conversation.history",
    ] {
        assert!(types.contains(t), "the page shows a valid {t}");
    }
}

#[test]
fn doc_examples_marked_invalid_are_refused_naming_the_field() {
    let validator = event_validator();
    let doc = events_doc();
    let examples = marked_blocks(&doc, "invalid-event");
    assert!(!examples.is_empty());
    for (args, body) in examples {
        let field = args.strip_prefix("field=").expect("invalid-event field=…");
        match PlatformEvent::parse(body.as_bytes()) {
            Err(EventError::Invalid(e)) => assert_eq!(e.field, field, "{body}"),
            other => panic!("expected invalid_field {field}, got {other:?}\n{body}"),
        }
        let value: Value = serde_json::from_str(&body).unwrap();
        assert!(
            !validator.is_valid(&value),
            "the schema should refuse {body}"
        );
    }
}

#[test]
fn doc_signature_vector_is_what_herald_signs() {
    let doc = events_doc();
    let [(_, block)] = marked_blocks(&doc, "signature-vector").try_into().unwrap();
    let v: Value = serde_json::from_str(&block).unwrap();
    let secret = v["secret"].as_str().unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    let id = v["webhook-id"].as_str().unwrap();
    let ts = v["webhook-timestamp"].as_i64().unwrap();
    let body = v["body"].as_str().unwrap().as_bytes();
    let signature = v["webhook-signature"].as_str().unwrap();
    assert_eq!(standard_webhooks::sign(&key, id, ts, body), signature);
    let verify = |sigs: &str| {
        standard_webhooks::verify(
            &[&key],
            Some(id),
            Some(&ts.to_string()),
            Some(sigs),
            body,
            ts,
        )
    };
    assert_eq!(verify(signature), Ok(()));
    // Rotation as documented: "v1,<with old> v1,<with new>".
    let other = standard_webhooks::sign(b"another key of sixteen+", id, ts, body);
    assert_eq!(verify(&format!("{other} {signature}")), Ok(()));
    assert!(herald::config::WebhookSecret::parse(secret).is_ok());
    // The script the page shows exists and signs the documented way.
    let [(_, script)] = marked_blocks(&doc, "sign-script").try_into().unwrap();
    for needle in [
        "-mac HMAC",
        "hexkey:",
        "base64 -d",
        "webhook-signature: v1,",
        "$id.$ts.$body",
    ] {
        assert!(script.contains(needle), "the script should use {needle}");
    }
}

#[tokio::test]
async fn doc_answers_table_is_what_the_endpoint_answers() {
    let doc = events_doc();
    let [(_, table)] = marked_blocks(&doc, "responses").try_into().unwrap();
    let documented: BTreeSet<(u16, String)> = table
        .lines()
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let status = cells[1].parse().expect("a status");
            (status, cells[2].trim_matches('`').to_string())
        })
        .collect();

    let refusals = [
        WebhookError::UnknownConnection("nope".into()),
        WebhookError::TooLarge,
        WebhookError::Disconnected("app_uninstalled".into()),
        WebhookError::Unreadable,
        WebhookError::Signature(SignatureError::Mismatch),
        WebhookError::Event(EventError::Malformed("x".into())),
        WebhookError::Event(EventError::UnknownType("x".into())),
        WebhookError::Event(EventError::Invalid(FieldError::new("occurred_at", "x"))),
        WebhookError::Unavailable,
        WebhookError::BadHeader {
            header: "webhook-id",
            reason: "x".into(),
        },
        WebhookError::RateLimited(std::time::Duration::from_secs(1)),
    ];
    let mut answered = BTreeSet::from([(202, String::new()), (200, String::new())]);
    for refusal in refusals {
        let response = refusal.into_response();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let code = body["error"].as_str().expect("error code").to_string();
        assert!(body["message"].is_string(), "{body}");
        assert_eq!(
            body.get("field").is_some(),
            code == "invalid_field" || code == "invalid_header",
            "{body}"
        );
        answered.insert((status, code));
    }
    assert_eq!(documented, answered);
    assert!(doc.contains("256 KiB") && MAX_BODY_BYTES == 256 * 1024);
}

#[test]
fn doc_catalog_table_is_the_catalog() {
    let doc = events_doc();
    let [(_, table)] = marked_blocks(&doc, "catalog").try_into().unwrap();
    let rows: Vec<(String, String, String)> = table
        .lines()
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = accepted_types()
        .into_iter()
        .map(|t| {
            (
                t.as_str().to_string(),
                t.label(Lang::Ja).to_string(),
                t.label(Lang::En).to_string(),
            )
        })
        .collect();
    assert_eq!(rows, expected);
    // The host mention is documented where the code does it.
    for row in table.lines().skip(2) {
        let t = EventType::parse(row.split('|').nth(1).unwrap().trim().trim_matches('`')).unwrap();
        assert_eq!(
            row.contains("mentions the meeting host"),
            t.mentions_host(),
            "{row}"
        );
    }
}

#[test]
fn doc_rules_example_imports() {
    let doc = events_doc();
    let [(_, json)] = marked_blocks(&doc, "rules").try_into().unwrap();
    let entries: Vec<RuleJson> = serde_json::from_str(&json).expect("the rules format");
    let rules = validate_rules(&entries).expect("the documented rules are valid");
    assert_eq!(rules.len(), 3);
    // Properties a later Herald may add do not break an import.
    let mut future: Vec<Value> = serde_json::from_str(&json).unwrap();
    future[0]["added_later"] = json!({"x": 1});
    let entries: Vec<RuleJson> = serde_json::from_value(Value::Array(future)).unwrap();
    assert!(validate_rules(&entries).is_ok());
}
