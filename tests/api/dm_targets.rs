//! Rules whose target is a person (`"channel": "U…"`): the notification goes to their DM
//! with Herald, exactly once even when Slack's answer is lost; someone of another
//! organization, a deactivated account or a bot is never written to, and the failure is
//! reported like any other; the rule modal offers people beside channels and checks the
//! one picked.

use serde_json::{Value, json};

use crate::directory::{add_modal, suggest, synced, values};
use crate::helpers::{TEAM, TestApp, booking, json as answer_json};
use crate::modals::interact;
use crate::slack_emulator::{ChannelSpec, Fault};

/// The DM Herald opened with `user`, as Slack named it.
fn dm_of(app: &TestApp, user: &str) -> Option<String> {
    app.emu
        .calls_to("conversations.open")
        .iter()
        .rev()
        .find(|c| c.args["users"] == user)
        .and_then(|c| c.response["channel"]["id"].as_str().map(str::to_string))
}

async fn with_rules(app: &mut TestApp, rules: Value) {
    herald::admin::rules_file::import(&app.store, TEAM, &rules.to_string(), "cli")
        .await
        .expect("rules import");
    app.restart().await;
}

async fn settled_booking(app: &TestApp, customer: &str) -> Vec<herald::store::JobRecord> {
    let mut event = booking("booking.created", "mt_1");
    event["customer"]["name"] = json!(customer);
    let (status, body) = answer_json(app.send(&event).await).await;
    assert_eq!(status, 202, "{body}");
    app.settled(body["event_id"].as_str().unwrap()).await
}

#[tokio::test]
async fn a_rule_for_a_person_notifies_them_in_their_dm_once_even_when_the_answer_is_lost() {
    let mut app = TestApp::start(json!([])).await;
    let sato = app.emu.add_user(TEAM, "sato", "sato@example.com");
    with_rules(
        &mut app,
        json!([{"kind": "event", "event_type": "booking.created", "channel": sato}]),
    )
    .await;

    // Slack posts the first notification but its answer never arrives.
    app.emu.inject("chat.postMessage", Fault::ResetAfterEffect);
    let jobs = settled_booking(&app, "顧客A").await;
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    let dm = dm_of(&app, &sato).expect("Herald opened the person's DM");
    assert!(dm.starts_with('D'), "{dm}");
    let jobs = settled_booking(&app, "顧客B").await;
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");

    let posts = app.posts(&dm);
    assert_eq!(posts.len(), 2, "each notification once: {posts:#?}");
    assert!(posts[0].to_string().contains("顧客A"), "{}", posts[0]);
    assert!(posts[1].to_string().contains("顧客B"), "{}", posts[1]);
    assert_eq!(
        app.emu.calls_to("conversations.open").len(),
        1,
        "the DM is opened once, not per post"
    );
    assert!(
        app.posts(&app.channels.general).is_empty(),
        "nothing went to a channel"
    );
}

#[tokio::test]
async fn another_organizations_member_a_deactivated_account_and_a_bot_are_never_written_to() {
    let mut app = TestApp::start(json!([])).await;
    app.emu.add_workspace("T0PARTNER1", "Partner Inc");
    let partner = app
        .emu
        .add_user("T0PARTNER1", "partner", "partner@partner.example");
    // The two organizations share a channel, so Slack shows the partner to Herald.
    app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "acme-partner".into(),
            bot_member: true,
            shared_from_team: Some("T0PARTNER1".into()),
            ..ChannelSpec::default()
        },
    );
    let gone = app.emu.add_user(TEAM, "gone", "gone@example.com");
    app.emu.set_user_deleted(&gone, true);
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "channel": partner},
        {"kind": "event", "event_type": "booking.created", "channel": gone},
        {"kind": "event", "event_type": "booking.created", "channel": app.ws.bot_user_id},
        {"kind": "error", "categories": ["delivery"], "channel": app.channels.errors}
    ]);
    with_rules(&mut app, rules).await;

    let jobs = settled_booking(&app, "顧客A").await;
    let reason = |who: &str| {
        let job = jobs
            .iter()
            .find(|j| j.channel.as_deref() == Some(who))
            .unwrap_or_else(|| panic!("a job for {who}: {jobs:?}"));
        assert_eq!(job.status, "failed", "{job:?}");
        job.last_error.clone().unwrap_or_default()
    };
    assert!(reason(&partner).starts_with("person_elsewhere"), "{jobs:?}");
    assert!(reason(&gone).starts_with("user_disabled"), "{jobs:?}");
    assert!(
        reason(&app.ws.bot_user_id).starts_with("cannot_dm_bot"),
        "{jobs:?}"
    );
    for who in [&partner, &gone, &app.ws.bot_user_id] {
        assert_eq!(dm_of(&app, who), None, "no DM opened with {who}");
    }

    // Each failure reaches the error rule's channel, naming the person.
    let reports = crate::helpers::eventually(|| async {
        let reports = app.posts(&app.channels.errors);
        (reports.len() >= 3).then_some(reports)
    })
    .await;
    let all = serde_json::to_string(&reports).unwrap();
    assert!(all.contains(&format!("@partner ({partner})")), "{all}");
    assert!(all.contains("別の組織のメンバー"), "{all}");
}

#[tokio::test]
async fn the_rule_modal_offers_people_beside_channels_and_refuses_another_organizations() {
    let app = TestApp::start(json!([])).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let sato = app.emu.add_user(TEAM, "sato", "sato@example.com");
    app.emu
        .update_user(&sato, Some("佐藤 花子"), Some("ハナコ"), None);
    app.emu.add_workspace("T0PARTNER1", "Partner Inc");
    let partner = app
        .emu
        .add_user("T0PARTNER1", "partner", "partner@partner.example");
    app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "acme-partner".into(),
            bot_member: true,
            shared_from_team: Some("T0PARTNER1".into()),
            ..ChannelSpec::default()
        },
    );
    synced(&app).await;
    let view = add_modal(&app, &admin).await;

    // A typed name finds the person, in a group of its own after the channels.
    let answer = suggest(&app, &view, &admin, "channel", "佐藤").await;
    let people = answer["option_groups"]
        .as_array()
        .and_then(|g| g.last())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(people["label"]["text"], "People (to their DM)", "{answer}");
    assert_eq!(values(&answer), vec![sato.clone()], "{answer}");
    // An empty query lists channels only, as before.
    let listed = values(&suggest(&app, &view, &admin, "channel", "").await);
    assert!(listed.contains(&app.channels.general), "{listed:?}");
    assert!(!listed.contains(&sato), "{listed:?}");

    let picked = |target: &str| {
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "booking.created", "emoji": true},
                "value": "booking.created"}}},
            "channel": {"channel": {"type": "external_select", "selected_option": {
                "text": {"type": "plain_text", "text": "someone", "emoji": true}, "value": target}}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
                {"text": {"type": "plain_text", "text": "Enabled", "emoji": true}, "value": "on"}]}}
        })
    };
    let payload = app.emu.view_submission(&view, &admin, picked(&partner));
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_action"], "errors", "{answer}");
    assert!(
        answer["errors"]["channel"]
            .as_str()
            .unwrap_or_default()
            .contains("another organization"),
        "{answer}"
    );
    assert!(app.store.rules(TEAM).await.unwrap().is_empty());

    let payload = app.emu.view_submission(&view, &admin, picked(&sato));
    let (status, answer) = interact(&app, &payload).await;
    assert_eq!((status, answer), (200, Value::Null), "the modal closes");
    let rules = app.store.rules(TEAM).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].channel.as_str(), sato);
    assert!(rules[0].channel.is_person());
}
