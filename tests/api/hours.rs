//! Rules with `hours`: outside them notifications are kept, and at the opening one digest
//! per channel lists them in order, pinging the rule's people once, with "+N more" and
//! all of them in its thread; a restart and a lost answer in between lose nothing and
//! post nothing twice. Inside the hours, or with another rule of the channel that has
//! none, a notification posts at once. The modal reads hours and refuses bad ones.
//!
//! Time: the hours are set relative to now (closed for the next two hours, or open
//! since an hour ago), and the opening is brought forward by moving the digest's due
//! time in the store, as the clock reaching it would; nothing sleeps.

use serde_json::{Value, json};

use crate::commands::run;
use crate::conditions::{admin, why_text};
use crate::helpers::{TEAM, TestApp, booking, eventually, json as answer_json};
use crate::modals::interact;
use crate::slack_emulator::Fault;
use crate::threads::{parents, replies};

/// `HH:MM` in UTC, `hours` from now.
fn utc_in(hours: i64) -> String {
    let at = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(hours))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC);
    format!("{:02}:{:02}", at.hour(), at.minute())
}

const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Hours that are closed now and open in two hours.
pub(crate) fn closed_now() -> Value {
    json!({"tz": "UTC", "days": EVERY_DAY, "from": utc_in(2), "to": utc_in(3)})
}

/// Hours that opened an hour ago and close in an hour.
fn open_now() -> Value {
    json!({"tz": "UTC", "days": EVERY_DAY, "from": utc_in(-1), "to": utc_in(1)})
}

async fn sent(app: &TestApp, customer: &str) -> String {
    let mut event = booking("booking.created", "mt_1");
    event["customer"]["name"] = json!(customer);
    let (status, body) = answer_json(app.send(&event).await).await;
    assert_eq!(status, 202, "{body}");
    body["event_id"].as_str().unwrap().to_string()
}

/// The clock reaches the opening: every digest is due now.
pub(crate) async fn opening(app: &TestApp) {
    sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = 'slack.digest' AND status = 'pending'")
        .bind(herald::store::now_ms())
        .execute(app.store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_night_of_events_is_one_digest_at_the_opening_in_order_across_a_restart() {
    let mut app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general",
         "mentions": ["U0ONCALL"], "hours": closed_now()}
    ]))
    .await;
    let admin = admin(&app);
    let names: Vec<String> = (1..=12).map(|i| format!("顧客{i:02}")).collect();
    let mut ids = Vec::new();
    for name in &names {
        ids.push(sent(&app, name).await);
    }
    for id in &ids {
        let jobs = app.jobs(id).await;
        let post = jobs.iter().find(|j| j.kind == "slack.post").unwrap();
        assert_eq!(post.status, "held", "kept, not posted: {jobs:?}");
    }
    assert!(
        app.posts(&app.channels.general).is_empty(),
        "nothing posted at night"
    );
    let text = why_text(&run(&app, &admin, &format!("why {}", ids[0])).await);
    assert!(
        text.contains("outside business hours: kept for the digest at"),
        "{text}"
    );

    // Herald restarts during the night; then the hours open, and the digest's first
    // post lands but its answer is lost.
    app.restart().await;
    app.emu.inject("chat.postMessage", Fault::ResetAfterEffect);
    opening(&app).await;

    let digest = eventually(|| async {
        let jobs = app.jobs(&ids[0]).await;
        jobs.iter()
            .find(|j| j.kind == "slack.digest" && j.status == "done")
            .cloned()
    })
    .await;
    let top = parents(&app);
    assert_eq!(top.len(), 1, "one digest: {top:#?}");
    let parent = top[0].to_string();
    assert_eq!(
        top[0]["blocks"].to_string().matches("<@U0ONCALL>").count(),
        1,
        "pings once: {parent}"
    );
    assert!(parent.contains("12 件"), "{parent}");
    assert!(parent.contains("ほか 2 件"), "+N more: {parent}");
    let ts = top[0]["ts"].as_str().unwrap();
    assert_eq!(digest.result_ts.as_deref(), Some(ts));
    let thread = replies(&app, ts);
    assert_eq!(thread.len(), 1, "the thread lists them all: {thread:#?}");
    let listed = thread[0].to_string();
    assert!(!listed.contains("<@U0ONCALL>"), "the thread pings nobody");
    let at: Vec<usize> = names
        .iter()
        .map(|n| listed.find(n.as_str()).unwrap())
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "in the order they came: {listed}"
    );
    for id in &ids {
        let jobs = app.jobs(id).await;
        let post = jobs.iter().find(|j| j.kind == "slack.post").unwrap();
        assert_eq!(post.status, "done", "{jobs:?}");
        assert_eq!(post.result_ts.as_deref(), Some(ts), "listed in the digest");
    }
    let text = why_text(&run(&app, &admin, &format!("why {}", ids[3])).await);
    assert!(
        text.contains("outside business hours: listed in the digest at"),
        "{text}"
    );
}

#[tokio::test]
async fn within_the_hours_or_beside_a_rule_without_any_a_notification_posts_at_once() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general",
         "hours": open_now()},
        {"kind": "event", "event_type": "booking.created", "channel": "#secret-ops",
         "hours": closed_now()},
        {"kind": "event", "event_type": "booking.created", "channel": "#secret-ops",
         "mentions": ["U0OTHER"]}
    ]))
    .await;
    let id = sent(&app, "顧客A").await;
    let jobs = app.settled(&id).await;
    assert!(
        jobs.iter()
            .all(|j| j.kind == "slack.post" && j.status == "done"),
        "no digest, nothing held: {jobs:?}"
    );
    assert_eq!(app.posts(&app.channels.general).len(), 1);
    assert_eq!(app.posts(&app.channels.private_member).len(), 1);
}

#[tokio::test]
async fn the_rule_modal_saves_hours_and_refuses_bad_ones_inline() {
    let app = TestApp::start(json!([])).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let view = crate::directory::add_modal(&app, &admin).await;
    let opened = app.emu.view(&view).unwrap().to_string();
    assert!(opened.contains("\"timepicker\""), "time pickers: {opened}");

    let picked = |days: &[&str], from: &str, to: &str, tz: Option<&str>| {
        let option =
            |v: &str| json!({"text": {"type": "plain_text", "text": v, "emoji": true}, "value": v});
        let mut values = json!({
            "event_type": {"event_type": {"type": "static_select",
                "selected_option": option("booking.created")}},
            "channel": {"channel": {"type": "external_select",
                "selected_option": option(&app.channels.general)}},
            "hours_days": {"hours_days": {"type": "checkboxes",
                "selected_options": days.iter().map(|d| option(d)).collect::<Vec<_>>()}},
            "hours_from": {"hours_from": {"type": "timepicker", "selected_time": from}},
            "hours_to": {"hours_to": {"type": "timepicker", "selected_time": to}},
        });
        if let Some(tz) = tz {
            values["hours_tz"] =
                json!({"hours_tz": {"type": "static_select", "selected_option": option(tz)}});
        }
        values
    };
    for (values, block) in [
        (picked(&["mon"], "09:00", "18:00", None), "hours_tz"),
        (
            picked(&["mon"], "09:00", "09:00", Some("Asia/Tokyo")),
            "hours_to",
        ),
    ] {
        let payload = app.emu.view_submission(&view, &admin, values);
        let (status, answer) = interact(&app, &payload).await;
        assert_eq!(status, 200);
        assert_eq!(answer["response_action"], "errors", "{answer}");
        assert!(answer["errors"][block].is_string(), "{block}: {answer}");
    }
    assert!(app.store.rules(TEAM).await.unwrap().is_empty());

    let payload = app.emu.view_submission(
        &view,
        &admin,
        picked(&["mon", "fri"], "22:00", "00:00", Some("Asia/Tokyo")),
    );
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!((status, answer), (200, Value::Null), "the modal closes");
    let rules = app.store.rules(TEAM).await.unwrap();
    let hours = rules[0]
        .options
        .hours
        .as_ref()
        .expect("hours saved")
        .to_json();
    assert_eq!(hours.days, ["mon", "fri"]);
    assert_eq!((hours.from.as_str(), hours.to.as_str()), ("22:00", "24:00"));
    assert_eq!(hours.tz, "Asia/Tokyo");
    let exported = herald::admin::rules_file::export(&app.store, TEAM)
        .await
        .unwrap();
    assert!(exported.contains("\"hours\""), "{exported}");
}
