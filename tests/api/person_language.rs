//! Notices meant for one person (the Undo/Send now offer, the held-reply prompt, a reply
//! that failed, the operator-link DMs) are in that person's Slack locale; the
//! workspace's language is only the fallback for people whose locale is neither ja nor en.

use serde_json::Value;

use crate::helpers::{TEAM, TestApp, eventually};
use crate::threads::{chat, deliver, message, parents, rules, send_settled, with_platform};

/// Texts Herald posted in `user`'s DM with it.
fn dm_texts(app: &TestApp, user: &str) -> Vec<String> {
    // Each DM opens the conversation again; Slack answers with the same id.
    let mut dms: Vec<String> = app
        .emu
        .calls_to("conversations.open")
        .into_iter()
        .filter(|c| c.args["users"] == user)
        .filter_map(|c| c.response["channel"]["id"].as_str().map(str::to_string))
        .collect();
    dms.dedup();
    dms.iter()
        .flat_map(|dm| app.posts(dm))
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect()
}

/// The first ephemeral in `channel` to `user` whose blocks or text contain `marker`.
async fn ephemeral_to(app: &TestApp, channel: &str, user: &str, marker: &str) -> Value {
    eventually(|| async {
        app.emu.ephemerals(channel).into_iter().find(|e| {
            e["user"] == user
                && (e["blocks"].to_string().contains(marker)
                    || e["text"].as_str().is_some_and(|t| t.contains(marker)))
        })
    })
    .await
}

/// The `n`th text in `user`'s DM with Herald, or a failure that says what Herald answered
/// the command and what it asked Slack for that DM (this wait once timed out in CI).
async fn eventually_or_explain(app: &TestApp, user: &str, answer: &Value, n: usize) -> String {
    let deadline = tokio::time::Instant::now() + crate::helpers::DEADLINE;
    loop {
        if let Some(text) = dm_texts(app, user).get(n).cloned() {
            return text;
        }
        if tokio::time::Instant::now() > deadline {
            let calls: Vec<String> = ["conversations.open", "chat.postMessage", "users.info"]
                .iter()
                .flat_map(|m| app.emu.calls_to(m))
                .map(|c| format!("{} {} -> {} {}", c.method, c.args, c.status, c.response))
                .collect();
            panic!(
                "DM {n} to {user} not seen; the command was answered {answer}; DM texts {:?}; calls:\n{}",
                dm_texts(app, user),
                calls.join("\n")
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn notices_to_one_person_are_in_their_own_slack_locale() {
    // The workspace speaks Japanese (the test default).
    let (app, _platform, operator) =
        with_platform(rules(), crate::helpers::Options::default()).await;
    app.emu.set_user_locale(&operator, "en-US");
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_l",
            message("m1", "こんにちは"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let general = app.channels.general.clone();

    // The operator (linked by email) writes to the customer: the undo offer is English.
    let (_, event) = app
        .emu
        .user_reply(&general, &thread_ts, &operator, "```Hello```");
    deliver(&app, &event).await;
    let offer = ephemeral_to(&app, &general, &operator, "herald_reply_undo").await;
    assert!(
        offer["text"]
            .as_str()
            .unwrap()
            .contains("Sending to the customer"),
        "{offer}"
    );
    assert!(offer["blocks"].to_string().contains("Undo"), "{offer}");

    // Two people the platform does not know reply: each is told in their own language.
    let visitor = app.emu.add_user(TEAM, "visitor", "visitor@example.com");
    app.emu.set_user_locale(&visitor, "en-GB");
    let colleague = app.emu.add_user(TEAM, "colleague", "colleague@example.com");
    app.emu.set_user_locale(&colleague, "ja-JP");
    for who in [&visitor, &colleague] {
        let (_, event) = app
            .emu
            .user_reply(&general, &thread_ts, who, "```we can help```");
        deliver(&app, &event).await;
    }
    let held_en = ephemeral_to(&app, &general, &visitor, "held").await;
    assert!(
        held_en["blocks"].to_string().contains("This reply is held"),
        "{held_en}"
    );
    let held_ja = ephemeral_to(&app, &general, &colleague, "保留中").await;
    assert!(
        !held_ja["blocks"].to_string().contains("This reply is held"),
        "{held_ja}"
    );

    // An admin links an operator to the English speaker, then moves it to the Japanese
    // one: each DM is in its reader's language.
    let admin = app.emu.add_user(TEAM, "admin2", "admin2@example.com");
    app.emu.set_user_role(&admin, true, false);
    // A command slower than Slack's deadline finishes after its answer: each link's DM is
    // awaited before the next command, so the second one surely moves the first.
    crate::commands::run(&app, &admin, &format!("operator link op_x <@{visitor}>")).await;
    let linked = eventually(|| async { dm_texts(&app, &visitor).into_iter().next() }).await;
    assert!(
        linked.contains("linked you to the platform operator"),
        "{linked}"
    );
    let answer =
        crate::commands::run(&app, &admin, &format!("operator link op_x <@{colleague}>")).await;
    let moved = eventually_or_explain(&app, &visitor, &answer, 1).await;
    assert!(moved.contains("moved the platform operator"), "{moved}");
    let to_colleague = eventually(|| async {
        let texts = dm_texts(&app, &colleague);
        (!texts.is_empty()).then_some(texts)
    })
    .await;
    assert!(
        to_colleague.iter().all(|t| t.contains("紐付けました")),
        "{to_colleague:?}"
    );
}

#[tokio::test]
async fn a_failed_reply_is_reported_to_its_author_in_their_locale() {
    // No callback URL is set: the reply cannot reach the platform.
    let app = TestApp::start(rules()).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_f",
            message("m1", "こんにちは"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    // The conversation's assignee, known by email.
    let operator = app.emu.add_user(TEAM, "op", "op@example.com");
    app.emu.set_user_locale(&operator, "en-US");
    let general = app.channels.general.clone();
    let (_, event) = app
        .emu
        .user_reply(&general, &thread_ts, &operator, "```Hello```");
    deliver(&app, &event).await;
    let told = ephemeral_to(&app, &general, &operator, "did not reach the platform").await;
    assert!(
        told["text"].as_str().unwrap().contains("no callback URL"),
        "{told}"
    );
}

#[tokio::test]
async fn a_profile_slack_will_not_give_falls_back_to_the_workspace_language() {
    let (app, _platform, operator) = with_platform(
        serde_json::json!([
            {"kind": "event", "event_type": "conversation.message.created", "channel": "#general",
             "replies": "off"}
        ]),
        crate::helpers::Options::default(),
    )
    .await;
    app.emu.set_user_locale(&operator, "en-US");
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_p",
            message("m1", "こんにちは"),
        ),
    )
    .await;
    let thread_ts = parents(&app)[0]["ts"].as_str().unwrap().to_string();
    let general = app.channels.general.clone();
    // Slack refuses the profile (`users.info`: user_not_visible, one of its documented
    // errors): the notice still comes, in the workspace's Japanese.
    app.emu.inject(
        "users.info",
        crate::slack_emulator::Fault::ApiError("user_not_visible".into()),
    );
    let (_, event) = app
        .emu
        .user_reply(&general, &thread_ts, &operator, "```Hello```");
    deliver(&app, &event).await;
    let told = ephemeral_to(&app, &general, &operator, "通知専用").await;
    assert!(
        !told["text"].as_str().unwrap().contains("only alerts"),
        "{told}"
    );
    assert_eq!(
        app.emu
            .calls_to("users.info")
            .iter()
            .filter(|c| c.status == 200 && c.response["ok"] == false)
            .count(),
        1,
        "the refused lookup was the notice's"
    );
}
