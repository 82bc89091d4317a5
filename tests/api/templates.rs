//! Rule templates (`template.fields`): the notification shows the rule's fields in
//! order under their labels; a value that does not fit its type is still delivered,
//! flagged, and recorded once in the error log as a `mapping` row, which an error rule
//! for `mapping` routes; a template that does not read is refused with the entry named.

use serde_json::{Value, json};

use crate::helpers::{TEAM, TestApp, json as answer_json};
use crate::log_export::{column, parse_csv};
use crate::slack_emulator::Fault;

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general",
         "template": {"fields": [
            {"key": "fields.plan", "label": "プラン", "type": "enum", "values": ["free", "pro", "enterprise"], "required": true},
            {"key": "fields.amount", "label": {"ja": "金額", "en": "Amount"}, "type": "number"},
            {"key": "customer.email", "label": "メール", "type": "email"}]}},
        {"kind": "error", "categories": ["mapping"], "channel": "#herald-errors"}
    ])
}

fn booking(plan: &str, amount: &str) -> Value {
    let mut event = crate::helpers::booking("booking.created", "mt_1");
    event["fields"] = json!({"plan": plan, "amount": amount, "budget": "not in the template"});
    event
}

async fn delivered(app: &TestApp, event: &Value) -> String {
    let (status, body) = answer_json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().unwrap().to_string();
    app.settled(&id).await;
    id
}

/// The section fields of a post, in order.
fn fields(post: &Value) -> Vec<String> {
    post["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["fields"].as_array())
        .flatten()
        .map(|f| f["text"].as_str().unwrap().to_string())
        .collect()
}

/// The error log's rows with `status`, as `(rule, channel, error)`.
async fn log_rows(app: &TestApp, status: &str) -> Vec<(String, String, String)> {
    let request = herald::log_export::Request::last_days(
        TEAM,
        30,
        herald::store::now_ms(),
        time::UtcOffset::UTC,
        herald::core::catalog::Lang::En,
    );
    let mut bytes = Vec::new();
    herald::log_export::write_to(&app.store, &request, &mut bytes)
        .await
        .unwrap();
    parse_csv(&bytes)[1..]
        .iter()
        .filter(|r| r[column("status")] == status)
        .map(|r| {
            (
                r[column("rule")].clone(),
                r[column("channel")].clone(),
                r[column("error")].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_template_shows_its_fields_in_order_and_a_bad_number_is_flagged_and_logged_once() {
    let app = TestApp::start(rules()).await;
    delivered(&app, &booking("ＰＲＯ", "1,200")).await;
    // The answer to the post is lost after it took effect: the retry finds the post,
    // and the mapping problem is still recorded once.
    app.emu.inject("chat.postMessage", Fault::ResetAfterEffect);
    let bad = delivered(&app, &booking("pro", "abc")).await;

    let posts = app.posts(&app.channels.general);
    assert_eq!(posts.len(), 2, "one post per event, flagged or not");
    assert_eq!(
        fields(&posts[0]),
        [
            "*プラン*\nＰＲＯ",
            "*金額*\n1,200",
            "*メール*\ntaro@example.com"
        ],
        "the template's fields, in order, under their labels in the workspace's language"
    );
    assert_eq!(
        fields(&posts[1]),
        [
            "*プラン*\npro",
            "*金額*\n⚠ 数値ではありません: abc",
            "*メール*\ntaro@example.com"
        ]
    );
    let all = posts[1].to_string();
    assert!(!all.contains("not in the template"), "{all}");

    let rule = app.store.rules(TEAM).await.unwrap()[0].id.clone();
    // The report is written with the post's completion: once the flagged post's job is
    // done, the log holds every report there will be.
    let jobs = app.settled(&bad).await;
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    assert_eq!(
        log_rows(&app, "mapping").await,
        [(
            rule.clone(),
            app.channels.general.clone(),
            format!("rule {rule}: fields.amount: not a number: \"abc\"")
        )],
        "one mapping row, though the post was retried, and none for the good event"
    );
    let errors = crate::helpers::eventually(|| async {
        let posts = app.posts(&app.channels.errors);
        (!posts.is_empty()).then_some(posts)
    })
    .await;
    assert_eq!(errors.len(), 1);
    let report = errors[0].to_string();
    assert!(
        report.contains("fields.amount") && report.contains("not a number"),
        "the error rule for mapping routes the report: {report}"
    );
    assert!(
        report.contains(&rule),
        "the report names the rule: {report}"
    );
}

#[tokio::test]
async fn a_required_field_that_is_missing_is_flagged_and_a_bad_template_is_refused() {
    let app = TestApp::start(rules()).await;
    let mut event = booking("pro", "10");
    event["fields"].as_object_mut().unwrap().remove("plan");
    delivered(&app, &event).await;
    let posts = app.posts(&app.channels.general);
    assert_eq!(fields(&posts[0])[0], "*プラン*\n⚠ 値がありません（必須）");
    let rows = crate::helpers::eventually(|| async {
        let rows = log_rows(&app, "mapping").await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert!(
        rows[0].2.ends_with("fields.plan: missing (required)"),
        "{rows:?}"
    );

    // A rules file with a bad template is refused whole, the entry named.
    let bad = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general,
         "template": {"fields": [{"key": "fields.plan", "type": "enum"}]}}
    ]);
    let err = herald::admin::rules_file::import(&app.store, TEAM, &bad.to_string(), "cli")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("[0].template.fields[0].type"), "{err}");
    assert_eq!(
        app.store.rules(TEAM).await.unwrap().len(),
        2,
        "nothing replaced"
    );
}

#[tokio::test]
async fn the_rule_modal_shows_checks_and_saves_the_fields_line_by_line() {
    let app = TestApp::start(rules()).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    let code = rule.id[rule.id.len() - 6..].to_uppercase();
    let trigger = app.emu.issue_trigger(TEAM, &admin);
    crate::commands::run_form(
        &app,
        crate::commands::command_form_with_trigger(&admin, &format!("edit {code}"), &trigger),
    )
    .await;
    let view = app.emu.views_opened().pop().unwrap();
    let block = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "fields")
        .expect("a fields box")
        .clone();
    assert_eq!(
        block["element"]["initial_value"],
        "fields.plan | プラン | enum: free, pro, enterprise | required\n\
         fields.amount | 金額 / Amount | number\n\
         customer.email | メール | email"
    );
    // The preview of the saved rule renders its template: the sample booking has no
    // plan, which the template requires.
    let preview = view["blocks"].to_string();
    assert!(
        preview.contains(r#"*プラン*\n⚠ missing (required)"#),
        "{preview}"
    );
    let view_id = view["id"].as_str().unwrap().to_string();
    let values = |fields: &str| {
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "booking.created", "emoji": true}, "value": "booking.created"}}},
            "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": ""}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": app.channels.general}},
            "mentions": {"mentions": {"type": "multi_users_select", "selected_users": []}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
                {"text": {"type": "plain_text", "text": "Enabled", "emoji": true}, "value": "on"}]}},
            "fields": {"fields": {"type": "plain_text_input", "value": fields}}
        })
    };

    // A line that does not read: an inline error naming it, nothing saved.
    let payload = app.emu.view_submission(
        &view_id,
        &admin,
        values("fields.amount | Amount | number\n\nfields.plan | Plan | money"),
    );
    let (status, answer) = crate::modals::interact(&app, &payload).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_action"], "errors", "{answer}");
    let error = answer["errors"]["fields"].as_str().unwrap();
    assert!(
        error.starts_with("Line 3:") && error.contains("unknown type"),
        "{error}"
    );
    assert_eq!(app.store.rules(TEAM).await.unwrap()[0], rule, "unchanged");

    // Fixed: saved, and the next notification shows the new fields.
    let payload = app.emu.view_submission(
        &view_id,
        &admin,
        values("fields.amount | Amount | number | required\ncustomer.company | Company"),
    );
    let (status, answer) = crate::modals::interact(&app, &payload).await;
    assert_eq!((status, answer), (200, Value::Null), "the modal closes");
    let saved = app.store.rules(TEAM).await.unwrap().remove(0);
    assert_eq!(
        saved.options.template.to_lines(),
        "fields.amount | Amount | number | required\ncustomer.company | Company | text"
    );
    delivered(&app, &booking("pro", "12")).await;
    let posts = app.posts(&app.channels.general);
    assert_eq!(
        fields(posts.last().unwrap()),
        ["*Amount*\n12", "*Company*\nACME株式会社"]
    );
}
