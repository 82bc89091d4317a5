//! `/herald why`: one event explained, in the admin's language. Pure: an
//! [`Explanation`] in, the ephemeral answer's text and blocks out.

use serde_json::Value;

use super::texts::rule_line;
use crate::admin::reply::{MAX_BLOCKS, section};
use crate::core::catalog::{EventType, Lang};
use crate::core::ids::mrkdwn;
use crate::core::render::escape;
use crate::core::router::Verdict;
use crate::delivery::Permanent;
use crate::history::why::{Explanation, JobLine};

/// Rules listed one by one; past this many, the rest are counted.
const MAX_RULE_LINES: usize = 25;

/// A time as Slack shows it to each reader in their own zone.
pub fn when(unix_secs: i64) -> String {
    crate::core::render::slack_time_secs(unix_secs)
}

/// No event of this workspace has that id or webhook-id.
pub fn not_found(lang: Lang, reference: &str) -> String {
    let reference = escape(reference);
    match lang {
        Lang::Ja => format!(
            "`{reference}` というイベントはこのワークスペースにありません。Webhookの202応答の `event_id` か、プラットフォームが送った `webhook-id` を指定してください(保存期間は1年です)。"
        ),
        Lang::En => format!(
            "This workspace has no event `{reference}`. Give the `event_id` of the webhook's 202 answer or the `webhook-id` the platform sent (events are kept for a year)."
        ),
    }
}

fn verdict_text(lang: Lang, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Matched => lang.pick("✅ このルールで通知", "✅ takes it").into(),
        Verdict::Disabled => lang.pick("— 無効のルール", "— the rule is disabled").into(),
        Verdict::OtherEventType { wanted } => match lang {
            Lang::Ja => format!("— 別のイベント({})のルール", wanted.label(lang)),
            Lang::En => format!("— a rule for another event ({})", wanted.label(lang)),
        },
        Verdict::OtherMeetingType { wanted, got } => {
            let wanted = escape(wanted);
            match (lang, got) {
                (Lang::Ja, Some(got)) => format!(
                    "— 別の面談タイプ(`{wanted}`)のルール。このイベントは `{}`",
                    escape(got)
                ),
                (Lang::Ja, None) => {
                    format!(
                        "— 面談タイプ `{wanted}` のルール。このイベントには面談タイプがありません"
                    )
                }
                (Lang::En, Some(got)) => format!(
                    "— a rule for another meeting type (`{wanted}`); this event's is `{}`",
                    escape(got)
                ),
                (Lang::En, None) => {
                    format!("— a rule for meeting type `{wanted}`; this event has no meeting type")
                }
            }
        }
        Verdict::NotAnError => lang
            .pick(
                "— エラー通知のルール(これはエラーではありません)",
                "— an error rule, and this is not an error",
            )
            .into(),
        Verdict::AnError => lang
            .pick(
                "— イベントのルール(エラーはエラー通知のルールだけが通知します)",
                "— an event rule; errors go only to error rules",
            )
            .into(),
        Verdict::OtherCategory => lang
            .pick(
                "— 別の種類のエラーのルール",
                "— an error rule for other kinds of error",
            )
            .into(),
        Verdict::ConditionFailed {
            index,
            condition,
            got,
        } => {
            let n = index + 1;
            let condition = escape(&condition.to_line());
            match (lang, got) {
                (Lang::Ja, Some(got)) => format!(
                    "— 条件 {n}(`{condition}`)に合いません。このイベントの値は `{}`",
                    escape(got)
                ),
                (Lang::Ja, None) => format!(
                    "— 条件 {n}(`{condition}`)に合いません。このイベントにはこの項目がありません"
                ),
                (Lang::En, Some(got)) => format!(
                    "— condition {n} (`{condition}`) does not hold; this event's value is `{}`",
                    escape(got)
                ),
                (Lang::En, None) => format!(
                    "— condition {n} (`{condition}`) does not hold; this event has no such field"
                ),
            }
        }
    }
}

fn status_text(lang: Lang, status: &str) -> &'static str {
    match status {
        "pending" => lang.pick("⏳ 送信待ち", "⏳ waiting to be sent"),
        "held" => lang.pick(
            "⏸ 保留(オペレーターの紐付け待ち)",
            "⏸ held (waiting for an operator link)",
        ),
        "running" => lang.pick("▶ 送信中", "▶ being sent"),
        "done" => lang.pick("✅ 送信済み", "✅ sent"),
        "failed" => lang.pick("❌ 失敗", "❌ failed"),
        "dead" => lang.pick("❌ 再試行の上限で失敗", "❌ failed after every retry"),
        _ => lang.pick("状態不明", "unknown state"),
    }
}

fn job_line(lang: Lang, job: &JobLine) -> String {
    let kind = match job.kind.as_str() {
        "slack.post" => lang.pick("Slackへの通知", "Slack notification"),
        "platform.callback" => lang.pick("プラットフォームへの送信", "callback to the platform"),
        other => other,
    };
    let place = job
        .channel
        .as_deref()
        .map(|c| format!(" {}", mrkdwn(c)))
        .unwrap_or_default();
    let attempts = match lang {
        Lang::Ja => format!("試行 {} 回", job.attempts),
        Lang::En => format!("{} attempt(s)", job.attempts),
    };
    let mut line = format!(
        "• {kind}{place}: {} ({attempts})",
        status_text(lang, &job.status)
    );
    if let Some((position, window_s)) = job.grouped {
        let minutes = window_s.div_ceil(60);
        line.push_str(&match (lang, position) {
            (Lang::Ja, 0) => format!(
                "\n   まとめ: このグループの最初の1件(以後 {minutes} 分以内の同種の通知はこのスレッドに入ります)"
            ),
            (Lang::Ja, n) => format!("\n   まとめ: グループの {} 件目として最初の1件のスレッドに返信", n + 1),
            (Lang::En, 0) => format!(
                "\n   grouped: the first of its group (like notifications within {minutes} min go into its thread)"
            ),
            (Lang::En, n) => format!(
                "\n   grouped: number {} of its group, a reply in the first one's thread",
                n + 1
            ),
        });
    }
    if let Some((opens_at, tz)) = &job.kept {
        // With its date: the explanation may be read on another day.
        let at = crate::core::hours::at_local(tz, *opens_at, 0);
        line.push_str(&match (lang, job.status.as_str()) {
            (Lang::Ja, "held") => format!("\n   営業時間外: {at} のまとめ通知で届きます"),
            (Lang::Ja, _) => format!("\n   営業時間外: {at} のまとめ通知で届けました"),
            (Lang::En, "held") => {
                format!("\n   outside business hours: kept for the digest at {at}")
            }
            (Lang::En, _) => format!("\n   outside business hours: listed in the digest at {at}"),
        });
    }
    if let Some(link) = &job.permalink {
        line.push_str(&format!(
            " <{link}|{}>",
            lang.pick("メッセージを開く", "open the message")
        ));
    }
    if let Some(code) = job.error.as_deref().filter(|c| !c.is_empty()) {
        line.push_str(&format!(
            "\n   {} `{}`",
            lang.pick("最後のエラー:", "last error:"),
            escape(code)
        ));
        if matches!(job.status.as_str(), "failed" | "dead") {
            let fix = Permanent {
                code: code.to_string(),
                channel: job.channel.as_deref().map(mrkdwn).unwrap_or_default(),
            }
            .explain(lang);
            line.push_str(&format!("\n   {} {fix}", lang.pick("対処:", "fix:")));
        }
    }
    line
}

/// The answer: what arrived, the rules, the jobs.
pub fn explanation(lang: Lang, e: &Explanation) -> (String, Vec<Value>) {
    let event = &e.event;
    let mut arrived = match lang {
        Lang::Ja => format!(
            "*イベント* `{}` (webhook-id `{}`)\n受信: {} ・ 接続: `{}`",
            escape(&event.id),
            escape(&event.webhook_id),
            when(event.received_at / 1000),
            escape(&event.connection_id)
        ),
        Lang::En => format!(
            "*Event* `{}` (webhook-id `{}`)\nReceived {} on connection `{}`",
            escape(&event.id),
            escape(&event.webhook_id),
            when(event.received_at / 1000),
            escape(&event.connection_id)
        ),
    };
    match &e.parsed {
        Ok(p) => {
            let label = EventType::label(p.event_type, lang);
            arrived.push_str(&format!(
                "\n{} {label} (`{}`)",
                lang.pick("種類:", "Type:"),
                p.event_type.as_str()
            ));
            let meeting = match &p.meeting_type {
                Some(m) => match &m.name {
                    Some(name) => format!("{} (`{}`)", escape(name), escape(&m.id)),
                    None => format!("`{}`", escape(&m.id)),
                },
                None => lang.pick("なし", "none").into(),
            };
            arrived.push_str(&format!(
                " ・ {} {meeting} ・ {} {}",
                lang.pick("面談タイプ:", "meeting type:"),
                lang.pick("発生:", "occurred"),
                when(p.occurred_at)
            ));
        }
        Err(reason) => arrived.push_str(&format!(
            "\n{} {}",
            lang.pick(
                "保存された本文が読めません:",
                "The stored body cannot be read:"
            ),
            escape(reason)
        )),
    }
    if e.others > 0 {
        arrived.push_str(&match lang {
            Lang::Ja => format!("\n同じwebhook-idのイベントが他の接続にもあります({}件)。一番新しいものを表示しています。", e.others),
            Lang::En => format!("\n{} more event(s) with this webhook-id came on other connections; this is the newest.", e.others),
        });
    }

    let mut rules = format!(
        "*{}*",
        lang.pick("ルール(現在の設定)", "Rules (as they are now)")
    );
    if e.rules.is_empty() {
        rules.push('\n');
        rules.push_str(lang.pick(
            "ルールがありません。`/herald add` で追加できます。",
            "There are no rules. Add one with `/herald add`.",
        ));
    }
    for (rule, verdict) in e.rules.iter().take(MAX_RULE_LINES) {
        rules.push_str(&format!(
            "\n{} {}",
            rule_line(lang, rule),
            verdict_text(lang, verdict)
        ));
    }
    if e.rules.len() > MAX_RULE_LINES {
        rules.push_str(&match lang {
            Lang::Ja => format!("\n…ほか {} 件", e.rules.len() - MAX_RULE_LINES),
            Lang::En => format!("\n…and {} more", e.rules.len() - MAX_RULE_LINES),
        });
    }
    let matched = e.rules.iter().any(|(_, v)| *v == Verdict::Matched);
    if !e.rules.is_empty() && !matched {
        rules.push('\n');
        rules.push_str(lang.pick(
            "どのルールにも当てはまりません。App Home の「ルールのないイベント」から、この種類のルールを作れます。",
            "No rule takes this event. App Home's \"Events with no rule\" starts a rule for it.",
        ));
    }

    let mut jobs = format!("*{}*", lang.pick("送信", "What Herald sent"));
    if e.jobs.is_empty() {
        jobs.push('\n');
        jobs.push_str(if event.route_count == 0 {
            lang.pick(
                "受信時にどのルールにも当てはまらなかったため、何も送っていません。",
                "Nothing: no rule took it when it arrived.",
            )
        } else {
            lang.pick(
                "送信の記録がありません(保存期間を過ぎた可能性があります)。",
                "No record of a send (it may be past the retention period).",
            )
        });
    }
    let mut blocks = vec![section(&arrived), section(&rules)];
    for job in &e.jobs {
        let line = job_line(lang, job);
        if jobs.len() + line.len() > crate::admin::reply::MAX_SECTION - 10 {
            blocks.push(section(&jobs));
            jobs = String::new();
        }
        jobs.push('\n');
        jobs.push_str(&line);
    }
    blocks.push(section(&jobs));
    blocks.truncate(MAX_BLOCKS);
    let text = format!("{arrived}\n\n{rules}\n\n{jobs}");
    (text, blocks)
}
