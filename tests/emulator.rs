//! Exercises the Slack emulator through the real slack-morphism client (and raw HTTP where
//! slack-morphism has no wrapper), so the emulator is known to speak Slack's shapes.

use emulator::slack as slack_emulator;

use emulator::platform as fake_platform;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use slack_emulator::{ChannelSpec, Fault, SlackEmulator, Workspace, sign_slack_request};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

fn client(emu: &SlackEmulator) -> Arc<SlackHyperClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("no CA roots found: install ca-certificates")
        .https_or_http()
        .enable_http1()
        .build();
    Arc::new(SlackClient::new(
        SlackClientHyperConnector::from(https).with_slack_api_url(&emu.api_url()),
    ))
}

fn token(value: &str) -> SlackApiToken {
    SlackApiToken::new(value.to_string().into())
}

async fn setup() -> (SlackEmulator, Workspace, Arc<SlackHyperClient>) {
    let emu = SlackEmulator::start().await;
    let ws = emu.add_workspace("T0001", "Acme Corp");
    let client = client(&emu);
    (emu, ws, client)
}

fn post_req(channel: &str, text: &str) -> SlackApiChatPostMessageRequest {
    SlackApiChatPostMessageRequest::new(
        channel.to_string().into(),
        SlackMessageContent::new().with_text(text.to_string()),
    )
}

fn api_code<T: std::fmt::Debug>(result: Result<T, SlackClientError>) -> String {
    match result {
        Err(SlackClientError::ApiError(e)) => e.code,
        other => panic!("expected a Slack API error, got {other:?}"),
    }
}

/// Posts a raw JSON body through slack-morphism (for payloads its models would not build).
async fn raw_post(
    client: &SlackHyperClient,
    tok: &str,
    method: &str,
    body: &Value,
) -> Result<Value, SlackClientError> {
    let t = token(tok);
    let session = client.open_session(&t);
    session.http_session_api.http_post(method, body, None).await
}

async fn raw_get(
    client: &SlackHyperClient,
    tok: &str,
    method: &str,
    params: &[(&str, Option<&str>)],
) -> Result<Value, SlackClientError> {
    let t = token(tok);
    let session = client.open_session(&t);
    let params = params.to_vec();
    session
        .http_session_api
        .http_get(method, &params, None)
        .await
}

#[test]
fn signature_matches_slack_docs_example() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        sign_slack_request("8f742231b10e8888abcd99yyyzzz85a5", 1_531_420_618, body),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}

#[tokio::test]
async fn auth_test_and_post_message_shape() {
    let (emu, ws, client) = setup().await;
    let channel = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "alerts".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let auth = session.auth_test().await.expect("auth.test");
    assert_eq!(auth.team_id.0, "T0001");
    assert_eq!(auth.user_id.0, ws.bot_user_id);
    assert_eq!(auth.bot_id.map(|b| b.0), Some(ws.bot_id.clone()));
    assert_eq!(auth.team, "Acme Corp");

    let blocks = vec![
        SlackBlock::from(SlackHeaderBlock::new("Deploy finished".into())),
        SlackBlock::from(SlackSectionBlock::new().with_text(md!("*api* is live"))),
    ];
    let req = SlackApiChatPostMessageRequest::new(
        channel.clone().into(),
        SlackMessageContent::new()
            .with_text("Deploy finished".into())
            .with_blocks(blocks),
    );
    let first = session.chat_post_message(&req).await.expect("post");
    assert_eq!(first.channel.0, channel);
    assert_eq!(first.message.origin.ts, first.ts);
    assert_eq!(
        first.message.sender.bot_id.as_ref().map(|b| b.0.as_str()),
        Some(ws.bot_id.as_str())
    );
    assert_eq!(
        first.message.sender.user.as_ref().map(|u| u.0.as_str()),
        Some(ws.bot_user_id.as_str())
    );
    assert_eq!(first.message.content.blocks.as_ref().map(Vec::len), Some(2));

    let second = session
        .chat_post_message(&post_req("alerts", "by name"))
        .await
        .expect("post by #name");
    assert_eq!(second.channel.0, channel, "channel names resolve to ids");
    let (a, b) = (first.ts.0.clone(), second.ts.0.clone());
    assert!(
        b.parse::<f64>().unwrap() > a.parse::<f64>().unwrap(),
        "ts increases: {a} < {b}"
    );
    assert!(a.contains('.') && a.split('.').nth(1).unwrap().len() == 6);

    let stored = emu.messages(&channel);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["type"], "message");
    assert_eq!(stored[0]["text"], "Deploy finished");
    assert_eq!(stored[0]["bot_id"], ws.bot_id.as_str());
    assert_eq!(stored[0]["ts"], a.as_str());
    // Slack fills in block ids and text defaults.
    assert!(stored[0]["blocks"][0]["block_id"].is_string());
    assert_eq!(stored[0]["blocks"][0]["text"]["emoji"], true);

    let calls = emu.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].token.as_deref(), Some(ws.bot_token.as_str()));
    assert_eq!(calls[0].args["channel"], channel.as_str());
    assert_eq!(calls[0].status, 200);
    assert_eq!(calls[0].response["ok"], true);
    assert_eq!(emu.calls().len(), 3);
}

#[tokio::test]
async fn not_in_channel_then_join_then_post() {
    let (emu, ws, client) = setup().await;
    let channel = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "general".into(),
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&channel, "hi")).await),
        "not_in_channel"
    );

    let join = session
        .conversations_join(&SlackApiConversationsJoinRequest::new(
            channel.clone().into(),
        ))
        .await
        .expect("join");
    assert_eq!(join.channel.id.0, channel);
    assert_eq!(join.channel.flags.is_member, Some(true));
    assert!(
        emu.calls_to("conversations.join")[0]
            .response
            .get("warning")
            .is_none()
    );

    let again = raw_post(
        &client,
        &ws.bot_token,
        "conversations.join",
        &json!({"channel": channel}),
    )
    .await
    .expect("second join");
    assert_eq!(again["warning"], "already_in_channel");
    assert_eq!(
        again["response_metadata"]["warnings"][0],
        "already_in_channel"
    );

    session
        .chat_post_message(&post_req(&channel, "hi"))
        .await
        .expect("post after join");
    assert_eq!(emu.messages(&channel).len(), 1);

    // Unknown channels.
    assert_eq!(
        api_code(session.chat_post_message(&post_req("C404", "x")).await),
        "channel_not_found"
    );
    assert_eq!(
        api_code(
            session
                .conversations_join(&SlackApiConversationsJoinRequest::new("C404".into()))
                .await
        ),
        "channel_not_found"
    );

    emu.set_bot_member(&channel, false);
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&channel, "x")).await),
        "not_in_channel"
    );
}

#[tokio::test]
async fn private_channel_looks_missing_to_non_members() {
    let (emu, ws, client) = setup().await;
    let secret = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "secret".into(),
            private: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&secret, "hi")).await),
        "channel_not_found"
    );
    assert_eq!(
        api_code(
            session
                .conversations_join(&SlackApiConversationsJoinRequest::new(
                    secret.clone().into()
                ))
                .await
        ),
        "method_not_supported_for_channel_type"
    );
    assert_eq!(
        api_code(
            session
                .conversations_info(&SlackApiConversationsInfoRequest::new(
                    secret.clone().into()
                ))
                .await
        ),
        "channel_not_found"
    );

    emu.set_bot_member(&secret, true);
    session
        .chat_post_message(&post_req(&secret, "hi"))
        .await
        .expect("member may post");
    let info = session
        .conversations_info(&SlackApiConversationsInfoRequest::new(
            secret.clone().into(),
        ))
        .await
        .expect("info");
    assert_eq!(info.channel.flags.is_private, Some(true));
    assert_eq!(info.channel.flags.is_member, Some(true));

    // Another workspace cannot see it at all.
    let other = emu.add_workspace("T0002", "Other");
    let t2 = token(&other.bot_token);
    let s2 = client.open_session(&t2);
    assert_eq!(
        api_code(s2.chat_post_message(&post_req(&secret, "hi")).await),
        "channel_not_found"
    );
}

#[tokio::test]
async fn archived_channel_rejects_posts_and_joins() {
    let (emu, ws, client) = setup().await;
    let old = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "old".into(),
            archived: true,
            bot_member: true,
            ..Default::default()
        },
    );
    let fresh = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "fresh".into(),
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&old, "hi")).await),
        "is_archived"
    );
    emu.archive_channel(&fresh);
    assert_eq!(
        api_code(
            session
                .conversations_join(&SlackApiConversationsJoinRequest::new(fresh.clone().into()))
                .await
        ),
        "is_archived"
    );
    let info = session
        .conversations_info(&SlackApiConversationsInfoRequest::new(old.clone().into()))
        .await
        .expect("info of an archived channel");
    assert_eq!(info.channel.flags.is_archived, Some(true));
}

#[tokio::test]
async fn content_validation_matches_slack() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let post = |body: Value| {
        let client = client.clone();
        let tok = ws.bot_token.clone();
        async move { raw_post(&client, &tok, "chat.postMessage", &body).await }
    };
    let header =
        |text: String| json!({"type": "header", "text": {"type": "plain_text", "text": text}});

    // The good case passes through the same path.
    post(json!({"channel": ch, "blocks": [header("ok".into())]}))
        .await
        .expect("valid blocks");

    let cases: Vec<(&str, Value)> = vec![
        ("long header", json!([header("h".repeat(151))])),
        (
            "51 blocks",
            Value::Array((0..51).map(|_| json!({"type": "divider"})).collect()),
        ),
        (
            "section text",
            json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]),
        ),
        (
            "11 fields",
            json!([{"type": "section", "fields": (0..11).map(|_| json!({"type": "mrkdwn", "text": "f"})).collect::<Vec<_>>()}]),
        ),
        (
            "button text",
            json!([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b".repeat(76)}}]}]),
        ),
        (
            "button url",
            json!([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "go"}, "url": format!("https://x/{}", "u".repeat(3000))}]}]),
        ),
        (
            "11 context elements",
            json!([{"type": "context", "elements": (0..11).map(|_| json!({"type": "mrkdwn", "text": "c"})).collect::<Vec<_>>()}]),
        ),
        (
            "duplicate block_id",
            json!([{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]),
        ),
        (
            "long block_id",
            json!([{"type": "divider", "block_id": "b".repeat(256)}]),
        ),
        ("unknown type", json!([{"type": "sparkles"}])),
        (
            "header in mrkdwn",
            json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]),
        ),
    ];
    for (name, blocks) in cases {
        let body = json!({"channel": ch, "text": "fallback", "blocks": blocks});
        match post(body).await {
            Err(SlackClientError::ApiError(e)) => {
                assert_eq!(e.code, "invalid_blocks", "{name}");
                assert!(
                    e.errors.as_ref().is_some_and(|errs| !errs.is_empty()),
                    "{name}: errors listed"
                );
            }
            other => panic!("{name}: expected invalid_blocks, got {other:?}"),
        }
    }

    let code = |r: Result<Value, SlackClientError>| api_code(r);
    assert_eq!(code(post(json!({"channel": ch})).await), "no_text");
    assert_eq!(
        code(post(json!({"channel": ch, "text": ""})).await),
        "no_text"
    );
    assert_eq!(
        code(post(json!({"channel": ch, "text": "x".repeat(40_001)})).await),
        "msg_too_long"
    );
    post(json!({"channel": ch, "text": "x".repeat(40_000)}))
        .await
        .expect("40,000 characters is allowed");
    assert_eq!(
        code(post(json!({"channel": ch, "text": "x", "thread_ts": "1.000001"})).await),
        "thread_not_found"
    );
    assert_eq!(
        code(post(json!({"channel": ch, "text": "x", "blocks": "not json"})).await),
        "invalid_blocks_format"
    );
    assert_eq!(code(post(json!({"text": "x"})).await), "channel_not_found");
    assert_eq!(emu.messages(&ch).len(), 2, "rejected posts store nothing");
}

#[tokio::test]
async fn threads_updates_and_deletes() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let human = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "parent"))
        .await
        .expect("parent");
    let reply = session
        .chat_post_message(&post_req(&ch, "reply").with_thread_ts(parent.ts.clone()))
        .await
        .expect("reply");
    assert_eq!(reply.message.origin.thread_ts, Some(parent.ts.clone()));
    emu.post_as_user(&ch, &human, "human reply", Some(&parent.ts.0));

    let stored = emu.messages(&ch);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0]["reply_count"], 2);
    assert_eq!(stored[0]["thread_ts"], parent.ts.0.as_str());
    assert_eq!(stored[0]["reply_users_count"], 2);
    assert_eq!(stored[1]["thread_ts"], parent.ts.0.as_str());
    assert_eq!(stored[1]["parent_user_id"], ws.bot_user_id.as_str());

    let history = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new().with_channel(ch.clone().into()),
        )
        .await
        .expect("history");
    assert_eq!(history.messages.len(), 1, "replies stay in the thread");
    assert_eq!(history.messages[0].parent.reply_count, Some(2));

    let replies = session
        .conversations_replies(&SlackApiConversationsRepliesRequest::new(
            ch.clone().into(),
            parent.ts.clone(),
        ))
        .await
        .expect("replies");
    assert_eq!(replies.messages.len(), 3);

    let updated = session
        .chat_update(&SlackApiChatUpdateRequest::new(
            ch.clone().into(),
            SlackMessageContent::new().with_text("parent (edited)".into()),
            parent.ts.clone(),
        ))
        .await
        .expect("update");
    assert_eq!(updated.ts, parent.ts);
    assert!(updated.message.edited.is_some());
    assert_eq!(emu.messages(&ch)[0]["text"], "parent (edited)");

    let human_ts = emu.messages(&ch)[2]["ts"].as_str().unwrap().to_string();
    assert_eq!(
        api_code(
            session
                .chat_update(&SlackApiChatUpdateRequest::new(
                    ch.clone().into(),
                    SlackMessageContent::new().with_text("hijack".into()),
                    human_ts.clone().into(),
                ))
                .await
        ),
        "cant_update_message"
    );
    assert_eq!(
        api_code(
            session
                .chat_update(&SlackApiChatUpdateRequest::new(
                    ch.clone().into(),
                    SlackMessageContent::new().with_text("x".into()),
                    "1.000001".into(),
                ))
                .await
        ),
        "message_not_found"
    );

    session
        .chat_delete(&SlackApiChatDeleteRequest::new(
            ch.clone().into(),
            reply.ts.clone(),
        ))
        .await
        .expect("delete");
    assert_eq!(emu.messages(&ch).len(), 2);
    assert_eq!(emu.messages(&ch)[0]["reply_count"], 1);
    assert_eq!(
        api_code(
            session
                .chat_delete(&SlackApiChatDeleteRequest::new(
                    ch.clone().into(),
                    reply.ts.clone()
                ))
                .await
        ),
        "message_not_found"
    );
    assert_eq!(
        api_code(
            session
                .chat_delete(&SlackApiChatDeleteRequest::new(
                    ch.clone().into(),
                    human_ts.into()
                ))
                .await
        ),
        "cant_delete_message"
    );
}

#[tokio::test]
async fn rate_limit_surfaces_with_retry_after() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    emu.inject(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    emu.inject(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    for expected in [7, 1] {
        match session.chat_post_message(&post_req(&ch, "x")).await {
            Err(SlackClientError::RateLimitError(e)) => {
                assert_eq!(e.retry_after, Some(Duration::from_secs(expected)));
                assert_eq!(e.code.as_deref(), Some("ratelimited"));
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
    }
    session
        .chat_post_message(&post_req(&ch, "x"))
        .await
        .expect("queue drained");
    let calls = emu.calls_to("chat.postMessage");
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![429, 429, 200]);
    assert_eq!(calls[0].response["error"], "ratelimited");
    assert_eq!(emu.messages(&ch).len(), 1, "faulted calls store nothing");
}

#[tokio::test]
async fn server_errors_delays_and_injected_api_errors() {
    let (emu, ws, client) = setup().await;
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    emu.inject("auth.test", Fault::ServerError(500));
    emu.inject("auth.test", Fault::ServerError(503));
    for expected in [500u16, 503] {
        match session.auth_test().await {
            Err(SlackClientError::HttpError(e)) => assert_eq!(e.status_code.as_u16(), expected),
            other => panic!("expected HTTP {expected}, got {other:?}"),
        }
    }

    emu.inject("auth.test", Fault::ApiError("account_inactive".into()));
    assert_eq!(api_code(session.auth_test().await), "account_inactive");

    emu.inject("auth.test", Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    session.auth_test().await.expect("delayed but fine");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let calls = emu.calls_to("auth.test");
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![500, 503, 200, 200]);
    assert!(calls[0].response.is_null());
    assert_eq!(calls[3].response["ok"], true);
}

#[tokio::test]
async fn token_errors() {
    let (emu, ws, client) = setup().await;
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    session.auth_test().await.expect("valid token");

    let unknown = token("xoxb-000-000-nope");
    assert_eq!(
        api_code(client.open_session(&unknown).auth_test().await),
        "invalid_auth"
    );

    let app = token(&ws.app_token);
    assert_eq!(
        api_code(client.open_session(&app).auth_test().await),
        "not_allowed_token_type"
    );
    assert_eq!(
        api_code(
            session
                .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
                .await
        ),
        "not_allowed_token_type"
    );

    emu.revoke_token(&ws.bot_token);
    assert_eq!(api_code(session.auth_test().await), "token_revoked");

    // No token at all.
    let resp: Value = reqwest::Client::new()
        .post(format!("{}auth.test", emu.api_url()))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(resp, json!({"ok": false, "error": "not_authed"}));
}

#[tokio::test]
async fn slack_connect_channel_info() {
    let (emu, ws, client) = setup().await;
    let shared = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "partner-acme".into(),
            bot_member: true,
            shared_from_team: Some("T9EXT".into()),
            ..Default::default()
        },
    );
    let local = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "local".into(),
            ..Default::default()
        },
    );

    #[derive(serde::Deserialize)]
    struct Info {
        ok: bool,
        channel: Channel,
    }
    #[derive(serde::Deserialize)]
    struct Channel {
        id: String,
        is_ext_shared: bool,
        is_shared: bool,
        shared_team_ids: Vec<String>,
        context_team_id: String,
        conversation_host_id: String,
        is_private: bool,
        is_member: bool,
    }
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let info: Info = session
        .http_session_api
        .http_get(
            "conversations.info",
            &vec![("channel", Some(shared.as_str()))],
            None,
        )
        .await
        .expect("conversations.info");
    assert!(info.ok);
    assert_eq!(info.channel.id, shared);
    assert!(info.channel.is_ext_shared);
    assert!(info.channel.is_shared);
    assert!(!info.channel.is_private);
    assert!(info.channel.is_member);
    // As Slack reports it (slack-go/slack conversation_test.go `sharedChannel`): the
    // asking workspace in context_team_id, the hosting organization in conversation_host_id.
    assert_eq!(info.channel.context_team_id, "T0001");
    assert_eq!(info.channel.conversation_host_id, "T9EXT");
    assert!(info.channel.shared_team_ids.contains(&"T9EXT".to_string()));
    assert!(info.channel.shared_team_ids.contains(&"T0001".to_string()));

    let raw = raw_get(
        &client,
        &ws.bot_token,
        "conversations.info",
        &[("channel", Some(&local))],
    )
    .await
    .expect("local info");
    let ch = &raw["channel"];
    assert_eq!(ch["is_ext_shared"], false);
    assert_eq!(ch["is_shared"], false);
    assert_eq!(ch["is_member"], false);
    assert_eq!(ch["is_channel"], true);
    assert_eq!(ch["is_group"], false);
    assert_eq!(ch["is_im"], false);
    assert_eq!(ch["is_org_shared"], false);
    assert_eq!(ch["context_team_id"], "T0001");
    assert_eq!(ch["name"], "local");
    assert_eq!(ch["name_normalized"], "local");
    assert!(ch["created"].is_i64() && ch["creator"].is_string());
    assert!(
        ch.get("num_members").is_none(),
        "only with include_num_members"
    );

    // slack-morphism's typed call parses the same object.
    let typed = session
        .conversations_info(
            &SlackApiConversationsInfoRequest::new(shared.clone().into())
                .with_include_num_members(true),
        )
        .await
        .expect("typed info");
    assert_eq!(typed.channel.flags.is_shared, Some(true));
    assert_eq!(typed.channel.num_members, Some(1));
    assert_eq!(typed.channel.name.as_deref(), Some("partner-acme"));
}

#[tokio::test]
async fn history_with_metadata_and_paging() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    for i in 0..3 {
        let req = post_req(&ch, &format!("n{i}")).with_content(
            SlackMessageContent::new()
                .with_text(format!("n{i}"))
                .with_metadata(
                    SlackMessageMetadata::new("herald_notification".into()).with_event_payload(
                        [("delivery_id".to_string(), format!("d{i}"))]
                            .into_iter()
                            .collect(),
                    ),
                ),
        );
        let posted = session.chat_post_message(&req).await.expect("post");
        assert_eq!(
            posted
                .message
                .content
                .metadata
                .as_ref()
                .map(|m| m.event_type.as_str()),
            Some("herald_notification")
        );
    }
    assert_eq!(
        emu.messages(&ch)[1]["metadata"]["event_payload"]["delivery_id"],
        "d1"
    );

    let plain = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new().with_channel(ch.clone().into()),
        )
        .await
        .expect("history");
    assert_eq!(plain.messages.len(), 3);
    assert_eq!(
        plain.messages[0].content.text.as_deref(),
        Some("n2"),
        "newest first"
    );
    assert!(plain.messages.iter().all(|m| m.content.metadata.is_none()));

    let with_meta = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new()
                .with_channel(ch.clone().into())
                .with_include_all_metadata(true)
                .with_limit(2),
        )
        .await
        .expect("history with metadata");
    assert_eq!(with_meta.messages.len(), 2);
    assert_eq!(with_meta.has_more, Some(true));
    let meta = with_meta.messages[0]
        .content
        .metadata
        .as_ref()
        .expect("metadata");
    assert_eq!(meta.event_type, "herald_notification");
    assert_eq!(
        meta.event_payload
            .as_ref()
            .and_then(|p| p.get("delivery_id"))
            .map(String::as_str),
        Some("d2")
    );
    let cursor = with_meta
        .response_metadata
        .and_then(|m| m.next_cursor)
        .expect("cursor");
    let rest = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new()
                .with_channel(ch.clone().into())
                .with_cursor(cursor)
                .with_limit(2),
        )
        .await
        .expect("page 2");
    assert_eq!(rest.messages.len(), 1);
    assert_eq!(rest.messages[0].content.text.as_deref(), Some("n0"));
    assert_eq!(rest.has_more, Some(false));

    // Reading a public channel the bot is not in.
    let other = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "other".into(),
            ..Default::default()
        },
    );
    assert_eq!(
        api_code(
            session
                .conversations_history(
                    &SlackApiConversationsHistoryRequest::new().with_channel(other.into())
                )
                .await
        ),
        "not_in_channel"
    );
}

/// Slack's upload flow, per https://api.slack.com/methods/files.getUploadURLExternal and
/// https://api.slack.com/methods/files.completeUploadExternal: an upload URL and file id,
/// the bytes POSTed there (raw or multipart, answered `OK - <length>`), then the files
/// shared in one message of the channel; a file whose bytes never arrived is not found.
#[tokio::test]
async fn files_upload_external_flow() {
    let (emu, ws, client) = setup().await;
    let tok = token(&ws.bot_token);
    let session = client.open_session(&tok);
    let user = emu.add_user("T0001", "mika", "mika@example.com");
    let general = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "general".into(),
            bot_member: true,
            ..ChannelSpec::default()
        },
    );
    let outside = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "outside".into(),
            ..ChannelSpec::default()
        },
    );

    let zero = session
        .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
            "a.csv".into(),
            0,
        ))
        .await;
    assert_eq!(api_code(zero), "missing_argument");

    let bytes = b"\xEF\xBB\xBFa,b\r\n1,2\r\n".to_vec();
    let first = session
        .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
            "a.csv".into(),
            bytes.len(),
        ))
        .await
        .expect("upload URL");
    assert!(first.file_id.0.starts_with('F'));
    session
        .files_upload_via_url(&SlackApiFilesUploadViaUrlRequest::new(
            first.upload_url.clone(),
            bytes.clone(),
            "text/csv".into(),
        ))
        .await
        .expect("raw upload");

    // The second file goes up as a multipart form, as Slack's docs show with curl -F.
    let second = session
        .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
            "b.csv".into(),
            3,
        ))
        .await
        .expect("upload URL");
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\n\
                Content-Type: text/csv\r\n\r\nx,y\r\n--XyZ--\r\n";
    let answer = reqwest::Client::new()
        .post(second.upload_url.0.as_str())
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "OK - 3");

    // Not uploaded: not found, and nothing is shared.
    let third = session
        .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
            "c.csv".into(),
            5,
        ))
        .await
        .expect("upload URL");
    let complete = |ids: Vec<&SlackFileId>, channel: &str| {
        SlackApiFilesCompleteUploadExternalRequest::new(
            ids.into_iter()
                .map(|id| SlackApiFilesComplete::new(id.clone()).with_title(format!("t-{id}")))
                .collect(),
        )
        .with_channel_id(channel.to_string().into())
        .with_initial_comment("here".into())
    };
    let missing = session
        .files_complete_upload_external(&complete(vec![&first.file_id, &third.file_id], &general))
        .await;
    assert_eq!(api_code(missing), "file_not_found");
    let outside_try = session
        .files_complete_upload_external(&complete(vec![&first.file_id], &outside))
        .await;
    assert_eq!(api_code(outside_try), "not_in_channel");
    assert!(emu.uploaded_files().iter().all(|f| !f.completed));

    let done = session
        .files_complete_upload_external(&complete(vec![&first.file_id, &second.file_id], &general))
        .await
        .expect("complete");
    let names: Vec<_> = done.files.iter().map(|f| f.name.clone().unwrap()).collect();
    assert_eq!(names, ["a.csv", "b.csv"]);
    let files = emu.uploaded_files();
    assert_eq!(files[0].bytes, bytes);
    assert_eq!(files[1].bytes, b"x,y");
    assert_eq!(files[0].channel.as_deref(), Some(general.as_str()));
    assert_eq!(
        files[0].title.as_deref(),
        Some(format!("t-{}", first.file_id).as_str())
    );
    let shared = emu
        .messages(&general)
        .into_iter()
        .find(|m| m["files"].is_array())
        .expect("the files are a message in the channel");
    assert_eq!(shared["text"], "here");
    assert_eq!(shared["files"].as_array().unwrap().len(), 2);

    // A DM opened with conversations.open takes files too.
    let opened = raw_post(
        &client,
        &ws.bot_token,
        "conversations.open",
        &json!({"users": user}),
    )
    .await
    .expect("DM opened");
    let im = opened["channel"]["id"].as_str().unwrap().to_string();
    let fourth = session
        .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
            "d.csv".into(),
            1,
        ))
        .await
        .unwrap();
    session
        .files_upload_via_url(&SlackApiFilesUploadViaUrlRequest::new(
            fourth.upload_url,
            b"z".to_vec(),
            "text/csv".into(),
        ))
        .await
        .unwrap();
    session
        .files_complete_upload_external(&complete(vec![&fourth.file_id], &im))
        .await
        .expect("shared in the DM");
    assert_eq!(
        emu.uploaded_files()[3].channel.as_deref(),
        Some(im.as_str())
    );
}

#[tokio::test]
async fn users_lookup_and_usergroups() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let bob = emu.add_user("T0001", "Bob", "bob@example.com");
    let group = emu.add_usergroup("T0001", "oncall", &[&ada, &bob]);
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let found = session
        .users_lookup_by_email(&SlackApiUsersLookupByEmailRequest::new(
            "ADA@example.com".into(),
        ))
        .await
        .expect("lookup");
    assert_eq!(found.user.id.0, ada);
    assert_eq!(found.user.real_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        found
            .user
            .profile
            .as_ref()
            .and_then(|p| p.email.as_ref())
            .map(|e| e.0.as_str()),
        Some("ada@example.com")
    );
    assert_eq!(
        api_code(
            session
                .users_lookup_by_email(&SlackApiUsersLookupByEmailRequest::new(
                    "nobody@example.com".into()
                ))
                .await
        ),
        "users_not_found"
    );

    let info = session
        .users_info(&SlackApiUsersInfoRequest::new(bob.clone().into()))
        .await
        .expect("users.info");
    assert_eq!(info.user.flags.is_bot, Some(false));
    assert_eq!(info.user.deleted, Some(false));
    assert_eq!(info.user.team_id.map(|t| t.0), Some("T0001".into()));
    emu.set_user_deleted(&bob, true);
    let info = session
        .users_info(&SlackApiUsersInfoRequest::new(bob.clone().into()))
        .await
        .expect("users.info");
    assert_eq!(info.user.deleted, Some(true));
    let bot = session
        .users_info(&SlackApiUsersInfoRequest::new(
            ws.bot_user_id.clone().into(),
        ))
        .await
        .expect("bot user");
    assert_eq!(bot.user.flags.is_bot, Some(true));
    assert_eq!(
        api_code(
            session
                .users_info(&SlackApiUsersInfoRequest::new("U404".into()))
                .await
        ),
        "user_not_found"
    );

    let groups = session
        .usergroups_list(
            &SlackApiUserGroupsListRequest::new()
                .with_include_users(true)
                .with_include_count(true),
        )
        .await
        .expect("usergroups.list");
    assert_eq!(groups.usergroups.len(), 1);
    assert_eq!(groups.usergroups[0].id.0, group);
    assert_eq!(groups.usergroups[0].handle, "oncall");
    assert_eq!(groups.usergroups[0].user_count, 2);
    let members = session
        .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new(
            group.clone().into(),
        ))
        .await
        .expect("usergroups.users.list");
    assert_eq!(members.users.len(), 2);
}

#[tokio::test]
async fn form_and_query_requests_like_slack() {
    let (emu, ws, _client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let http = reqwest::Client::new();
    let base = emu.api_url();

    // Form POST with the token as a parameter; blocks as a JSON string.
    let resp: Value = http
        .post(format!("{base}chat.postMessage"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "token={}&channel={ch}&text=hello+world%21&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D",
            ws.bot_token
        ))
        .send()
        .await
        .expect("form post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["ok"], true, "{resp}");
    assert_eq!(resp["message"]["text"], "hello world!");
    assert_eq!(resp["message"]["blocks"][0]["type"], "divider");

    // GET with a query string and a bearer token.
    let resp: Value = http
        .get(format!("{base}conversations.history?channel={ch}&limit=1"))
        .bearer_auth(&ws.bot_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["ok"], true);
    assert_eq!(resp["messages"].as_array().map(Vec::len), Some(1));

    // JSON without a charset gets Slack's warning; a token inside JSON is ignored.
    let resp: Value = http
        .post(format!("{base}auth.test"))
        .bearer_auth(&ws.bot_token)
        .json(&json!({}))
        .send()
        .await
        .expect("json post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["ok"], true);
    assert_eq!(resp["warning"], "missing_charset");
    let resp: Value = http
        .post(format!("{base}auth.test"))
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"token": ws.bot_token}).to_string())
        .send()
        .await
        .expect("json post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["error"], "not_authed");

    // Both `/api/method` and slack-morphism's `/api//method` reach the method.
    let resp: Value = http
        .get(format!("{}/api/auth.test", emu.base_url()))
        .bearer_auth(&ws.bot_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["ok"], true);

    let resp: Value = http
        .get(format!("{base}chat.nope"))
        .bearer_auth(&ws.bot_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["error"], "unknown_method");

    let recorded = emu.calls_to("chat.postMessage");
    assert_eq!(recorded[0].token.as_deref(), Some(ws.bot_token.as_str()));
    assert_eq!(recorded[0].args["text"], "hello world!");
}

// ----- Socket Mode -----

type PushSender = tokio::sync::mpsc::UnboundedSender<SlackPushEventCallback>;

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    if let Some(tx) = state.read().await.get_user_state::<PushSender>() {
        let _ = tx.send(event);
    }
    Ok(())
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    _state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    Ok(SlackCommandEventResponse::new(
        SlackMessageContent::new().with_text(format!("ran {}", event.command.0)),
    ))
}

fn push_payload(emu: &SlackEmulator, team: &str, channel: &str, event_id: &str) -> Value {
    json!({
        "token": "unused",
        "team_id": team,
        "api_app_id": emu.app_id(),
        "event": {
            "type": "message",
            "channel": channel,
            "user": "U0HUMAN",
            "text": "hello",
            "ts": "1726133700.887259",
            "event_ts": "1726133700.887259",
            "channel_type": "channel",
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_726_133_700,
        "authorizations": [{"enterprise_id": null, "team_id": team, "user_id": "U0BOT", "is_bot": true, "is_enterprise_install": false}],
        "is_ext_shared_channel": false,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
    })
}

#[tokio::test]
async fn socket_mode_roundtrip() {
    let (emu, ws, client) = setup().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<SlackPushEventCallback>();
    let env =
        Arc::new(SlackClientEventsListenerEnvironment::new(client.clone()).with_user_state(tx));
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command);
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new().with_max_connections_count(1),
        env,
        callbacks,
    );
    listener
        .listen_for(&token(&ws.app_token))
        .await
        .expect("listen_for");
    listener.start().await;
    assert!(
        emu.wait_socket_connections(1, WAIT).await,
        "client connected"
    );
    assert_eq!(emu.calls_to("apps.connections.open").len(), 1);
    assert_eq!(
        emu.calls_to("apps.connections.open")[0].token.as_deref(),
        Some(ws.app_token.as_str())
    );

    let ack = emu
        .socket_send(
            "events_api",
            push_payload(&emu, "T0001", "C1", "Ev001"),
            WAIT,
        )
        .await
        .expect("events_api ack");
    let event = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("callback ran in time")
        .expect("event");
    assert_eq!(event.event_id.0, "Ev001");
    assert_eq!(event.team_id.0, "T0001");
    let envelope_id = ack["envelope_id"]
        .as_str()
        .expect("envelope id")
        .to_string();
    assert_eq!(
        emu.socket_acks().last().map(|a| a["envelope_id"].clone()),
        Some(json!(envelope_id))
    );

    let command = json!({
        "token": "unused",
        "team_id": "T0001",
        "team_domain": "acme",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": "U0HUMAN",
        "user_name": "ada",
        "command": "/herald",
        "text": "status",
        "api_app_id": emu.app_id(),
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0001/1/x",
        "trigger_id": "1.1.x",
    });
    let ack = emu
        .socket_send("slash_commands", command, WAIT)
        .await
        .expect("slash command ack");
    assert_eq!(ack["payload"]["text"], "ran /herald");

    // Slack asks clients to reconnect; slack-morphism opens a fresh connection.
    emu.socket_disconnect_all("refresh_requested").await;
    assert!(
        emu.wait_socket_connections(1, WAIT).await,
        "client reconnected"
    );
    assert_eq!(emu.calls_to("apps.connections.open").len(), 2);
    emu.socket_send(
        "events_api",
        push_payload(&emu, "T0001", "C1", "Ev002"),
        WAIT,
    )
    .await
    .expect("ack after reconnect");
    let event = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("callback ran in time")
        .expect("event");
    assert_eq!(event.event_id.0, "Ev002");
    assert_eq!(emu.socket_acks().len(), 3);

    listener.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test]
async fn socket_send_without_client_times_out() {
    let emu = SlackEmulator::start().await;
    assert!(
        !emu.wait_socket_connections(1, Duration::from_millis(50))
            .await
    );
    assert!(
        emu.socket_send("events_api", json!({}), Duration::from_millis(50))
            .await
            .is_none()
    );
    assert!(emu.socket_acks().is_empty());
}

// ----- Views (modals, App Home) and interaction payloads -----

/// A `SlackView` built from Slack's JSON (slack-morphism's own model, sent as it serialises).
fn slack_view(v: Value) -> SlackView {
    serde_json::from_value(v).expect("a view slack-morphism can model")
}

fn modal_json(title: &str, callback_id: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": "C0123",
        "blocks": [
            {
                "type": "input",
                "block_id": "route",
                "label": {"type": "plain_text", "text": "Route"},
                "element": {
                    "type": "static_select",
                    "action_id": "target",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Alerts"}, "value": "alerts"},
                        {"text": {"type": "plain_text", "text": "Deploys"}, "value": "deploys"},
                    ],
                },
            },
            {
                "type": "actions",
                "block_id": "more",
                "elements": [{
                    "type": "button",
                    "action_id": "add_rule",
                    "text": {"type": "plain_text", "text": "Add rule"},
                    "value": "add",
                }],
            },
        ],
    })
}

fn open_req(trigger: &str, view: Value) -> SlackApiViewsOpenRequest {
    SlackApiViewsOpenRequest::new(trigger.to_string().into(), slack_view(view))
}

fn response_messages<T: std::fmt::Debug>(result: Result<T, SlackClientError>) -> (String, Value) {
    match result {
        Err(SlackClientError::ApiError(e)) => {
            let body: Value = serde_json::from_str(e.http_response_body.as_deref().unwrap_or("{}"))
                .unwrap_or_default();
            (e.code, body["response_metadata"]["messages"].clone())
        }
        other => panic!("expected a Slack API error, got {other:?}"),
    }
}

/// `view_submission` payload from slackapi/bolt-python
/// (tests/scenario_tests/test_view_submission.py @ a2f21ae4b1d1d63a6a5dc533aa53a8c4badd103d).
fn real_view_submission() -> Value {
    json!({
        "type": "view_submission",
        "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
        "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
        "api_app_id": "A111",
        "token": "verification_token",
        "trigger_id": "111.222.valid",
        "view": {
            "id": "V111",
            "team_id": "T111",
            "type": "modal",
            "blocks": [{
                "type": "input",
                "block_id": "hspI",
                "label": {"type": "plain_text", "text": "Label"},
                "optional": false,
                "element": {"type": "plain_text_input", "action_id": "maBWU"},
            }],
            "private_metadata": "This is for you!",
            "callback_id": "view-id",
            "state": {"values": {"hspI": {"maBWU": {"type": "plain_text_input", "value": "test"}}}},
            "hash": "1596530361.3wRYuk3R",
            "title": {"type": "plain_text", "text": "My App"},
            "clear_on_close": false,
            "notify_on_close": false,
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": null,
            "root_view_id": "V111",
            "app_id": "A111",
            "external_id": "",
            "app_installed_team_id": "T111",
            "bot_id": "B111",
        },
        "response_urls": [],
    })
}

/// `block_actions` payload (a button in a message) from slackapi/bolt-python
/// (tests/scenario_tests/test_block_actions.py @ a2f21ae4b1d1d63a6a5dc533aa53a8c4badd103d).
fn real_block_actions() -> Value {
    json!({
        "type": "block_actions",
        "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
        "api_app_id": "A111",
        "token": "verification_token",
        "container": {"type": "message", "message_ts": "111.222", "channel_id": "C111", "is_ephemeral": true},
        "trigger_id": "111.222.valid",
        "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
        "channel": {"id": "C111", "name": "test-channel"},
        "response_url": "https://hooks.slack.com/actions/T111/111/random-value",
        "actions": [{
            "action_id": "a",
            "block_id": "b",
            "text": {"type": "plain_text", "text": "Button", "emoji": true},
            "value": "click_me_123",
            "type": "button",
            "action_ts": "1596530385.194939",
        }],
    })
}

fn top_level_keys(v: &Value) -> std::collections::BTreeSet<String> {
    v.as_object()
        .expect("payload object")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn views_open_with_a_fresh_trigger() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let trigger = emu.issue_trigger("T0001", &ada);
    let parts: Vec<&str> = trigger.split('.').collect();
    assert_eq!(parts.len(), 3, "{trigger}");
    assert!(parts[..2].iter().all(|p| p.parse::<u64>().is_ok()));

    let opened = session
        .views_open(&open_req(&trigger, modal_json("Route alerts", "routes")))
        .await
        .expect("views.open");
    let params = &opened.view.state_params;
    assert!(params.id.0.starts_with('V'));
    assert_eq!(params.team_id.0, "T0001");
    assert_eq!(params.root_view_id.as_ref(), Some(&params.id));
    assert_eq!(params.previous_view_id, None);
    assert_eq!(
        params.bot_id.as_ref().map(|b| b.0.as_str()),
        Some(ws.bot_id.as_str())
    );
    assert_eq!(
        params.app_id.as_ref().map(|a| a.0.clone()),
        Some(emu.app_id())
    );
    assert!(!params.hash.is_empty());
    assert!(params.state.as_ref().is_some_and(|s| s.values.is_empty()));
    match &opened.view.view {
        SlackView::Modal(m) => {
            assert_eq!(
                serde_json::to_value(&m.title).unwrap()["text"],
                "Route alerts"
            );
            assert_eq!(m.callback_id.as_ref().map(|c| c.0.as_str()), Some("routes"));
            assert_eq!(m.private_metadata.as_deref(), Some("C0123"));
            assert_eq!(m.blocks.len(), 2);
        }
        other => panic!("expected a modal, got {other:?}"),
    }

    let stored = emu.view(&params.id.0).expect("stored view");
    assert_eq!(
        stored["title"]["emoji"], true,
        "Slack stores plain_text with emoji"
    );
    assert_eq!(stored["external_id"], "");
    assert_eq!(stored["app_installed_team_id"], "T0001");
    assert_eq!(emu.views_opened(), vec![stored]);
    let calls = emu.calls_to("views.open");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].args["trigger_id"], json!(trigger));
    assert_eq!(calls[0].response["ok"], true);

    // A trigger is good once.
    assert_eq!(
        api_code(
            session
                .views_open(&open_req(&trigger, modal_json("Again", "routes")))
                .await
        ),
        "exchanged_trigger_id"
    );
    // ... and for 3 seconds.
    let late = emu.issue_trigger("T0001", &ada);
    emu.expire_triggers();
    assert_eq!(
        api_code(
            session
                .views_open(&open_req(&late, modal_json("Late", "routes")))
                .await
        ),
        "expired_trigger_id"
    );
    let fresh = emu.issue_trigger("T0001", &ada);
    session
        .views_open(&open_req(&fresh, modal_json("Fresh", "routes")))
        .await
        .expect("triggers issued after expire_triggers are fresh");

    // Unknown, malformed, or another workspace's trigger.
    assert_eq!(
        api_code(
            session
                .views_open(&open_req("12345.98765.abcd2358fdea", modal_json("X", "x")))
                .await
        ),
        "invalid_trigger_id"
    );
    assert_eq!(
        api_code(
            session
                .views_open(&open_req("not-a-trigger", modal_json("X", "x")))
                .await
        ),
        "invalid_trigger_id"
    );
    emu.add_workspace("T0002", "Other");
    let bob = emu.add_user("T0002", "Bob", "bob@example.com");
    let foreign = emu.issue_trigger("T0002", &bob);
    assert_eq!(
        api_code(
            session
                .views_open(&open_req(&foreign, modal_json("X", "x")))
                .await
        ),
        "invalid_trigger_id"
    );
    let missing = raw_post(
        &client,
        &ws.bot_token,
        "views.open",
        &json!({"view": modal_json("X", "x")}),
    )
    .await;
    let (code, messages) = response_messages(missing);
    assert_eq!(code, "invalid_arguments");
    assert_eq!(messages, json!(["invalid `trigger_id`"]));
    assert_eq!(emu.views_opened().len(), 2, "failed calls store nothing");
}

#[tokio::test]
async fn views_are_validated_like_slack() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let open = |view: Value| {
        let trigger = emu.issue_trigger("T0001", &ada);
        let session = &session;
        async move { session.views_open(&open_req(&trigger, view)).await }
    };

    // Title, submit and close: plain_text of at most 24 characters.
    let (code, messages) = response_messages(open(modal_json(&"x".repeat(25), "c")).await);
    assert_eq!(code, "invalid_arguments");
    assert_eq!(
        messages,
        json!(["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"])
    );
    open(modal_json(&"x".repeat(24), "c"))
        .await
        .expect("24 characters fit");
    let mut view = modal_json("Ok", "c");
    view["submit"]["text"] = json!("y".repeat(25));
    let (_, messages) = response_messages(open(view).await);
    assert_eq!(
        messages,
        json!(["[ERROR] must be less than 25 characters [json-pointer:/view/submit/text]"])
    );

    // private_metadata ≤ 3000, callback_id ≤ 255, ≤ 100 blocks, unique block ids.
    let mut view = modal_json("Ok", "c");
    view["private_metadata"] = json!("m".repeat(3001));
    let (code, messages) = response_messages(open(view).await);
    assert_eq!(code, "invalid_arguments");
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .contains("/view/private_metadata"),
        "{messages}"
    );
    let mut view = modal_json("Ok", &"c".repeat(256));
    let (_, messages) = response_messages(open(view.clone()).await);
    assert!(
        messages[0].as_str().unwrap().contains("/view/callback_id"),
        "{messages}"
    );
    view["callback_id"] = json!("c");
    view["blocks"] = json!(vec![json!({"type": "divider"}); 101]);
    let (_, messages) = response_messages(open(view.clone()).await);
    assert_eq!(
        messages,
        json!(["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"])
    );
    view["blocks"] = json!(vec![json!({"type": "divider"}); 100]);
    open(view).await.expect("100 blocks fit");
    let mut view = modal_json("Ok", "c");
    view["blocks"][1]["block_id"] = json!("route");
    let (_, messages) = response_messages(open(view).await);
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .contains("duplicate block_id: route"),
        "{messages}"
    );

    // An input block needs a submit button; views.open takes modals only.
    let mut view = modal_json("Ok", "c");
    view.as_object_mut().unwrap().remove("submit");
    assert_eq!(api_code(open(view).await), "invalid_arguments");
    let home = json!({"type": "home", "blocks": []});
    let (_, messages) = response_messages(open(home).await);
    assert!(
        messages[0].as_str().unwrap().contains("/view/type"),
        "{messages}"
    );

    // external_id is unique per workspace.
    let mut view = modal_json("Ok", "c");
    view["external_id"] = json!("routes-1");
    open(view.clone())
        .await
        .expect("first use of the external_id");
    assert_eq!(api_code(open(view).await), "duplicate_external_id");

    // A validation failure leaves the trigger usable.
    let trigger = emu.issue_trigger("T0001", &ada);
    assert_eq!(
        api_code(
            session
                .views_open(&open_req(&trigger, modal_json(&"x".repeat(30), "c")))
                .await
        ),
        "invalid_arguments"
    );
    session
        .views_open(&open_req(&trigger, modal_json("Ok", "c")))
        .await
        .expect("same trigger, valid view");

    // A form-encoded call with the view as a JSON string works too.
    let trigger = emu.issue_trigger("T0001", &ada);
    let body = format!(
        "token={}&trigger_id={trigger}&view={}",
        ws.bot_token,
        form_encode(&modal_json("Form", "c").to_string())
    );
    let resp: Value = reqwest::Client::new()
        .post(format!("{}views.open", emu.api_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("form post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["ok"], true, "{resp}");
    assert_eq!(resp["view"]["title"]["text"], "Form");
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn views_update_checks_the_hash() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let mut view = modal_json("Routes", "routes");
    view["external_id"] = json!("routes-ada");
    let opened = session
        .views_open(&open_req(&emu.issue_trigger("T0001", &ada), view))
        .await
        .expect("views.open");
    let id = opened.view.state_params.id.clone();
    let first_hash = opened.view.state_params.hash.clone();

    let updated = session
        .views_update(
            &SlackApiViewsUpdateRequest::new(slack_view(modal_json("Routes (2)", "routes")))
                .with_view_id(id.clone())
                .with_hash(first_hash.clone()),
        )
        .await
        .expect("update with the current hash");
    let params = &updated.view.state_params;
    assert_eq!(params.id, id, "an update keeps the view id");
    assert_eq!(params.root_view_id.as_ref(), Some(&id));
    assert_ne!(params.hash, first_hash, "every change gets a new hash");
    assert_eq!(emu.view(&id.0).unwrap()["title"]["text"], "Routes (2)");
    assert_eq!(
        emu.view(&id.0).unwrap()["external_id"],
        "routes-ada",
        "an update that omits external_id keeps it"
    );

    assert_eq!(
        api_code(
            session
                .views_update(
                    &SlackApiViewsUpdateRequest::new(slack_view(modal_json("Stale", "routes")))
                        .with_view_id(id.clone())
                        .with_hash(first_hash),
                )
                .await
        ),
        "hash_conflict"
    );
    assert_eq!(emu.view(&id.0).unwrap()["title"]["text"], "Routes (2)");

    // By external_id, without a hash.
    session
        .views_update(
            &SlackApiViewsUpdateRequest::new(slack_view(modal_json("By external id", "routes")))
                .with_external_id("routes-ada".into()),
        )
        .await
        .expect("update by external_id");
    assert_eq!(emu.view(&id.0).unwrap()["title"]["text"], "By external id");

    for req in [
        SlackApiViewsUpdateRequest::new(slack_view(modal_json("X", "x")))
            .with_view_id("V0NOPE".into()),
        SlackApiViewsUpdateRequest::new(slack_view(modal_json("X", "x")))
            .with_external_id("nope".into()),
    ] {
        assert_eq!(api_code(session.views_update(&req).await), "not_found");
    }
    let (code, _) = response_messages(
        raw_post(
            &client,
            &ws.bot_token,
            "views.update",
            &json!({"view": modal_json("X", "x")}),
        )
        .await,
    );
    assert_eq!(code, "invalid_arguments");

    // Entered values survive an update that keeps the block and action ids.
    let values = json!({"route": {"target": {"type": "static_select", "selected_option": null}}});
    emu.view_submission(&id.0, &ada, values.clone());
    session
        .views_update(
            &SlackApiViewsUpdateRequest::new(slack_view(modal_json("Kept", "routes")))
                .with_view_id(id.clone()),
        )
        .await
        .expect("update");
    assert_eq!(emu.view(&id.0).unwrap()["state"]["values"], values);
    let mut other = modal_json("Dropped", "routes");
    other["blocks"][0]["block_id"] = json!("route-v2");
    session
        .views_update(&SlackApiViewsUpdateRequest::new(slack_view(other)).with_view_id(id.clone()))
        .await
        .expect("update");
    assert_eq!(emu.view(&id.0).unwrap()["state"]["values"], json!({}));
}

#[tokio::test]
async fn views_push_stacks_up_to_three() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let root = session
        .views_open(&open_req(
            &emu.issue_trigger("T0001", &ada),
            modal_json("Root", "root"),
        ))
        .await
        .expect("views.open")
        .view
        .state_params
        .id;

    // The user presses a button in the modal; its trigger pushes onto that modal.
    let press = emu.block_actions(
        Some(&root.0),
        &ada,
        "T0001",
        json!([{"type": "button", "action_id": "add_rule", "block_id": "more", "value": "add"}]),
    );
    let trigger = press["trigger_id"].as_str().unwrap().to_string();
    let pushed = session
        .views_push(&SlackApiViewsPushRequest::new(
            trigger.clone().into(),
            slack_view(modal_json("Second", "second")),
        ))
        .await
        .expect("views.push");
    let second = pushed.view.state_params;
    assert_eq!(second.root_view_id.as_ref(), Some(&root));
    assert_eq!(second.previous_view_id.as_ref(), Some(&root));
    assert_eq!(
        api_code(
            session
                .views_push(&SlackApiViewsPushRequest::new(
                    trigger.into(),
                    slack_view(modal_json("Again", "x")),
                ))
                .await
        ),
        "exchanged_trigger_id"
    );

    let press = emu.block_actions(Some(&second.id.0), &ada, "T0001", json!([]));
    let third = session
        .views_push(&SlackApiViewsPushRequest::new(
            press["trigger_id"].as_str().unwrap().to_string().into(),
            slack_view(modal_json("Third", "third")),
        ))
        .await
        .expect("third view")
        .view
        .state_params;
    assert_eq!(third.previous_view_id.as_ref(), Some(&second.id));
    assert_eq!(third.root_view_id.as_ref(), Some(&root));

    let press = emu.block_actions(Some(&third.id.0), &ada, "T0001", json!([]));
    assert_eq!(
        api_code(
            session
                .views_push(&SlackApiViewsPushRequest::new(
                    press["trigger_id"].as_str().unwrap().to_string().into(),
                    slack_view(modal_json("Fourth", "fourth")),
                ))
                .await
        ),
        "push_limit_reached"
    );
    assert_eq!(emu.views_opened().len(), 3);

    // No modal open for this user: nothing to push onto.
    let bob = emu.add_user("T0001", "Bob", "bob@example.com");
    assert_eq!(
        api_code(
            session
                .views_push(&SlackApiViewsPushRequest::new(
                    emu.issue_trigger("T0001", &bob).into(),
                    slack_view(modal_json("Lonely", "x")),
                ))
                .await
        ),
        "not_found"
    );
}

#[tokio::test]
async fn views_publish_home_and_read_it_back() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let home = |text: &str| {
        slack_view(json!({
            "type": "home",
            "callback_id": "home",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {"type": "actions", "block_id": "home_actions", "elements": [
                    {"type": "button", "action_id": "open_routes", "text": {"type": "plain_text", "text": "Routes"}},
                ]},
            ],
        }))
    };
    assert!(emu.home_view("T0001", &ada).is_none());
    let published = session
        .views_publish(&SlackApiViewsPublishRequest::new(
            ada.clone().into(),
            home("*Hello*"),
        ))
        .await
        .expect("views.publish");
    let params = published.view.state_params;
    assert!(matches!(published.view.view, SlackView::Home(_)));
    let stored = emu.home_view("T0001", &ada).expect("home view");
    assert_eq!(stored["id"], json!(params.id.0));
    assert_eq!(stored["type"], "home");
    assert_eq!(stored["hash"], json!(params.hash));
    assert_eq!(stored["blocks"][0]["text"]["text"], "*Hello*");
    assert_eq!(stored["close"], Value::Null);
    assert_eq!(stored["root_view_id"], json!(params.id.0));

    // Republishing replaces the content; the Home tab keeps its id.
    let again = session
        .views_publish(
            &SlackApiViewsPublishRequest::new(ada.clone().into(), home("*Updated*"))
                .with_hash(params.hash.clone()),
        )
        .await
        .expect("publish with the current hash");
    assert_eq!(again.view.state_params.id, params.id);
    assert_ne!(again.view.state_params.hash, params.hash);
    assert_eq!(
        api_code(
            session
                .views_publish(
                    &SlackApiViewsPublishRequest::new(ada.clone().into(), home("*Stale*"))
                        .with_hash(params.hash),
                )
                .await
        ),
        "hash_conflict"
    );
    assert_eq!(
        emu.home_view("T0001", &ada).unwrap()["blocks"][0]["text"]["text"],
        "*Updated*"
    );

    // Home only; a known user only; at most 100 blocks.
    let (code, _) = response_messages(
        session
            .views_publish(&SlackApiViewsPublishRequest::new(
                ada.clone().into(),
                slack_view(modal_json("Modal", "m")),
            ))
            .await,
    );
    assert_eq!(code, "invalid_arguments");
    let (code, messages) = response_messages(
        session
            .views_publish(&SlackApiViewsPublishRequest::new(
                "U0NOBODY".into(),
                home("x"),
            ))
            .await,
    );
    assert_eq!(code, "invalid_arguments");
    assert_eq!(messages, json!(["invalid `user_id`"]));
    let big = json!({"type": "home", "blocks": vec![json!({"type": "divider"}); 101]});
    let (_, messages) = response_messages(
        raw_post(
            &client,
            &ws.bot_token,
            "views.publish",
            &json!({"user_id": ada, "view": big}),
        )
        .await,
    );
    assert!(
        messages[0].as_str().unwrap().contains("/view/blocks"),
        "{messages}"
    );
    assert_eq!(emu.calls_to("views.publish").len(), 6);
    assert_eq!(emu.views_opened().len(), 1);
}

#[tokio::test]
async fn interaction_payloads_look_like_slacks() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let view_id = session
        .views_open(&open_req(
            &emu.issue_trigger("T0001", &ada),
            modal_json("Routes", "routes"),
        ))
        .await
        .expect("views.open")
        .view
        .state_params
        .id
        .0;

    // view_submission: the fixture's keys, plus the enterprise fields Slack sends today.
    let values = json!({
        "route": {"target": {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "Deploys", "emoji": true}, "value": "deploys"},
        }},
    });
    let submission = emu.view_submission(&view_id, &ada, values.clone());
    let ours = top_level_keys(&submission);
    let theirs = top_level_keys(&real_view_submission());
    assert!(
        theirs.is_subset(&ours),
        "missing {:?}",
        theirs.difference(&ours).collect::<Vec<_>>()
    );
    let extra: Vec<&String> = ours.difference(&theirs).collect();
    assert_eq!(extra, vec!["enterprise", "is_enterprise_install"]);
    let view_keys = top_level_keys(&submission["view"]);
    assert_eq!(view_keys, top_level_keys(&real_view_submission()["view"]));
    assert_eq!(submission["view"]["state"]["values"], values);
    assert_eq!(
        submission["user"],
        json!({"id": ada, "username": "ada", "name": "ada", "team_id": "T0001"})
    );
    assert_eq!(
        submission["team"],
        json!({"id": "T0001", "domain": "acme-corp"})
    );
    assert_eq!(submission["token"], json!(emu.verification_token()));
    assert_eq!(submission["api_app_id"], json!(emu.app_id()));
    assert_eq!(emu.view(&view_id).unwrap()["state"]["values"], values);

    let parsed: SlackInteractionEvent =
        serde_json::from_value(real_view_submission()).expect("the real payload parses");
    assert!(matches!(parsed, SlackInteractionEvent::ViewSubmission(_)));
    match serde_json::from_value::<SlackInteractionEvent>(submission.clone()).expect("parses") {
        SlackInteractionEvent::ViewSubmission(ev) => {
            assert_eq!(ev.user.id.0, ada);
            assert_eq!(ev.view.state_params.id.0, view_id);
            let state = ev.view.state_params.state.expect("state");
            let selected = state.values[&"route".into()][&"target".into()]
                .selected_option
                .clone()
                .expect("selected option");
            assert_eq!(selected.value, "deploys");
            assert!(ev.trigger_id.is_some());
        }
        other => panic!("expected view_submission, got {other:?}"),
    }
    // Its trigger is fresh: the app can push a view in answer.
    session
        .views_push(&SlackApiViewsPushRequest::new(
            submission["trigger_id"]
                .as_str()
                .unwrap()
                .to_string()
                .into(),
            slack_view(modal_json("Confirm", "confirm")),
        ))
        .await
        .expect("push with the submission's trigger");

    // block_actions in a modal: the fixture's keys, minus the message-only ones, plus the view.
    let press = emu.block_actions(
        Some(&view_id),
        &ada,
        "T0001",
        json!([{
            "type": "button",
            "action_id": "add_rule",
            "block_id": "more",
            "text": {"type": "plain_text", "text": "Add rule", "emoji": true},
            "value": "add",
        }]),
    );
    let ours = top_level_keys(&press);
    let mut theirs = top_level_keys(&real_block_actions());
    theirs.remove("channel");
    theirs.remove("response_url");
    assert!(
        theirs.is_subset(&ours),
        "missing {:?}",
        theirs.difference(&ours).collect::<Vec<_>>()
    );
    let extra: Vec<&String> = ours.difference(&theirs).collect();
    assert_eq!(extra, vec!["enterprise", "is_enterprise_install", "view"]);
    assert_eq!(
        press["container"],
        json!({"type": "view", "view_id": view_id})
    );
    assert!(press["actions"][0]["action_ts"].is_string());

    let parsed: SlackInteractionEvent =
        serde_json::from_value(real_block_actions()).expect("the real payload parses");
    assert!(matches!(parsed, SlackInteractionEvent::BlockActions(_)));
    match serde_json::from_value::<SlackInteractionEvent>(press).expect("parses") {
        SlackInteractionEvent::BlockActions(ev) => {
            match ev.container {
                SlackInteractionActionContainer::View(c) => assert_eq!(c.view_id.0, view_id),
                other => panic!("expected a view container, got {other:?}"),
            }
            assert!(matches!(ev.view, Some(SlackView::Modal(_))));
            let actions = ev.actions.expect("actions");
            assert_eq!(actions[0].action_id.0, "add_rule");
            assert_eq!(actions[0].value.as_deref(), Some("add"));
        }
        other => panic!("expected block_actions, got {other:?}"),
    }

    // block_actions on the Home tab (view_id None): its trigger opens a modal.
    session
        .views_publish(&SlackApiViewsPublishRequest::new(
            ada.clone().into(),
            slack_view(json!({"type": "home", "blocks": [
                {"type": "actions", "block_id": "home_actions", "elements": [
                    {"type": "button", "action_id": "open_routes", "text": {"type": "plain_text", "text": "Routes"}},
                ]},
            ]})),
        ))
        .await
        .expect("views.publish");
    let home_press = emu.block_actions(
        None,
        &ada,
        "T0001",
        json!([{"type": "button", "action_id": "open_routes", "block_id": "home_actions"}]),
    );
    let home_id = emu.home_view("T0001", &ada).unwrap()["id"].clone();
    assert_eq!(
        home_press["container"],
        json!({"type": "view", "view_id": home_id})
    );
    match serde_json::from_value::<SlackInteractionEvent>(home_press.clone()).expect("parses") {
        SlackInteractionEvent::BlockActions(ev) => {
            assert!(matches!(ev.view, Some(SlackView::Home(_))));
        }
        other => panic!("expected block_actions, got {other:?}"),
    }
    session
        .views_open(&open_req(
            home_press["trigger_id"].as_str().unwrap(),
            modal_json("From Home", "home-modal"),
        ))
        .await
        .expect("open with the Home tab's trigger");
}

#[tokio::test]
async fn views_faults_and_recording() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    emu.inject(
        "views.open",
        Fault::RateLimited {
            retry_after_secs: 2,
        },
    );
    emu.inject("views.open", Fault::ApiError("fatal_error".into()));
    let trigger = emu.issue_trigger("T0001", &ada);
    match session
        .views_open(&open_req(&trigger, modal_json("Routes", "r")))
        .await
    {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert_eq!(
        api_code(
            session
                .views_open(&open_req(&trigger, modal_json("Routes", "r")))
                .await
        ),
        "fatal_error"
    );
    // Faulted calls did not exchange the trigger.
    session
        .views_open(&open_req(&trigger, modal_json("Routes", "r")))
        .await
        .expect("third time");
    let statuses: Vec<u16> = emu
        .calls_to("views.open")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, vec![429, 200, 200]);

    emu.inject("views.publish", Fault::ServerError(503));
    match session
        .views_publish(&SlackApiViewsPublishRequest::new(
            ada.clone().into(),
            slack_view(json!({"type": "home", "blocks": []})),
        ))
        .await
    {
        Err(SlackClientError::HttpError(e)) => assert_eq!(e.status_code.as_u16(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    assert!(emu.home_view("T0001", &ada).is_none());

    // Views need a bot token.
    let app = token(&ws.app_token);
    assert_eq!(
        api_code(
            client
                .open_session(&app)
                .views_open(&open_req(
                    &emu.issue_trigger("T0001", &ada),
                    modal_json("R", "r")
                ))
                .await
        ),
        "not_allowed_token_type"
    );
}

// ----- OAuth v2 install -----

const CLIENT_ID: &str = "1234567890.9876543210";
const CLIENT_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const REDIRECT: &str = "https://herald.example/slack/oauth";

/// A workspace with one human user (the installer) and the OAuth client registered.
async fn oauth_setup() -> (SlackEmulator, Workspace, Arc<SlackHyperClient>, String) {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    emu.register_oauth_app(
        CLIENT_ID,
        CLIENT_SECRET,
        &[REDIRECT, "https://herald.example/other"],
    );
    (emu, ws, client, ada)
}

fn access_req(
    client_id: &str,
    secret: &str,
    code: &str,
    redirect_uri: Option<&str>,
) -> SlackOAuthV2AccessTokenRequest {
    let req = SlackOAuthV2AccessTokenRequest::new(
        client_id.to_string().into(),
        secret.to_string().into(),
        code.to_string().into(),
    );
    match redirect_uri {
        Some(uri) => req.with_redirect_uri(reqwest::Url::parse(uri).expect("url")),
        None => req,
    }
}

/// A client that does not follow redirects, like a test looking at what the browser is told.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).expect("url");
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn oauth_v2_access_mints_a_working_bot_token() {
    let (emu, ws, client, ada) = oauth_setup().await;
    let channel = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "alerts".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let code = emu.issue_oauth_code(CLIENT_ID, "T0001", &ada, &["commands", "chat:write"], None);
    let resp = client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(REDIRECT)))
        .await
        .expect("oauth.v2.access");
    let new_token = resp.access_token.0.clone();
    assert!(new_token.starts_with("xoxb-"), "{new_token}");
    assert_ne!(new_token, ws.bot_token);
    assert_eq!(resp.token_type, SlackApiTokenType::Bot);
    assert_eq!(resp.scope.0, "commands,chat:write");
    assert_eq!(
        resp.bot_user_id.as_ref().map(|u| u.0.as_str()),
        Some(ws.bot_user_id.as_str())
    );
    assert_eq!(resp.app_id.0, emu.app_id());
    assert_eq!(resp.team.id.0, "T0001");
    assert_eq!(resp.team.name.as_deref(), Some("Acme Corp"));
    assert_eq!(resp.authed_user.id.0, ada);
    assert!(resp.authed_user.access_token.is_none());

    // Slack's documented shape, exactly; slack-morphism sent the credentials as HTTP Basic.
    let calls = emu.calls_to("oauth.v2.access");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, 200);
    assert_eq!(calls[0].token, None);
    assert_eq!(calls[0].args["code"], code.as_str());
    assert_eq!(calls[0].args["redirect_uri"], REDIRECT);
    assert!(calls[0].args.get("client_secret").is_none());
    assert_eq!(
        calls[0].response,
        json!({
            "ok": true,
            "access_token": new_token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": ws.bot_user_id,
            "app_id": emu.app_id(),
            "team": {"name": "Acme Corp", "id": "T0001"},
            "enterprise": null,
            "authed_user": {"id": ada},
            "is_enterprise_install": false,
        })
    );
    assert_eq!(emu.received("oauth.v2.access"), 1);

    // The new token is the workspace's bot token.
    let t = token(&new_token);
    let session = client.open_session(&t);
    let auth = session.auth_test().await.expect("auth.test");
    assert_eq!(auth.team_id.0, "T0001");
    assert_eq!(auth.team, "Acme Corp");
    assert_eq!(auth.user_id.0, ws.bot_user_id);
    assert_eq!(auth.bot_id.map(|b| b.0), Some(ws.bot_id.clone()));
    let posted = session
        .chat_post_message(&post_req(&channel, "installed"))
        .await
        .expect("post with the new token");
    assert_eq!(posted.channel.0, channel);
    assert_eq!(
        emu.workspace("T0001").map(|w| w.bot_token),
        Some(new_token.clone())
    );

    // A reinstall asking for more scopes: a new token, scopes add up, older tokens still work.
    let code = emu.issue_oauth_code(CLIENT_ID, "T0001", &ada, &["users:read"], None);
    let again = client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, None))
        .await
        .expect("reinstall");
    assert_ne!(again.access_token.0, new_token);
    assert_eq!(again.scope.0, "commands,chat:write,users:read");
    assert_eq!(
        emu.oauth_bot_scopes("T0001"),
        vec!["commands", "chat:write", "users:read"]
    );
    for tok in [&ws.bot_token, &new_token, &again.access_token.0] {
        let t = token(tok);
        client
            .open_session(&t)
            .auth_test()
            .await
            .expect("every token minted so far works");
    }
    emu.revoke_token(&new_token);
    assert_eq!(api_code(session.auth_test().await), "token_revoked");
}

#[tokio::test]
async fn oauth_v2_access_errors_like_slack() {
    let (emu, _ws, client, ada) = oauth_setup().await;
    let issue = || emu.issue_oauth_code(CLIENT_ID, "T0001", &ada, &["chat:write"], Some(REDIRECT));

    let code = issue();
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req("999.999", CLIENT_SECRET, &code, None))
                .await
        ),
        "invalid_client_id"
    );
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(CLIENT_ID, "wrong-secret", &code, None))
                .await
        ),
        "bad_client_secret"
    );
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(
                    CLIENT_ID,
                    CLIENT_SECRET,
                    "1111111111.2222222222222.abcdef",
                    None
                ))
                .await
        ),
        "invalid_code"
    );
    // A redirect_uri other than the one the user was sent to.
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(
                    CLIENT_ID,
                    CLIENT_SECRET,
                    &code,
                    Some("https://herald.example/other")
                ))
                .await
        ),
        "bad_redirect_uri"
    );
    // None of those used the code up; the first success does.
    client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(REDIRECT)))
        .await
        .expect("exchange");
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(REDIRECT)))
                .await
        ),
        "invalid_code",
        "codes are single use"
    );

    // Codes expire after ten minutes.
    let code = issue();
    emu.expire_oauth_codes();
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, None))
                .await
        ),
        "invalid_code"
    );

    // A code belongs to the client it was issued for.
    emu.register_oauth_app("555.666", "other-secret", &[REDIRECT]);
    let code = issue();
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req("555.666", "other-secret", &code, None))
                .await
        ),
        "invalid_code"
    );

    // Credentials as form parameters work too; a missing client_id or a JSON body does not.
    let http = reqwest::Client::new();
    let url = format!("{}oauth.v2.access", emu.api_url());
    let form = |body: String| {
        http.post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let resp: Value = form(format!(
        "client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&code={code}&redirect_uri={}",
        form_encode(REDIRECT)
    ))
    .send()
    .await
    .expect("form post")
    .json()
    .await
    .expect("json");
    assert_eq!(resp["ok"], true, "{resp}");
    assert_eq!(resp["token_type"], "bot");
    let code = issue();
    let resp: Value = form(format!("client_secret={CLIENT_SECRET}&code={code}"))
        .send()
        .await
        .expect("form post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp, json!({"ok": false, "error": "invalid_client_id"}));
    let resp: Value = http
        .post(url.clone())
        .header("content-type", "application/json; charset=utf-8")
        .body(
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code})
                .to_string(),
        )
        .send()
        .await
        .expect("json post")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["error"], "invalid_client_id");
    let resp: Value = form(format!(
        "client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=refresh_token&refresh_token=xoxe-1-nope"
    ))
    .send()
    .await
    .expect("form post")
    .json()
    .await
    .expect("json");
    assert_eq!(resp["error"], "invalid_refresh_token");

    // Faults apply as to any method, and every call is recorded.
    emu.inject(
        "oauth.v2.access",
        Fault::RateLimited {
            retry_after_secs: 3,
        },
    );
    match client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, None))
        .await
    {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    let errors: Vec<Value> = emu
        .calls_to("oauth.v2.access")
        .iter()
        .map(|c| c.response["error"].clone())
        .collect();
    assert_eq!(
        errors,
        vec![
            json!("invalid_client_id"),
            json!("bad_client_secret"),
            json!("invalid_code"),
            json!("bad_redirect_uri"),
            Value::Null,
            json!("invalid_code"),
            json!("invalid_code"),
            json!("invalid_code"),
            Value::Null,
            json!("invalid_client_id"),
            json!("invalid_client_id"),
            json!("invalid_refresh_token"),
            json!("ratelimited"),
        ]
    );
    assert_eq!(emu.received("oauth.v2.access"), 13);
}

#[tokio::test]
async fn oauth_authorize_redirects_like_slack() {
    let (emu, ws, client, ada) = oauth_setup().await;
    let browser = browser();
    let authorize = emu.oauth_authorize_url();
    let get = |query: String| browser.get(format!("{authorize}?{query}")).send();
    let install_query = format!(
        "client_id={CLIENT_ID}&scope={}&user_scope=&redirect_uri={}&state={}&team=T0001",
        form_encode("commands,chat:write"),
        form_encode(REDIRECT),
        form_encode("st 1&x"),
    );

    // No one signed in to approve: the emulator says so.
    let page = get(install_query.clone()).await.expect("authorize");
    assert_eq!(page.status(), 400);

    emu.set_oauth_installer("T0001", &ada);
    let resp = get(install_query.clone()).await.expect("authorize");
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=st%201%26x"), "{location}");
    let code = query_param(&location, "code").expect("code");
    assert_eq!(query_param(&location, "state").as_deref(), Some("st 1&x"));
    let token_resp = client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(REDIRECT)))
        .await
        .expect("exchange the code");
    assert_eq!(token_resp.authed_user.id.0, ada);
    assert_eq!(token_resp.team.id.0, "T0001");
    assert_eq!(token_resp.scope.0, "commands,chat:write");
    let t = token(&token_resp.access_token.0);
    let auth = client
        .open_session(&t)
        .auth_test()
        .await
        .expect("auth.test");
    assert_eq!(auth.user_id.0, ws.bot_user_id);

    // The user says no.
    emu.deny_next_oauth_authorize();
    let resp = get(install_query.clone()).await.expect("authorize");
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("{REDIRECT}?error=access_denied&state=st%201%26x").as_str()
    );
    // Only that once.
    let resp = get(install_query).await.expect("authorize");
    assert!(query_param(resp.headers()["location"].to_str().unwrap(), "code").is_some());

    // Without redirect_uri: the first Redirect URL. Below a Redirect URL: allowed. User scopes
    // give the installer a user token.
    let resp = get(format!("client_id={CLIENT_ID}&scope=chat:write"))
        .await
        .expect("authorize");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(query_param(&location, "state").is_none());
    let sub = format!("{REDIRECT}/done?from=slack");
    let resp = get(format!(
        "client_id={CLIENT_ID}&scope=chat:write&user_scope=search:read&redirect_uri={}",
        form_encode(&sub)
    ))
    .await
    .expect("authorize");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{sub}&code=")), "{location}");
    let code = query_param(&location, "code").expect("code");
    assert_eq!(
        api_code(
            client
                .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(REDIRECT)))
                .await
        ),
        "bad_redirect_uri"
    );
    let with_user = client
        .oauth2_access(&access_req(CLIENT_ID, CLIENT_SECRET, &code, Some(&sub)))
        .await
        .expect("exchange");
    assert_eq!(
        with_user.authed_user.scope.map(|s| s.0).as_deref(),
        Some("search:read")
    );
    assert_eq!(
        with_user.authed_user.token_type,
        Some(SlackApiTokenType::User)
    );
    let user_token = with_user.authed_user.access_token.expect("user token").0;
    assert!(user_token.starts_with("xoxp-"), "{user_token}");
    let t = token(&user_token);
    let auth = client
        .open_session(&t)
        .auth_test()
        .await
        .expect("auth.test");
    assert_eq!(auth.user_id.0, ada);
    assert_eq!(auth.bot_id, None);

    // Slack's error pages: unknown client, a redirect_uri not configured, no scopes.
    for query in [
        format!(
            "client_id=1.2&scope=chat:write&redirect_uri={}",
            form_encode(REDIRECT)
        ),
        "scope=chat:write".to_string(),
        format!(
            "client_id={CLIENT_ID}&scope=chat:write&redirect_uri={}",
            form_encode("https://evil.example/slack/oauth")
        ),
        format!(
            "client_id={CLIENT_ID}&scope=chat:write&redirect_uri={}",
            form_encode("https://herald.example/slack/oauthx")
        ),
        format!(
            "client_id={CLIENT_ID}&redirect_uri={}",
            form_encode(REDIRECT)
        ),
    ] {
        let resp = get(query.clone()).await.expect("authorize");
        assert_eq!(resp.status(), 400, "{query}");
        assert!(resp.headers().get("location").is_none());
        assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
        let body = resp.text().await.expect("body");
        assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    }

    let log = emu.oauth_authorizations();
    let statuses: Vec<u16> = log.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![400, 302, 302, 302, 302, 302, 400, 400, 400, 400, 400]
    );
    assert_eq!(log[1].args["state"], "st 1&x");
    assert_eq!(log[1].args["team"], "T0001");
    assert!(
        log[1]
            .location
            .as_deref()
            .is_some_and(|l| l.contains("code="))
    );
    assert_eq!(log[6].location, None);
}

// ----- Rate tiers -----

fn rate_limit_of<T: std::fmt::Debug>(result: Result<T, SlackClientError>) -> Duration {
    match result {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.code.as_deref(), Some("ratelimited"));
            e.retry_after.expect("Retry-After")
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

fn list_req(limit: u16) -> SlackApiConversationsListRequest {
    SlackApiConversationsListRequest::new().with_limit(limit)
}

#[tokio::test]
async fn rate_tiers_refuse_over_the_limit_then_recover() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    // Off by default: well past Tier 2 without a refusal.
    for _ in 0..25 {
        session
            .conversations_list(&list_req(10))
            .await
            .expect("no tiers by default");
    }
    assert_eq!(emu.rate_limited("conversations.list"), 0);

    // A "minute" of two seconds (room for a slow machine to make the calls within it).
    emu.enforce_rate_tiers(30.0);
    for i in 0..20 {
        session
            .conversations_list(&list_req(10))
            .await
            .unwrap_or_else(|e| panic!("call {i} within Tier 2: {e:?}"));
    }
    let retry_list = rate_limit_of(session.conversations_list(&list_req(10)).await);
    assert!(
        (1..=2).contains(&retry_list.as_secs()) && retry_list.subsec_nanos() == 0,
        "whole seconds within the window, at least 1: {retry_list:?}"
    );
    assert_eq!(emu.rate_limited("conversations.list"), 1);
    let last = emu.calls_to("conversations.list").pop().expect("recorded");
    assert_eq!(last.status, 429);
    assert_eq!(last.response, json!({"ok": false, "error": "ratelimited"}));

    // Limits are per method and per workspace.
    session
        .users_info(&SlackApiUsersInfoRequest::new(ada.clone().into()))
        .await
        .expect("users.info has its own Tier 4 budget");
    let other = emu.add_workspace("T0002", "Other Corp");
    let other_token = token(&other.bot_token);
    client
        .open_session(&other_token)
        .conversations_list(&list_req(10))
        .await
        .expect("another workspace has its own budget");
    // chat.postMessage keeps its special (untiered) handling.
    for i in 0..30 {
        session
            .chat_post_message(&post_req(&ch, &format!("n{i}")))
            .await
            .expect("chat.postMessage is not tier-limited");
    }

    // Tier 1: one call a minute.
    let history = SlackApiConversationsHistoryRequest::new().with_channel(ch.clone().into());
    session
        .conversations_history(&history)
        .await
        .expect("first history call");
    let retry_history = rate_limit_of(session.conversations_history(&history).await);
    assert_eq!(emu.rate_limited("conversations.history"), 1);

    // Tier 3: fifty conversations.info a minute.
    let info = SlackApiConversationsInfoRequest::new(ch.clone().into());
    for _ in 0..50 {
        session.conversations_info(&info).await.expect("Tier 3");
    }
    let retry_info = rate_limit_of(session.conversations_info(&info).await);

    // After Retry-After the window has room again.
    tokio::time::sleep(retry_list.max(retry_history).max(retry_info)).await;
    session
        .conversations_list(&list_req(10))
        .await
        .expect("after Retry-After");
    session
        .conversations_history(&history)
        .await
        .expect("Tier 1 after a minute");
    session
        .conversations_info(&info)
        .await
        .expect("Tier 3 after a minute");
    assert_eq!(emu.rate_limited("conversations.list"), 1);

    emu.stop_rate_tiers();
    for _ in 0..3 {
        session
            .conversations_history(&history)
            .await
            .expect("tiers off again");
    }
}

// ----- Paging at Slack's limits, user groups -----

#[tokio::test]
async fn list_limits_and_virtual_pages_like_slack() {
    let (emu, ws, client) = setup().await;
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    // Slack: "specify a limit value under 1000".
    assert_eq!(
        api_code(
            session
                .users_list(&SlackApiUsersListRequest::new().with_limit(1000))
                .await
        ),
        "invalid_limit"
    );
    assert_eq!(
        api_code(session.conversations_list(&list_req(1000)).await),
        "invalid_limit"
    );
    session
        .users_list(&SlackApiUsersListRequest::new().with_limit(999))
        .await
        .expect("999 is fine");
    session
        .conversations_list(&list_req(999))
        .await
        .expect("999 is fine");
    assert_eq!(
        api_code(
            session
                .users_list(
                    &SlackApiUsersListRequest::new()
                        .with_limit(10)
                        .with_cursor("bm9wZQ==".into())
                )
                .await
        ),
        "invalid_cursor"
    );

    // exclude_archived applies after the virtual page is cut: a short page, then the rest.
    let spec = |name: &str, archived: bool| ChannelSpec {
        name: name.into(),
        archived,
        ..Default::default()
    };
    let a = emu.add_channel("T0001", spec("a", false));
    let _b = emu.add_channel("T0001", spec("b", true));
    let c = emu.add_channel("T0001", spec("c", false));
    let secret = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "secret".into(),
            private: true,
            ..Default::default()
        },
    );
    let d = emu.add_channel("T0001", spec("d", false));
    emu.delete_channel(&d);
    let first = session
        .conversations_list(&list_req(2).with_exclude_archived(true))
        .await
        .expect("page 1");
    let ids: Vec<String> = first.channels.iter().map(|c| c.id.0.clone()).collect();
    assert_eq!(
        ids,
        vec![a.clone()],
        "b counted towards the page, then filtered"
    );
    let cursor = first
        .response_metadata
        .and_then(|m| m.next_cursor)
        .expect("more pages");
    let second = session
        .conversations_list(&list_req(2).with_exclude_archived(true).with_cursor(cursor))
        .await
        .expect("page 2");
    let ids: Vec<String> = second.channels.iter().map(|c| c.id.0.clone()).collect();
    assert_eq!(
        ids,
        vec![c.clone()],
        "deleted and private channels are not listed"
    );
    assert!(
        second
            .response_metadata
            .and_then(|m| m.next_cursor)
            .is_none()
    );
    // A private channel is listed only for its members, and only with private_channel.
    emu.set_bot_member(&secret, true);
    let with_private = raw_get(
        &client,
        &ws.bot_token,
        "conversations.list",
        &[("types", Some("public_channel,private_channel"))],
    )
    .await
    .expect("both types");
    let names: Vec<&str> = with_private["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "b", "c", "secret"]);

    // users.list without a limit stops at 1000 members, with a cursor for the rest.
    emu.add_users_bulk("T0001", 1500);
    let unlimited = session
        .users_list(&SlackApiUsersListRequest::new())
        .await
        .expect("no limit");
    assert_eq!(unlimited.members.len(), 1000);
    let cursor = unlimited
        .response_metadata
        .and_then(|m| m.next_cursor)
        .expect("cursor");
    let rest = session
        .users_list(&SlackApiUsersListRequest::new().with_cursor(cursor))
        .await
        .expect("the rest");
    assert_eq!(rest.members.len(), 501, "1500 people and the bot");
    let with_locale = raw_get(
        &client,
        &ws.bot_token,
        "users.list",
        &[("limit", Some("2")), ("include_locale", Some("true"))],
    )
    .await
    .expect("include_locale");
    assert!(with_locale["members"][1]["locale"].is_string());
}

#[tokio::test]
async fn usergroups_list_options_and_disabled_groups() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let bob = emu.add_user("T0001", "Bob", "bob@example.com");
    let live = emu.add_usergroup("T0001", "oncall", &[&ada, &bob]);
    let gone = emu.add_usergroup("T0001", "alumni", &[&bob]);
    let event = emu.set_usergroup_disabled(&gone, true);
    assert_ne!(event["event"]["subteam"]["date_delete"], 0);
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let plain = raw_get(&client, &ws.bot_token, "usergroups.list", &[])
        .await
        .expect("usergroups.list");
    let groups = plain["usergroups"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        1,
        "disabled groups only with include_disabled"
    );
    assert_eq!(groups[0]["id"], live.as_str());
    assert_eq!(groups[0]["date_delete"], 0);
    assert!(groups[0].get("users").is_none(), "only with include_users");
    assert!(
        groups[0].get("user_count").is_none(),
        "only with include_count"
    );

    let all = session
        .usergroups_list(
            &SlackApiUserGroupsListRequest::new()
                .with_include_disabled(true)
                .with_include_count(true)
                .with_include_users(true),
        )
        .await
        .expect("typed usergroups.list");
    assert_eq!(all.usergroups.len(), 2);
    let disabled = all
        .usergroups
        .iter()
        .find(|g| g.id.0 == gone)
        .expect("disabled group listed");
    assert!(
        disabled
            .date_delete
            .as_ref()
            .is_some_and(|d| d.0.as_second() > 0)
    );
    assert!(disabled.deleted_by.is_some());
    assert_eq!(disabled.user_count, 1);
    assert_eq!(
        disabled.users.as_ref().map(Vec::len),
        Some(1),
        "include_users"
    );

    let members = SlackApiUserGroupsUsersListRequest::new(gone.clone().into());
    assert_eq!(
        api_code(session.usergroups_users_list(&members).await),
        "no_such_subteam"
    );
    let members = session
        .usergroups_users_list(&members.with_include_disabled(true))
        .await
        .expect("with include_disabled");
    assert_eq!(members.users.len(), 1);

    emu.set_usergroup_disabled(&gone, false);
    let plain = raw_get(&client, &ws.bot_token, "usergroups.list", &[])
        .await
        .expect("usergroups.list");
    assert_eq!(plain["usergroups"].as_array().map(Vec::len), Some(2));
}

// ----- Directory events -----

/// The Events API envelope of one of Herald's fixtures (a real Slack payload).
fn fixture_envelope_keys() -> std::collections::BTreeSet<String> {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/slack/tokens_revoked.json")).expect("json");
    let mut keys = top_level_keys(&fixture["data"]);
    keys.remove("enterprise_id");
    keys
}

/// Parses an emulator event the way an app would and returns the inner event.
fn push_event(emu: &SlackEmulator, ws: &Workspace, envelope: &Value) -> SlackEventCallbackBody {
    let keys = top_level_keys(envelope);
    assert!(
        fixture_envelope_keys().is_subset(&keys),
        "envelope keys {keys:?}"
    );
    assert_eq!(envelope["type"], "event_callback");
    assert_eq!(envelope["token"], json!(emu.verification_token()));
    assert_eq!(envelope["api_app_id"], json!(emu.app_id()));
    assert_eq!(envelope["team_id"], json!(ws.team_id));
    assert_eq!(envelope["is_ext_shared_channel"], false);
    assert!(envelope["event_id"].as_str().unwrap().starts_with("Ev"));
    assert!(envelope["event"]["event_ts"].is_string());
    assert_eq!(
        envelope["authorizations"],
        json!([{
            "enterprise_id": null,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "is_bot": true,
            "is_enterprise_install": false,
        }])
    );
    match serde_json::from_value::<SlackPushEvent>(envelope.clone()).expect("parses") {
        SlackPushEvent::EventCallback(cb) => {
            assert_eq!(cb.team_id.0, ws.team_id);
            assert_eq!(
                cb.event_id.0,
                envelope["event_id"].as_str().unwrap().to_string()
            );
            let auth = &cb.authorizations.expect("authorizations")[0];
            assert_eq!(auth.user_id.0, ws.bot_user_id);
            cb.event
        }
        other => panic!("expected event_callback, got {other:?}"),
    }
}

fn unknown_type(event: &SlackEventCallbackBody) -> String {
    match event {
        SlackEventCallbackBody::Unknown(v) => v["type"].as_str().unwrap_or_default().to_string(),
        other => panic!("expected an event slack-morphism does not model, got {other:?}"),
    }
}

async fn info(
    client: &SlackHyperClient,
    tok: &str,
    channel: &str,
) -> Result<Value, SlackClientError> {
    raw_get(
        client,
        tok,
        "conversations.info",
        &[("channel", Some(channel))],
    )
    .await
}

#[tokio::test]
async fn public_channel_events_parse_and_change_state() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let (id, created) = emu.create_channel(
        "T0001",
        ChannelSpec {
            name: "launch".into(),
            ..Default::default()
        },
    );
    match push_event(&emu, &ws, &created) {
        SlackEventCallbackBody::ChannelCreated(ev) => {
            assert_eq!(ev.channel.id.0, id);
            assert_eq!(ev.channel.name.as_deref(), Some("launch"));
            assert_eq!(ev.channel.creator.map(|c| c.0), Some(ada.clone()));
            assert_eq!(ev.channel.flags.is_private, Some(false));
        }
        other => panic!("expected channel_created, got {other:?}"),
    }
    assert_eq!(created["event"]["channel"]["is_frozen"], false);
    assert_eq!(
        info(&client, &ws.bot_token, &id).await.unwrap()["channel"]["name"],
        "launch"
    );

    let renamed = emu.rename_channel(&id, "launch-2025");
    match push_event(&emu, &ws, &renamed) {
        SlackEventCallbackBody::ChannelRename(ev) => {
            assert_eq!(ev.channel.id.0, id);
            assert_eq!(ev.channel.name.as_deref(), Some("launch-2025"));
        }
        other => panic!("expected channel_rename, got {other:?}"),
    }
    let now = info(&client, &ws.bot_token, &id).await.unwrap();
    assert_eq!(now["channel"]["name"], "launch-2025");
    assert_eq!(now["channel"]["previous_names"], json!(["launch"]));

    let joined = emu.add_bot_to_channel(&id);
    match push_event(&emu, &ws, &joined) {
        SlackEventCallbackBody::MemberJoinedChannel(ev) => {
            assert_eq!(ev.user.0, ws.bot_user_id);
            assert_eq!(ev.channel.0, id);
            assert_eq!(ev.channel_type.0, "C");
            assert_eq!(ev.team.0, "T0001");
            assert_eq!(ev.inviter.map(|u| u.0), Some(ada.clone()));
        }
        other => panic!("expected member_joined_channel, got {other:?}"),
    }
    session
        .chat_post_message(&post_req(&id, "hello"))
        .await
        .expect("a member can post");

    let archived = emu.archive_channel_event(&id);
    match push_event(&emu, &ws, &archived) {
        SlackEventCallbackBody::ChannelArchive(ev) => {
            assert_eq!(ev.channel.0, id);
            assert_eq!(ev.user.0, ada);
        }
        other => panic!("expected channel_archive, got {other:?}"),
    }
    assert_eq!(
        info(&client, &ws.bot_token, &id).await.unwrap()["channel"]["is_archived"],
        true
    );
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&id, "x")).await),
        "is_archived"
    );
    let unarchived = emu.unarchive_channel_event(&id);
    assert!(matches!(
        push_event(&emu, &ws, &unarchived),
        SlackEventCallbackBody::ChannelUnarchive(ev) if ev.channel.0 == id
    ));
    assert_eq!(
        info(&client, &ws.bot_token, &id).await.unwrap()["channel"]["is_archived"],
        false
    );

    // The bot hears of its own removal as `channel_left` with who removed it (Slack's
    // channel_left reference; a bot delivery in slack-web's golden tests).
    let left = emu.remove_bot_from_channel(&id, &ws.bot_user_id);
    assert_eq!(unknown_type(&push_event(&emu, &ws, &left)), "channel_left");
    assert_eq!(left["event"]["channel"], id.as_str());
    assert!(left["event"]["actor_id"].is_string(), "{left}");
    assert!(left["event"].get("user").is_none(), "{left}");
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&id, "x")).await),
        "not_in_channel"
    );

    let deleted = emu.delete_channel(&id);
    assert!(matches!(
        push_event(&emu, &ws, &deleted),
        SlackEventCallbackBody::ChannelDeleted(ev) if ev.channel.0 == id
    ));
    assert_eq!(
        api_code(info(&client, &ws.bot_token, &id).await),
        "channel_not_found"
    );
    assert_eq!(
        api_code(session.chat_post_message(&post_req(&id, "x")).await),
        "channel_not_found"
    );
    assert_eq!(
        api_code(
            session
                .chat_post_message(&post_req("launch-2025", "x"))
                .await
        ),
        "channel_not_found",
        "nor by name"
    );
    let listed = session.conversations_list(&list_req(100)).await.unwrap();
    assert!(listed.channels.is_empty());

    // Every event got its own id.
    let ids: std::collections::HashSet<&str> = [
        &created,
        &renamed,
        &joined,
        &archived,
        &unarchived,
        &left,
        &deleted,
    ]
    .iter()
    .map(|e| e["event_id"].as_str().unwrap())
    .collect();
    assert_eq!(ids.len(), 7);
}

#[tokio::test]
async fn private_channel_events_use_group_types() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let id = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "hr-private".into(),
            private: true,
            bot_member: true,
            ..Default::default()
        },
    );
    let renamed = emu.rename_channel(&id, "hr-confidential");
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &renamed)),
        "group_rename"
    );
    assert_eq!(renamed["event"]["channel"]["name"], "hr-confidential");
    assert_eq!(
        info(&client, &ws.bot_token, &id).await.unwrap()["channel"]["name"],
        "hr-confidential"
    );

    let archived = emu.archive_channel_event(&id);
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &archived)),
        "group_archive"
    );
    assert_eq!(archived["event"]["channel"], id.as_str());
    assert_eq!(archived["event"]["user"], ada.as_str());
    let unarchived = emu.unarchive_channel_event(&id);
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &unarchived)),
        "group_unarchive"
    );
    assert_eq!(unarchived["event"]["actor_id"], ada.as_str());

    let left = emu.remove_bot_from_channel(&id, &ada);
    assert_eq!(unknown_type(&push_event(&emu, &ws, &left)), "group_left");
    assert_eq!(left["event"]["actor_id"], ada.as_str());
    assert_eq!(
        api_code(info(&client, &ws.bot_token, &id).await),
        "channel_not_found",
        "a private channel the bot left looks missing"
    );
    let joined = emu.add_bot_to_channel(&id);
    match push_event(&emu, &ws, &joined) {
        SlackEventCallbackBody::MemberJoinedChannel(ev) => assert_eq!(ev.channel_type.0, "G"),
        other => panic!("expected member_joined_channel, got {other:?}"),
    }
    assert_eq!(
        info(&client, &ws.bot_token, &id).await.unwrap()["channel"]["is_member"],
        true
    );

    let deleted = emu.delete_channel(&id);
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &deleted)),
        "group_deleted"
    );
    assert_eq!(deleted["event"]["actor_id"], ada.as_str());
    assert!(deleted["event"]["date_deleted"].is_i64());
    assert_eq!(
        api_code(info(&client, &ws.bot_token, &id).await),
        "channel_not_found"
    );
}

#[tokio::test]
async fn user_events_carry_the_users_info_object() {
    let (emu, ws, client) = setup().await;
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    let (id, joined) = emu.add_user_event("T0001", "佐藤 太郎", "taro@example.co.jp");
    match push_event(&emu, &ws, &joined) {
        SlackEventCallbackBody::TeamJoin(ev) => {
            assert_eq!(ev.user.id.0, id);
            assert_eq!(ev.user.real_name.as_deref(), Some("佐藤 太郎"));
            assert_eq!(ev.user.deleted, Some(false));
        }
        other => panic!("expected team_join, got {other:?}"),
    }
    assert!(joined["event"]["cache_ts"].is_i64());
    // The same object users.info returns, plus locale.
    let via_api = raw_get(
        &client,
        &ws.bot_token,
        "users.info",
        &[("user", Some(&id)), ("include_locale", Some("true"))],
    )
    .await
    .expect("users.info");
    let mut from_event = joined["event"]["user"].clone();
    let mut from_api = via_api["user"].clone();
    from_event.as_object_mut().unwrap().remove("updated");
    from_api.as_object_mut().unwrap().remove("updated");
    assert_eq!(from_event, from_api);

    let changed = emu.update_user(&id, Some("佐藤 太郎 (Taro Sato)"), Some("ｻﾄｳ"), None);
    match push_event(&emu, &ws, &changed) {
        SlackEventCallbackBody::UserChange(ev) => {
            assert_eq!(ev.user.id.0, id);
            assert_eq!(ev.user.real_name.as_deref(), Some("佐藤 太郎 (Taro Sato)"));
            let profile = ev.user.profile.expect("profile");
            assert_eq!(profile.display_name.as_deref(), Some("ｻﾄｳ"));
        }
        other => panic!("expected user_change, got {other:?}"),
    }
    let now = session
        .users_info(&SlackApiUsersInfoRequest::new(id.clone().into()))
        .await
        .expect("users.info");
    assert_eq!(now.user.real_name.as_deref(), Some("佐藤 太郎 (Taro Sato)"));
    assert_eq!(
        now.user.profile.and_then(|p| p.display_name).as_deref(),
        Some("ｻﾄｳ")
    );

    let deactivated = emu.update_user(&id, None, None, Some(true));
    match push_event(&emu, &ws, &deactivated) {
        SlackEventCallbackBody::UserChange(ev) => assert_eq!(ev.user.deleted, Some(true)),
        other => panic!("expected user_change, got {other:?}"),
    }
    let now = session
        .users_info(&SlackApiUsersInfoRequest::new(id.clone().into()))
        .await
        .expect("users.info");
    assert_eq!(now.user.deleted, Some(true));
    assert_eq!(now.user.real_name.as_deref(), Some("佐藤 太郎 (Taro Sato)"));
}

#[tokio::test]
async fn usergroup_events_carry_the_subteam() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let bob = emu.add_user("T0001", "Bob", "bob@example.com");

    let (id, created) = emu.add_usergroup_event("T0001", "sre", "SRE", &[&ada]);
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &created)),
        "subteam_created"
    );
    let subteam = &created["event"]["subteam"];
    assert_eq!(subteam["id"], id.as_str());
    assert_eq!(subteam["handle"], "sre");
    assert_eq!(subteam["name"], "SRE");
    assert_eq!(subteam["users"], json!([ada]));
    assert_eq!(subteam["user_count"], 1);
    assert_eq!(subteam["created_by"], ada.as_str());
    // The object usergroups.list returns (include_users, include_count), which slack-morphism
    // models.
    let listed = raw_get(
        &client,
        &ws.bot_token,
        "usergroups.list",
        &[
            ("include_users", Some("true")),
            ("include_count", Some("true")),
        ],
    )
    .await
    .expect("usergroups.list");
    assert_eq!(&listed["usergroups"][0], subteam);
    let typed: SlackUserGroup = serde_json::from_value(subteam.clone()).expect("a SlackUserGroup");
    assert_eq!(typed.id.0, id);

    let updated = emu.update_usergroup(
        &id,
        Some("Site Reliability"),
        Some("sre-team"),
        Some(&[&ada, &bob]),
    );
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &updated)),
        "subteam_updated"
    );
    let subteam = &updated["event"]["subteam"];
    assert_eq!(subteam["name"], "Site Reliability");
    assert_eq!(subteam["handle"], "sre-team");
    assert_eq!(subteam["user_count"], 2);
    let t = token(&ws.bot_token);
    let members = client
        .open_session(&t)
        .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new(id.clone().into()))
        .await
        .expect("usergroups.users.list");
    assert_eq!(members.users.len(), 2);

    // Slack truncates `users` at 500 in the event; user_count stays exact.
    let many = emu.add_users_bulk("T0001", 600);
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let big = emu.update_usergroup(&id, None, None, Some(&many));
    assert_eq!(
        big["event"]["subteam"]["users"].as_array().map(Vec::len),
        Some(500)
    );
    assert_eq!(big["event"]["subteam"]["user_count"], 600);

    let disabled = emu.set_usergroup_disabled(&id, true);
    assert_eq!(
        unknown_type(&push_event(&emu, &ws, &disabled)),
        "subteam_updated"
    );
    assert!(
        disabled["event"]["subteam"]["date_delete"]
            .as_i64()
            .unwrap()
            > 0
    );
}

// ----- block_suggestion and external selects -----

/// `block_suggestion` payload from slackapi/bolt-python
/// (tests/scenario_tests/test_block_suggestion.py @ a2f21ae4b1d1d63a6a5dc533aa53a8c4badd103d).
fn real_block_suggestion() -> Value {
    json!({
        "type": "block_suggestion",
        "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
        "container": {"type": "view", "view_id": "V111"},
        "api_app_id": "A111",
        "token": "verification_token",
        "action_id": "es_a",
        "block_id": "es_b",
        "value": "search word",
        "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
        "view": {
            "id": "V111",
            "team_id": "T111",
            "type": "modal",
            "blocks": [{
                "type": "input",
                "block_id": "es_b",
                "label": {"type": "plain_text", "text": "Search"},
                "optional": false,
                "element": {
                    "type": "external_select",
                    "action_id": "es_a",
                    "placeholder": {"type": "plain_text", "text": "Select an item"},
                },
            }],
            "private_metadata": "",
            "callback_id": "view-id",
            "state": {"values": {}},
            "hash": "111.xxx",
            "title": {"type": "plain_text", "text": "My App"},
            "clear_on_close": false,
            "notify_on_close": false,
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": null,
            "root_view_id": "V111",
            "app_id": "A111",
            "external_id": "",
            "app_installed_team_id": "T111",
            "bot_id": "B111",
        },
    })
}

fn picker_modal() -> Value {
    json!({
        "type": "modal",
        "callback_id": "route_picker",
        "title": {"type": "plain_text", "text": "Route"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "channel",
                "label": {"type": "plain_text", "text": "Channel"},
                "element": {
                    "type": "external_select",
                    "action_id": "pick_channel",
                    "placeholder": {"type": "plain_text", "text": "#sales-tokyo"},
                    "min_query_length": 2,
                },
            },
            {
                "type": "input",
                "block_id": "people",
                "label": {"type": "plain_text", "text": "People"},
                "element": {
                    "type": "multi_external_select",
                    "action_id": "pick_people",
                    "min_query_length": 0,
                    "max_selected_items": 5,
                },
            },
        ],
    })
}

#[tokio::test]
async fn block_suggestion_payloads_for_external_selects() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada", "ada@example.com");
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let view = session
        .views_open(&open_req(&emu.issue_trigger("T0001", &ada), picker_modal()))
        .await
        .expect("external selects with min_query_length are accepted")
        .view;
    let view_id = view.state_params.id.0.clone();
    assert_eq!(
        emu.view(&view_id).unwrap()["blocks"][0]["element"]["min_query_length"],
        2
    );

    let payload = emu.block_suggestion(&view_id, &ada, "T0001", "pick_channel", "channel", "営業");
    let ours = top_level_keys(&payload);
    let theirs = top_level_keys(&real_block_suggestion());
    assert!(
        theirs.is_subset(&ours),
        "missing {:?}",
        theirs.difference(&ours).collect::<Vec<_>>()
    );
    let extra: Vec<&String> = ours.difference(&theirs).collect();
    assert_eq!(extra, vec!["enterprise", "is_enterprise_install"]);
    assert!(
        payload.get("trigger_id").is_none(),
        "block_suggestion has no trigger"
    );
    assert_eq!(
        top_level_keys(&payload["view"]),
        top_level_keys(&real_block_suggestion()["view"])
    );
    assert_eq!(
        payload["container"],
        json!({"type": "view", "view_id": view_id})
    );
    assert_eq!(payload["token"], json!(emu.verification_token()));
    assert_eq!(
        payload["team"],
        json!({"id": "T0001", "domain": "acme-corp"})
    );

    let parsed: SlackInteractionEvent =
        serde_json::from_value(real_block_suggestion()).expect("the real payload parses");
    assert!(matches!(parsed, SlackInteractionEvent::BlockSuggestion(_)));
    match serde_json::from_value::<SlackInteractionEvent>(payload).expect("parses") {
        SlackInteractionEvent::BlockSuggestion(ev) => {
            assert_eq!(ev.action_id.0, "pick_channel");
            assert_eq!(ev.block_id.0, "channel");
            assert_eq!(ev.value, "営業");
            assert_eq!(ev.user.id.0, ada);
            assert_eq!(ev.team.id.0, "T0001");
            match ev.container {
                SlackInteractionActionContainer::View(c) => assert_eq!(c.view_id.0, view_id),
                other => panic!("expected a view container, got {other:?}"),
            }
            assert!(matches!(ev.view, Some(SlackView::Modal(_))));
        }
        other => panic!("expected block_suggestion, got {other:?}"),
    }
    // min_query_length 0: Slack asks as soon as the menu opens.
    let empty = emu.block_suggestion(&view_id, &ada, "T0001", "pick_people", "people", "");
    assert_eq!(empty["value"], "");

    // Options come from the app: an external select with an options array is refused.
    let mut bad = picker_modal();
    bad["blocks"][0]["element"]["options"] =
        json!([{"text": {"type": "plain_text", "text": "x"}, "value": "x"}]);
    let resp = raw_post(
        &client,
        &ws.bot_token,
        "views.open",
        &json!({"trigger_id": emu.issue_trigger("T0001", &ada), "view": bad}),
    )
    .await;
    let (code, messages) = response_messages(resp);
    assert_eq!(code, "invalid_arguments");
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .contains("/view/blocks/0/element/options"),
        "{messages}"
    );
    let mut bad = picker_modal();
    bad["blocks"][1]["element"]["min_query_length"] = json!("two");
    let resp = raw_post(
        &client,
        &ws.bot_token,
        "views.open",
        &json!({"trigger_id": emu.issue_trigger("T0001", &ada), "view": bad}),
    )
    .await;
    assert_eq!(response_messages(resp).0, "invalid_arguments");

    // The same rule for message blocks.
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let resp = raw_post(
        &client,
        &ws.bot_token,
        "chat.postMessage",
        &json!({"channel": ch, "blocks": [{
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Pick"},
            "accessory": {
                "type": "external_select",
                "action_id": "pick",
                "option_groups": [],
            },
        }]}),
    )
    .await;
    assert_eq!(api_code(resp), "invalid_blocks");

    // views.update and views.publish take them too.
    let mut updated = picker_modal();
    updated["blocks"][0]["element"]["min_query_length"] = json!(1);
    updated["blocks"][0]["element"]["initial_option"] =
        json!({"text": {"type": "plain_text", "text": "#general"}, "value": "C1"});
    session
        .views_update(
            &SlackApiViewsUpdateRequest::new(slack_view(updated))
                .with_view_id(view_id.clone().into()),
        )
        .await
        .expect("views.update with external selects");
    session
        .views_publish(&SlackApiViewsPublishRequest::new(
            ada.clone().into(),
            slack_view(json!({"type": "home", "blocks": [{
                "type": "section",
                "block_id": "filter",
                "text": {"type": "mrkdwn", "text": "Filter"},
                "accessory": {
                    "type": "external_select",
                    "action_id": "filter_channel",
                    "min_query_length": 3,
                    "placeholder": {"type": "plain_text", "text": "Channel"},
                },
            }]})),
        ))
        .await
        .expect("views.publish with an external select");
    let home_id = emu.home_view("T0001", &ada).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let home = emu.block_suggestion(&home_id, &ada, "T0001", "filter_channel", "filter", "sal");
    assert!(matches!(
        serde_json::from_value::<SlackInteractionEvent>(home).expect("parses"),
        SlackInteractionEvent::BlockSuggestion(ev) if matches!(ev.view, Some(SlackView::Home(_)))
    ));
}

// ----- Scale -----

#[tokio::test]
async fn bulk_directory_pages_through_100k_users() {
    let (emu, ws, client) = setup().await;
    let started = Instant::now();
    let users = emu.add_users_bulk("T0001", 100_000);
    let channels = emu.add_channels_bulk("T0001", 20_000);
    let seeded = started.elapsed();
    eprintln!("seeded 100k users and 20k channels in {seeded:?}");
    assert!(seeded < Duration::from_secs(5), "seeding took {seeded:?}");
    assert_eq!(users.len(), 100_000);
    assert_eq!(channels.len(), 20_000);
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);

    // Every user exactly once, through slack-morphism's typed paging.
    let started = Instant::now();
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0;
    let mut cursor: Option<SlackCursorId> = None;
    let (mut fullwidth_space, mut halfwidth_kana, mut empty_display, mut deleted) =
        (false, false, false, 0);
    loop {
        let mut req = SlackApiUsersListRequest::new().with_limit(200);
        if let Some(c) = cursor.take() {
            req = req.with_cursor(c);
        }
        let page = session.users_list(&req).await.expect("users.list page");
        pages += 1;
        for u in &page.members {
            assert!(seen.insert(u.id.0.clone()), "{} listed twice", u.id.0);
            let real = u.real_name.clone().unwrap_or_default();
            fullwidth_space |= real.contains('\u{3000}');
            let display = u
                .profile
                .as_ref()
                .and_then(|p| p.display_name.clone())
                .unwrap_or_default();
            halfwidth_kana |= display
                .chars()
                .any(|c| ('\u{FF66}'..='\u{FF9F}').contains(&c));
            empty_display |= display.is_empty() && u.flags.is_bot != Some(true);
            deleted += usize::from(u.deleted == Some(true));
        }
        match page.response_metadata.and_then(|m| m.next_cursor) {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 100_001, "the people and the bot");
    assert_eq!(pages, 501);
    assert!(fullwidth_space && halfwidth_kana && empty_display);
    assert_eq!(deleted, 2_000, "every 50th is deactivated");
    eprintln!("paged 100k users in {:?}", started.elapsed());

    // Channels with the largest page Slack allows.
    let mut names = std::collections::HashSet::new();
    let mut bot_member = 0;
    let mut cursor: Option<SlackCursorId> = None;
    loop {
        let mut req = list_req(999);
        if let Some(c) = cursor.take() {
            req = req.with_cursor(c);
        }
        let page = session.conversations_list(&req).await.expect("page");
        for c in &page.channels {
            assert!(names.insert(c.name.clone().unwrap()), "duplicate name");
            bot_member += usize::from(c.flags.is_member == Some(true));
        }
        match page.response_metadata.and_then(|m| m.next_cursor) {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(names.len(), 20_000);
    assert_eq!(bot_member, 2_000);
    assert!(names.iter().any(|n| n.starts_with("営業部-")));
    assert!(names.iter().any(|n| n.starts_with("sales-")));

    // Lookups by id stay cheap at this size.
    let started = Instant::now();
    for id in users.iter().rev().take(50) {
        session
            .users_info(&SlackApiUsersInfoRequest::new(id.clone().into()))
            .await
            .expect("users.info");
    }
    for id in channels.iter().rev().take(50) {
        session
            .conversations_info(&SlackApiConversationsInfoRequest::new(id.clone().into()))
            .await
            .expect("conversations.info");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "100 lookups took {:?}",
        started.elapsed()
    );
}

// ----- Reactions, ephemeral messages, permalinks -----

fn react_req(channel: &str, name: &str, ts: &str) -> SlackApiReactionsAddRequest {
    SlackApiReactionsAddRequest::new(
        channel.to_string().into(),
        SlackReactionName(name.to_string()),
        ts.to_string().into(),
    )
}

#[tokio::test]
async fn reactions_add_like_slack() {
    let (emu, ws, client) = setup().await;
    let human = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let spec = |name: &str, private: bool, bot_member: bool| ChannelSpec {
        name: name.into(),
        private,
        bot_member,
        ..Default::default()
    };
    let ch = emu.add_channel("T0001", spec("c", false, true));
    let public_out = emu.add_channel("T0001", spec("out", false, false));
    let private_out = emu.add_channel("T0001", spec("secret", true, false));
    let archived = emu.add_channel("T0001", spec("old", false, true));
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "parent"))
        .await
        .expect("parent");
    let ts = parent.ts.0.clone();
    let human_ts = emu.post_as_user(&ch, &human, "human reply", Some(&ts));
    let out_ts = emu.post_as_user(&public_out, &human, "hi", None);
    let private_ts = emu.post_as_user(&private_out, &human, "hi", None);
    let archived_ts = emu.post_as_user(&archived, &human, "hi", None);
    emu.archive_channel(&archived);

    session
        .reactions_add(&react_req(&ch, "eyes", &ts))
        .await
        .expect("react");
    session
        .reactions_add(&react_req(&ch, "thumbsup::skin-tone-3", &ts))
        .await
        .expect("skin tone");
    session
        .reactions_add(&react_req(&ch, "white_check_mark", &human_ts))
        .await
        .expect("on a reply");
    let code = |r| api_code::<SlackApiReactionsAddResponse>(r);
    assert_eq!(
        code(session.reactions_add(&react_req(&ch, "eyes", &ts)).await),
        "already_reacted"
    );
    for bad in [":eyes:", "Eyes", "two words", "eyes::skin-tone-9"] {
        assert_eq!(
            code(session.reactions_add(&react_req(&ch, bad, &ts)).await),
            "invalid_name",
            "{bad}"
        );
    }
    assert_eq!(
        code(
            session
                .reactions_add(&react_req(&ch, "eyes", "1.000001"))
                .await
        ),
        "message_not_found"
    );
    assert_eq!(
        code(session.reactions_add(&react_req(&ch, "eyes", "soon")).await),
        "bad_timestamp"
    );
    assert_eq!(
        code(
            session
                .reactions_add(&react_req("C0NOPE", "eyes", &ts))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(
            session
                .reactions_add(&react_req(&public_out, "eyes", &out_ts))
                .await
        ),
        "not_in_channel"
    );
    assert_eq!(
        code(
            session
                .reactions_add(&react_req(&private_out, "eyes", &private_ts))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(
            session
                .reactions_add(&react_req(&archived, "eyes", &archived_ts))
                .await
        ),
        "is_archived"
    );
    let no_ts = raw_post(
        &client,
        &ws.bot_token,
        "reactions.add",
        &json!({"channel": ch, "name": "eyes"}),
    )
    .await;
    assert_eq!(api_code(no_ts), "no_item_specified");

    let bot = ws.bot_user_id.clone();
    assert_eq!(
        emu.reactions(&ch, &ts),
        vec![
            ("eyes".to_string(), vec![bot.clone()]),
            ("thumbsup::skin-tone-3".to_string(), vec![bot.clone()]),
        ]
    );
    assert_eq!(emu.reactions(&ch, "1.000001"), vec![]);

    // Slack's shape in history and replies.
    let history = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new().with_channel(ch.clone().into()),
        )
        .await
        .expect("history");
    let reactions = history.messages[0]
        .content
        .reactions
        .clone()
        .expect("reactions");
    assert_eq!(reactions.len(), 2);
    assert_eq!(reactions[0].name.0, "eyes");
    assert_eq!(reactions[0].count, 1);
    assert_eq!(reactions[0].users, vec![bot.clone().into()]);
    let replies = raw_get(
        &client,
        &ws.bot_token,
        "conversations.replies",
        &[("channel", Some(ch.as_str())), ("ts", Some(ts.as_str()))],
    )
    .await
    .expect("replies");
    assert_eq!(
        replies["messages"][1]["reactions"],
        json!([{"name": "white_check_mark", "users": [bot], "count": 1}])
    );
    assert!(replies["messages"][0]["reactions"].is_array());
    assert_eq!(emu.calls_to("reactions.add").len(), 15);

    // Tier 3: 50 a minute per workspace.
    emu.enforce_rate_tiers(1.0);
    let names: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
    for name in &names {
        session
            .reactions_add(&react_req(&ch, name, &human_ts))
            .await
            .expect("within the tier");
    }
    assert!(matches!(
        session
            .reactions_add(&react_req(&ch, "one_more", &human_ts))
            .await,
        Err(SlackClientError::RateLimitError(_))
    ));
    assert_eq!(emu.rate_limited("reactions.add"), 1);
}

#[tokio::test]
async fn ephemeral_messages_like_slack() {
    let (emu, ws, client) = setup().await;
    let human = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let outsider = emu.add_user("T0001", "Bob Smith", "bob@example.com");
    let spec = |name: &str, private: bool, bot_member: bool| ChannelSpec {
        name: name.into(),
        private,
        bot_member,
        ..Default::default()
    };
    let ch = emu.add_channel("T0001", spec("c", false, true));
    let public_out = emu.add_channel("T0001", spec("out", false, false));
    let private_out = emu.add_channel("T0001", spec("secret", true, false));
    let archived = emu.add_channel("T0001", spec("old", false, true));
    for c in [&ch, &public_out, &private_out, &archived] {
        emu.add_member(c, &human);
    }
    emu.archive_channel(&archived);
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "parent"))
        .await
        .expect("parent");

    let ephemeral = |channel: &str, user: &str, text: &str| {
        SlackApiChatPostEphemeralRequest::new(
            channel.to_string().into(),
            user.to_string().into(),
            SlackMessageContent::new().with_text(text.to_string()),
        )
    };
    session
        .chat_post_ephemeral(&ephemeral(&ch, &human, "only you"))
        .await
        .expect("ephemeral");
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*in thread*"}}]);
    let raw = raw_post(
        &client,
        &ws.bot_token,
        "chat.postEphemeral",
        &json!({
            "channel": ch,
            "user": human,
            "text": "fallback",
            "blocks": blocks,
            "thread_ts": parent.ts.0,
        }),
    )
    .await
    .expect("ephemeral in a thread");
    let message_ts = raw["message_ts"].as_str().expect("message_ts").to_string();
    assert_eq!(
        top_level_keys(&raw),
        ["message_ts", "ok"].into_iter().map(String::from).collect()
    );

    let sent = emu.ephemerals(&ch);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["user"], json!(human));
    assert_eq!(sent[0]["text"], "only you");
    assert!(sent[0]["blocks"].is_null() && sent[0]["thread_ts"].is_null());
    assert_eq!(sent[1]["thread_ts"], json!(parent.ts.0));
    assert_eq!(sent[1]["blocks"][0]["text"]["text"], "*in thread*");
    assert_eq!(sent[1]["message_ts"], json!(message_ts));
    assert_eq!(
        emu.messages(&ch).len(),
        1,
        "ephemeral messages are not in history"
    );
    assert!(emu.ephemerals(&public_out).is_empty());

    let code = |r| api_code::<SlackApiChatPostEphemeralResponse>(r);
    assert_eq!(
        code(
            session
                .chat_post_ephemeral(&ephemeral(&ch, &outsider, "x"))
                .await
        ),
        "user_not_in_channel"
    );
    assert_eq!(
        code(
            session
                .chat_post_ephemeral(&ephemeral(&public_out, &human, "x"))
                .await
        ),
        "not_in_channel"
    );
    assert_eq!(
        code(
            session
                .chat_post_ephemeral(&ephemeral(&private_out, &human, "x"))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(
            session
                .chat_post_ephemeral(&ephemeral("C0NOPE", &human, "x"))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(
            session
                .chat_post_ephemeral(&ephemeral(&archived, &human, "x"))
                .await
        ),
        "is_archived"
    );
    let no_text = raw_post(
        &client,
        &ws.bot_token,
        "chat.postEphemeral",
        &json!({"channel": ch, "user": human}),
    )
    .await;
    assert_eq!(api_code(no_text), "no_text");
    assert_eq!(emu.ephemerals(&ch).len(), 2, "failures store nothing");
    assert_eq!(emu.calls_to("chat.postEphemeral").len(), 8);

    // Tier 4: 100 a minute per workspace.
    emu.enforce_rate_tiers(1.0);
    for _ in 0..100 {
        session
            .chat_post_ephemeral(&ephemeral(&ch, &human, "again"))
            .await
            .expect("within the tier");
    }
    assert!(matches!(
        session
            .chat_post_ephemeral(&ephemeral(&ch, &human, "one more"))
            .await,
        Err(SlackClientError::RateLimitError(_))
    ));
}

#[tokio::test]
async fn permalinks_like_slack() {
    let (emu, ws, client) = setup().await;
    let human = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let public_out = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "out".into(),
            ..Default::default()
        },
    );
    let private_out = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "secret".into(),
            private: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "parent"))
        .await
        .expect("parent");
    let reply = emu.post_as_user(&ch, &human, "reply", Some(&parent.ts.0));
    let link_req = |channel: &str, ts: &str| {
        SlackApiChatGetPermalinkRequest::new(channel.to_string().into(), ts.to_string().into())
    };

    let top = session
        .chat_get_permalink(&link_req(&ch, &parent.ts.0))
        .await
        .expect("permalink");
    assert_eq!(top.channel.0, ch);
    assert_eq!(
        top.permalink.as_str(),
        format!(
            "https://acme-corp.slack.com/archives/{ch}/p{}",
            parent.ts.0.replace('.', "")
        )
    );
    let threaded = session
        .chat_get_permalink(&link_req(&ch, &reply))
        .await
        .expect("reply permalink");
    assert_eq!(
        threaded.permalink.as_str(),
        format!(
            "https://acme-corp.slack.com/archives/{ch}/p{}?thread_ts={}&cid={ch}",
            reply.replace('.', ""),
            parent.ts.0
        )
    );
    // No scope and no membership needed in a public channel.
    let out_ts = emu.post_as_user(&public_out, &human, "hi", None);
    session
        .chat_get_permalink(&link_req(&public_out, &out_ts))
        .await
        .expect("public channel");

    let private_ts = emu.post_as_user(&private_out, &human, "hi", None);
    let code = |r| api_code::<SlackApiChatGetPermalinkResponse>(r);
    assert_eq!(
        code(
            session
                .chat_get_permalink(&link_req(&private_out, &private_ts))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(
            session
                .chat_get_permalink(&link_req("C0NOPE", &reply))
                .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        code(session.chat_get_permalink(&link_req(&ch, "1.000001")).await),
        "message_not_found"
    );
    let calls = emu.calls_to("chat.getPermalink");
    assert_eq!(calls.len(), 6);
    assert_eq!(calls[0].args["message_ts"], json!(parent.ts.0));

    // Tier 4 here (Slack: "hundreds of requests per minute").
    emu.enforce_rate_tiers(1.0);
    for _ in 0..100 {
        session
            .chat_get_permalink(&link_req(&ch, &reply))
            .await
            .expect("within the tier");
    }
    assert!(matches!(
        session.chat_get_permalink(&link_req(&ch, &reply)).await,
        Err(SlackClientError::RateLimitError(_))
    ));
}

// ----- People in threads: message events -----

/// The real thread-reply payload's event keys that every channel message event carries too.
fn fixture_message_keys() -> std::collections::BTreeSet<String> {
    let fixture: Value = serde_json::from_str(include_str!(
        "fixtures/slack/message_thread_reply_event.json"
    ))
    .expect("json");
    let mut keys = top_level_keys(&fixture["data"]);
    // Slack Connect / assistant-thread extras of that DM payload.
    for extra in ["user_team", "source_team", "user_profile"] {
        keys.remove(extra);
    }
    keys
}

fn message_event(event: SlackEventCallbackBody) -> SlackMessageEvent {
    match event {
        SlackEventCallbackBody::Message(m) => m,
        other => panic!("expected a message event, got {other:?}"),
    }
}

#[tokio::test]
async fn people_reply_edit_and_delete_in_threads() {
    let (emu, ws, client) = setup().await;
    let ada = emu.add_user("T0001", "Ada Lovelace", "ada@example.com");
    let bob = emu.add_user("T0001", "Bob Smith", "bob@example.com");
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "Order #42 shipped"))
        .await
        .expect("parent");
    let parent_ts = parent.ts.0.clone();

    // A reply, with a mention, as Slack delivers it.
    let text = format!(
        "thanks <@{}> &amp; see <https://example.com|the docs>",
        ws.bot_user_id
    );
    let (reply_ts, envelope) = emu.user_reply(&ch, &parent_ts, &ada, &text);
    let event = &envelope["event"];
    let keys = top_level_keys(event);
    assert!(
        fixture_message_keys().is_subset(&keys),
        "event keys {keys:?}"
    );
    assert_eq!(event["type"], "message");
    assert!(event.get("subtype").is_none());
    assert_eq!(event["user"], json!(ada));
    assert_eq!(event["text"], json!(text));
    assert_eq!(event["ts"], json!(reply_ts));
    assert_eq!(event["event_ts"], json!(reply_ts));
    assert_eq!(event["thread_ts"], json!(parent_ts));
    assert_eq!(event["parent_user_id"], json!(ws.bot_user_id));
    assert_eq!(event["channel"], json!(ch));
    assert_eq!(event["channel_type"], "channel");
    assert_eq!(event["team"], "T0001");
    assert!(event["client_msg_id"].is_string());
    assert_eq!(event["blocks"][0]["type"], "rich_text");
    assert_eq!(
        event["blocks"][0]["elements"][0],
        json!({"type": "rich_text_section", "elements": [
            {"type": "text", "text": "thanks "},
            {"type": "user", "user_id": ws.bot_user_id},
            {"type": "text", "text": " & see "},
            {"type": "link", "url": "https://example.com", "text": "the docs"},
        ]})
    );
    let reply_secs: i64 = reply_ts.split('.').next().unwrap().parse().unwrap();
    assert_eq!(envelope["event_time"], json!(reply_secs));
    let m = message_event(push_event(&emu, &ws, &envelope));
    assert_eq!(m.origin.thread_ts.map(|t| t.0), Some(parent_ts.clone()));
    assert_eq!(
        m.origin.channel_type,
        Some(SlackChannelType("channel".into()))
    );
    assert_eq!(m.sender.user.map(|u| u.0), Some(ada.clone()));
    assert!(m.subtype.is_none());
    assert!(m.content.and_then(|c| c.blocks).is_some());

    // Bob, not yet in the public channel, joins by posting.
    let (bob_ts, _) = emu.user_reply(&ch, &reply_ts, &bob, "me too");
    let replies = raw_get(
        &client,
        &ws.bot_token,
        "conversations.replies",
        &[
            ("channel", Some(ch.as_str())),
            ("ts", Some(parent_ts.as_str())),
        ],
    )
    .await
    .expect("replies");
    let tss: Vec<&str> = replies["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ts"].as_str().unwrap())
        .collect();
    assert_eq!(
        tss,
        [parent_ts.as_str(), reply_ts.as_str(), bob_ts.as_str()]
    );
    assert_eq!(replies["messages"][0]["reply_count"], 2);
    assert_eq!(replies["messages"][0]["reply_users"], json!([ada, bob]));
    assert_eq!(replies["messages"][0]["latest_reply"], json!(bob_ts));
    assert_eq!(replies["messages"][2]["thread_ts"], json!(parent_ts));
    assert_eq!(replies["messages"][1]["blocks"][0]["type"], "rich_text");
    let members = raw_get(
        &client,
        &ws.bot_token,
        "conversations.members",
        &[("channel", Some(ch.as_str()))],
    )
    .await
    .expect("members");
    assert!(members["members"].as_array().unwrap().contains(&json!(bob)));

    // The bot cannot edit or delete people's replies.
    assert_eq!(
        api_code(
            session
                .chat_update(&SlackApiChatUpdateRequest::new(
                    ch.clone().into(),
                    SlackMessageContent::new().with_text("hijack".into()),
                    reply_ts.clone().into(),
                ))
                .await
        ),
        "cant_update_message"
    );
    assert_eq!(
        api_code(
            session
                .chat_delete(&SlackApiChatDeleteRequest::new(
                    ch.clone().into(),
                    reply_ts.clone().into()
                ))
                .await
        ),
        "cant_delete_message"
    );

    // Ada edits her reply.
    let changed = emu.user_edit(&ch, &reply_ts, "thanks, all good");
    let event = &changed["event"];
    assert_eq!(event["subtype"], "message_changed");
    assert_eq!(event["hidden"], true);
    assert_eq!(event["channel"], json!(ch));
    assert_eq!(event["channel_type"], "channel");
    assert_eq!(event["ts"], event["event_ts"]);
    assert_eq!(event["message"]["ts"], json!(reply_ts));
    assert_eq!(event["message"]["text"], "thanks, all good");
    assert_eq!(event["message"]["thread_ts"], json!(parent_ts));
    assert_eq!(event["message"]["user"], json!(ada));
    assert_eq!(
        event["message"]["edited"],
        json!({"user": ada, "ts": event["ts"]})
    );
    assert_eq!(
        event["message"]["blocks"][0]["elements"][0]["elements"][0]["text"],
        "thanks, all good"
    );
    assert_eq!(event["previous_message"]["text"], json!(text));
    assert!(event["previous_message"].get("edited").is_none());
    let m = message_event(push_event(&emu, &ws, &changed));
    assert_eq!(m.subtype, Some(SlackMessageEventType::MessageChanged));
    assert_eq!(m.hidden, Some(true));
    let new = m.message.expect("message");
    assert_eq!(new.ts.0, reply_ts);
    assert!(new.edited.is_some());
    assert_eq!(
        new.content.and_then(|c| c.text).as_deref(),
        Some("thanks, all good")
    );
    assert!(m.previous_message.is_some());
    assert_eq!(emu.messages(&ch)[1]["text"], "thanks, all good");

    // Bob deletes his reply.
    let deleted = emu.user_delete(&ch, &bob_ts);
    let event = &deleted["event"];
    assert_eq!(event["subtype"], "message_deleted");
    assert_eq!(event["hidden"], true);
    assert_eq!(event["deleted_ts"], json!(bob_ts));
    assert_eq!(event["previous_message"]["text"], "me too");
    assert_eq!(event["previous_message"]["thread_ts"], json!(parent_ts));
    assert_eq!(event["ts"], event["event_ts"]);
    assert_eq!(event["channel_type"], "channel");
    let m = message_event(push_event(&emu, &ws, &deleted));
    assert_eq!(m.subtype, Some(SlackMessageEventType::MessageDeleted));
    assert_eq!(m.deleted_ts.map(|t| t.0), Some(bob_ts.clone()));
    let stored = emu.messages(&ch);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["reply_count"], 1);
    assert_eq!(stored[0]["reply_users"], json!([ada]));
    assert_eq!(stored[0]["latest_reply"], json!(reply_ts));

    // A private channel: channel_type "group"; members only.
    let private = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "p".into(),
            private: true,
            bot_member: true,
            ..Default::default()
        },
    );
    emu.add_member(&private, &ada);
    let (top_ts, envelope) = emu.user_message(&private, &ada, "hello", None);
    assert_eq!(envelope["event"]["channel_type"], "group");
    assert!(envelope["event"].get("thread_ts").is_none());
    assert!(envelope["event"].get("parent_user_id").is_none());
    let (_, envelope) = emu.user_reply(&private, &top_ts, &ada, "more");
    assert_eq!(envelope["event"]["parent_user_id"], json!(ada));
    assert_eq!(envelope["event"]["channel_type"], "group");

    // Deleting a thread parent that has replies leaves a tombstone (a message_changed);
    // deleting its last reply then removes the tombstone.
    let changed = emu.user_delete(&private, &top_ts);
    let event = &changed["event"];
    assert_eq!(event["subtype"], "message_changed");
    assert_eq!(event["message"]["subtype"], "tombstone");
    assert_eq!(event["message"]["hidden"], true);
    assert_eq!(event["message"]["user"], "USLACKBOT");
    assert_eq!(event["message"]["text"], "This message was deleted.");
    assert_eq!(event["message"]["reply_count"], 1);
    assert_eq!(event["previous_message"]["text"], "hello");
    message_event(push_event(&emu, &ws, &changed));
    let stored = emu.messages(&private);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["subtype"], "tombstone");
    let last = stored[1]["ts"].as_str().unwrap().to_string();
    emu.user_delete(&private, &last);
    assert!(emu.messages(&private).is_empty());

    // The bot's own thread parent gets the same tombstone through chat.delete.
    session
        .chat_delete(&SlackApiChatDeleteRequest::new(
            ch.clone().into(),
            parent.ts.clone(),
        ))
        .await
        .expect("delete parent");
    let stored = emu.messages(&ch);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["subtype"], "tombstone");
    assert_eq!(stored[0]["ts"], json!(parent_ts));
    let history = session
        .conversations_history(
            &SlackApiConversationsHistoryRequest::new().with_channel(ch.clone().into()),
        )
        .await
        .expect("history");
    assert_eq!(history.messages.len(), 1);
    assert_eq!(
        history.messages[0].subtype,
        Some(SlackMessageEventType::Tombstone)
    );
}

#[tokio::test]
async fn reply_broadcast_shows_in_history_with_its_root() {
    let (emu, ws, client) = setup().await;
    let ch = emu.add_channel(
        "T0001",
        ChannelSpec {
            name: "c".into(),
            bot_member: true,
            ..Default::default()
        },
    );
    let t = token(&ws.bot_token);
    let session = client.open_session(&t);
    let parent = session
        .chat_post_message(&post_req(&ch, "parent"))
        .await
        .expect("parent");
    let quiet = session
        .chat_post_message(&post_req(&ch, "quiet").with_thread_ts(parent.ts.clone()))
        .await
        .expect("reply");
    let loud = session
        .chat_post_message(
            &post_req(&ch, "loud")
                .with_thread_ts(quiet.ts.clone())
                .with_reply_broadcast(true),
        )
        .await
        .expect("broadcast");
    assert_eq!(loud.message.origin.thread_ts, Some(parent.ts.clone()));
    let history = raw_get(
        &client,
        &ws.bot_token,
        "conversations.history",
        &[("channel", Some(ch.as_str()))],
    )
    .await
    .expect("history");
    let messages = history["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        2,
        "the broadcast and the parent, newest first"
    );
    assert_eq!(messages[0]["subtype"], "thread_broadcast");
    assert_eq!(messages[0]["thread_ts"], json!(parent.ts.0));
    assert_eq!(messages[0]["root"]["ts"], json!(parent.ts.0));
    assert_eq!(messages[0]["root"]["reply_count"], 2);
    assert_eq!(messages[1]["ts"], json!(parent.ts.0));
    let replies = session
        .conversations_replies(&SlackApiConversationsRepliesRequest::new(
            ch.clone().into(),
            parent.ts.clone(),
        ))
        .await
        .expect("replies");
    let tss: Vec<SlackTs> = replies
        .messages
        .iter()
        .map(|m| m.origin.ts.clone())
        .collect();
    assert_eq!(tss, vec![parent.ts, quiet.ts, loud.ts]);
}

// ----- The fake platform (Herald's callbacks) -----

async fn send_signed(url: &str, id: &str, timestamp: i64, signature: &str, body: &[u8]) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn fake_platform_verifies_standard_webhooks() {
    use base64::Engine as _;
    use fake_platform::FakePlatform;
    use herald::core::signature::standard_webhooks::sign;

    let raw = b"herald-fake-platform-test-key-01".to_vec();
    let whsec = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(&raw)
    );
    // Callbacks are signed with the key derived for that direction.
    let key = fake_platform::callback_key(&whsec);
    assert_ne!(key, raw);
    assert_eq!(
        send_signed(
            &FakePlatform::start(&whsec).await.url(),
            "m",
            now_unix(),
            &sign(&raw, "m", now_unix(), b"{}"),
            b"{}"
        )
        .await,
        401,
        "the connection secret itself does not sign callbacks"
    );
    let platform = FakePlatform::start(&whsec).await;
    let url = platform.url();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/callbacks"));
    let now = now_unix();
    let body = br#"{"type":"notification.delivered","id":"n_1"}"#;
    assert_eq!(
        fake_platform::sign(&key, "msg_1", now, body),
        sign(&key, "msg_1", now, body),
        "the fake signs like Herald"
    );

    // Accepted.
    let sig = sign(&key, "msg_1", now, body);
    assert_eq!(send_signed(&url, "msg_1", now, &sig, body).await, 200);
    let got = platform.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok);
    assert_eq!(got[0].webhook_id, "msg_1");
    assert_eq!(got[0].timestamp, now);
    assert_eq!(got[0].body["id"], "n_1");
    assert_eq!(got[0].status, 200);
    assert_eq!(got[0].path, "/callbacks");

    // A tampered body, a wrong id, an old timestamp, no signature header value: 401, recorded.
    let tampered = br#"{"type":"notification.delivered","id":"n_2"}"#;
    assert_eq!(send_signed(&url, "msg_1", now, &sig, tampered).await, 401);
    assert_eq!(send_signed(&url, "msg_2", now, &sig, body).await, 401);
    let old = now - 301;
    let old_sig = sign(&key, "msg_1", old, body);
    assert_eq!(send_signed(&url, "msg_1", old, &old_sig, body).await, 401);
    assert_eq!(send_signed(&url, "msg_1", now, "v1,", body).await, 401);
    let got = platform.received();
    assert_eq!(got.len(), 5);
    assert!(got[1..].iter().all(|r| !r.signature_ok && r.status == 401));
    assert!(got[1].signature_error.is_some());
    assert_eq!(got[1].body["id"], "n_2");

    // Well signed but not JSON: 400.
    let text = b"not json";
    let text_sig = sign(&key, "msg_3", now, text);
    assert_eq!(send_signed(&url, "msg_3", now, &text_sig, text).await, 400);
    assert!(platform.received()[5].signature_ok);
    assert!(platform.received()[5].body.is_null());

    // Scripted answers for retry tests, then back to 200.
    platform.answer_next(503, 2);
    for expected in [503, 503, 200] {
        assert_eq!(send_signed(&url, "msg_1", now, &sig, body).await, expected);
    }
    // A delayed answer.
    platform.delay_next(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(send_signed(&url, "msg_1", now, &sig, body).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Secret rotation: several signatures, any accepted secret.
    let new_raw = b"herald-fake-platform-rotated-key".to_vec();
    let new_whsec = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(&new_raw)
    );
    let new_key = fake_platform::callback_key(&new_whsec);
    platform.set_secret(&new_whsec);
    assert_eq!(
        send_signed(&url, "msg_4", now, &sign(&key, "msg_4", now, body), body).await,
        401
    );
    let both = format!(
        "{} {}",
        sign(&key, "msg_4", now, body),
        sign(&new_key, "msg_4", now, body)
    );
    assert_eq!(send_signed(&url, "msg_4", now, &both, body).await, 200);
    platform.set_secrets(&[&whsec, &new_whsec]);
    assert_eq!(
        send_signed(&url, "msg_5", now, &sign(&key, "msg_5", now, body), body).await,
        200
    );

    let all = platform.wait_for(13, Duration::from_secs(5)).await;
    assert_eq!(all.len(), 13);
    assert_eq!(platform.accepted().len(), 5);
    let short = platform.wait_for(99, Duration::from_millis(50)).await;
    assert_eq!(short.len(), 13, "a timeout returns what arrived");
}
