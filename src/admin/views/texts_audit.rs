//! Texts of `/herald audit` and App Home's changes: one line per change of the audit
//! trail, in Japanese and English.

use super::texts::rule_line;
use crate::core::catalog::Lang;
use crate::core::rule::Rule;

/// One change of the audit trail as a bullet: when, who, what (before → after).
pub fn audit_line(lang: Lang, entry: &crate::store::AuditEntry) -> String {
    use crate::store::AuditAction;
    let when = crate::core::render::slack_time(entry.at / 1000);
    let who = if entry.actor.starts_with(['U', 'W']) {
        format!("<@{}>", entry.actor)
    } else {
        format!(
            "`herald rules import` ({})",
            crate::core::render::escape(&entry.actor)
        )
    };
    let rule = |json: Option<&str>| {
        json.and_then(|j| serde_json::from_str::<crate::core::rules_json::RuleJson>(j).ok())
            .and_then(|r| r.validate().ok())
            .map(|r| {
                let rule = Rule {
                    id: String::new(),
                    team_id: String::new(),
                    trigger: r.trigger,
                    channel: r.channel,
                    mentions: r.mentions,
                    enabled: r.enabled,
                    backup: r.backup,
                    lifecycle: r.lifecycle,
                    options: r.options,
                };
                rule_line(lang, &rule).trim_start_matches("• ").to_string()
            })
            .unwrap_or_else(|| "?".into())
    };
    let count = |json: Option<&str>| {
        json.and_then(|j| serde_json::from_str::<Vec<serde_json::Value>>(j).ok())
            .map_or(0, |v| v.len())
    };
    let what = match (AuditAction::parse(&entry.action), lang) {
        (Some(AuditAction::RuleAdded), Lang::Ja) => {
            format!("ルールを追加: {}", rule(entry.after_json.as_deref()))
        }
        (Some(AuditAction::RuleAdded), Lang::En) => {
            format!("added {}", rule(entry.after_json.as_deref()))
        }
        (Some(AuditAction::RuleEdited), Lang::Ja) => format!(
            "ルールを編集: {} → {}",
            rule(entry.before_json.as_deref()),
            rule(entry.after_json.as_deref())
        ),
        (Some(AuditAction::RuleEdited), Lang::En) => format!(
            "edited {} → {}",
            rule(entry.before_json.as_deref()),
            rule(entry.after_json.as_deref())
        ),
        (Some(AuditAction::RuleDeleted), Lang::Ja) => {
            format!("ルールを削除: {}", rule(entry.before_json.as_deref()))
        }
        (Some(AuditAction::RuleDeleted), Lang::En) => {
            format!("deleted {}", rule(entry.before_json.as_deref()))
        }
        (Some(AuditAction::RulesImported), Lang::Ja) => format!(
            "ルールを読み込み: {} 件 → {} 件",
            count(entry.before_json.as_deref()),
            count(entry.after_json.as_deref())
        ),
        (Some(AuditAction::RulesImported), Lang::En) => format!(
            "imported rules: {} → {}",
            count(entry.before_json.as_deref()),
            count(entry.after_json.as_deref())
        ),
        (Some(AuditAction::AdminAdded), _) => format!(
            "{} <@{}>",
            lang.pick("Herald管理者に追加:", "made a Herald admin:"),
            entry.after_json.as_deref().unwrap_or("?")
        ),
        (Some(AuditAction::AdminRemoved), _) => format!(
            "{} <@{}>",
            lang.pick("Herald管理者から外した:", "removed a Herald admin:"),
            entry.after_json.as_deref().unwrap_or("?")
        ),
        (Some(AuditAction::LanguageChanged), _) => format!(
            "{} {} → {}",
            lang.pick("言語を変更:", "changed the language:"),
            entry.before_json.as_deref().unwrap_or("default"),
            entry.after_json.as_deref().unwrap_or("?")
        ),
        (Some(AuditAction::ReactionsChanged), _) => format!(
            "{} {} → {}",
            lang.pick("リアクション操作を変更:", "changed reactions as actions:"),
            entry.before_json.as_deref().unwrap_or("?"),
            entry.after_json.as_deref().unwrap_or("?")
        ),
        (Some(AuditAction::Installed), _) => lang
            .pick("Heraldをインストールしました", "installed Herald")
            .to_string(),
        (Some(AuditAction::WebhookSecretRotated), _) => format!(
            "{} `{}`",
            lang.pick(
                "Webhookのシークレットを更新:",
                "rotated the webhook secret of"
            ),
            crate::core::render::escape(entry.after_json.as_deref().unwrap_or("?"))
        ),
        (Some(AuditAction::Disconnected), _) => lang
            .pick("Heraldの接続を解除しました", "disconnected Herald")
            .to_string(),
        (Some(AuditAction::OperatorLinked), _) => {
            let part = |json: Option<&str>, key: &str| {
                json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    .and_then(|v| v[key].as_str().map(str::to_string))
            };
            let op = crate::core::render::escape(
                &part(entry.after_json.as_deref(), "operator").unwrap_or_else(|| "?".into()),
            );
            let mention = |u: Option<String>| {
                u.filter(|u| crate::core::rule::Mention::parse(u).is_ok())
                    .map_or_else(|| "-".to_string(), |u| format!("<@{u}>"))
            };
            let before = mention(part(entry.before_json.as_deref(), "slack_user_id"));
            let after = mention(part(entry.after_json.as_deref(), "slack_user_id"));
            format!(
                "{} `{op}`: {before} → {after}",
                lang.pick("オペレーターの紐付けを変更:", "set the link of operator")
            )
        }
        (Some(AuditAction::DeliveriesResent), Lang::Ja) => {
            format!(
                "失敗した配信を再送: {} 件",
                count(entry.after_json.as_deref())
            )
        }
        (Some(AuditAction::DeliveriesResent), Lang::En) => format!(
            "resent {} failed deliveries",
            count(entry.after_json.as_deref())
        ),
        (None, _) => crate::core::render::escape(&entry.action),
    };
    format!("• {when} {who} {what}")
}

pub fn audit_title(lang: Lang) -> &'static str {
    lang.pick("変更履歴", "Changes")
}

pub fn audit_empty(lang: Lang) -> &'static str {
    lang.pick("まだ変更はありません。", "No changes yet.")
}
