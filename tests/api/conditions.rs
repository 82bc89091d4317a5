//! Rules with conditions (`where`): only matching events notify, full-width and
//! half-width alike; `/herald why` names the condition that did not hold; the rule modal
//! shows, checks and saves them line by line; export writes them back.

use serde_json::{Value, json};

use crate::commands::{command_form_with_trigger, run, run_form};
use crate::helpers::{TEAM, TestApp, json as answer_json};
use crate::modals::interact;

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general",
         "where": [{"field": "fields.plan", "op": "in", "value": ["pro", "enterprise"]}]},
        {"kind": "event", "event_type": "booking.created", "channel": "#secret-ops",
         "where": [{"field": "customer.email", "op": "exists"},
                   {"field": "customer.company", "op": "not_equals", "value": "テスト株式会社"}]}
    ])
}

pub(crate) fn admin(app: &TestApp) -> String {
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    admin
}

fn booking(plan: Option<&str>, company: &str, email: Option<&str>) -> Value {
    let mut event = crate::helpers::booking("booking.created", "mt_1");
    event["customer"]["company"] = json!(company);
    event["customer"]["email"] = json!(email);
    event["fields"] = match plan {
        Some(plan) => json!({"plan": plan}),
        None => json!({}),
    };
    event
}

async fn delivered(app: &TestApp, event: &Value) -> String {
    let (status, body) = answer_json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().unwrap().to_string();
    app.settled(&id).await;
    id
}

pub(crate) fn why_text(answer: &Value) -> String {
    answer["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|b| b["text"]["text"].as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn only_events_meeting_every_condition_notify_and_why_names_the_one_that_failed() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    // Full-width "ＰＲＯ" is "pro"; half-width "ﾃｽﾄ株式会社" is "テスト株式会社".
    delivered(
        &app,
        &booking(Some("ＰＲＯ"), "ACME株式会社", Some("a@example.com")),
    )
    .await;
    let test_company = delivered(
        &app,
        &booking(Some("free"), "ﾃｽﾄ株式会社", Some("b@example.com")),
    )
    .await;
    delivered(&app, &booking(None, "ACME株式会社", Some("c@example.com"))).await;
    delivered(&app, &booking(Some("enterprise"), "ACME株式会社", None)).await;

    let general = app.posts(&app.channels.general);
    let ops = app.posts(&app.channels.private_member);
    assert_eq!(
        general.len(),
        2,
        "the pro and the enterprise booking: {general:?}"
    );
    assert_eq!(
        ops.len(),
        2,
        "the two real customers with an email: {ops:?}"
    );

    let text = why_text(&run(&app, &admin, &format!("why {test_company}")).await);
    for expected in [
        "condition 1 (`fields.plan in pro, enterprise`) does not hold; this event's value is `free`",
        "condition 2 (`customer.company not_equals テスト株式会社`) does not hold; this event's value is `ﾃｽﾄ株式会社`",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }

    let list = run(&app, &admin, "list").await.to_string();
    assert!(
        list.contains("where `fields.plan in pro, enterprise`"),
        "{list}"
    );

    // Export writes the conditions as they were imported.
    let exported: Value = serde_json::from_str(
        &herald::admin::rules_file::export(&app.store, TEAM)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(exported[0]["where"], rules()[0]["where"]);
    assert_eq!(exported[1]["where"], rules()[1]["where"]);
}

#[tokio::test]
async fn a_rules_file_with_a_bad_condition_is_refused_and_names_it() {
    let app = TestApp::start(rules()).await;
    let bad = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general,
         "where": [{"field": "customer.company", "op": "equals", "value": "ACME"},
                   {"field": "customer.phone", "op": "exists"}]}
    ]);
    let err = herald::admin::rules_file::import(&app.store, TEAM, &bad.to_string(), "cli")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("[0].where[1].field"), "{err}");
    assert!(err.contains("customer.phone"), "{err}");
    let kept = app.store.rules(TEAM).await.unwrap();
    assert_eq!(kept.len(), 2, "nothing changed");
    assert_eq!(kept[0].options.conditions.len(), 1);
}

#[tokio::test]
async fn the_rule_modal_shows_checks_and_saves_conditions_line_by_line() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    let rule = app.store.rules(TEAM).await.unwrap().remove(1);
    let code = rule.id[rule.id.len() - 6..].to_uppercase();
    let trigger = app.emu.issue_trigger(TEAM, &admin);
    run_form(
        &app,
        command_form_with_trigger(&admin, &format!("edit {code}"), &trigger),
    )
    .await;
    let view = app.emu.views_opened().pop().unwrap();
    let block = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "conditions")
        .expect("a conditions box")
        .clone();
    assert_eq!(
        block["element"]["initial_value"],
        "customer.email exists\ncustomer.company not_equals テスト株式会社"
    );
    let view_id = view["id"].as_str().unwrap().to_string();
    let values = |conditions: &str| {
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "booking.created", "emoji": true}, "value": "booking.created"}}},
            "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": ""}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": app.channels.private_member}},
            "mentions": {"mentions": {"type": "multi_users_select", "selected_users": []}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
                {"text": {"type": "plain_text", "text": "Enabled", "emoji": true}, "value": "on"}]}},
            "conditions": {"conditions": {"type": "plain_text_input", "value": conditions}}
        })
    };

    // A line that does not read: an inline error naming it, nothing saved.
    let payload = app.emu.view_submission(
        &view_id,
        &admin,
        values("customer.email exists\n\ncustomer.company is ACME"),
    );
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_action"], "errors", "{answer}");
    let error = answer["errors"]["conditions"].as_str().unwrap();
    assert!(error.starts_with("Line 3:"), "{error}");
    assert_eq!(app.store.rules(TEAM).await.unwrap()[1], rule, "unchanged");

    // Fixed: saved, and the next event follows the new condition.
    let payload =
        app.emu
            .view_submission(&view_id, &admin, values("customer.company contains acme"));
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!((status, answer), (200, Value::Null), "the modal closes");
    let saved = app.store.rules(TEAM).await.unwrap().remove(1);
    let lines: Vec<String> = saved
        .options
        .conditions
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, ["customer.company contains acme"]);
    delivered(&app, &booking(None, "ＡＣＭＥ株式会社", None)).await;
    delivered(&app, &booking(None, "Other Inc.", Some("x@example.com"))).await;
    assert_eq!(app.posts(&app.channels.private_member).len(), 1);
}
