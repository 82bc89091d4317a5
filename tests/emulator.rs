//! Exercises the Slack emulator through the real slack-morphism client (and raw HTTP where
//! slack-morphism has no wrapper), so the emulator is known to speak Slack's shapes.

#[path = "support/slack_emulator.rs"]
mod slack_emulator;

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
    assert_eq!(info.channel.context_team_id, "T9EXT");
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
        .usergroups_list(&SlackApiUserGroupsListRequest::new().with_include_users(true))
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
