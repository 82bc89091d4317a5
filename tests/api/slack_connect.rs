//! Slack Connect: a channel another organization hosts and shares in never receives
//! Herald's internal notifications, even when a rule already points there.

use serde_json::json;

use crate::helpers::{TEAM, TestApp, booking, eventually, json as answer_json};
use crate::home::open_home;
use crate::slack_emulator::ChannelSpec;

#[tokio::test]
async fn a_rule_into_another_organizations_channel_is_refused_at_delivery_and_flagged_on_home() {
    let mut app = TestApp::start(json!([])).await;
    let partner = app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "acme-partner".into(),
            bot_member: true,
            shared_from_team: Some("T0PARTNER1".into()),
            ..ChannelSpec::default()
        },
    );
    // Rules made before Herald told a partner's channel from its own.
    let rules = json!([
        {"kind": "event", "event_type": "booking.created", "channel": partner},
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general},
        {"kind": "error", "categories": ["delivery"], "channel": app.channels.errors}
    ]);
    herald::admin::rules_file::import(&app.store, TEAM, &rules.to_string(), "cli")
        .await
        .unwrap();
    let restarted_at = herald::store::now_ms();
    app.restart().await;

    let (_, body) = answer_json(app.send(&booking("booking.created", "mt_1")).await).await;
    let jobs = app.settled(body["event_id"].as_str().unwrap()).await;
    let to_partner = jobs
        .iter()
        .find(|j| j.channel.as_deref() == Some(partner.as_str()))
        .unwrap();
    assert_eq!(to_partner.status, "failed", "{to_partner:?}");
    assert!(
        to_partner
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("ext_shared_channel"),
        "{to_partner:?}"
    );
    let to_general = jobs
        .iter()
        .find(|j| j.channel.as_deref() == Some(app.channels.general.as_str()))
        .unwrap();
    assert_eq!(to_general.status, "done");
    assert!(
        app.posts(&partner).is_empty(),
        "nothing reached the partner"
    );
    assert_eq!(app.posts(&app.channels.general).len(), 1);
    // The error rules are told, with the fix.
    let report = eventually(|| async { app.posts(&app.channels.errors).pop() }).await;
    let report = report.to_string();
    assert!(
        report.contains("Slack コネクト") || report.contains("Slack Connect"),
        "{report}"
    );

    // App Home flags the rule once the directory knows the channel.
    eventually(|| async {
        app.store
            .last_sync(TEAM)
            .await
            .unwrap()
            .filter(|s| s.started_at >= restarted_at && s.finished_at.is_some())
    })
    .await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    let home = open_home(&app, &admin, "EvCONNECT1").await.to_string();
    assert!(
        home.contains("hosted by another organization"),
        "the rule is flagged: {home}"
    );
}
