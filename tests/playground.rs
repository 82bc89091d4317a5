//! `herald try` in a real browser: the `herald` binary starts the playground, headless
//! Chromium loads its page, and a person uses it as they would Slack. They see the sample
//! booking, type `/herald add`, fill the rule modal through its controls (the channel from
//! an external select fed by Herald's `/slack/options`), submit it, send a booking from
//! the Platform panel and see it arrive in the channel with the mention. Nothing may reach
//! the console (script errors, failed loads, console.error).
//!
//! Chromium is driven over the DevTools protocol (a WebSocket): typing is
//! `Input.insertText` into the focused control, clicks are mouse events at the element's
//! centre, so the page's own handlers run as for a person. With
//! `PLAYGROUND_SCREENSHOTS=<dir>` the test also saves the screenshots the README shows.

#[path = "support/chromium.rs"]
mod chromium;

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// How long a step may take before the test fails (a hang, not a speed check).
const STEP: Duration = Duration::from_secs(30);

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `herald try` on a free port with a database of its own; returns its URL and what it
/// printed before it was ready.
fn start_playground(dir: &std::path::Path) -> (Killed, String, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command
        .args(["try", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.join("herald-try.db"))
        // A real deployment's setting, which the playground must say it ignores.
        .env("SLACK_BOT_TOKEN", "xoxb-not-for-the-playground");
    start_command(command)
}

/// Starts `command` (a `herald try`) and waits for it to print its URL.
fn start_command(mut command: Command) -> (Killed, String, Vec<String>) {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start herald try");
    let stdout = child.stdout.take().expect("stdout");
    let child = Killed(child);
    let mut said = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("herald try's output");
        said.push(line.clone());
        if let Some(rest) = line.split("playground is at ").nth(1) {
            let url = rest.split_whitespace().next().unwrap_or_default();
            return (child, url.trim_end_matches('/').to_string(), said);
        }
    }
    panic!("herald try ended before it was ready: {said:?}");
}

/// One Chromium page over the DevTools protocol.
struct Page {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    /// What reached the console: exceptions, console.error, failed loads.
    console: Vec<String>,
    _browser: Killed,
    _profile: tempfile::TempDir,
}

impl Page {
    async fn open() -> Self {
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut child = Command::new(chromium::chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--window-size=1400,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            // Dates render in the browser's zone; the tests read them in UTC.
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().expect("stderr");
        let browser = Killed(child);
        let devtools = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stderr).lines();
            let found = lines.by_ref().map_while(Result::ok).find_map(|line| {
                line.split("DevTools listening on ")
                    .nth(1)
                    .map(str::to_string)
            });
            // Keep reading so Chromium never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            found
        })
        .await
        .expect("read chromium's output")
        .expect("chromium printed no DevTools address");
        let port = devtools
            .trim_start_matches("ws://127.0.0.1:")
            .split('/')
            .next()
            .expect("a port")
            .to_string();
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .expect("DevTools targets")
            .json()
            .await
            .expect("targets JSON");
        let page_ws = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let (ws, _) = tokio_tungstenite::connect_async(page_ws.as_str())
            .await
            .expect("connect to the page");
        let mut page = Self {
            ws,
            next_id: 0,
            console: Vec::new(),
            _browser: browser,
            _profile: profile,
        };
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            page.call(domain, json!({})).await;
        }
        page
    }

    /// Sends a command and returns its result, keeping what reached the console meanwhile.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"id": id, "method": method, "params": params});
        self.ws
            .send(Message::text(request.to_string()))
            .await
            .expect("send to chromium");
        loop {
            let message = tokio::time::timeout(STEP, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("chromium did not answer {method}"))
                .expect("chromium closed the connection")
                .expect("a DevTools message");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("DevTools JSON");
            if value["id"] == id {
                assert!(value["error"].is_null(), "{method}: {value}");
                return value["result"].clone();
            }
            self.note(&value);
        }
    }

    fn note(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => self
                .console
                .push(format!("exception: {}", params["exceptionDetails"])),
            Some("Runtime.consoleAPICalled")
                if matches!(
                    params["type"].as_str(),
                    Some("error" | "warning" | "assert")
                ) =>
            {
                self.console
                    .push(format!("console.{}: {}", params["type"], params["args"]));
            }
            Some("Log.entryAdded")
                if matches!(params["entry"]["level"].as_str(), Some("error" | "warning")) =>
            {
                self.console.push(format!("log: {}", params["entry"]));
            }
            _ => {}
        }
    }

    /// Runs `expression` in the page and returns its value.
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page.
    async fn until(&mut self, what: &str, expression: &str) {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            // Before the page has loaded its script, names like `ui` do not exist yet.
            let guarded = format!(
                "(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
            );
            if self.eval(&guarded).await == true {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let dom = self.eval("document.body.innerText").await;
                panic!(
                    "{what}: not seen; the page shows:\n{}",
                    dom.as_str().unwrap_or("")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's requests are answered and it has read the state since.
    async fn settle(&mut self) {
        self.until("the page to settle", "ui.busy === 0").await;
        let seen = self.eval("ui.refreshes").await.as_u64().unwrap_or_default();
        self.until(
            "a refresh",
            &format!("ui.busy === 0 && ui.refreshes > {seen}"),
        )
        .await;
    }

    /// A mouse click at the centre of the element `selector`.
    async fn click(&mut self, selector: &str) {
        self.click_on(&format!("document.querySelector({selector:?})"))
            .await;
    }

    /// A mouse click at the centre of the element `element` (a JavaScript expression).
    async fn click_on(&mut self, element: &str) {
        let at = self
            .eval(&format!(
                "(() => {{ const e = {element}; if (!e) return null;
                   e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
                   return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ))
            .await;
        let (x, y) = (
            at[0]
                .as_f64()
                .unwrap_or_else(|| panic!("no {element} to click")),
            at[1].as_f64().unwrap_or_default(),
        );
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )
            .await;
        }
    }

    /// Focuses `selector` and types `text` into it.
    async fn type_into(&mut self, selector: &str, text: &str) {
        self.eval(&format!("document.querySelector({selector:?}).focus()"))
            .await;
        self.call("Input.insertText", json!({"text": text})).await;
    }

    async fn press_enter(&mut self) {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter",
                       "windowsVirtualKeyCode": 13, "text": if kind == "keyDown" { "\r" } else { "" }}),
            )
            .await;
        }
    }

    /// Chooses the option labelled `label` in the `<select>` of the input block `block`,
    /// as a person picking it from the menu would (the value, then a `change` event).
    async fn choose(&mut self, block: &str, label: &str) {
        let chosen = self
            .eval(&format!(
                "(() => {{ const s = document.querySelector('[data-block-id={block:?}] select');
                   const o = [...s.options].find(o => o.textContent === {label:?}); if (!o) return false;
                   s.value = o.value; s.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()"
            ))
            .await;
        assert_eq!(chosen, true, "no option {label} in {block}");
    }

    /// Saves a screenshot as `name` when `PLAYGROUND_SCREENSHOTS` names a directory.
    async fn screenshot(&mut self, name: &str) {
        let Some(dir) = std::env::var_os("PLAYGROUND_SCREENSHOTS") else {
            return;
        };
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64_decode(shot["data"].as_str().expect("screenshot data"));
        let path = PathBuf::from(dir).join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 from chromium")
}

/// The option of the external select in input block `block` whose text has `label`.
fn option_in(block: &str, label: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-block-id={block:?}] .ext-menu [role=option]')].find(o => o.textContent.includes({label:?}))"
    )
}

/// The text of the element `selector` (empty when there is none).
fn text_of(selector: &str) -> String {
    format!("(document.querySelector({selector:?})?.innerText || '')")
}

#[tokio::test]
async fn a_person_adds_a_rule_and_receives_a_booking_in_the_playground() {
    let dir = tempfile::tempdir().expect("a directory");
    let (_herald, url, said) = start_playground(dir.path());
    assert!(
        said.iter().any(|l| l.contains("ignoring SLACK_BOT_TOKEN")),
        "herald try must say it ignores the Slack settings of the environment: {said:?}"
    );

    let mut page = Page::open().await;
    page.call("Page.navigate", json!({"url": format!("{url}/")}))
        .await;
    // The sample booking, delivered at start, in #bookings.
    page.until(
        "the sample booking in #bookings",
        &format!(
            "{}.includes('Meeting booked') && {}.includes('# bookings')",
            text_of("#messages"),
            text_of("#channel-title")
        ),
    )
    .await;
    page.screenshot("playground-channel.png").await;

    // `/herald add` opens the rule modal.
    page.type_into("#composer-text", "/herald add").await;
    page.press_enter().await;
    page.until(
        "the rule modal",
        "!document.getElementById('modal-backdrop').hidden",
    )
    .await;
    page.choose("event_type", "Meeting booked").await;
    // Choosing the event is an action Herald answers (dispatch_action); wait until it is
    // answered and the page has read the local Slack again.
    page.settle().await;
    page.until(
        "the channel picker",
        "!!document.querySelector('[data-block-id=\"channel\"] input')",
    )
    .await;
    page.type_into("[data-block-id=\"channel\"] input", "supp")
        .await;
    page.until(
        "#support offered by Herald's options",
        "[...document.querySelectorAll('[data-block-id=\"channel\"] .ext-menu [role=option]')].some(o => o.textContent === '#support')",
    )
    .await;
    page.click_on(&option_in("channel", "#support")).await;
    page.until(
        "#support chosen",
        &format!(
            "{}.includes('#support')",
            text_of("[data-block-id=\"channel\"] .chips")
        ),
    )
    .await;
    page.type_into("[data-block-id=\"mentions\"] input", "sam")
        .await;
    page.until(
        "Sam offered as a mention",
        "[...document.querySelectorAll('[data-block-id=\"mentions\"] .ext-menu [role=option]')].some(o => o.textContent.includes('Sam'))",
    )
    .await;
    page.click_on(&option_in("mentions", "Sam")).await;
    page.until(
        "Sam chosen",
        &format!(
            "{}.includes('Sam')",
            text_of("[data-block-id=\"mentions\"] .chips")
        ),
    )
    .await;
    page.screenshot("playground-rule-modal.png").await;
    page.click("#modal-submit").await;
    page.until(
        "the modal closed after submitting",
        "document.getElementById('modal-backdrop').hidden",
    )
    .await;

    // The platform sends a booking; it arrives in #support with the mention.
    page.click("#open-platform").await;
    page.until(
        "the Platform panel",
        "!document.getElementById('platform').hidden",
    )
    .await;
    page.click("#send-event").await;
    page.until(
        "Herald's 202 answer",
        &format!("{}.startsWith('HTTP 202')", text_of("#event-answer")),
    )
    .await;
    page.click_on("[...document.querySelectorAll('#channels a')].find(a => a.textContent.includes('support'))")
        .await;
    page.until(
        "the booking in #support, mentioning Sam",
        &format!(
            "{t}.includes('Meeting booked') && {t}.includes('@Sam Member') && {h}.includes('support')",
            t = text_of("#messages"),
            h = text_of("#channel-title")
        ),
    )
    .await;

    // A customer writes in the chat; a member answers in its thread with ``` (a message
    // to the customer), and the platform receives the signed callback.
    page.click("#open-platform").await;
    let chat = page
        .eval("[...document.getElementById('sample').options].findIndex(o => o.textContent === 'conversation.message.created')")
        .await;
    page.eval(&format!(
        "(() => {{ const s = document.getElementById('sample'); s.value = '{}'; s.dispatchEvent(new Event('change')); }})()",
        chat.as_u64().expect("the chat sample")
    ))
    .await;
    page.click("#send-event").await;
    page.until(
        "Herald's 202 answer to the chat",
        &format!(
            "{}.startsWith('HTTP 202') && {}.includes('Hello, how much')",
            text_of("#event-answer"),
            text_of("#messages")
        ),
    )
    .await;
    page.eval("(() => { const s = document.getElementById('person'); s.value = [...s.options].find(o => o.textContent.includes('Sam')).value; s.dispatchEvent(new Event('change')); })()")
        .await;
    page.settle().await;
    page.eval("[...document.querySelectorAll('#messages .msg')].find(m => m.innerText.includes('Hello, how much')).querySelector('.replies-link, .msg-tools button').click()")
        .await;
    page.until(
        "the chat's thread",
        "!document.getElementById('thread').hidden",
    )
    .await;
    page.type_into("#thread-text", "```The Pro plan is ¥5,000 a month.```")
        .await;
    page.press_enter().await;
    page.until(
        "the reply in the thread",
        &format!(
            "{}.includes('The Pro plan is')",
            text_of("#thread-messages")
        ),
    )
    .await;
    page.until(
        "the Undo / Send now offer, only for the author, in the thread",
        &format!(
            "{t}.includes('Only visible to you') && {t}.includes('Send now')",
            t = text_of("#thread-messages")
        ),
    )
    .await;
    page.screenshot("playground-thread.png").await;
    // "Send now": block_actions from the ephemeral offer; Herald answers through its
    // response_url, replacing the offer in the thread.
    page.click_on("[...document.querySelectorAll('#thread-messages button')].find(b => b.textContent === 'Send now')")
        .await;
    page.until(
        "the offer replaced in the thread",
        &format!(
            "!{t}.includes('Send now') && {t}.includes('Only visible to you')",
            t = text_of("#thread-messages")
        ),
    )
    .await;
    page.click("#open-platform").await;
    page.until(
        "the reply's callback, verified",
        &format!(
            "{c}.includes('reply.created') && {c}.includes('signature verified') && {c}.includes('The Pro plan is')",
            c = text_of("#callbacks")
        ),
    )
    .await;

    // The App Home tab, as Herald publishes it.
    page.click("#open-home").await;
    page.until(
        "Herald's Home tab, published",
        "!!document.querySelector('#home-view .blk-header') && !!document.querySelector('#home-view .blk-actions button')",
    )
    .await;
    page.screenshot("playground-home.png").await;

    assert!(
        page.console.is_empty(),
        "the page logged to the console:\n{}",
        page.console.join("\n")
    );
}

#[tokio::test]
async fn the_page_renders_slacks_mrkdwn_as_slack_does() {
    let dir = tempfile::tempdir().expect("a directory");
    let (_herald, url, _) = start_playground(dir.path());
    let mut page = Page::open().await;
    page.call("Page.navigate", json!({"url": format!("{url}/")}))
        .await;
    page.until("the state read", "ui.refreshes > 0").await;
    let admin = page.eval("ui.state.me").await;
    let admin = admin.as_str().expect("the admin's id");
    // Slack's formatting reference (docs.slack.dev/messaging/formatting-message-text):
    // mentions by id, a user group, a link with its text, escaped angle brackets and
    // ampersands, and a date with its fallback.
    let table = [
        (format!("<@{admin}>"), "<span class=\"mention\">@Alex Admin</span>".to_string()),
        ("<!subteam^S123|@support>".into(), "<span class=\"mention\">@support</span>".into()),
        ("<!here>".into(), "<span class=\"mention\">@here</span>".into()),
        (
            "<https://example.com/a?b=1&amp;c=2|the page>".into(),
            "<a href=\"https://example.com/a?b=1&amp;c=2\" target=\"_blank\" rel=\"noopener\">the page</a>".into(),
        ),
        ("*bold* _it_ ~gone~ `code`".into(), "<strong>bold</strong> <em>it</em> <del>gone</del> <code>code</code>".into()),
        ("1 &lt; 2 &amp;&amp; <script>".into(), "1 &lt; 2 &amp;&amp; &lt;script&gt;".into()),
        ("```a *b*```".into(), "<pre>a *b*</pre>".into()),
        ("<!date^0^{date_num}|fallback>".into(), "1970-01-01".into()),
        ("<!date^x|the fallback>".into(), "the fallback".into()),
        (":white_check_mark: done".into(), "✅ done".into()),
    ];
    for (input, want) in table {
        let got = page
            .eval(&format!(
                "mrkdwn({})",
                serde_json::to_string(&input).expect("a JS string")
            ))
            .await;
        assert_eq!(got.as_str(), Some(want.as_str()), "mrkdwn of {input}");
    }
    assert!(page.console.is_empty(), "{:?}", page.console);
}

/// Stops `herald try` as Ctrl-C or a service manager would (SIGTERM) and waits for it.
fn stop_gracefully(mut herald: Killed) {
    let pid = herald.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid}");
    let status = herald.0.wait().expect("herald try ends");
    assert!(status.success(), "herald try ended with {status}");
}

/// The state the page reads, for `channel` (by name).
async fn channel_messages(url: &str, name: &str) -> Vec<Value> {
    let state: Value = reqwest::get(format!("{url}/try/api/state"))
        .await
        .expect("state")
        .json()
        .await
        .expect("JSON");
    let id = state["channels"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .and_then(|c| c["id"].as_str())
        .expect("the channel")
        .to_string();
    let state: Value = reqwest::get(format!("{url}/try/api/state?channel={id}"))
        .await
        .expect("state")
        .json()
        .await
        .expect("JSON");
    state["messages"].as_array().cloned().unwrap_or_default()
}

async fn send_event(url: &str, event: &Value) {
    let answer: Value = reqwest::Client::new()
        .post(format!("{url}/try/api/platform"))
        .json(&json!({"body": event.to_string()}))
        .send()
        .await
        .expect("the platform panel's request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["status"], 202, "{answer}");
}

async fn eventually_messages(
    url: &str,
    name: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let messages = channel_messages(url, name).await;
        if done(&messages) {
            return messages;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn chat(message_id: &str, text: &str) -> Value {
    json!({
        "type": "conversation.message.created",
        "occurred_at": "2026-12-01T10:00:00Z",
        "conversation": {"id": "chat_restart", "state": "open"},
        "message": {"id": message_id, "text": text, "author": {"kind": "customer", "name": "Taro"}}
    })
}

#[tokio::test]
async fn after_a_restart_the_history_is_there_and_a_conversation_keeps_its_thread() {
    let dir = tempfile::tempdir().expect("a directory");
    let (herald, url, _) = start_playground(dir.path());
    send_event(&url, &chat("m_1", "Before the restart")).await;
    let before = eventually_messages(&url, "support", "the chat's parent", |m| {
        m.iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("Chat")))
    })
    .await;
    let parent = before[0]["ts"].clone();
    stop_gracefully(herald);

    let (herald, url, _) = start_playground(dir.path());
    let bookings = eventually_messages(&url, "bookings", "both runs' sample bookings", |m| {
        m.len() == 2
    })
    .await;
    assert_eq!(bookings.len(), 2);
    send_event(&url, &chat("m_2", "After the restart")).await;
    let after = eventually_messages(
        &url,
        "support",
        "the second message in the same thread",
        |m| {
            m.iter()
                .any(|m| m["thread_ts"] == parent && m["ts"] != parent)
        },
    )
    .await;
    let parents: Vec<&Value> = after
        .iter()
        .filter(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"])
        .collect();
    assert_eq!(
        parents.len(),
        1,
        "one thread for the conversation: {after:?}"
    );
    stop_gracefully(herald);

    let mut fresh = Command::new(env!("CARGO_BIN_EXE_herald"));
    fresh
        .args(["try", "--fresh", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.path().join("herald-try.db"));
    let (herald, url, _) = start_command(fresh);
    let bookings =
        eventually_messages(&url, "bookings", "the sample booking", |m| !m.is_empty()).await;
    assert_eq!(
        bookings.len(),
        1,
        "--fresh starts the history over: {bookings:?}"
    );
    assert!(channel_messages(&url, "support").await.is_empty());
    stop_gracefully(herald);

    // A history that cannot be read is set aside, said, and the run starts empty.
    let history = dir.path().join("herald-try.slack.json");
    std::fs::write(&history, "{not json").expect("write");
    let (herald, url, said) = start_playground(dir.path());
    assert!(
        said.iter().any(|l| l.contains("could not be restored")),
        "{said:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("herald-try.slack.json.unreadable"))
            .ok()
            .as_deref(),
        Some("{not json"),
        "the unreadable history is kept aside"
    );
    let bookings =
        eventually_messages(&url, "bookings", "the sample booking", |m| !m.is_empty()).await;
    assert_eq!(bookings.len(), 1);
    drop(herald);
}

#[tokio::test]
async fn the_page_answers_only_requests_addressed_to_this_machine() {
    let dir = tempfile::tempdir().expect("a directory");
    let (_herald, url, _) = start_playground(dir.path());
    let port = url.rsplit(':').next().expect("a port");
    let client = reqwest::Client::new();
    for (host, want) in [
        (format!("127.0.0.1:{port}"), 200),
        (format!("localhost:{port}"), 200),
        // DNS rebinding: another site's name, resolved to this machine.
        (format!("rebind.evil.example:{port}"), 403),
    ] {
        for path in ["/", "/try/api/state"] {
            let status = client
                .get(format!("{url}{path}"))
                .header("host", &host)
                .send()
                .await
                .expect("an answer")
                .status();
            assert_eq!(status.as_u16(), want, "{path} with Host {host}");
        }
    }
    let command = client
        .post(format!("{url}/try/api/command"))
        .header("host", format!("rebind.evil.example:{port}"))
        .json(&json!({"user": "U0000000004", "channel": "C0000000009", "text": "/herald connect callback http://10.0.0.1/"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(command.status().as_u16(), 403);
}
