//! The tools around a rule: preview, test send (Home, modal, command), edit and delete
//! by code, and import from a modal, driven as Slack drives them.

use serde_json::{Value, json};

use crate::commands::{command_form_with_trigger, run, run_form};
use crate::helpers::{TEAM, TestApp, booking, eventually, json as answer_json};
use crate::home::{open_home, press};
use crate::modals::interact;

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "channel": "#general", "mentions": ["U0AAA111"]},
        {"kind": "event", "event_type": "booking.created", "channel": "#board"}
    ])
}

fn admin(app: &TestApp) -> String {
    let id = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&id, true, false);
    app.emu.set_user_locale(&id, "en-US");
    id
}

/// The text of every block of a view, for assertions on what the user sees.
fn shown(view: &Value) -> String {
    view["blocks"].to_string()
}

/// Runs a command with a fresh trigger and returns the modal it opened.
async fn command_modal(app: &TestApp, user: &str, text: &str) -> Value {
    let modals = || -> Vec<Value> {
        app.emu
            .views_opened()
            .into_iter()
            .filter(|v| v["type"] == "modal")
            .collect()
    };
    let before = modals().len();
    let trigger = app.emu.issue_trigger(TEAM, user);
    let answer = run_form(app, command_form_with_trigger(user, text, &trigger)).await;
    assert!(
        answer.is_null() || answer.as_object().is_some_and(serde_json::Map::is_empty),
        "{answer}"
    );
    let views = modals();
    assert_eq!(views.len(), before + 1, "one modal opened for {text:?}");
    views.last().unwrap().clone()
}

/// The modal opened last (Home views are views too).
fn last_modal(app: &TestApp) -> Value {
    app.emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["type"] == "modal")
        .expect("a modal")
}

/// A signed command form whose `response_url` points at the emulator.
fn with_response_url(user: &str, text: &str, response_url: &str) -> String {
    let form: Vec<(String, String)> =
        serde_urlencoded::from_str(&crate::commands::command_form(user, text)).unwrap();
    let form: Vec<(String, String)> = form
        .into_iter()
        .map(|(k, v)| {
            if k == "response_url" {
                (k, response_url.to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    serde_urlencoded::to_string(form).unwrap()
}

async fn view_eventually_shows(app: &TestApp, view_id: &str, needle: &str) -> Value {
    eventually(|| async { app.emu.view(view_id).filter(|v| shown(v).contains(needle)) }).await
}

#[tokio::test]
async fn a_test_from_home_posts_like_a_real_event_and_reports_the_outcome() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    // A real booking first: the test reuses its fields, but never pings its host.
    let (_, body) = answer_json(app.send(&booking("booking.created", "mt_1")).await).await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    open_home(&app, &admin, "EvTOOLS1").await;
    let rules = app.store.rules(TEAM).await.unwrap();
    let (to_general, to_board) = (&rules[0], &rules[1]);
    assert!(
        shown(&app.emu.home_view(TEAM, &admin).unwrap()).contains("herald_test_rule_home"),
        "each rule has a test button"
    );

    press(&app, &admin, "herald_test_rule_home", Some(&to_general.id)).await;
    let opened = last_modal(&app);
    let view_id = opened["id"].as_str().unwrap();
    view_eventually_shows(&app, view_id, "The test notification is in").await;
    let post = app.posts(&app.channels.general).pop().unwrap();
    let text = post.to_string();
    assert!(
        text.contains("[テスト送信]") || text.contains("[Test send]"),
        "{text}"
    );
    assert!(text.contains("<@U0AAA111>"), "the rule's mentions: {text}");
    assert!(
        text.contains("山田 太郎"),
        "the latest real event's fields: {text}"
    );
    assert!(
        !text.contains("<@U0HOST01>"),
        "no host pinged by a test: {text}"
    );

    // A private channel Herald is not in: the fix, in the modal; no error report.
    press(&app, &admin, "herald_test_rule_home", Some(&to_board.id)).await;
    let view_id = last_modal(&app)["id"].as_str().unwrap().to_string();
    let view = view_eventually_shows(&app, &view_id, "could not be sent").await;
    assert!(shown(&view).contains("/invite @Herald"), "{view}");
    assert!(
        app.posts(&app.channels.errors).is_empty(),
        "a test's failure is the tester's to see"
    );
}

#[tokio::test]
async fn members_cannot_test_and_nothing_is_posted() {
    let app = TestApp::start(rules()).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    open_home(&app, &member, "EvTOOLS2").await;
    let rule_id = app.store.rules(TEAM).await.unwrap()[0].id.clone();
    press(&app, &member, "herald_test_rule_home", Some(&rule_id)).await;
    let view = last_modal(&app);
    assert!(shown(&view).contains("admin"), "{view}");
    let answer = run(
        &app,
        &member,
        &format!("test {}", &rule_id[rule_id.len() - 6..]),
    )
    .await;
    assert!(
        answer["text"].as_str().unwrap().contains("admin"),
        "{answer}"
    );
    assert!(app.posts(&app.channels.general).is_empty());
}

#[tokio::test]
async fn test_by_command_answers_at_once_and_posts() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    let listed = run(&app, &admin, "list").await.to_string();
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    let code = &rule.id[rule.id.len() - 6..];
    assert!(
        listed.contains(&format!("`{code}`")),
        "list shows codes: {listed}"
    );

    // The answer comes at once; the outcome follows through the command's response_url.
    let response_url = app.emu.issue_response_url(TEAM);
    let answer = run_form(
        &app,
        with_response_url(&admin, &format!("test {code}"), &response_url),
    )
    .await;
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Sending a test notification"),
        "{answer}"
    );
    let outcome = eventually(|| async { app.emu.responses(&response_url).pop() }).await;
    assert!(
        outcome["text"]
            .as_str()
            .unwrap()
            .contains("The test notification is in"),
        "{outcome}"
    );
    assert!(app.posts(&app.channels.general).pop().is_some());

    // Archived meanwhile: the outcome says so and what to do.
    app.emu.archive_channel(&app.channels.general);
    let response_url = app.emu.issue_response_url(TEAM);
    run_form(
        &app,
        with_response_url(&admin, &format!("test {code}"), &response_url),
    )
    .await;
    let outcome = eventually(|| async { app.emu.responses(&response_url).pop() }).await;
    assert!(
        outcome["text"].as_str().unwrap().contains("archived"),
        "{outcome}"
    );

    let answer = run(&app, &admin, "test zzzzzz").await;
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("No rule has the code"),
        "{answer}"
    );
}

#[tokio::test]
async fn edit_by_code_opens_the_modal_with_a_preview_and_a_test_button() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    let code = rule.id[rule.id.len() - 6..].to_uppercase();

    let modal = command_modal(&app, &admin, &format!("edit {code}")).await;
    assert_eq!(modal["callback_id"], "herald_rule_edit");
    let text = shown(&modal);
    assert!(text.contains("from a sample"), "no event yet: {text}");
    assert!(text.contains("<@U0AAA111>"), "the preview mentions: {text}");

    let (_, body) = answer_json(app.send(&booking("booking.created", "mt_1")).await).await;
    app.settled(body["event_id"].as_str().unwrap()).await;
    let modal = command_modal(&app, &admin, &format!("edit {code}")).await;
    let text = shown(&modal);
    assert!(text.contains("from the latest event"), "{text}");
    assert!(text.contains("山田 太郎"), "{text}");

    // "Send test" inside the modal: the outcome appears under the preview.
    let view_id = modal["id"].as_str().unwrap();
    let action = json!({"type": "button", "action_id": "herald_test_rule", "block_id": "herald_preview_9",
        "text": {"type": "plain_text", "text": "Send test"}});
    let (status, _) = interact(
        &app,
        &app.emu
            .block_actions(Some(view_id), &admin, TEAM, json!([action])),
    )
    .await;
    assert_eq!(status, 200);
    let view = view_eventually_shows(&app, view_id, "The test notification is in").await;
    assert_eq!(
        view["callback_id"], "herald_rule_edit",
        "still the edit modal"
    );
    let channel_block = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "channel")
        .unwrap();
    assert_eq!(
        channel_block["element"]["initial_option"]["value"],
        app.channels.general.as_str(),
        "the form is untouched"
    );
    let known = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == "known_meeting_type")
        .expect("the meeting types received are offered");
    assert!(known.to_string().contains("mt_1"), "{known}");
}

#[tokio::test]
async fn choosing_an_event_redraws_the_preview() {
    let app = TestApp::start(json!([])).await;
    let admin = admin(&app);
    let modal = command_modal(&app, &admin, "add").await;
    assert!(shown(&modal).contains("Choose an event to see a preview"));
    let view_id = modal["id"].as_str().unwrap();
    let action = json!({"type": "static_select", "action_id": "event_type", "block_id": "event_type",
        "selected_option": {"text": {"type": "plain_text", "text": "Meeting cancelled"}, "value": "booking.cancelled"}});
    let (status, _) = interact(
        &app,
        &app.emu
            .block_actions(Some(view_id), &admin, TEAM, json!([action])),
    )
    .await;
    assert_eq!(status, 200);
    let view = view_eventually_shows(&app, view_id, "from a sample").await;
    assert!(shown(&view).contains("booking.cancelled"), "{view}");
    assert_eq!(view["callback_id"], "herald_rule_add");
    assert!(
        shown(&view).contains("Once saved, send a test"),
        "an unsaved rule cannot be tested yet"
    );
}

#[tokio::test]
async fn delete_by_code_asks_first_and_never_deletes_a_rule_changed_meanwhile() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    let rules = app.store.rules(TEAM).await.unwrap();
    let code = |r: &herald::core::rule::Rule| r.id[r.id.len() - 6..].to_string();

    let modal = command_modal(&app, &admin, &format!("delete {}", code(&rules[0]))).await;
    assert_eq!(modal["callback_id"], "herald_rule_delete");
    assert_eq!(
        app.store.rules(TEAM).await.unwrap().len(),
        2,
        "nothing deleted yet"
    );
    let (_, answer) = interact(
        &app,
        &app.emu
            .view_submission(modal["id"].as_str().unwrap(), &admin, json!({})),
    )
    .await;
    assert_eq!(answer["response_action"], "update");
    assert!(
        answer.to_string().contains("The rule is deleted"),
        "{answer}"
    );
    let left = app.store.rules(TEAM).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, rules[1].id);

    // Someone edits the rule while the dialog is open: the delete is refused.
    let modal = command_modal(&app, &admin, &format!("delete {}", code(&rules[1]))).await;
    let version = app
        .store
        .rule_version(TEAM, &rules[1].id)
        .await
        .unwrap()
        .unwrap();
    let changed = herald::core::rule::NewRule {
        trigger: rules[1].trigger.clone(),
        channel: rules[1].channel.clone(),
        mentions: rules[1].mentions.clone(),
        enabled: false,
        backup: None,
        lifecycle: Default::default(),
        options: Default::default(),
    };
    app.store
        .update_rule(TEAM, &rules[1].id, version, &changed, "U0OTHER")
        .await
        .unwrap();
    let (_, answer) = interact(
        &app,
        &app.emu
            .view_submission(modal["id"].as_str().unwrap(), &admin, json!({})),
    )
    .await;
    assert!(
        answer.to_string().contains("Someone else changed"),
        "{answer}"
    );
    assert_eq!(app.store.rules(TEAM).await.unwrap().len(), 1);
}

#[tokio::test]
async fn import_from_a_modal_is_all_or_nothing_with_the_problem_inline() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app);
    let pasted = |text: &str| json!({"rules_json": {"rules_json": {"type": "plain_text_input", "value": text}}});
    let submit = |text: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let modal = command_modal(app, &admin, "import").await;
            assert_eq!(modal["callback_id"], "herald_rules_import");
            interact(
                app,
                &app.emu
                    .view_submission(modal["id"].as_str().unwrap(), &admin, pasted(&text)),
            )
            .await
            .1
        }
    };

    let answer = submit("not json".into()).await;
    assert_eq!(answer["response_action"], "errors");
    assert!(answer["errors"]["rules_json"].is_string(), "{answer}");

    let bad = json!([
        {"kind": "event", "event_type": "booking.created", "channel": app.channels.general},
        {"kind": "event", "event_type": "booking.created", "channel": "#nope"}
    ]);
    let answer = submit(bad.to_string()).await;
    assert!(
        answer["errors"]["rules_json"]
            .as_str()
            .unwrap()
            .contains("[1]"),
        "the bad entry is named: {answer}"
    );
    assert_eq!(
        app.store.rules(TEAM).await.unwrap().len(),
        2,
        "nothing changed"
    );

    let good = json!([
        {"kind": "error", "categories": ["delivery"], "channel": app.channels.errors}
    ]);
    let answer = submit(good.to_string()).await;
    assert_eq!(answer["response_action"], "update");
    assert!(answer.to_string().contains("Imported 1 rule."), "{answer}");
    let rules = app.store.rules(TEAM).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].channel.as_str(), app.channels.errors);
}

/// Slack wants an interaction answered within 3 seconds (and a Socket Mode connection
/// carries other envelopes meanwhile): "Send test" answers at once, while Slack is still
/// answering the post, and the view shows the outcome once it is known.
#[tokio::test]
async fn send_test_answers_at_once_and_shows_the_outcome_when_it_is_known() {
    use crate::slack_emulator::Fault;
    use std::time::Duration;

    // The post takes longer than Slack's 3 s (and a lease long enough not to retry it).
    let mut options = crate::helpers::Options::default();
    options.delivery.lease = Duration::from_secs(30);
    let app = TestApp::start_with(rules(), options).await;
    let admin = admin(&app);
    open_home(&app, &admin, "EvTOOLS9").await;
    let rule = app.store.rules(TEAM).await.unwrap().remove(0);
    let code = rule.id[rule.id.len() - 6..].to_uppercase();

    // From App Home.
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_secs(4)));
    press(&app, &admin, "herald_test_rule_home", Some(&rule.id)).await;
    assert!(
        app.emu.calls_to("chat.postMessage").is_empty(),
        "the interaction was answered only after the post"
    );
    let view_id = last_modal(&app)["id"].as_str().unwrap().to_string();
    assert!(
        shown(&app.emu.view(&view_id).unwrap()).contains("Sending a test notification"),
        "the modal says the test is on its way"
    );
    view_eventually_shows(&app, &view_id, "The test notification is in").await;
    assert_eq!(app.emu.calls_to("chat.postMessage").len(), 1);

    // Inside the rule modal.
    let modal = command_modal(&app, &admin, &format!("edit {code}")).await;
    let view_id = modal["id"].as_str().unwrap().to_string();
    app.emu
        .inject("chat.postMessage", Fault::Delay(Duration::from_secs(4)));
    let action = json!({"type": "button", "action_id": "herald_test_rule", "block_id": "herald_preview_9",
        "text": {"type": "plain_text", "text": "Send test"}});
    let (status, _) = interact(
        &app,
        &app.emu
            .block_actions(Some(&view_id), &admin, TEAM, json!([action])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.emu.calls_to("chat.postMessage").len(),
        1,
        "the interaction was answered only after the second post"
    );
    let view = view_eventually_shows(&app, &view_id, "The test notification is in").await;
    assert_eq!(
        view["callback_id"], "herald_rule_edit",
        "still the edit modal"
    );
    assert_eq!(app.emu.calls_to("chat.postMessage").len(), 2);
}
