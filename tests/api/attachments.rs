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

/// The platform's connection secret, as Herald derives link keys from it.
fn link_key() -> Vec<u8> {
    herald::core::file_link::link_key(&crate::fake_platform::secret_key(
        crate::helpers::WEBHOOK_SECRET,
    ))
}

#[tokio::test]
async fn a_file_shared_in_a_thread_reaches_the_platform_through_a_signed_expiring_link() {
    let options = Options {
        public_url: true,
        ..Options::default()
    };
    let (app, platform, operator) = with_platform(rules(), options).await;
    send_settled(
        &app,
        &chat(
            "conversation.message.created",
            "chat_up",
            message("m1", "can you check this?"),
        ),
    )
    .await;
    let thread_ts = parents(&app).remove(0)["ts"].as_str().unwrap().to_string();
    let bytes: Vec<u8> = b"%PDF-1.7 the invoice"
        .iter()
        .copied()
        .cycle()
        .take(5000)
        .collect();
    let (_, event) = app.emu.user_reply_with_file(
        &app.channels.general,
        &thread_ts,
        &operator,
        "the invoice",
        "invoice.pdf",
        &bytes,
    );
    crate::threads::deliver(&app, &event).await;
    let got = platform
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let files = got[0].body["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 1, "{}", got[0].body);
    assert_eq!(files[0]["name"], "invoice.pdf");
    assert_eq!(files[0]["mimetype"], "application/pdf");
    assert_eq!(files[0]["size"], bytes.len());
    let url = files[0]["url"].as_str().expect("a link").to_string();
    assert!(url.starts_with(&format!("{}/files/", app.address)), "{url}");

    let client = reqwest::Client::new();
    let answer = client.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/pdf");
    assert_eq!(
        answer.headers()["content-disposition"],
        "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf",
        "a download, never a page on Herald's origin"
    );
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        answer.bytes().await.unwrap().to_vec(),
        bytes,
        "the file's bytes"
    );

    // A changed link, one for another file, and an expired one are refused.
    let token = url.rsplit('/').next().unwrap();
    let (payload, tag) = token.split_once('.').unwrap();
    let first = if tag.starts_with('A') { "B" } else { "A" };
    let flipped = format!("{payload}.{first}{}", &tag[1..]);
    let mut linked = herald::core::file_link::read(token).unwrap();
    let other = herald::core::file_link::Linked {
        file_id: "F0OTHER".into(),
        ..linked.clone()
    };
    let unsigned = herald::core::file_link::sign(b"not the key", &other);
    linked.expires_at = herald::store::now_ms() / 1000 - 1;
    let expired = herald::core::file_link::sign(&link_key(), &linked);
    for (token, status) in [
        (flipped, 403),
        (unsigned, 403),
        ("garbage".to_string(), 403),
        (expired, 410),
    ] {
        let answer = client
            .get(format!("{}/files/{token}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{token}");
        let body: Value = answer.json().await.unwrap();
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_download_the_platform_fails_once_is_retried_and_uploaded_once() {
    let (app, platform, _operator) = with_platform(rules(), Options::default()).await;
    let url = platform.serve_file("/files/notes.txt", 200, "text/plain", b"call back at 3pm");
    platform.fail_file("/files/notes.txt", 503, 1);
    send_settled(
        &app,
        &with_files("chat_r", json!([{"name": "notes.txt", "url": url}])),
    )
    .await;
    let thread_ts = parents(&app).remove(0)["ts"].as_str().unwrap().to_string();
    assert_eq!(shared(&app, &thread_ts), [vec!["notes.txt".to_string()]]);
    assert_eq!(
        platform.fetched(),
        ["/files/notes.txt", "/files/notes.txt"],
        "the 503, then the file"
    );
}

#[tokio::test]
async fn a_shared_file_slack_will_not_describe_still_goes_and_its_link_says_when_slack_fails() {
    let options = Options {
        public_url: true,
        ..Options::default()
    };
    let (app, platform, operator) = with_platform(rules(), options).await;
    let thread_ts = crate::threads::open_thread(&app, "chat_x").await;
    let (_, event) = app.emu.user_reply_with_file(
        &app.channels.general,
        &thread_ts,
        &operator,
        "see attached",
        "photo.png",
        b"\x89PNG not really",
    );
    // files.info fails as the callback is built: the reply goes with the event's facts.
    app.emu
        .inject("files.info", Fault::ApiError("internal_error".into()));
    crate::threads::deliver(&app, &event).await;
    let got = platform
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let file = &got[0].body["files"][0];
    assert_eq!(file["name"], "photo.png", "{}", got[0].body);
    assert_eq!(file["mimetype"], "image/png");
    assert!(file["size"].is_null(), "unknown without files.info");
    let url = file["url"].as_str().expect("a link").to_string();

    // Slack failing when the link is opened is a 502, and the link works once it answers.
    let client = reqwest::Client::new();
    app.emu.inject("files.info", Fault::ServerError(500));
    let answer = client.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 502);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "slack_unavailable");
    let answer = client.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.bytes().await.unwrap().as_ref(),
        b"\x89PNG not really"
    );
}
