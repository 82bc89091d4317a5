//! App Home's history sections: event types no rule takes (with Route…) and the last
//! week's failed deliveries by channel (with Resend and Resend all). Pure.

use serde_json::{Value, json};

use crate::core::catalog::Lang;
use crate::core::ids::mrkdwn as target;
use crate::core::render::escape;
use crate::delivery::Permanent;
use crate::history::failed::FailedChannel;
use crate::history::unrouted::Unrouted;
use crate::history::why::error_code;

/// "Route…" on an event type no rule takes; the value is a [`RouteValue`].
pub const ROUTE_EVENT: &str = "herald_route_event";

/// Unrouted types shown; more are counted.
const MAX_UNROUTED: usize = 5;

/// What a "Route…" button carries: the event type and meeting type to start a rule for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteValue {
    #[serde(rename = "t")]
    pub event_type: String,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub meeting_type: Option<String>,
}

/// "Resend" on one failed delivery; the value is the job id.
pub const RESEND_JOB: &str = "herald_resend_job";
/// "Resend all" on a channel's failed deliveries; the value is the channel id.
pub const RESEND_CHANNEL: &str = "herald_resend_channel";

/// Channels with failures shown; the rest are counted.
pub const MAX_FAILED_CHANNELS: usize = 5;

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": crate::core::render::cut(text, 3000)})
}

fn when(ms: i64) -> String {
    crate::core::render::slack_time(ms / 1000)
}

/// "Events with no rule (last 7 days)": each type with its count and a Route… button
/// that opens the rule modal set to it.
pub(super) fn unrouted(lang: Lang, unrouted: &[Unrouted], blocks: &mut Vec<Value>) {
    if unrouted.is_empty() {
        return;
    }
    blocks.push(json!({"type": "divider"}));
    blocks.push(json!({"type": "section", "text": mrkdwn(&format!("*{}*\n{}",
        lang.pick("ルールのないイベント(過去7日間)", "Events with no rule (last 7 days)"),
        lang.pick("受信したものの、どのルールにも当てはまらなかったイベントです。", "These arrived and no rule took them."))) }));
    for u in unrouted.iter().take(MAX_UNROUTED) {
        let meeting = match (&u.meeting_name, &u.meeting_type) {
            (Some(name), Some(id)) => format!(" ・ {} (`{}`)", escape(name), escape(id)),
            (None, Some(id)) => format!(" ・ `{}`", escape(id)),
            (_, None) => String::new(),
        };
        let count = match lang {
            Lang::Ja => format!("{}件、最新 {}", u.count, when(u.latest_ms)),
            Lang::En => format!("{} event(s), latest {}", u.count, when(u.latest_ms)),
        };
        let value = RouteValue {
            event_type: u.event_type.as_str().to_string(),
            meeting_type: u.meeting_type.clone(),
        };
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(&format!("*{}* (`{}`){meeting}\n{count}", u.event_type.label(lang), u.event_type.as_str())),
            "accessory": {
                "type": "button", "action_id": ROUTE_EVENT,
                "value": serde_json::to_string(&value).unwrap_or_default(),
                "text": plain(lang.pick("ルートを作成…", "Route…"))
            }
        }));
    }
    if unrouted.len() > MAX_UNROUTED {
        let more = unrouted.len() - MAX_UNROUTED;
        let text = match lang {
            Lang::Ja => {
                format!("ほか {more} 種類。`/herald why <イベントID>` で1件ずつ確認できます。")
            }
            Lang::En => {
                format!("{more} more types. `/herald why <event id>` explains any one event.")
            }
        };
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&text)]}));
    }
}

/// "Failed deliveries (last 7 days)": per channel the reason and its fix, the newest
/// few with Resend, and Resend all (for after someone invited Herald, unarchived the
/// channel, …). Slack's confirm dialog guards Resend all.
pub(super) fn failed(lang: Lang, failed: &[FailedChannel], blocks: &mut Vec<Value>) {
    if failed.is_empty() {
        return;
    }
    blocks.push(json!({"type": "divider"}));
    blocks.push(json!({"type": "section", "text": mrkdwn(&format!("*{}*",
        lang.pick("失敗した配信(過去7日間)", "Failed deliveries (last 7 days)")))}));
    for channel in failed.iter().take(MAX_FAILED_CHANNELS) {
        let code = channel
            .jobs
            .first()
            .and_then(|(p, _)| p.last_error.as_deref())
            .map_or("unknown", error_code);
        let fix = Permanent {
            code: code.to_string(),
            channel: target(&channel.channel),
        }
        .explain(lang);
        let heading = match lang {
            Lang::Ja => format!(
                "*{}* — {} 件 (`{}`)\n{fix}",
                target(&channel.channel),
                channel.total,
                escape(code)
            ),
            Lang::En => format!(
                "*{}* — {} failed (`{}`)\n{fix}",
                target(&channel.channel),
                channel.total,
                escape(code)
            ),
        };
        let all = match lang {
            Lang::Ja => format!("すべて再送({}件)", channel.total),
            Lang::En => format!("Resend all ({})", channel.total),
        };
        let confirm = json!({
            "title": plain(lang.pick("まとめて再送", "Resend all?")),
            "text": mrkdwn(&match lang {
                Lang::Ja => format!("{} への失敗した配信 {} 件を再送します。先に原因を解決してください。", target(&channel.channel), channel.total),
                Lang::En => format!("Resends {} failed deliveries to {}. Fix the cause first.", channel.total, target(&channel.channel)),
            }),
            "confirm": plain(lang.pick("再送", "Resend")),
            "deny": plain(lang.pick("キャンセル", "Cancel"))
        });
        blocks.push(json!({
            "type": "section", "text": mrkdwn(&heading),
            "accessory": {"type": "button", "action_id": RESEND_CHANNEL, "value": channel.channel,
                "text": plain(&all), "confirm": confirm}
        }));
        for (post, event_type) in &channel.jobs {
            let what =
                event_type.map_or_else(|| post.event_id.clone(), |t| t.label(lang).to_string());
            let status = match (post.status.as_str(), lang) {
                ("dead", Lang::Ja) => "再試行の上限",
                ("dead", Lang::En) => "after every retry",
                (_, Lang::Ja) => "失敗",
                (_, Lang::En) => "failed",
            };
            let line = format!(
                "• {what} ・ {} ・ {status} ・ `{}`",
                when(post.updated_at),
                escape(&post.event_id)
            );
            blocks.push(json!({
                "type": "section", "text": mrkdwn(&line),
                "accessory": {"type": "button", "action_id": RESEND_JOB, "value": post.id,
                    "text": plain(lang.pick("再送", "Resend"))}
            }));
        }
    }
    if failed.len() > MAX_FAILED_CHANNELS {
        let more = failed.len() - MAX_FAILED_CHANNELS;
        let text = match lang {
            Lang::Ja => format!(
                "ほか {more} チャンネル。`/herald why <イベントID>` で1件ずつ確認できます。"
            ),
            Lang::En => {
                format!("{more} more channels. `/herald why <event id>` explains any one event.")
            }
        };
        blocks.push(json!({"type": "context", "elements": [mrkdwn(&text)]}));
    }
}
