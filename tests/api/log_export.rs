//! `/herald log [days]` as Slack delivers it: the CSV's bytes are read back from the
//! emulator's upload and parsed as CSV (BOM, header, the rows of a delivered, a failed,
//! an unrouted and a platform error event, formula-safe cells), split into parts under a
//! small cap, refused to members, and reported as failed when Slack does not take it.
//! `herald log export` writes the same CSV to a file.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::commands::{command_form, run_form};
use crate::helpers::{TEAM, TestApp, booking, eventually_within, json as answer_json};
use crate::slack_emulator::{Fault, UploadedFile};

const HEADER: [&str; 13] = [
    "received_at",
    "occurred_at",
    "event_id",
    "webhook_id",
    "event_type",
    "meeting_type",
    "rule",
    "channel",
    "status",
    "attempts",
    "slack_ts",
    "error",
    "fix",
];

fn rules() -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null, "channel": "#general"},
        {"kind": "event", "event_type": "phone.requested", "meeting_type": "mt_1", "channel": "#board"},
        {"kind": "error", "categories": ["calendar"], "channel": "#herald-errors"}
    ])
}

/// An admin in Tokyo whose Slack speaks `locale`.
fn admin(app: &TestApp, locale: &str) -> String {
    let admin = app.emu.add_user(TEAM, "admin", "admin@example.com");
    app.emu.set_user_role(&admin, true, false);
    app.emu.set_user_locale(&admin, locale);
    app.emu
        .set_user_tz(&admin, "Asia/Tokyo", "Japan Standard Time", 9 * 3600);
    admin
}

/// Sends an event and waits for its jobs to finish; returns Herald's event id.
async fn delivered(app: &TestApp, event: &Value) -> String {
    let (status, body) = answer_json(app.send(event).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().unwrap().to_string();
    app.settled(&id).await;
    id
}

/// The events of the export: one delivered, one refused by Slack, one no rule takes,
/// and two platform errors (one routed, one not) whose words are a formula and a text
/// with a comma and quotes. Returns their ids in that order.
async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    ids.push(delivered(app, &booking("booking.created", "mt_1")).await);
    ids.push(delivered(app, &booking("phone.requested", "mt_1")).await);
    ids.push(delivered(app, &booking("booking.cancelled", "mt_9")).await);
    let formula = json!({"type": "error.calendar", "occurred_at": "2026-11-21T10:00:00+09:00",
        "title": "=cmd|' /C calc'!A0"});
    ids.push(delivered(app, &formula).await);
    let quoted = json!({"type": "error.salesforce", "occurred_at": "2026-11-21T10:00:00+09:00",
        "title": "Sync \"contacts\", then retry"});
    ids.push(delivered(app, &quoted).await);
    ids
}

/// Sends `/herald <text>` as `user` the way Slack does; returns the immediate answer and
/// the command's response_url.
async fn command(app: &TestApp, user: &str, text: &str) -> (Value, String) {
    let url = app.emu.issue_response_url(TEAM);
    let form: Vec<(String, String)> =
        serde_urlencoded::from_str(&command_form(user, text)).unwrap();
    let form: Vec<(String, String)> = form
        .into_iter()
        .map(|(k, v)| {
            if k == "response_url" {
                (k, url.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    let answer = run_form(app, serde_urlencoded::to_string(form).unwrap()).await;
    (answer, url)
}

/// The last thing posted to a response_url once it is the outcome (not progress).
async fn outcome(app: &TestApp, url: &str) -> String {
    eventually_within(Duration::from_secs(60), "the export's outcome", || async {
        let posts = app.emu.responses(url);
        let last = posts.last()?["text"].as_str()?.to_string();
        (!last.contains(":hourglass_flowing_sand:")).then_some(last)
    })
    .await
}

/// The files shared in `channel`, in upload order.
fn shared_in(app: &TestApp, channel: &str) -> Vec<UploadedFile> {
    app.emu
        .uploaded_files()
        .into_iter()
        .filter(|f| f.completed && f.channel.as_deref() == Some(channel))
        .collect()
}

/// The admin's DM with Herald, as Slack names it.
fn dm_of(app: &TestApp, user: &str) -> String {
    let calls = app.emu.calls_to("conversations.open");
    calls
        .iter()
        .rev()
        .find(|c| c.args["users"] == user)
        .and_then(|c| c.response["channel"]["id"].as_str().map(str::to_string))
        .expect("Herald opened the admin's DM")
}

/// RFC 4180, read independently of Herald's writer: records of cells, the BOM checked
/// and removed.
pub(crate) fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a BOM opens the file");
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "lines end in CRLF");
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, '\n') => panic!("a bare LF ends a line: {text:?}"),
            (false, c) => cell.push(c),
        }
    }
    assert!(
        !quoted && cell.is_empty() && record.is_empty(),
        "the file ends with CRLF"
    );
    records
}

pub(crate) fn column(name: &str) -> usize {
    HEADER.iter().position(|h| *h == name).unwrap()
}

/// The rows (header excluded) about `event_id`.
fn rows_of<'a>(rows: &'a [Vec<String>], event_id: &str) -> Vec<&'a Vec<String>> {
    rows.iter()
        .filter(|r| r[column("event_id")] == event_id)
        .collect()
}

#[tokio::test]
async fn log_sends_the_csv_to_the_admins_dm_with_every_kind_of_row() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");
    let ids = seed(&app).await;

    let (answer, url) = command(&app, &admin, "log 30").await;
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(answer.to_string().contains("Exporting"), "{answer}");
    let said = outcome(&app, &url).await;
    assert!(
        said.contains("to your DM") && said.contains("(1 file)"),
        "{said}"
    );

    let dm = dm_of(&app, &admin);
    let files = shared_in(&app, &dm);
    assert_eq!(files.len(), 1, "one file");
    assert!(files[0].name.ends_with(".csv"), "{}", files[0].name);
    let records = parse_csv(&files[0].bytes);
    assert_eq!(records[0], HEADER, "the header, exactly");
    let rows = &records[1..];
    assert!(rows.iter().all(|r| r.len() == HEADER.len()), "{rows:?}");
    let sent = said.split_whitespace().nth(2).unwrap().replace(',', "");
    assert_eq!(sent, rows.len().to_string(), "{said}");

    // Delivered: its rule, channel, ts, and the times in the admin's zone.
    let done = rows_of(rows, &ids[0]);
    assert_eq!(done.len(), 1, "{done:?}");
    let done = done[0];
    assert_eq!(done[column("status")], "done");
    assert_eq!(done[column("channel")], app.channels.general);
    assert_eq!(done[column("meeting_type")], "mt_1");
    assert_eq!(done[column("occurred_at")], "2026-11-21T10:00:00+09:00");
    assert!(done[column("received_at")].ends_with("+09:00"), "{done:?}");
    assert!(!done[column("slack_ts")].is_empty() && !done[column("rule")].is_empty());

    // Refused by Slack: the code and the fix in words.
    let failed = rows_of(rows, &ids[1]);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0][column("status")], "failed");
    assert_eq!(failed[0][column("error")], "channel_not_found");
    assert!(
        failed[0][column("fix")].contains("/invite @Herald"),
        "{failed:?}"
    );

    // No rule took it.
    let unrouted = rows_of(rows, &ids[2]);
    assert_eq!(unrouted.len(), 1);
    assert_eq!(unrouted[0][column("status")], "unrouted");
    assert_eq!(unrouted[0][column("channel")], "");

    // A routed platform error: its own row, and its delivery; its words made safe.
    let routed = rows_of(rows, &ids[3]);
    let statuses: Vec<&str> = routed
        .iter()
        .map(|r| r[column("status")].as_str())
        .collect();
    assert_eq!(statuses, ["platform_error", "done"]);
    assert_eq!(routed[0][column("error")], "'=cmd|' /C calc'!A0");

    // An unrouted platform error, whose words hold a comma and quotes.
    let quoted = rows_of(rows, &ids[4]);
    assert_eq!(quoted.len(), 1);
    assert_eq!(quoted[0][column("status")], "unrouted");
    assert_eq!(quoted[0][column("error")], "Sync \"contacts\", then retry");

    // The DM carries the file, with words in the admin's language.
    let message = app
        .emu
        .messages(&dm)
        .into_iter()
        .find(|m| m["files"].is_array())
        .expect("a message shares the file");
    assert!(
        message["text"].as_str().unwrap().contains("error log"),
        "{message}"
    );
}

#[tokio::test]
async fn log_is_for_admins_and_asks_for_1_to_365_days() {
    let app = TestApp::start(rules()).await;
    let member = app.emu.add_user(TEAM, "member", "member@example.com");
    app.emu.set_user_locale(&member, "en-US");
    let (answer, url) = command(&app, &member, "log").await;
    assert!(
        answer.to_string().contains("Only workspace admins"),
        "{answer}"
    );

    let admin = admin(&app, "ja-JP");
    let (answer, _) = command(&app, &admin, "log 400").await;
    let text = answer.to_string();
    assert!(
        text.contains("`400`") && text.contains("1から365"),
        "{text}"
    );
    let (answer, _) = command(&app, &admin, "log abc").await;
    assert!(answer.to_string().contains("1から365"), "{answer}");

    // Nothing was asked of Slack for the member.
    assert!(app.emu.responses(&url).is_empty());
    assert!(app.emu.uploaded_files().is_empty());
    assert_eq!(app.emu.calls_to("files.getUploadURLExternal").len(), 0);
}

#[tokio::test]
async fn a_big_log_comes_in_parts_under_the_cap_each_with_the_header() {
    let mut app = TestApp::start(rules()).await;
    app.stop().await;
    app.settings.log_part_bytes = 1024;
    app.restart().await;
    let admin = admin(&app, "ja-JP");
    for _ in 0..12 {
        delivered(&app, &booking("booking.cancelled", "mt_9")).await;
    }
    delivered(&app, &booking("booking.created", "mt_1")).await;

    let (_, url) = command(&app, &admin, "log").await;
    let said = outcome(&app, &url).await;
    assert!(said.contains("DMに送りました"), "{said}");
    let files = shared_in(&app, &dm_of(&app, &admin));
    assert!(files.len() >= 2, "{} parts", files.len());
    let mut all = Vec::new();
    for (i, file) in files.iter().enumerate() {
        assert!(
            file.bytes.len() <= 1024,
            "part {i}: {} bytes",
            file.bytes.len()
        );
        let records = parse_csv(&file.bytes);
        assert_eq!(records[0], HEADER, "part {i} opens with the header");
        assert!(records.len() > 1, "part {i} has rows");
        all.extend(records.into_iter().skip(1));
    }
    assert_eq!(all.len(), 13, "every row once: {all:?}");
    let unrouted = all
        .iter()
        .filter(|r| r[column("status")] == "unrouted")
        .count();
    assert_eq!(unrouted, 12);
    assert!(
        said.contains(&format!("ファイル {} 件", files.len())),
        "{said}"
    );
    let titles: Vec<String> = files.iter().filter_map(|f| f.title.clone()).collect();
    assert!(
        titles[0].ends_with(&format!("1/{}", files.len())),
        "{titles:?}"
    );
}

#[tokio::test]
async fn a_failed_upload_is_reported_as_failed_never_as_sent() {
    let app = TestApp::start(rules()).await;
    let admin = admin(&app, "en-US");
    delivered(&app, &booking("booking.created", "mt_1")).await;
    app.emu.inject(
        "files.completeUploadExternal",
        Fault::ApiError("internal_error".into()),
    );

    let (_, url) = command(&app, &admin, "log 7").await;
    let said = outcome(&app, &url).await;
    assert!(said.contains("could not be sent"), "{said}");
    assert!(!said.contains("Sent"), "{said}");
    assert!(app.emu.uploaded_files().iter().all(|f| !f.completed));
}

#[tokio::test]
async fn the_cli_writes_the_same_csv_to_a_file() {
    let app = TestApp::start(rules()).await;
    let ids = seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("log.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "log",
            "export",
            "--since",
            "30d",
            "--out",
            out.to_str().unwrap(),
            "--team",
            TEAM,
            "--utc-offset",
            "+09:00",
            "--lang",
            "ja",
        ])
        .env_clear()
        .env("DATABASE_URL", &app.settings.database_url)
        .output()
        .expect("run herald");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = parse_csv(&std::fs::read(&out).unwrap());
    assert_eq!(records[0], HEADER);
    let rows = &records[1..];
    let failed = rows_of(rows, &ids[1]);
    assert_eq!(failed[0][column("error")], "channel_not_found");
    assert!(failed[0][column("fix")].contains("招待"), "{failed:?}");
    assert!(rows_of(rows, &ids[0])[0][column("received_at")].ends_with("+09:00"));
    assert_eq!(rows_of(rows, &ids[2])[0][column("status")], "unrouted");
    assert_eq!(
        rows_of(rows, &ids[3])[0][column("error")],
        "'=cmd|' /C calc'!A0"
    );

    // Bad arguments are refused with what to give.
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "log", "export", "--since", "400d", "--out", "-", "--team", TEAM,
        ])
        .env_clear()
        .env("DATABASE_URL", &app.settings.database_url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("1d to 365d"));
}

/// Pages are keyset-read: more events than a page, many sharing one arrival time, come
/// out once each in order, an event before the range stays out, and the callbacks to the
/// platform follow with the Slack message they carry.
#[tokio::test]
async fn every_row_of_many_pages_comes_once_and_callbacks_follow() {
    use herald::store::{JobStatus, NewEvent, NewJob, insert_events, insert_jobs};

    let app = TestApp::start(rules()).await;
    let now = herald::store::now_ms();
    let body = booking("booking.cancelled", "mt_9").to_string();
    let ids: Vec<String> = (0..1203).map(|i| format!("evt_page_{i:05}")).collect();
    let hooks: Vec<String> = (0..1203).map(|i| format!("msg_page_{i:05}")).collect();
    let mut events: Vec<NewEvent<'_>> = (0..1203)
        .map(|i| NewEvent {
            id: &ids[i],
            team_id: TEAM,
            connection_id: "default",
            webhook_id: &hooks[i],
            event_type: "booking.cancelled",
            body: &body,
            route_count: 0,
            // Three arrival times: a page boundary falls inside a run of equal times.
            received_at: now - 60_000 + (i as i64 / 401),
        })
        .collect();
    events.push(NewEvent {
        id: "evt_too_old",
        team_id: TEAM,
        connection_id: "default",
        webhook_id: "msg_too_old",
        event_type: "booking.cancelled",
        body: &body,
        route_count: 0,
        received_at: now - 40 * 24 * 3600 * 1000,
    });
    let payload = json!({
        "connection_id": "default",
        "body": {"type": "conversation.reply", "text": "=1+1"},
        "channel": "C0THREAD", "ts": "1795222800.000200", "thread_ts": "1795222700.000100",
        "user": "U0OP", "react": true,
    })
    .to_string();
    let callbacks: Vec<NewJob<'_>> = ["job_cb_1", "job_cb_2"]
        .iter()
        .map(|id| NewJob {
            id,
            team_id: TEAM,
            kind: "platform.callback",
            event_id: "slack:C0THREAD:1795222700.000100",
            dedupe_key: id,
            channel: None,
            payload: &payload,
            internal: false,
            status: JobStatus::Done,
            run_at: now,
            thread_key: None,
            lease: None,
        })
        .collect();
    {
        let mut conn = app.store.pool().acquire().await.unwrap();
        insert_events(&mut conn, &events).await.unwrap();
        insert_jobs(&mut conn, &callbacks).await.unwrap();
    }

    let request = herald::log_export::Request::last_days(
        TEAM,
        30,
        herald::store::now_ms(),
        time::UtcOffset::UTC,
        herald::core::catalog::Lang::En,
    );
    let mut bytes = Vec::new();
    let written = herald::log_export::write_to(&app.store, &request, &mut bytes)
        .await
        .unwrap();
    let records = parse_csv(&bytes);
    assert_eq!(records[0], HEADER);
    let rows = &records[1..];
    assert_eq!(written, rows.len());
    let exported: Vec<&str> = rows
        .iter()
        .filter(|r| r[column("event_id")].starts_with("evt_page_"))
        .map(|r| r[column("event_id")].as_str())
        .collect();
    assert_eq!(exported, ids, "every event once, in arrival order");
    assert!(rows_of(rows, "evt_too_old").is_empty());
    let tail: Vec<(&str, &str, &str)> = rows[rows.len() - 2..]
        .iter()
        .map(|r| {
            (
                r[column("event_type")].as_str(),
                r[column("channel")].as_str(),
                r[column("slack_ts")].as_str(),
            )
        })
        .collect();
    assert_eq!(
        tail,
        [("conversation.reply", "C0THREAD", "1795222800.000200"); 2],
        "the callbacks come last"
    );
}

/// 100,000 rows: the export streams them in parts under the cap, shows its progress in
/// place while it runs, and every row arrives once.
#[tokio::test]
async fn a_log_of_100k_rows_streams_in_parts_with_live_progress() {
    use herald::store::{NewEvent, insert_events};

    let mut app = TestApp::start(rules()).await;
    app.stop().await;
    app.settings.log_part_bytes = 4 * 1024 * 1024;
    app.restart().await;
    let admin = admin(&app, "en-US");
    let now = herald::store::now_ms();
    let body = booking("booking.cancelled", "mt_9").to_string();
    const ROWS: usize = 100_000;
    let ids: Vec<String> = (0..ROWS).map(|i| format!("evt_big_{i:06}")).collect();
    let events: Vec<NewEvent<'_>> = ids
        .iter()
        .map(|id| NewEvent {
            id,
            team_id: TEAM,
            connection_id: "default",
            webhook_id: id,
            event_type: "booking.cancelled",
            body: &body,
            route_count: 0,
            received_at: now - 3_600_000,
        })
        .collect();
    {
        let mut tx = app.store.begin().await.unwrap();
        insert_events(&mut tx, &events).await.unwrap();
        tx.commit().await.unwrap();
    }

    let (_, url) = command(&app, &admin, "log").await;
    let said = eventually_within(Duration::from_secs(600), "the export's outcome", || async {
        let posts = app.emu.responses(&url);
        let last = posts.last()?["text"].as_str()?.to_string();
        (!last.contains(":hourglass_flowing_sand:")).then_some(last)
    })
    .await;
    assert!(said.contains("Sent 100,000 rows"), "{said}");
    let progress: Vec<String> = app
        .emu
        .responses(&url)
        .iter()
        .filter_map(|p| p["text"].as_str().map(str::to_string))
        .filter(|t| t.contains("Exporting… "))
        .collect();
    assert!(!progress.is_empty(), "progress was shown while it ran");
    assert!(
        progress.iter().all(|t| t.ends_with(" rows")),
        "{progress:?}"
    );

    let files = shared_in(&app, &dm_of(&app, &admin));
    assert!(files.len() >= 2, "{} parts", files.len());
    let mut rows = 0;
    for file in &files {
        assert!(file.bytes.len() <= 4 * 1024 * 1024);
        let records = parse_csv(&file.bytes);
        assert_eq!(records[0], HEADER);
        rows += records.len() - 1;
    }
    assert_eq!(rows, ROWS);
}
