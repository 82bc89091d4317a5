//! The install's HTML: the "Add to Slack" page, and one page per way the callback can
//! end, each saying what happened and how to start again. Pure; every value shown is
//! escaped.

use axum::http::StatusCode;

use super::state::StateError;

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A small page in Japanese and English; `body` is already HTML.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,-apple-system,\"Hiragino Sans\",sans-serif;max-width:40rem;\
         margin:3rem auto;padding:0 1rem;line-height:1.6;color:#1d1c1d}}\
         h1{{font-size:1.5rem}} .en{{color:#616061}} code{{background:#f4f4f4;padding:0 .2em}}\
         a.button{{display:inline-block;background:#4a154b;color:#fff;padding:.6rem 1.2rem;\
         border-radius:.3rem;text-decoration:none;font-weight:600}}</style></head>\
         <body><main>{body}</main></body></html>\n",
        title = escape_html(title),
    )
}

/// The page with the "Add to Slack" button.
pub fn install_page(authorize: &str) -> String {
    page(
        "Herald — Add to Slack",
        &format!(
            "<h1>Herald</h1>\
             <p>業務プラットフォームのイベントを、Slackで管理するルールに従って通知します。</p>\
             <p class=\"en\">Herald turns your business platform's events into Slack \
             notifications, routed by rules you manage in Slack.</p>\
             <p><a class=\"button\" id=\"add-to-slack\" href=\"{}\">Slackに追加 / Add to Slack</a></p>\
             <p class=\"en\">このリンクの有効期限は10分です。/ This link is valid for 10 minutes.</p>",
            escape_html(authorize)
        ),
    )
}

/// What the callback ended in, as the page that tells the installer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Installed { team_name: String },
    Cancelled,
    BadState(StateError),
    SlackRefused(String),
    Unavailable,
}

impl Outcome {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Outcome::Installed { .. } | Outcome::Cancelled => StatusCode::OK,
            Outcome::BadState(_) => StatusCode::BAD_REQUEST,
            Outcome::SlackRefused(_) => StatusCode::BAD_GATEWAY,
            Outcome::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The result page; `install` is where to start again.
    pub fn page(&self, install: &str) -> String {
        let again = format!(
            "<p><a class=\"button\" id=\"retry\" href=\"{}\">もう一度インストール / Install again</a></p>",
            escape_html(install)
        );
        match self {
            Outcome::Installed { team_name } => installed(team_name),
            Outcome::Cancelled => cancelled(&again),
            Outcome::BadState(why) => bad_state(*why, &again),
            Outcome::SlackRefused(code) => slack_refused(code, &again),
            Outcome::Unavailable => unavailable(&again),
        }
    }
}

fn installed(team_name: &str) -> String {
    page(
        "Herald — installed",
        &format!(
            "<h1 id=\"installed\">{team} にHeraldをインストールしました</h1>\
             <p class=\"en\">Herald is installed in {team}.</p>\
             <h2>次にすること / Next steps</h2><ol>\
             <li>SlackでHeraldの <b>ホーム</b> タブを開く(ダッシュボード)<br>\
             <span class=\"en\">Open Herald's <b>Home</b> tab in Slack (the dashboard).</span></li>\
             <li><code>/herald add</code> で通知ルールを追加<br>\
             <span class=\"en\">Add a notification rule with <code>/herald add</code>.</span></li>\
             <li><code>/herald connect</code> でWebhookのURLとシークレットを受け取り、プラットフォームに設定<br>\
             <span class=\"en\">Get the webhook URL and secret with <code>/herald connect</code> \
             and enter them in your platform.</span></li></ol>\
             <p>インストールした方にSlackのDMでも同じ案内を送りました。\
             <span class=\"en\">The installer also got these steps by DM in Slack.</span></p>",
            team = escape_html(team_name)
        ),
    )
}

fn cancelled(again: &str) -> String {
    page(
        "Herald — not installed",
        &format!(
            "<h1 id=\"cancelled\">インストールはキャンセルされました</h1>\
             <p class=\"en\">The install was cancelled in Slack; nothing was changed.</p>{again}"
        ),
    )
}

fn bad_state(why: StateError, again: &str) -> String {
    let (ja, en) = match why {
        StateError::Expired => (
            "インストールのリンクの有効期限(10分)が切れました。",
            "The install link expired (it is valid for 10 minutes).",
        ),
        StateError::OtherBrowser => (
            "インストールは別のブラウザで開始されました。同じブラウザで最初からやり直してください。",
            "The install was started in another browser. Start again in this one.",
        ),
        StateError::Used => (
            "このインストールのリンクは使用済みです。最初からやり直してください。",
            "This install link was already used. Start again.",
        ),
        StateError::Malformed | StateError::Forged => (
            "このインストールのリンクは正しくありません。",
            "This install link is not valid.",
        ),
    };
    page(
        "Herald — install link not valid",
        &format!(
            "<h1 id=\"bad-state\">{ja}</h1><p class=\"en\">{en} \
             Nothing was installed.</p>{again}"
        ),
    )
}

fn slack_refused(code: &str, again: &str) -> String {
    page(
        "Herald — Slack refused the install",
        &format!(
            "<h1 id=\"slack-refused\">Slackがインストールを受け付けませんでした</h1>\
             <p>Slackの応答: <code>{code}</code></p>\
             <p class=\"en\">Slack refused the install (<code>{code}</code>). \
             An install code works once and for 10 minutes: start again.</p>{again}",
            code = escape_html(code)
        ),
    )
}

fn unavailable(again: &str) -> String {
    page(
        "Herald — try again",
        &format!(
            "<h1 id=\"unavailable\">Heraldが一時的に利用できません</h1>\
             <p class=\"en\">Herald could not finish the install (Slack or its database \
             did not answer). Nothing is half-done: start again in a moment.</p>{again}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::INSTALL_PATH;

    #[test]
    fn pages_escape_what_they_show() {
        let page = Outcome::Installed {
            team_name: "<script>alert(1)</script>".into(),
        }
        .page(INSTALL_PATH);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        let page = Outcome::SlackRefused("invalid_code".into()).page(INSTALL_PATH);
        assert!(page.contains("invalid_code") && page.contains("href=\"/slack/install\""));
    }
}
