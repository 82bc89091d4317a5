//! Files a platform message carries (`message.attachments`): downloaded with the
//! callback address rules and the size cap, uploaded into the conversation's thread
//! once (even when Slack's answer to the share is lost), or shown as a link with the
//! reason when they cannot come.

use serde_json::{Value, json};

use crate::helpers::{Options, json as answer_json};
use crate::slack_emulator::Fault;
use crate::threads::{chat, message, parents, replies, send_settled, with_platform};

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "conversation.message.created", "channel": "#general"}
    ])
}

fn with_files(conversation: &str, files: Value) -> Value {
    let mut event = chat(
        "conversation.message.created",
        conversation,
        message("m1", "here is the screenshot"),
    );
    event["message"]["attachments"] = files;
    event
}

/// The thread's messages that carry files, as (file names).
fn shared(app: &crate::helpers::TestApp, thread_ts: &str) -> Vec<Vec<String>> {
    replies(app, thread_ts)
        .iter()
        .filter_map(|m| m["files"].as_array().cloned())
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f["name"].as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_platform_file_is_uploaded_into_the_conversations_thread_once() {
    let (app, platform, _operator) = with_platform(rules(), Options::default()).await;
    let png: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let url = platform.serve_file("/files/scan.png", 200, "image/png", &png);
    // Slack's answer to the share is lost after it took effect: the retry finds the
    // shared file instead of sharing it again.
    app.emu.inject(
        "files.completeUploadExternal",
        Fault::ServerErrorAfterEffect(504),
    );
    send_settled(
        &app,
        &with_files(
            "chat_f",
            json!([{"name": "scan.png", "url": url, "mimetype": "image/png", "size": png.len()}]),
        ),
    )
    .await;
    let parent = parents(&app).remove(0);
    let thread_ts = parent["ts"].as_str().unwrap();
    assert_eq!(
        shared(&app, thread_ts),
        [vec!["scan.png".to_string()]],
        "in the thread, once"
    );
    let uploaded: Vec<_> = app
        .emu
        .uploaded_files()
        .into_iter()
        .filter(|f| f.completed)
        .collect();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(uploaded[0].bytes, png, "the platform's bytes");
    assert_eq!(
        uploaded[0].channel.as_deref(),
        Some(app.channels.general.as_str())
    );
    assert_eq!(platform.fetched(), ["/files/scan.png"], "downloaded once");
}

#[tokio::test]
async fn a_file_herald_cannot_fetch_is_shown_as_a_link_with_the_reason() {
    let mut options = Options::default();
    options.delivery.attachment_max_bytes = 1024;
    let (app, platform, _operator) = with_platform(rules(), options).await;
    let gone = platform.serve_file("/files/gone.pdf", 404, "application/pdf", b"");
    let big = platform.serve_file(
        "/files/big.bin",
        200,
        "application/octet-stream",
        &[7u8; 4096],
    );
    send_settled(
        &app,
        &with_files(
            "chat_g",
            json!([
                {"name": "gone.pdf", "url": gone},
                {"name": "big.bin", "url": big},
                {"name": "declared.bin", "url": "https://files.example/declared.bin", "size": 999_999},
                {"name": "metadata.txt", "url": "https://169.254.169.254/latest/meta-data/"}
            ]),
        ),
    )
    .await;
    let thread_ts = parents(&app).remove(0)["ts"].as_str().unwrap().to_string();
    let notes: Vec<String> = replies(&app, &thread_ts)
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .filter(|t| t.contains(":paperclip:"))
        .collect();
    assert_eq!(notes.len(), 4, "{notes:#?}");
    let note = |name: &str| {
        notes
            .iter()
            .find(|n| n.contains(name))
            .unwrap_or_else(|| panic!("no note for {name}: {notes:#?}"))
            .clone()
    };
    assert!(note("gone.pdf").contains("HTTP 404"), "{notes:#?}");
    assert!(
        note("big.bin").contains("larger than 1024 bytes"),
        "{notes:#?}"
    );
    assert!(
        note("declared.bin").contains("larger than 1024 bytes"),
        "{notes:#?}"
    );
    assert!(
        note("metadata.txt").contains("does not download from"),
        "{notes:#?}"
    );
    assert!(
        app.emu.uploaded_files().is_empty(),
        "nothing uploaded to Slack"
    );
    assert_eq!(
        platform.fetched(),
        ["/files/gone.pdf", "/files/big.bin"],
        "a declared size over the cap and a refused address are never fetched"
    );
}

#[tokio::test]
async fn attachments_that_are_not_files_are_refused_and_nothing_is_stored() {
    let (app, _platform, _operator) = with_platform(rules(), Options::default()).await;
    for (files, field) in [
        (
            json!([{"name": "a.txt", "url": "ftp://files.example/a.txt"}]),
            "message.attachments[0].url",
        ),
        (
            json!([{"url": "https://files.example/a.txt"}]),
            "message.attachments[0].name",
        ),
        (
            json!([{"name": "a.txt", "url": "https://files.example/a.txt", "size": -1}]),
            "message.attachments[0].size",
        ),
        (json!("a.txt"), "message.attachments"),
    ] {
        let (status, body) = answer_json(app.send(&with_files("chat_bad", files)).await).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    assert!(parents(&app).is_empty(), "nothing posted");
}
