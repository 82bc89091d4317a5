//! App Home as the dashboard: drawn on `app_home_opened`, with rule health and buttons.

use serde_json::{Value, json};

use crate::helpers::{TEAM, TestApp, booking, eventually, json as answer_json, now};

fn home_opened(user: &str, event_id: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/slack/app_home_opened.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut data = fixture["data"].clone();
    data["team_id"] = json!(TEAM);
    data["event_id"] = json!(event_id);
    data["event"]["user"] = json!(user);
    data.to_string()
}

pub async fn open_home(app: &TestApp, user: &str, event_id: &str) -> Value {
    let before = app.emu.calls_to("views.publish").len();
    let response = app
        .slack_post("/slack/events", &home_opened(user, event_id), now(), &[])
        .await;
    assert_eq!(response.status(), 200);
    eventually(|| async { (app.emu.calls_to("views.publish").len() > before).then_some(()) }).await;
    app.emu
        .home_view(TEAM, user)
        .expect("a published Home view")
}

pub async fn press(app: &TestApp, user: &str, action_id: &str, value: Option<&str>) {
    let mut action = json!({"type": "button", "action_id": action_id, "block_id": "b1",
        "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000000.000100"});
    if let Some(value) = value {
        action["value"] = json!(value);
    }
    let payload = app.emu.block_actions(None, user, TEAM, json!([action]));
    let (status, _) = crate::modals::interact(app, &payload).await;
    assert_eq!(status, 200);
}

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "#general"},
        {"kind": "event", "event_type": "phone.requested", "meeting_type": "mt_1", "channel": "#board"},
        {"kind": "error", "categories": ["delivery"], "channel": "#herald-errors"}
    ])
}

#[tokio::test]
async fn home_shows_each_rule_with_its_health_and_the_last_day() {
    let app = TestApp::start(rules()).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    for event_type in ["booking.created", "phone.requested"] {
        let (_, body) = answer_json(app.send(&booking(event_type, "mt_1")).await).await;
        app.settled(body["event_id"].as_str().unwrap()).await;
    }
    // The failed notification's error report is an event of its own: the dashboard
    // counts it once its job is recorded as done, which comes just after Slack shows
    // the post. Each look is a new opening of the tab.
    let mut opened = 0;
    let home = crate::helpers::eventually(|| {
        opened += 1;
        let event_id = format!("EvHOME1{opened}");
        let app = &app;
        let admin = &admin;
        async move {
            let home = open_home(app, admin, &event_id).await.to_string();
            home.contains("Delivered 2").then_some(home)
        }
    })
    .await;
    for expected in [
        "Herald dashboard",
        "Delivered 2",
        "Failed 1",
        "Every meeting type",
        "Meeting type `mt_1`",
        "Last delivered",
        "/invite @Herald",
        "Add a rule",
        "herald_delete_rule",
    ] {
        assert!(home.contains(expected), "{expected} missing from {home}");
    }
}

#[tokio::test]
async fn admins_delete_from_home_and_the_tab_refreshes() {
    let app = TestApp::start(rules()).await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    open_home(&app, &admin, "EvHOME2").await;
    let doomed = app.store.rules(TEAM).await.unwrap()[1].id.clone();

    let published = app.emu.calls_to("views.publish").len();
    press(&app, &admin, "herald_delete_rule", Some(&doomed)).await;
    let rules = app.store.rules(TEAM).await.unwrap();
    assert_eq!(rules.len(), 2);
    assert!(rules.iter().all(|r| r.id != doomed));
    eventually(|| async { (app.emu.calls_to("views.publish").len() > published).then_some(()) })
        .await;
    let home = app.emu.home_view(TEAM, &admin).unwrap().to_string();
    assert!(
        !home.contains(&doomed),
        "the deleted rule is gone from Home"
    );

    press(&app, &admin, "herald_add_rule", None).await;
    let modal = app
        .emu
        .views_opened()
        .into_iter()
        .rev()
        .find(|v| v["type"] == "modal")
        .unwrap();
    assert_eq!(modal["callback_id"], "herald_rule_add");
}

#[tokio::test]
async fn members_get_a_polite_refusal_and_nothing_changes() {
    let app = TestApp::start(rules()).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "ja-JP");
    let home = open_home(&app, &member, "EvHOME3").await.to_string();
    assert!(home.contains("Herald 通知ダッシュボード"), "{home}");
    let target = app.store.rules(TEAM).await.unwrap()[0].id.clone();
    press(&app, &member, "herald_delete_rule", Some(&target)).await;
    assert_eq!(app.store.rules(TEAM).await.unwrap().len(), 3);
    let refusal = eventually(|| async {
        app.emu
            .views_opened()
            .into_iter()
            .find(|v| v["type"] == "modal")
    })
    .await;
    assert!(
        refusal.to_string().contains("管理者またはオーナーだけ"),
        "{refusal}"
    );
}

#[tokio::test]
async fn edit_from_home_saves_people_and_groups_and_never_overwrites_a_newer_edit() {
    let app = TestApp::start(json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general", "mentions": ["S0GRP001"]}
    ]))
    .await;
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, "en-US");
    open_home(&app, &admin, "EvHOME4").await;
    let rule_id = app.store.rules(TEAM).await.unwrap()[0].id.clone();

    // Two admins open the same rule; the first saves, the second's save is a conflict.
    press(&app, &admin, "herald_edit_rule", Some(&rule_id)).await;
    press(&app, &admin, "herald_edit_rule", Some(&rule_id)).await;
    let modals: Vec<Value> = app
        .emu
        .views_opened()
        .into_iter()
        .filter(|v| v["callback_id"] == "herald_rule_edit")
        .collect();
    assert_eq!(modals.len(), 2);
    let first = modals[0]["id"].as_str().unwrap();
    let second = modals[1]["id"].as_str().unwrap();
    assert_eq!(
        modals[0]["blocks"][2]["element"]["initial_option"]["value"],
        app.channels.general.as_str()
    );
    let mentioned = &modals[0]["blocks"][3]["element"]["initial_options"];
    assert_eq!(
        mentioned[0]["value"], "S0GRP001",
        "the group is in the picker: {mentioned}"
    );

    let edit = |channel: &str| {
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "Meeting cancelled"}, "value": "booking.cancelled"}}},
            "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": null}},
            "channel": {"channel": {"type": "external_select", "selected_option": {
                "text": {"type": "plain_text", "text": "#x"}, "value": channel}}},
            "mentions": {"mentions": {"type": "multi_external_select", "selected_options": [
                {"text": {"type": "plain_text", "text": "someone"}, "value": "U0AAA111"},
                {"text": {"type": "plain_text", "text": "@group"}, "value": "S0GRP001"}]}},
            "enabled": {"enabled": {"type": "checkboxes", "selected_options": []}}
        })
    };
    let (status, answer) = crate::modals::interact(
        &app,
        &app.emu
            .view_submission(first, &admin, edit(&app.channels.public_not_member)),
    )
    .await;
    assert_eq!((status, answer), (200, Value::Null));
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    assert_eq!(rule.channel.as_str(), app.channels.public_not_member);
    assert!(!rule.enabled);
    assert_eq!(
        rule.mentions.ids(),
        ["U0AAA111", "S0GRP001"],
        "people and groups from the picker"
    );

    let (_, answer) = crate::modals::interact(
        &app,
        &app.emu
            .view_submission(second, &admin, edit(&app.channels.general)),
    )
    .await;
    assert_eq!(answer["response_action"], "errors");
    assert!(
        answer["errors"]["event_type"]
            .as_str()
            .unwrap()
            .contains("Someone else changed"),
        "{answer}"
    );
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    assert_eq!(
        rule.channel.as_str(),
        app.channels.public_not_member,
        "the first edit stands"
    );
}
