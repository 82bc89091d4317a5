//! Rules with `group`: a burst of like events is one parent with the rest as replies in
//! its thread; the parent shows the count and the latest event; mentions notify once per
//! group; other `by` values, and an event after the window, open groups of their own.

use serde_json::{Value, json};

use crate::commands::run;
use crate::conditions::{admin, why_text};
use crate::helpers::{TEAM, TestApp, json as answer_json};
use crate::slack_emulator::Fault;
use crate::threads::{parents, replies};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general",
         "mentions": ["U0ONCALL"],
         "group": {"window_s": 300, "by": ["event_type", "meeting_type"]}}
    ])
}

async fn delivered(app: &TestApp, meeting_type: &str, customer: &str) -> String {
    let mut event = crate::helpers::booking("booking.created", meeting_type);
    event["customer"]["name"] = json!(customer);
    let (status, body) = answer_json(app.send(&event).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().unwrap().to_string();
    let jobs = app.settled(&id).await;
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    id
}

#[tokio::test]
async fn five_like_events_are_one_parent_with_four_replies_and_the_parent_counts_them() {
    let app = TestApp::start(rules()).await;
    for (n, name) in ["顧客A", "顧客B", "顧客C", "顧客D", "顧客E"]
        .iter()
        .enumerate()
    {
        if n == 2 {
            // The answer to a reply is lost after it was posted: the retry finds it.
            app.emu.inject("chat.postMessage", Fault::ResetAfterEffect);
        }
        delivered(&app, "mt_1", name).await;
    }
    let top = parents(&app);
    assert_eq!(top.len(), 1, "one parent: {top:#?}");
    let parent_ts = top[0]["ts"].as_str().unwrap().to_string();
    let thread = replies(&app, &parent_ts);
    let names: Vec<bool> = ["顧客B", "顧客C", "顧客D", "顧客E"]
        .iter()
        .enumerate()
        .map(|(i, name)| thread[i].to_string().contains(name))
        .collect();
    assert_eq!(thread.len(), 4, "{thread:#?}");
    assert_eq!(names, [true; 4], "the replies in the order the events came");
    for reply in &thread {
        assert!(
            !reply.to_string().contains("<@U0ONCALL>"),
            "a reply pings nobody: {reply}"
        );
    }
    let parent = top[0].to_string();
    assert!(
        parent.contains("<@U0ONCALL>"),
        "the parent pinged: {parent}"
    );
    assert!(
        parent.contains("5 件") && parent.contains("顧客E"),
        "the parent shows the count and the latest: {parent}"
    );
    assert!(
        app.emu.calls_to("chat.update").len() >= 4,
        "the parent was edited for each reply"
    );
}

#[tokio::test]
async fn other_by_values_and_an_event_after_the_window_open_groups_of_their_own() {
    let app = TestApp::start(rules()).await;
    let first = delivered(&app, "mt_1", "顧客A").await;
    delivered(&app, "mt_2", "顧客B").await;
    let second = delivered(&app, "mt_1", "顧客C").await;
    assert_eq!(parents(&app).len(), 2, "one parent per meeting type");

    // `/herald why` tells which opened the group and which folded into it.
    let admin = admin(&app);
    let text = why_text(&run(&app, &admin, &format!("why {first}")).await);
    assert!(
        text.contains("grouped: the first of its group (like notifications within 5 min"),
        "{text}"
    );
    let text = why_text(&run(&app, &admin, &format!("why {second}")).await);
    assert!(
        text.contains("grouped: number 2 of its group, a reply in the first one's thread"),
        "{text}"
    );

    // The window passes (the group's first event moved back past it, as time would).
    sqlx::query("UPDATE rule_groups SET started_at = started_at - 301000 WHERE team_id = $1")
        .bind(TEAM)
        .execute(app.store.pool())
        .await
        .unwrap();
    delivered(&app, "mt_1", "顧客D").await;
    let top = parents(&app);
    assert_eq!(top.len(), 3, "a new group after the window");
    assert!(top[2].to_string().contains("顧客D"));
    assert!(
        top[2].to_string().contains("<@U0ONCALL>"),
        "a new group pings again"
    );
    let first_ts = top[0]["ts"].as_str().unwrap();
    assert_eq!(replies(&app, first_ts).len(), 1, "顧客C only");
}

#[tokio::test]
async fn a_bad_group_is_refused_with_its_entry_named() {
    let app = TestApp::start(rules()).await;
    let bad = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general,
         "group": {"window_s": 300, "by": ["event_type", "colour"]}}
    ]);
    let err = herald::admin::rules_file::import(&app.store, TEAM, &bad.to_string(), "cli")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("[0].group.by[1]"), "{err}");
    let rules = app.store.rules(TEAM).await.unwrap();
    assert_eq!(
        rules[0].options.group.as_ref().unwrap().window_s,
        300,
        "unchanged"
    );
}
