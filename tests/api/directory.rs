//! The directory: batch sync (paging, rate limits), the pickers over HTTP and Socket
//! Mode, pasted-id lookup, and Slack's events keeping it fresh.

use std::time::Duration;

use herald::config::DirectorySettings;
use serde_json::{Value, json};

use crate::commands::{command_form_with_trigger, run_form};
use crate::helpers::{Options, TEAM, TestApp, booking, eventually, now};
use crate::slack_emulator::ChannelSpec;

fn admin(app: &TestApp) -> String {
    let id = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&id, true, false);
    app.emu.set_user_locale(&id, "en-US");
    id
}

/// Waits for the sync Herald starts on its own to finish.
pub(crate) async fn synced(app: &TestApp) -> herald::store::SyncRow {
    eventually(|| async {
        app.store
            .last_sync(TEAM)
            .await
            .unwrap()
            .filter(|s| s.finished_at.is_some())
    })
    .await
}

/// The add-rule modal an admin opened (its view id).
pub(crate) async fn add_modal(app: &TestApp, admin: &str) -> String {
    let trigger = app.emu.issue_trigger(TEAM, admin);
    run_form(app, command_form_with_trigger(admin, "add", &trigger)).await;
    app.emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["callback_id"] == "herald_rule_add")
        .expect("the add modal")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Posts a signed `block_suggestion` to the options URL; returns Slack's answer.
pub(crate) async fn suggest(
    app: &TestApp,
    view: &str,
    user: &str,
    action: &str,
    value: &str,
) -> Value {
    let payload = app
        .emu
        .block_suggestion(view, user, TEAM, action, action, value);
    let response =
        crate::helpers::slack_payload(&app.client, &app.address, "/slack/options", &payload).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The option values of an answer, in order (flat or grouped).
pub(crate) fn values(answer: &Value) -> Vec<String> {
    let flat = answer["options"].as_array().cloned().unwrap_or_default();
    let grouped = answer["option_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["options"].as_array().cloned().unwrap_or_default());
    flat.into_iter()
        .chain(grouped)
        .map(|o| o["value"].as_str().unwrap().to_string())
        .collect()
}

/// Posts an event callback the emulator built, signed, to `/slack/events`.
async fn deliver(app: &TestApp, event: &Value) {
    let body = event.to_string();
    let response = app.slack_post("/slack/events", &body, now(), &[]).await;
    assert_eq!(response.status(), 200, "{body}");
}

#[tokio::test]
async fn pickers_offer_what_a_rule_can_use_best_first() {
    let app = TestApp::start(json!([])).await;
    let admin = admin(&app);
    let partner = app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "general-partner".into(),
            bot_member: true,
            shared_from_team: Some("T0OTHERORG".into()),
            ..ChannelSpec::default()
        },
    );
    let sato = app.emu.add_user(TEAM, "sato", "sato@example.com");
    app.emu
        .update_user(&sato, Some("佐藤 花子"), Some("ハナコ"), None);
    let group = app.emu.add_usergroup(TEAM, "sales-team", &[&sato]);
    // The sync at start saw everything above.
    let sync = synced(&app).await;
    assert!(sync.error.is_none(), "{sync:?}");
    let view = add_modal(&app, &admin).await;

    let found = values(&suggest(&app, &view, &admin, "channel", "GEN").await);
    assert_eq!(
        found,
        vec![app.channels.general.clone()],
        "not the partner's channel"
    );
    let all = values(&suggest(&app, &view, &admin, "channel", "").await);
    for usable in [
        &app.channels.general,
        &app.channels.public_not_member,
        &app.channels.private_member,
    ] {
        assert!(all.contains(usable), "{usable} offered");
    }
    for unusable in [
        &app.channels.archived,
        &app.channels.private_not_member,
        &partner,
    ] {
        assert!(!all.contains(unusable), "{unusable} not offered");
    }

    // People by display name in half-width kana; groups by handle.
    let answer = suggest(&app, &view, &admin, "mentions", "ﾊﾅｺ").await;
    assert_eq!(values(&answer), vec![sato.clone()]);
    assert_eq!(
        answer["option_groups"][0]["options"][0]["text"]["text"],
        "ハナコ (佐藤 花子)"
    );
    let answer = suggest(&app, &view, &admin, "mentions", "sales").await;
    assert_eq!(values(&answer), vec![group.clone()]);

    // The Slack Connect channel pasted by id is offered with the reason it cannot be used.
    let answer = suggest(&app, &view, &admin, "channel", &partner).await;
    assert_eq!(values(&answer), vec![partner.clone()]);
    let label = answer["options"][0]["text"]["text"].as_str().unwrap();
    assert!(label.contains("Slack Connect"), "{label}");
}

#[tokio::test]
async fn a_pasted_id_is_fetched_at_once_and_found_by_name_afterwards() {
    let app = TestApp::start(json!([])).await;
    let admin = admin(&app);
    synced(&app).await;
    // Made after the sync, and no event told Herald.
    let fresh = app.emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "launch-2027".into(),
            ..ChannelSpec::default()
        },
    );
    let newcomer = app.emu.add_user(TEAM, "newcomer", "new@example.com");
    let view = add_modal(&app, &admin).await;
    assert!(values(&suggest(&app, &view, &admin, "channel", "launch").await).is_empty());

    let answer = suggest(
        &app,
        &view,
        &admin,
        "channel",
        &format!("<#{fresh}|launch-2027>"),
    )
    .await;
    assert_eq!(values(&answer), vec![fresh.clone()]);
    assert_eq!(answer["options"][0]["text"]["text"], "#launch-2027");
    assert_eq!(
        values(&suggest(&app, &view, &admin, "channel", "launch").await),
        [fresh]
    );

    assert_eq!(
        values(&suggest(&app, &view, &admin, "mentions", &newcomer).await),
        vec![newcomer.clone()]
    );
    assert_eq!(
        values(&suggest(&app, &view, &admin, "mentions", "newc").await),
        [newcomer]
    );
    assert!(values(&suggest(&app, &view, &admin, "channel", "C0NOSUCH99").await).is_empty());
}

#[tokio::test]
async fn events_keep_names_fresh_and_a_broken_channel_flags_its_rule() {
    let app = TestApp::start(json!([])).await;
    let admin = admin(&app);
    synced(&app).await;
    // The admin saves a rule in Slack: they own it.
    let view = add_modal(&app, &admin).await;
    let picked = json!({
        "event_type": {"event_type": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "Meeting booked"}, "value": "booking.created"}}},
        "channel": {"channel": {"type": "external_select", "selected_option": {
            "text": {"type": "plain_text", "text": "#general"}, "value": app.channels.general}}},
        "mentions": {"mentions": {"type": "multi_external_select", "selected_options": []}},
        "enabled": {"enabled": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": "Enabled"}, "value": "on"}]}}
    });
    let (_, answer) =
        crate::modals::interact(&app, &app.emu.view_submission(&view, &admin, picked)).await;
    assert_eq!(answer, Value::Null);

    // Renamed: the picker shows the new name, and the rule (by id) still delivers.
    deliver(
        &app,
        &app.emu
            .rename_channel(&app.channels.general, "general-2027"),
    )
    .await;
    let view = add_modal(&app, &admin).await;
    assert_eq!(
        values(&suggest(&app, &view, &admin, "channel", "2027").await),
        vec![app.channels.general.clone()]
    );
    let (_, body) = crate::helpers::json(app.send(&booking("booking.created", "mt_1")).await).await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    assert_eq!(app.posts(&app.channels.general).len(), 1);

    // Archived: the owner is told by DM with the fix, and App Home flags the rule.
    deliver(&app, &app.emu.archive_channel_event(&app.channels.general)).await;
    let dm = eventually(|| async {
        app.emu.calls_to("chat.postMessage").into_iter().find(|c| {
            c.args["text"]
                .as_str()
                .is_some_and(|t| t.contains("archived") && t.contains(&app.channels.general))
        })
    })
    .await;
    assert!(
        dm.args["channel"].as_str().unwrap().starts_with('D'),
        "a DM"
    );
    crate::home::open_home(&app, &admin, "EvDIR0001").await;
    let home = app.emu.home_view(TEAM, &admin).unwrap().to_string();
    assert!(home.contains("was archived"), "{home}");
    assert!(
        !values(&suggest(&app, &view, &admin, "channel", "2027").await)
            .contains(&app.channels.general),
        "an archived channel is not offered"
    );

    // Unarchived: the flag goes.
    deliver(
        &app,
        &app.emu.unarchive_channel_event(&app.channels.general),
    )
    .await;
    crate::home::open_home(&app, &admin, "EvDIR0002").await;
    let home = app.emu.home_view(TEAM, &admin).unwrap().to_string();
    assert!(!home.contains("was archived"), "{home}");

    // Herald removed from a private channel; a user group renamed; a person renamed.
    deliver(
        &app,
        &app.emu
            .remove_bot_from_channel(&app.channels.private_member, &admin),
    )
    .await;
    assert!(
        !values(&suggest(&app, &view, &admin, "channel", "secret").await)
            .contains(&app.channels.private_member)
    );
    let (group, created) = app.emu.add_usergroup_event(TEAM, "oncall", "On call", &[]);
    deliver(&app, &created).await;
    deliver(
        &app,
        &app.emu
            .update_usergroup(&group, Some("Support rota"), Some("rota"), None),
    )
    .await;
    assert_eq!(
        values(&suggest(&app, &view, &admin, "mentions", "rota").await),
        [group]
    );
    let (person, joined) = app.emu.add_user_event(TEAM, "kenji", "kenji@example.com");
    deliver(&app, &joined).await;
    deliver(
        &app,
        &app.emu
            .update_user(&person, Some("Kenji Mori"), Some("もりけん"), None),
    )
    .await;
    assert_eq!(
        values(&suggest(&app, &view, &admin, "mentions", "モリケン").await),
        [person]
    );
}

#[tokio::test]
async fn a_sync_pages_through_slack_and_waits_out_its_rate_limits() {
    let app = TestApp::start_with(
        json!([]),
        Options {
            directory: DirectorySettings {
                // Small pages so the sync pages; no spacing, so Slack's tier must push back.
                page_size: 7,
                page_interval: Duration::ZERO,
                ..DirectorySettings::default()
            },
            ..Options::default()
        },
    )
    .await;
    let admin = admin(&app);
    synced(&app).await;
    app.emu.add_channels_bulk(TEAM, 60);
    app.emu.add_users_bulk(TEAM, 200);
    // 20 calls a "minute", where a minute lasts a second.
    app.emu.enforce_rate_tiers(60.0);

    let response_url = app.emu.issue_response_url(TEAM);
    let form: Vec<(String, String)> =
        serde_urlencoded::from_str(&crate::commands::command_form(&admin, "sync")).unwrap();
    let form: Vec<(String, String)> = form
        .into_iter()
        .map(|(k, v)| {
            if k == "response_url" {
                (k, response_url.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    let answer = run_form(&app, serde_urlencoded::to_string(form).unwrap()).await;
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Syncing channels"),
        "{answer}"
    );
    let done = eventually(|| async {
        app.emu.responses(&response_url).into_iter().find(|r| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("Sync finished"))
        })
    })
    .await;
    assert_eq!(
        done["replace_original"], true,
        "the progress updates in place"
    );
    assert!(
        app.emu.responses(&response_url).len() <= 5,
        "within response_url's 5 uses"
    );

    let sync = synced(&app).await;
    // The usual six but #board (private, Herald not in it), and the bulk ones.
    let channels_in_slack = 5 + 60;
    assert_eq!(sync.channels, channels_in_slack, "{sync:?}");
    assert!(sync.users >= 201, "{sync:?}");
    assert!(
        app.emu.rate_limited("users.list") + app.emu.rate_limited("conversations.list") > 0,
        "Slack's tier pushed back and the sync waited"
    );
    let view = add_modal(&app, &admin).await;
    assert!(!values(&suggest(&app, &view, &admin, "mentions", "").await).is_empty());
}

#[tokio::test]
async fn pickers_answer_over_socket_mode_too() {
    let app = TestApp::start_with(
        json!([]),
        Options {
            socket_mode: true,
            ..Options::default()
        },
    )
    .await;
    let admin = admin(&app);
    synced(&app).await;
    let view = add_modal(&app, &admin).await;
    let payload = app
        .emu
        .block_suggestion(&view, &admin, TEAM, "channel", "channel", "gen");
    let ack = app
        .emu
        .socket_send("interactive", payload, Duration::from_secs(10))
        .await
        .expect("an ack with options");
    let options = &ack["payload"]["options"];
    assert_eq!(options[0]["value"], app.channels.general.as_str(), "{ack}");
}

/// The store's 0/1 columns come back as the bools that were written, on either backend,
/// and a value that is neither 0 nor 1 is an error rather than a guess.
#[tokio::test]
async fn directory_flags_read_back_as_written_and_a_stray_value_is_refused() {
    let (url, _dir) = crate::helpers::fresh_database().await;
    let store = herald::store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let row = |id: &str, private: bool, member: bool| herald::store::ChannelRow {
        id: id.into(),
        name: id.to_lowercase(),
        is_private: private,
        is_archived: !member,
        is_member: member,
        external_team: None,
        deleted: private && !member,
    };
    let written = vec![row("C1", false, true), row("G2", true, false)];
    store.upsert_channels(TEAM, &written).await.unwrap();

    let mut read = store.directory_channels(TEAM).await.unwrap();
    read.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(read, written);

    sqlx::query("UPDATE directory_channels SET deleted = 2 WHERE id = 'C1'")
        .execute(store.pool())
        .await
        .unwrap();
    let refused = store.directory_channels(TEAM).await.unwrap_err();
    assert!(refused.to_string().contains("0/1 flag"), "{refused}");
}
