//! "Add to Slack" and tenancy: workspaces installed through Slack's OAuth flow (the
//! emulator's authorize page and `oauth.v2.access`), each with its own webhook
//! connection, and nothing of one workspace ever reaching another.

use std::sync::Arc;

use herald::config::{Settings, SettingsArgs, WebhookSecret};
use herald::core::signature::standard_webhooks;
use herald::store::Store;
use serde_json::{Value, json};

use crate::helpers::{Instance, SIGNING_SECRET, booking, eventually, fresh_database, now};
use crate::slack_emulator::{ChannelSpec, SlackEmulator};

const CLIENT_ID: &str = "1234567890.0987654321";
const CLIENT_SECRET: &str = "c1ient5ecret";

struct Installs {
    emu: Arc<SlackEmulator>,
    herald: Instance,
    store: Store,
    /// A browser that does not follow redirects, so each hop is checked.
    browser: reqwest::Client,
    /// HERALD_ENCRYPTION_KEY of this Herald.
    key: String,
    _dir: Option<tempfile::TempDir>,
}

/// One Slack workspace of the test: its id, an admin, and a channel named #general.
struct Tenant {
    team: String,
    admin: String,
    general: String,
}

impl Installs {
    async fn start() -> Self {
        crate::helpers::init_tracing();
        let emu = Arc::new(SlackEmulator::start().await);
        let (database_url, dir) = fresh_database().await;
        let store = Store::connect(&database_url).await.expect("database");
        store.migrate().await.expect("migrate");
        let key = herald::crypto::Sealer::generate_key().unwrap();
        let mut settings = Settings::from_args(SettingsArgs {
            slack_signing_secret: Some(SIGNING_SECRET.into()),
            slack_api_url: Some(emu.api_url()),
            database_url: Some(database_url),
            listen: Some("127.0.0.1:0".into()),
            lang: Some("en".into()),
            slack_client_id: Some(CLIENT_ID.into()),
            slack_client_secret: Some(CLIENT_SECRET.into()),
            slack_oauth_authorize_url: Some(emu.oauth_authorize_url()),
            public_url: Some("http://replaced-at-launch".into()),
            encryption_key: Some(key.clone()),
            ..SettingsArgs::default()
        })
        .expect("settings without a bot token");
        settings.public_url = None;
        let herald = Instance::launch(settings).await;
        emu.register_oauth_app(
            CLIENT_ID,
            CLIENT_SECRET,
            &[&format!("{}/slack/oauth/callback", herald.address)],
        );
        Self {
            emu,
            herald,
            store,
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            key,
            _dir: dir,
        }
    }

    fn tenant(&self, team: &str, name: &str) -> Tenant {
        self.emu.add_workspace(team, name);
        let admin = self
            .emu
            .add_user(team, "admin", &format!("admin@{team}.example"));
        self.emu.set_user_role(&admin, true, false);
        self.emu.set_user_locale(&admin, "en-US");
        let general = self.emu.add_channel(
            team,
            ChannelSpec {
                name: "general".into(),
                bot_member: true,
                ..ChannelSpec::default()
            },
        );
        Tenant {
            team: team.into(),
            admin,
            general,
        }
    }

    /// Installs Herald the way a browser does: the install page, Slack's authorize
    /// page, the callback (with the cookie the install page set). Returns the result
    /// page's status and HTML.
    async fn install(&self, tenant: &Tenant) -> (u16, String) {
        let (status, page, _, _) = self.install_hops(tenant).await;
        (status, page)
    }

    /// [`Installs::install`], also returning the callback URL and the cookie it used.
    async fn install_hops(&self, tenant: &Tenant) -> (u16, String, String, String) {
        self.emu.set_oauth_installer(&tenant.team, &tenant.admin);
        let page = self
            .browser
            .get(format!("{}/slack/install", self.herald.address))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let cookie = cookie.split(';').next().unwrap().to_string();
        let html = page.text().await.unwrap();
        let href = html
            .split("id=\"add-to-slack\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("an Add to Slack link")
            .replace("&amp;", "&");
        assert!(href.starts_with(&self.emu.oauth_authorize_url()), "{href}");
        assert!(href.contains("scope=chat%3Awrite%2C"), "{href}");

        let slack = self.browser.get(&href).send().await.unwrap();
        assert_eq!(slack.status(), 302, "Slack sends the installer back");
        let back = slack.headers()["location"].to_str().unwrap().to_string();
        assert!(
            back.starts_with(&format!("{}/slack/oauth/callback?", self.herald.address)),
            "{back}"
        );
        let (status, page) = self.callback(&back, &cookie).await;
        (status, page, back, cookie)
    }

    async fn callback(&self, url: &str, cookie: &str) -> (u16, String) {
        let done = self
            .browser
            .get(url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (done.status().as_u16(), done.text().await.unwrap())
    }

    /// Slack telling Herald the admin opened its Home tab: Herald publishes it.
    async fn open_home(&self, tenant: &Tenant) {
        let path = format!(
            "{}/tests/fixtures/slack/app_home_opened.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut data = fixture["data"].clone();
        data["team_id"] = json!(tenant.team);
        data["event_id"] = json!(format!("Ev{:010}", fastrand::u64(..10_000_000_000)));
        data["event"]["user"] = json!(tenant.admin);
        let body = data.to_string();
        let before = self.emu.calls_to("views.publish").len();
        let ts = now();
        let response = self
            .browser
            .post(format!("{}/slack/events", self.herald.address))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", ts.to_string())
            .header(
                "x-slack-signature",
                herald::core::signature::slack::sign(SIGNING_SECRET, ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        eventually(|| async { (self.emu.calls_to("views.publish").len() > before).then_some(()) })
            .await;
    }

    /// The tenant's webhook URL and secret, as `/herald connect` shows them once.
    async fn connect(&self, tenant: &Tenant) -> (String, String) {
        let answer = self.command(tenant, "connect").await;
        let text = answer["text"].as_str().unwrap().to_string();
        let url = text
            .split('`')
            .find(|s| s.contains("/hooks/"))
            .expect("a webhook URL")
            .to_string();
        let secret = text
            .split('`')
            .find(|s| s.starts_with("whsec_"))
            .expect("the secret, the first time")
            .to_string();
        (url, secret)
    }

    async fn command(&self, tenant: &Tenant, text: &str) -> Value {
        let form = crate::commands::command_form(&tenant.admin, text)
            .replace(crate::helpers::TEAM, &tenant.team);
        let response = crate::helpers::slack_form(
            &self.browser,
            &self.herald.address,
            "/slack/commands",
            form,
        )
        .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn send(&self, url: &str, secret: &str, event: &Value) -> reqwest::Response {
        let id = format!("msg_{:016x}", fastrand::u64(..));
        let body = event.to_string();
        let key = WebhookSecret::parse(secret).unwrap();
        let ts = now();
        self.browser
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                standard_webhooks::sign(key.key(), &id, ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn rules(&self, tenant: &Tenant) {
        let rules = json!([
            {"kind": "event", "event_type": "booking.created", "channel": tenant.general}
        ]);
        herald::admin::rules_file::import(&self.store, &tenant.team, &rules.to_string(), "cli")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_workspace_installs_gets_its_webhook_and_receives_notifications() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    let (status, page) = t.install(&acme).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=\"installed\"") && page.contains("Acme"),
        "{page}"
    );

    // The token is stored sealed, never as itself.
    let stored = t
        .store
        .installed_workspace(&acme.team)
        .await
        .unwrap()
        .unwrap();
    let sealed = stored.bot_token_sealed.expect("a stored token");
    assert!(
        sealed.starts_with("v1:") && !sealed.contains("xoxb-"),
        "{sealed}"
    );
    assert_eq!(stored.installed_by.as_deref(), Some(acme.admin.as_str()));

    // The installer is greeted by DM with the next steps.
    let dm = eventually(|| async {
        t.emu.calls_to("chat.postMessage").into_iter().find(|c| {
            c.args["channel"]
                .as_str()
                .is_some_and(|ch| ch.starts_with('D'))
        })
    })
    .await;
    let greeting = dm.args["text"].as_str().unwrap_or_default().to_string();
    assert!(greeting.contains("/herald connect"), "{greeting}");

    // The URL and secret come from Slack, the secret once.
    let (url, secret) = t.connect(&acme).await;
    assert!(
        url.starts_with(&format!("{}/hooks/conn_", t.herald.address)),
        "{url}"
    );
    let again = t.command(&acme, "connect").await.to_string();
    assert!(
        !again.contains(&secret) && again.contains("rotate"),
        "{again}"
    );

    t.rules(&acme).await;
    let response = t
        .send(&url, &secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
    eventually(|| async { t.emu.messages(&acme.general).pop() }).await;
}

#[tokio::test]
async fn events_never_cross_workspaces_and_crafted_payloads_cannot_reach_another() {
    let t = Installs::start().await;
    let (acme, beta) = (
        t.tenant("T0ACME0001", "Acme"),
        t.tenant("T0BETA0002", "Beta"),
    );
    for tenant in [&acme, &beta] {
        assert_eq!(t.install(tenant).await.0, 200);
        t.rules(tenant).await;
    }
    let (acme_url, acme_secret) = t.connect(&acme).await;
    let (beta_url, beta_secret) = t.connect(&beta).await;
    assert_ne!(acme_url, beta_url);

    let response = t
        .send(&acme_url, &acme_secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
    eventually(|| async { t.emu.messages(&acme.general).pop() }).await;
    // Beta's secret on Acme's URL is refused: a connection only takes its own key.
    let response = t
        .send(&acme_url, &beta_secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 401);
    // Beta's own event goes to Beta's #general only.
    let response = t
        .send(&beta_url, &beta_secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
    eventually(|| async { t.emu.messages(&beta.general).pop() }).await;
    assert_eq!(
        t.emu.messages(&acme.general).len(),
        1,
        "Acme got only its own"
    );

    // Beta's admin crafts a Home "delete" naming Acme's rule: nothing happens to it.
    let acme_rule = t.store.rules(&acme.team).await.unwrap()[0].id.clone();
    t.open_home(&beta).await;
    let home = t
        .emu
        .home_view(&beta.team, &beta.admin)
        .unwrap()
        .to_string();
    assert!(
        home.contains(&beta_url) && !home.contains(&beta_secret),
        "URL only: {home}"
    );
    let action = json!({"type": "button", "action_id": "herald_delete_rule", "block_id": "b1",
        "value": acme_rule, "text": {"type": "plain_text", "text": "Delete"}});
    let payload = t
        .emu
        .block_actions(None, &beta.admin, &beta.team, json!([action]));
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let response =
        crate::helpers::slack_form(&t.browser, &t.herald.address, "/slack/interactions", body)
            .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        t.store.rules(&acme.team).await.unwrap().len(),
        1,
        "Acme's rule stands"
    );
    // A crafted edit: Beta's admin submits an edit modal naming Acme's rule.
    let trigger = t.emu.issue_trigger(&beta.team, &beta.admin);
    let form = crate::commands::command_form_with_trigger(&beta.admin, "add", &trigger)
        .replace(crate::helpers::TEAM, &beta.team);
    crate::helpers::slack_form(&t.browser, &t.herald.address, "/slack/commands", form).await;
    let modal = t
        .emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["callback_id"] == "herald_rule_add")
        .expect("Beta's add modal");
    let mut payload = t.emu.view_submission(
        modal["id"].as_str().unwrap(),
        &beta.admin,
        json!({
            "event_type": {"event_type": {"type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": "x"}, "value": "booking.cancelled"}}},
            "channel": {"channel": {"type": "conversations_select", "selected_conversation": beta.general}},
        }),
    );
    payload["view"]["callback_id"] = json!("herald_rule_edit");
    payload["view"]["private_metadata"] =
        json!(json!({"lang": "en", "rule": acme_rule, "version": 1}).to_string());
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let answer: Value =
        crate::helpers::slack_form(&t.browser, &t.herald.address, "/slack/interactions", body)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    let acme_rules = t.store.rules(&acme.team).await.unwrap();
    assert_eq!(acme_rules[0].id, acme_rule);
    assert_eq!(
        acme_rules[0].channel.as_str(),
        acme.general,
        "Acme's rule unchanged"
    );
    assert_eq!(
        t.store.rules(&beta.team).await.unwrap().len(),
        1,
        "nothing added to Beta"
    );

    // And Beta's `/herald list` shows Beta's rule only.
    let listed = t.command(&beta, "list").await.to_string();
    assert!(
        listed.contains(&beta.general) && !listed.contains(&acme.general),
        "{listed}"
    );
}

#[tokio::test]
async fn failed_installs_say_what_happened_and_how_to_retry() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");

    // Cancelled at Slack.
    t.emu.deny_next_oauth_authorize();
    let (status, page) = t.install(&acme).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"cancelled\"") && page.contains("/slack/install"),
        "{page}"
    );

    // A callback without the browser's cookie (a link sent to someone else).
    let callback = format!(
        "{}/slack/oauth/callback?code=abc&state=1.nonce.tag",
        t.herald.address
    );
    let response = t.browser.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("id=\"bad-state\"") && page.contains("/slack/install"),
        "{page}"
    );

    assert!(
        t.store
            .installed_workspace(&acme.team)
            .await
            .unwrap()
            .is_none()
    );

    // A reload of the result page: the state was used, and the page says so and offers
    // a fresh start.
    let (status, _, back, cookie) = t.install_hops(&acme).await;
    assert_eq!(status, 200);
    let (status, page) = t.callback(&back, &cookie).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"bad-state\"") && page.contains("already used"),
        "{page}"
    );

    // A code used twice (with a state not used yet): Slack refuses it.
    let (status, _, back, _) = t.install_hops(&acme).await;
    assert_eq!(status, 200);
    let (state, cookie_nonce) = fresh_state(&t).await;
    let code = query_param(&back, "code");
    let replay = format!(
        "{}/slack/oauth/callback?code={code}&state={state}",
        t.herald.address
    );
    let (status, page) = t.callback(&replay, &cookie_nonce).await;
    assert_eq!(status, 502);
    assert!(
        page.contains("id=\"slack-refused\"") && page.contains("invalid_code"),
        "{page}"
    );
}

/// A value of a URL's query.
fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

/// A state from Herald's install page, not used yet, and the cookie that goes with it.
async fn fresh_state(t: &Installs) -> (String, String) {
    let page = t
        .browser
        .get(format!("{}/slack/install", t.herald.address))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let html = page.text().await.unwrap();
    let href = html
        .split("id=\"add-to-slack\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    (query_param(&href, "state"), cookie)
}

#[tokio::test]
async fn an_install_state_works_once_even_with_a_fresh_code() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    let evil = t.tenant("T0EVIL0001", "Evil");
    let (status, _, back, cookie) = t.install_hops(&acme).await;
    assert_eq!(status, 200);

    // The used state with a new, valid code (here for another workspace): refused, and
    // that workspace is not installed.
    let state = query_param(&back, "state");
    let redirect = format!("{}/slack/oauth/callback", t.herald.address);
    let code = t.emu.issue_oauth_code(
        CLIENT_ID,
        &evil.team,
        &evil.admin,
        herald::install::BOT_SCOPES,
        Some(&redirect),
    );
    let again = format!(
        "{redirect}?{}",
        serde_urlencoded::to_string([("code", code.as_str()), ("state", state.as_str())]).unwrap()
    );
    let (status, page) = t.callback(&again, &cookie).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("already used"), "{page}");
    assert!(
        t.store
            .installed_workspace(&evil.team)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_state_signed_with_the_client_secret_is_refused() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    let redirect = format!("{}/slack/oauth/callback", t.herald.address);
    let code = t.emu.issue_oauth_code(
        CLIENT_ID,
        &acme.team,
        &acme.admin,
        herald::install::BOT_SCOPES,
        Some(&redirect),
    );
    // Whoever knows the client secret (it is shared with Slack) could sign states.
    let forged = herald::install::sign_state(CLIENT_SECRET.as_bytes(), "n0nce", now() + 600);
    let url = format!(
        "{redirect}?{}",
        serde_urlencoded::to_string([("code", code.as_str()), ("state", forged.as_str())]).unwrap()
    );
    let (status, page) = t.callback(&url, "herald_install=n0nce").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("id=\"bad-state\""), "{page}");
    assert!(
        t.store
            .installed_workspace(&acme.team)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_for_the_grace_period_and_disconnect_stops_everything() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    assert_eq!(t.install(&acme).await.0, 200);
    t.rules(&acme).await;
    let (url, old) = t.connect(&acme).await;

    let rotated = t.command(&acme, "connect rotate").await["text"]
        .as_str()
        .unwrap()
        .to_string();
    let new = rotated
        .split('`')
        .find(|s| s.starts_with("whsec_"))
        .expect("the new secret")
        .to_string();
    assert_ne!(new, old);
    for secret in [&old, &new] {
        let response = t
            .send(&url, secret, &booking("booking.created", "mt_1"))
            .await;
        assert_eq!(
            response.status(),
            202,
            "both secrets work during the grace period"
        );
    }

    // Disconnect: confirm dialog, then the token is revoked and deleted, webhooks get 410.
    let trigger = t.emu.issue_trigger(&acme.team, &acme.admin);
    let form = crate::commands::command_form_with_trigger(&acme.admin, "disconnect", &trigger)
        .replace(crate::helpers::TEAM, &acme.team);
    crate::helpers::slack_form(&t.browser, &t.herald.address, "/slack/commands", form).await;
    let dialog = t
        .emu
        .views_opened()
        .into_iter()
        .rfind(|v| v["callback_id"] == "herald_disconnect")
        .expect("a confirm dialog");
    assert!(
        t.store
            .installed_workspace(&acme.team)
            .await
            .unwrap()
            .unwrap()
            .bot_token_sealed
            .is_some(),
        "nothing happens before the confirm"
    );
    let payload = t
        .emu
        .view_submission(dialog["id"].as_str().unwrap(), &acme.admin, json!({}));
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let answer: Value =
        crate::helpers::slack_form(&t.browser, &t.herald.address, "/slack/interactions", body)
            .await
            .json()
            .await
            .unwrap();
    assert!(answer.to_string().contains("kept for 365 days"), "{answer}");
    assert_eq!(t.emu.calls_to("auth.revoke").len(), 1);
    assert!(
        t.store
            .installed_workspace(&acme.team)
            .await
            .unwrap()
            .unwrap()
            .bot_token_sealed
            .is_none(),
        "the token is deleted"
    );
    let response = t
        .send(&url, &new, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 410);
    assert_eq!(
        t.store.rules(&acme.team).await.unwrap().len(),
        1,
        "rules are kept"
    );

    // Installing again resumes with the same connection and rules.
    assert_eq!(t.install(&acme).await.0, 200);
    let response = t
        .send(&url, &new, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_token_slack_refuses_marks_the_workspace_for_reinstall() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    assert_eq!(t.install(&acme).await.0, 200);
    t.rules(&acme).await;
    let (url, secret) = t.connect(&acme).await;
    // Someone revokes Herald's token in Slack (without Slack telling Herald by event).
    t.emu
        .revoke_token(&t.emu.workspace(&acme.team).unwrap().bot_token);
    let response = t
        .send(&url, &secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
    let (status, body) = eventually(|| async {
        let response = t
            .send(&url, &secret, &booking("booking.created", "mt_1"))
            .await;
        (response.status() == 410).then_some(())?;
        Some(crate::helpers::json(response).await)
    })
    .await;
    assert_eq!(status, 410);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("install Herald again"),
        "{body}"
    );
    // Installing again clears it.
    assert_eq!(t.install(&acme).await.0, 200);
    let response = t
        .send(&url, &secret, &booking("booking.created", "mt_1"))
        .await;
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_new_encryption_key_reseals_every_secret_and_the_old_key_can_go() {
    let t = Installs::start().await;
    let acme = t.tenant("T0ACME0001", "Acme");
    assert_eq!(t.install(&acme).await.0, 200);
    let before = t
        .store
        .installed_workspace(&acme.team)
        .await
        .unwrap()
        .unwrap();
    let old_key = t.key.clone();
    let new_key = herald::crypto::Sealer::generate_key().unwrap();

    // Without the old key nothing opens: rekey refuses rather than lose secrets.
    let stranger = herald::crypto::Sealer::new(&new_key, None).unwrap();
    assert!(herald::workspace::rekey(&t.store, &stranger).await.is_err());

    let rotating = herald::crypto::Sealer::new(&new_key, Some(&old_key)).unwrap();
    let (tokens, secrets) = herald::workspace::rekey(&t.store, &rotating).await.unwrap();
    assert_eq!((tokens, secrets), (1, 1));
    assert_eq!(
        herald::workspace::rekey(&t.store, &rotating).await.unwrap(),
        (0, 0),
        "a second run has nothing left to do"
    );
    let after = t
        .store
        .installed_workspace(&acme.team)
        .await
        .unwrap()
        .unwrap();
    let sealed = after.bot_token_sealed.unwrap();
    assert_ne!(Some(sealed.clone()), before.bot_token_sealed);
    let new_only = herald::crypto::Sealer::new(&new_key, None).unwrap();
    let token = new_only
        .open(&sealed, &herald::workspace::token_context(&acme.team))
        .unwrap();
    assert_eq!(token, t.emu.workspace(&acme.team).unwrap().bot_token);
}
