//! What happened to an event, from Slack: `/herald why` for a routed, an unrouted and a
//! failed event, and App Home's "Events with no rule" with its Route… button.

use serde_json::{Value, json};

use crate::commands::run;
use crate::helpers::{TEAM, TestApp, booking, json as answer_json, now};
use crate::home::{open_home, press};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "#general"},
        {"kind": "event", "event_type": "phone.requested", "meeting_type": "mt_1", "channel": "#board"},
        {"kind": "error", "categories": ["delivery"], "channel": "#herald-errors"}
    ])
}

fn admin(app: &TestApp, locale: &str) -> String {
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, locale);
    admin
}

/// Sends an event and waits for its jobs to finish; returns Herald's event id.
async fn delivered(app: &TestApp, event: &Value) -> String {
    let (status, body) = answer_json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().unwrap().to_string();
    app.settled(&id).await;
    id
}

fn answer_text(answer: &Value) -> String {
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
async fn why_explains_a_routed_an_unrouted_and_a_failed_event() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");

    // Routed and posted: the rule that took it, the post and its link.
    let posted = delivered(&app, &booking("booking.created", "mt_1")).await;
    let answer = run(&app, &admin, &format!("why {posted}")).await;
    assert_eq!(answer["response_type"], "ephemeral");
    let text = answer_text(&answer);
    for expected in [
        posted.as_str(),
        "Meeting booked",
        "`booking.created`",
        "`mt_1`",
        "✅ takes it",
        "a rule for another event (Phone call requested)",
        "an error rule, and this is not an error",
        "✅ sent",
        "/archives/",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }

    // Routed, and refused by Slack: the code and the fix in words.
    let failed = delivered(&app, &booking("phone.requested", "mt_1")).await;
    let text = answer_text(&run(&app, &admin, &format!("why {failed}")).await);
    for expected in ["❌ failed", "last error:", "fix:", "/invite @Herald"] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    assert!(!text.contains("open the message"), "{text}");

    // Matched nothing: each rule says why, and nothing was sent.
    let unrouted = delivered(&app, &booking("phone.requested", "mt_2")).await;
    let text = answer_text(&run(&app, &admin, &format!("why {unrouted}")).await);
    for expected in [
        "a rule for another meeting type (`mt_1`); this event's is `mt_2`",
        "No rule takes this event",
        "Nothing: no rule took it when it arrived.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    assert!(!text.contains("✅"), "{text}");
}

#[tokio::test]
async fn why_finds_an_event_by_its_webhook_id_and_answers_plainly_when_there_is_none() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "ja-JP");
    let body = booking("booking.created", "mt_1").to_string();
    let response = app
        .send_raw(
            "default",
            "msg_why_by_webhook_id",
            now(),
            body.as_bytes(),
            None,
        )
        .await;
    let (status, answer) = answer_json(response).await;
    assert_eq!(status, 202);
    let event_id = answer["event_id"].as_str().unwrap().to_string();
    app.settled(&event_id).await;

    let text = answer_text(&run(&app, &admin, "why msg_why_by_webhook_id").await);
    assert!(text.contains(&event_id), "{text}");
    assert!(text.contains("このルールで通知"), "{text}");
    assert!(text.contains("送信済み"), "{text}");

    let text = answer_text(&run(&app, &admin, "why msg_never_sent").await);
    assert!(text.contains("このワークスペースにありません"), "{text}");

    let text = answer_text(&run(&app, &admin, "why").await);
    assert!(text.contains("イベントを1つ指定してください"), "{text}");
}

#[tokio::test]
async fn why_is_for_admins_and_for_this_workspace_only() {
    let app = TestApp::start(rules()).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    let posted = delivered(&app, &booking("booking.created", "mt_1")).await;
    let text = answer_text(&run(&app, &member, &format!("why {posted}")).await);
    assert!(
        !text.contains(&posted),
        "a member sees nothing of the event: {text}"
    );
    assert!(text.to_lowercase().contains("admin"), "{text}");

    // Another workspace's admin cannot read this one's event by its id.
    let found = app
        .store
        .events_by_reference("T0OTHER01", &posted, &["default".to_string()])
        .await
        .unwrap();
    assert!(
        found.is_empty(),
        "an event id is looked up in its own workspace"
    );
}

#[tokio::test]
async fn home_lists_event_types_with_no_rule_and_route_opens_the_rule_modal_set_to_one() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");
    for _ in 0..2 {
        delivered(&app, &booking("booking.cancelled", "mt_2")).await;
    }
    delivered(&app, &booking("booking.created", "mt_2")).await;

    let home = open_home(&app, &admin, "EvUNROUTED1").await;
    let text = home.to_string();
    assert!(text.contains("Events with no rule (last 7 days)"), "{text}");
    assert!(text.contains("2 event(s)"), "{text}");
    let buttons: Vec<Value> = home["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["accessory"]["action_id"] == "herald_route_event")
        .map(|b| b["accessory"].clone())
        .collect();
    assert_eq!(
        buttons.len(),
        1,
        "the routed booking.created is not listed: {text}"
    );
    let value = buttons[0]["value"].as_str().unwrap().to_string();

    press(&app, &admin, "herald_route_event", Some(&value)).await;
    let modal = app
        .emu
        .views_opened()
        .into_iter()
        .rev()
        .find(|v| v["type"] == "modal")
        .expect("the rule modal");
    assert_eq!(modal["callback_id"], "herald_rule_add");
    let block = |id: &str| {
        modal["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        block("event_type")["element"]["initial_option"]["value"],
        "booking.cancelled",
        "{modal}"
    );
    // mt_2 has been received, so it is picked from the known types.
    assert_eq!(
        block("known_meeting_type")["element"]["initial_option"]["value"],
        "mt_2",
        "{modal}"
    );

    // Once a rule takes that type, it leaves the list.
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general},
        {"kind": "event", "event_type": "booking.cancelled", "meeting_type": "mt_2", "channel": app.channels.general}
    ]);
    herald::admin::rules_file::import(&app.store, TEAM, &rules.to_string(), "cli")
        .await
        .unwrap();
    let home = open_home(&app, &admin, "EvUNROUTED2").await.to_string();
    assert!(!home.contains("herald_route_event"), "{home}");
}

#[tokio::test]
async fn a_member_pressing_route_gets_the_admins_only_notice() {
    let app = TestApp::start(rules()).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    open_home(&app, &member, "EvUNROUTED3").await;
    let value = json!({"t": "booking.cancelled", "m": "mt_2"}).to_string();
    press(&app, &member, "herald_route_event", Some(&value)).await;
    let opened = app.emu.views_opened();
    assert!(
        opened.iter().all(|v| v["callback_id"] != "herald_rule_add"),
        "no rule modal for a member"
    );
    let notice = opened.last().expect("a notice").to_string();
    assert!(notice.to_lowercase().contains("admin"), "{notice}");
}

fn resend_buttons(home: &Value, action_id: &str) -> Vec<String> {
    home["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["accessory"]["action_id"] == action_id)
        .map(|b| b["accessory"]["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn resend_after_herald_was_invited_posts_once_and_is_audited() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");
    // #board is private and Herald is not in it: the notification fails for good.
    let event = delivered(&app, &booking("phone.requested", "mt_1")).await;
    let job = app
        .jobs(&event)
        .await
        .into_iter()
        .find(|j| j.channel.as_deref() == Some(app.channels.private_not_member.as_str()))
        .unwrap();
    assert_eq!(job.status, "failed");

    let home = open_home(&app, &admin, "EvRESEND1").await;
    let text = home.to_string();
    assert!(text.contains("Failed deliveries (last 7 days)"), "{text}");
    assert!(text.contains("/invite @Herald"), "the fix is shown: {text}");
    assert_eq!(
        resend_buttons(&home, "herald_resend_job"),
        vec![job.id.clone()]
    );
    assert_eq!(
        resend_buttons(&home, "herald_resend_channel"),
        vec![app.channels.private_not_member.clone()]
    );

    // Someone invites Herald; the admin presses Resend twice before it runs.
    app.emu
        .set_bot_member(&app.channels.private_not_member, true);
    press(&app, &admin, "herald_resend_job", Some(&job.id)).await;
    press(&app, &admin, "herald_resend_job", Some(&job.id)).await;
    let jobs = app.settled(&event).await;
    let resent = jobs.iter().find(|j| j.id == job.id).unwrap();
    assert_eq!(resent.status, "done", "{resent:?}");
    assert_eq!(
        app.posts(&app.channels.private_not_member).len(),
        1,
        "posted exactly once"
    );

    // Pressing again after it was delivered does nothing either.
    press(&app, &admin, "herald_resend_job", Some(&job.id)).await;
    assert_eq!(
        app.jobs(&event)
            .await
            .iter()
            .find(|j| j.id == job.id)
            .unwrap()
            .status,
        "done"
    );
    assert_eq!(app.posts(&app.channels.private_not_member).len(), 1);

    let audit = app.store.audit(TEAM, 10).await.unwrap();
    let resends: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "deliveries.resent")
        .collect();
    assert_eq!(
        resends.len(),
        1,
        "one resend happened, one is audited: {audit:?}"
    );
    assert_eq!(resends[0].actor, admin);
    assert!(resends[0].after_json.as_deref().unwrap().contains(&job.id));

    // The Home tab is redrawn once the job is done: the failure has gone.
    let home = crate::helpers::eventually(|| async {
        let home = app.emu.home_view(TEAM, &admin)?;
        resend_buttons(&home, "herald_resend_job")
            .is_empty()
            .then_some(home)
    })
    .await;
    assert!(
        home.to_string().contains("resent 1 failed deliveries"),
        "{home}"
    );
}

#[tokio::test]
async fn resend_all_requeues_a_channels_failures_and_a_failing_resend_shows_again() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");
    let mut events = Vec::new();
    for _ in 0..4 {
        events.push(delivered(&app, &booking("phone.requested", "mt_1")).await);
    }
    let home = open_home(&app, &admin, "EvRESEND2").await;
    assert_eq!(
        resend_buttons(&home, "herald_resend_job").len(),
        3,
        "three shown, one counted"
    );
    assert!(home.to_string().contains("4 failed"), "{home}");

    // Still not invited: Resend all runs them again and they fail again, each tried
    // once more, as often as the first time.
    let to_board = || {
        app.emu
            .calls_to("chat.postMessage")
            .iter()
            .filter(|c| c.args["channel"] == app.channels.private_not_member.as_str())
            .count()
    };
    let first_time = to_board();
    assert!(first_time >= 4);
    press(
        &app,
        &admin,
        "herald_resend_channel",
        Some(&app.channels.private_not_member),
    )
    .await;
    for event in &events {
        let jobs = app.settled(event).await;
        assert!(jobs.iter().any(|j| j.status == "failed"), "{jobs:?}");
    }
    assert_eq!(to_board(), 2 * first_time);
    let home = crate::helpers::eventually(|| async {
        let home = app.emu.home_view(TEAM, &admin)?;
        (resend_buttons(&home, "herald_resend_job").len() == 3).then_some(home)
    })
    .await;
    assert!(home.to_string().contains("4 failed"), "{home}");

    // A member cannot resend.
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    open_home(&app, &member, "EvRESEND3").await;
    let calls = app.emu.calls_to("chat.postMessage").len();
    press(
        &app,
        &member,
        "herald_resend_channel",
        Some(&app.channels.private_not_member),
    )
    .await;
    assert!(
        app.jobs(&events[0])
            .await
            .iter()
            .all(|j| j.status != "pending")
    );
    assert_eq!(app.emu.calls_to("chat.postMessage").len(), calls);
}

#[tokio::test]
async fn each_rule_shows_its_own_last_delivery_and_three_failures_in_a_row_are_marked() {
    // Two rules share #general; the third posts where Herald is not invited.
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general"},
        {"kind": "event", "event_type": "booking.cancelled", "channel": "#general"},
        {"kind": "event", "event_type": "phone.requested", "channel": "#board"}
    ]))
    .await;
    let admin = admin(&app, "en-US");
    delivered(&app, &booking("booking.created", "mt_1")).await;
    for _ in 0..2 {
        delivered(&app, &booking("phone.requested", "mt_1")).await;
    }
    let list = |text: String| text.split('•').map(str::to_string).collect::<Vec<_>>();
    let lines = list(answer_text(&run(&app, &admin, "list").await));
    let line = |what: &str| {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} not listed: {lines:?}"))
            .clone()
    };
    assert!(line("Meeting booked").contains("Last delivered"));
    assert!(
        line("Meeting cancelled").contains("Nothing delivered yet"),
        "the channel's delivery is not this rule's"
    );
    assert!(line("Phone call requested").contains("/invite @Herald"));
    assert!(!line("Phone call requested").contains("The last 3 deliveries"));

    delivered(&app, &booking("phone.requested", "mt_1")).await;
    let lines = list(answer_text(&run(&app, &admin, "list").await));
    let phone = lines
        .iter()
        .find(|l| l.contains("Phone call requested"))
        .unwrap();
    assert!(
        phone.contains("The last 3 deliveries of this rule failed."),
        "{phone}"
    );
    let home = open_home(&app, &admin, "EvHEALTH1").await.to_string();
    assert!(
        home.contains("The last 3 deliveries of this rule failed."),
        "{home}"
    );
}
