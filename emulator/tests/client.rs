//! What a Slack client sends, as the emulator builds it for the playground: slash
//! commands, `block_actions` from a message, a modal's life (submitted, answered with each
//! `response_action`, closed) and `app_home_opened`. Each shape is held to Slack's own
//! examples (the bolt-python fixtures in `../shared/slack-fixtures/`, copied beside
//! Herald's tests in `tests/fixtures/slack/`) and parsed with slack-morphism's models, as an
//! app would parse it.

use emulator::slack::{ChannelSpec, SlackEmulator, SubmissionOutcome, Workspace};
use serde_json::{Value, json};
use slack_morphism::prelude::*;

const TEAM: &str = "T0CLIENT1";

struct World {
    emu: SlackEmulator,
    ws: Workspace,
    user: String,
    channel: String,
}

async fn world() -> World {
    let emu = SlackEmulator::start().await;
    let ws = emu.add_workspace(TEAM, "Client Co");
    let user = emu.add_user(TEAM, "kim", "kim@client.example");
    let channel = emu.add_channel(
        TEAM,
        ChannelSpec {
            name: "general".into(),
            bot_member: true,
            ..ChannelSpec::default()
        },
    );
    emu.add_member(&channel, &user);
    World {
        emu,
        ws,
        user,
        channel,
    }
}

/// A fixture's `data`, from Herald's copy of Slack's SDK fixtures.
fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/slack/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Value>(&text).expect("fixture JSON")["data"].clone()
}

/// Calls a Web API method with the bot token, JSON body.
async fn call(w: &World, method: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/{method}", w.emu.api_url()))
        .bearer_auth(&w.ws.bot_token)
        .json(&body)
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("JSON")
}

fn modal(title: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": "pick",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "notify_on_close": true,
        "blocks": [{"type": "input", "block_id": "name",
                    "label": {"type": "plain_text", "text": "Name"},
                    "element": {"type": "plain_text_input", "action_id": "name"}}]
    })
}

/// Opens a modal for the world's user, as an app does with a trigger.
async fn open(w: &World, title: &str) -> String {
    let trigger = w.emu.issue_trigger(TEAM, &w.user);
    let answer = call(
        w,
        "views.open",
        json!({"trigger_id": trigger, "view": modal(title)}),
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    answer["view"]["id"]
        .as_str()
        .expect("a view id")
        .to_string()
}

fn title(view: &Value) -> &str {
    view["title"]["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_slash_command_has_the_fields_of_slacks_form_and_a_working_response_url_and_trigger() {
    let w = world().await;
    let fields = w
        .emu
        .slash_command(TEAM, &w.user, &w.channel, "/herald", "add");
    let fixture: Vec<(String, String)> = serde_urlencoded::from_str(
        fixture("slash_command_form")
            .as_str()
            .expect("the fixture is a form"),
    )
    .expect("a form");
    for (key, _) in fixture
        .iter()
        .filter(|(k, _)| !k.starts_with("enterprise_"))
    {
        assert!(
            fields.iter().any(|(k, _)| k == key),
            "{key} of Slack's slash command form is missing: {fields:?}"
        );
    }
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("channel_name"), "general");
    assert_eq!(get("text"), "add");
    let form = serde_urlencoded::to_string(&fields).expect("a form");
    let parsed: SlackCommandEvent =
        serde_urlencoded::from_str(&form).expect("slack-morphism parses it");
    assert_eq!(parsed.user_id.to_string(), w.user);
    assert_eq!(parsed.channel_id.to_string(), w.channel);

    let posted = reqwest::Client::new()
        .post(get("response_url"))
        .json(&json!({"text": "only for you"}))
        .send()
        .await
        .expect("the response_url answers");
    assert_eq!(posted.status(), 200);
    assert_eq!(
        w.emu.responses(&get("response_url"))[0]["text"],
        "only for you"
    );
    let opened = call(
        &w,
        "views.open",
        json!({"trigger_id": get("trigger_id"), "view": modal("From a command")}),
    )
    .await;
    assert_eq!(
        opened["ok"], true,
        "the command's trigger opens a modal: {opened}"
    );

    let dm = w.emu.dm_with(TEAM, &w.user);
    let in_dm = w.emu.slash_command(TEAM, &w.user, &dm, "/herald", "");
    assert!(in_dm.contains(&("channel_name".into(), "directmessage".into())));
}

#[tokio::test]
async fn a_button_in_a_message_sends_block_actions_shaped_as_slacks_with_the_message() {
    let w = world().await;
    let posted = call(
        &w,
        "chat.postMessage",
        json!({"channel": w.channel, "text": "Approve?",
               "blocks": [{"type": "actions", "block_id": "b", "elements": [
                   {"type": "button", "action_id": "a", "value": "yes", "text": {"type": "plain_text", "text": "Yes"}}]}]}),
    )
    .await;
    let ts = posted["ts"].as_str().expect("a ts");
    let action = json!({"type": "button", "action_id": "a", "block_id": "b", "value": "yes",
                        "text": {"type": "plain_text", "text": "Yes"}});
    let payload = w
        .emu
        .message_block_actions(&w.channel, ts, &w.user, false, action.clone())
        .expect("the message exists");
    let slack = fixture("block_actions");
    for key in slack.as_object().expect("an object").keys() {
        assert!(
            payload.get(key).is_some(),
            "{key} of Slack's block_actions is missing: {payload}"
        );
    }
    assert_eq!(payload["container"]["type"], "message");
    assert_eq!(payload["container"]["is_ephemeral"], false);
    assert_eq!(payload["message"]["ts"], ts);
    assert!(payload["actions"][0]["action_ts"].is_string());
    let parsed: SlackInteractionEvent =
        serde_json::from_value(payload).expect("slack-morphism parses it");
    assert!(matches!(parsed, SlackInteractionEvent::BlockActions(_)));

    let ephemeral = w
        .emu
        .message_block_actions(
            &w.channel,
            "1700000000.000100",
            &w.user,
            true,
            action.clone(),
        )
        .expect("an ephemeral message is not looked up");
    assert!(
        ephemeral.get("message").is_none(),
        "Slack sends no message for an ephemeral one"
    );
    assert!(
        w.emu
            .message_block_actions(&w.channel, "1.000001", &w.user, false, action)
            .is_none(),
        "no payload for a message that does not exist"
    );
}

#[tokio::test]
async fn a_modal_follows_each_response_action_as_slack_applies_it() {
    let w = world().await;
    let first = open(&w, "First").await;
    let shown = |w: &World| w.emu.open_modal(TEAM, &w.user);

    let errors = json!({"response_action": "errors", "errors": {"name": "Say a name"}});
    assert_eq!(
        w.emu.answer_submission(&first, &errors),
        SubmissionOutcome::Errors(json!({"name": "Say a name"}))
    );
    assert_eq!(
        shown(&w).map(|v| v["id"].clone()),
        Some(json!(first)),
        "errors keep the modal open"
    );

    let update = json!({"response_action": "update", "view": modal("Updated")});
    assert_eq!(
        w.emu.answer_submission(&first, &update),
        SubmissionOutcome::Updated
    );
    let now = shown(&w).expect("still open");
    assert_eq!(
        (now["id"].as_str(), title(&now)),
        (Some(first.as_str()), "Updated")
    );

    let push = json!({"response_action": "push", "view": modal("Pushed")});
    let SubmissionOutcome::Pushed(second) = w.emu.answer_submission(&first, &push) else {
        panic!("push answers with the new view");
    };
    let top = shown(&w).expect("the pushed view");
    assert_eq!(
        (top["id"].as_str(), title(&top)),
        (Some(second.as_str()), "Pushed")
    );
    assert_eq!(top["previous_view_id"], json!(first));

    assert_eq!(
        w.emu.answer_submission(&second, &Value::Null),
        SubmissionOutcome::Closed
    );
    assert_eq!(
        shown(&w).map(|v| v["id"].clone()),
        Some(json!(first)),
        "the view below shows again"
    );

    let bad = json!({"response_action": "update", "view": {"type": "modal"}});
    assert!(matches!(
        w.emu.answer_submission(&first, &bad),
        SubmissionOutcome::Refused(_)
    ));
    assert!(matches!(
        w.emu
            .answer_submission(&first, &json!({"response_action": "dance"})),
        SubmissionOutcome::Refused(_)
    ));

    let _third = call(
        &w,
        "views.push",
        json!({"trigger_id": w.emu.issue_trigger(TEAM, &w.user), "view": modal("Third")}),
    )
    .await;
    assert_eq!(
        w.emu
            .answer_submission(&first, &json!({"response_action": "clear"})),
        SubmissionOutcome::Cleared
    );
    assert!(shown(&w).is_none(), "clear closes the whole stack");
}

#[tokio::test]
async fn closing_a_modal_sends_view_closed_only_when_the_view_asked() {
    let w = world().await;
    let view = open(&w, "Notify me").await;
    let closed = w.emu.close_modal(&view, &w.user).expect("notify_on_close");
    assert_eq!(closed["type"], "view_closed");
    assert_eq!(closed["view"]["id"], json!(view));
    let parsed: SlackInteractionEvent =
        serde_json::from_value(closed).expect("slack-morphism parses it");
    assert!(matches!(parsed, SlackInteractionEvent::ViewClosed(_)));
    assert!(w.emu.open_modal(TEAM, &w.user).is_none());

    let trigger = w.emu.issue_trigger(TEAM, &w.user);
    let mut quiet = modal("Quiet");
    quiet["notify_on_close"] = json!(false);
    let answer = call(
        &w,
        "views.open",
        json!({"trigger_id": trigger, "view": quiet}),
    )
    .await;
    let id = answer["view"]["id"].as_str().expect("an id");
    assert!(w.emu.close_modal(id, &w.user).is_none());
    assert!(w.emu.close_modal("V_NOT_THERE", &w.user).is_none());
}

#[tokio::test]
async fn opening_the_home_tab_sends_app_home_opened_with_the_dm_and_the_published_view() {
    let w = world().await;
    let before = w.emu.open_app_home(TEAM, &w.user, "home");
    let example = fixture("app_home_opened");
    for key in example["event"].as_object().expect("an event").keys() {
        assert!(
            before["event"].get(key).is_some(),
            "{key} is missing: {before}"
        );
    }
    assert_eq!(
        before["event"]["channel"],
        json!(w.emu.dm_with(TEAM, &w.user))
    );
    assert!(
        before["event"].get("view").is_none(),
        "nothing published yet"
    );
    let parsed: SlackPushEvent = serde_json::from_value(before).expect("slack-morphism parses it");
    assert!(matches!(parsed, SlackPushEvent::EventCallback(_)));

    let published = call(
        &w,
        "views.publish",
        json!({"user_id": w.user, "view": {"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}]}}),
    )
    .await;
    assert_eq!(published["ok"], true, "{published}");
    let after = w.emu.open_app_home(TEAM, &w.user, "home");
    assert_eq!(after["event"]["view"]["type"], "home");
}

/// The same workspace, seeded again in the same order (as `herald try` does each run).
async fn same_world() -> World {
    world().await
}

#[tokio::test]
async fn a_snapshot_restores_the_history_into_the_same_workspace_seeded_again() {
    let w = world().await;
    let parent = call(
        &w,
        "chat.postMessage",
        json!({"channel": w.channel, "text": "Parent"}),
    )
    .await;
    let parent_ts = parent["ts"].as_str().expect("a ts").to_string();
    let (reply_ts, _) = w.emu.user_reply(&w.channel, &parent_ts, &w.user, "A reply");
    w.emu.user_edit(&w.channel, &reply_ts, "A reply, edited");
    let reacted = call(
        &w,
        "reactions.add",
        json!({"channel": w.channel, "timestamp": parent_ts, "name": "eyes"}),
    )
    .await;
    assert_eq!(reacted["ok"], true, "{reacted}");
    let dm = w.emu.dm_with(TEAM, &w.user);
    call(
        &w,
        "chat.postMessage",
        json!({"channel": dm, "text": "In the DM"}),
    )
    .await;
    let snapshot = w.emu.snapshot();

    let again = same_world().await;
    assert_eq!(
        again.channel, w.channel,
        "seeding in the same order gives the same ids"
    );
    let restored = again.emu.restore(&snapshot).expect("restored");
    assert_eq!(restored, 3);
    assert_eq!(again.emu.messages(&w.channel), w.emu.messages(&w.channel));
    assert_eq!(again.emu.messages(&dm), w.emu.messages(&dm));
    assert_eq!(again.emu.dm_with(TEAM, &w.user), dm, "the DM keeps its id");
    let later = call(
        &again,
        "chat.postMessage",
        json!({"channel": w.channel, "text": "Later", "thread_ts": parent_ts}),
    )
    .await;
    assert_eq!(later["ok"], true, "a reply in a restored thread: {later}");
    assert!(
        later["ts"].as_str().unwrap_or_default() > reply_ts.as_str(),
        "new messages come after the restored ones"
    );
    assert_ne!(
        again.emu.add_user(TEAM, "new", "new@client.example"),
        w.user
    );
}

#[tokio::test]
async fn a_snapshot_of_another_shape_is_refused_and_changes_nothing() {
    let w = world().await;
    call(
        &w,
        "chat.postMessage",
        json!({"channel": w.channel, "text": "Kept"}),
    )
    .await;
    let before = w.emu.messages(&w.channel);
    let mut wrong = w.emu.snapshot();
    wrong["version"] = json!(99);
    assert!(w.emu.restore(&wrong).is_err());
    // The first entry alone would empty the channel; the second cannot be read.
    let mut broken = w.emu.snapshot();
    broken["channels"] = json!([
        {"id": w.channel, "team_id": TEAM, "messages": []},
        {"id": w.channel, "team_id": TEAM, "messages": [{"text": "no ts"}]},
    ]);
    assert!(w.emu.restore(&broken).is_err(), "a message without its ts");
    assert_eq!(
        w.emu.messages(&w.channel),
        before,
        "nothing restored from a bad snapshot"
    );
}

#[tokio::test]
async fn an_external_selects_min_query_length_is_read_where_slack_puts_it() {
    let w = world().await;
    let label = json!({"type": "plain_text", "text": "Pick"});
    let view = json!({
        "type": "modal",
        "title": {"type": "plain_text", "text": "Selects"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {"block_id": "channel", "type": "input", "label": label,
             "element": {"type": "external_select", "action_id": "channel", "min_query_length": 0}},
            {"block_id": "mentions", "type": "input", "label": label,
             "element": {"type": "multi_external_select", "action_id": "mentions"}},
            {"block_id": "pick", "type": "section", "text": {"type": "mrkdwn", "text": "Pick"},
             "accessory": {"type": "external_select", "action_id": "p", "min_query_length": 2}},
            {"block_id": "plain", "type": "input", "label": label,
             "element": {"type": "static_select", "action_id": "plain",
                         "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}]}},
        ]
    });
    let trigger = w.emu.issue_trigger(TEAM, &w.user);
    let opened = call(
        &w,
        "views.open",
        json!({"trigger_id": trigger, "view": view}),
    )
    .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let id = opened["view"]["id"].as_str().expect("an id");
    let table = [
        ("channel", "channel", Some(0)),
        ("mentions", "mentions", Some(3)),
        ("pick", "p", Some(2)),
        ("plain", "plain", None),
        ("channel", "other", None),
        ("missing", "channel", None),
    ];
    for (block, action, want) in table {
        assert_eq!(
            w.emu.suggestion_min_length(id, block, action),
            want,
            "{block}/{action}"
        );
    }
    assert_eq!(
        w.emu.suggestion_min_length("V_NONE", "channel", "channel"),
        None
    );
}
