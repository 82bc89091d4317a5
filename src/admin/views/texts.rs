//! Every text the slash command shows, in Japanese and English.

use crate::core::catalog::Lang;
use crate::core::rule::{Mention, Rule, RuleTrigger};

pub fn help(lang: Lang) -> String {
    match lang {
        Lang::Ja => "*Herald のコマンド*\n\
            • `/herald add` — 通知ルールを追加(管理者のみ)\n\
            • `/herald list` — 通知ルールの一覧(`/herald list #チャンネル` でそのチャンネルだけ)\n\
            • `/herald errors` — エラー通知のルールを追加(管理者のみ)\n\
            • `/herald edit <コード>` / `/herald delete <コード>` — ルールの編集・削除(コードは一覧の `abc123`)\n\
            • `/herald test <コード>` — ルールのテスト通知を送信(管理者のみ)\n\
            • `/herald import` — JSONを貼り付けてルールを置き換え(管理者のみ)\n\
            • `/herald connect` — WebhookのURL(とシークレット)、`/herald connect rotate` でシークレットを更新、`/herald connect callback <URL>` で返信の送り先を設定(管理者のみ)\n\
            • `/herald disconnect` — このワークスペースからHeraldの接続を解除(管理者のみ)\n\
            • `/herald sync` — チャンネル・メンバー・ユーザーグループを今すぐ同期(管理者のみ)\n\
            • `/herald operator link <ID>` — 自分をプラットフォームのオペレーターに紐付け(返信はその名前で送られます。プラットフォームが同じメールで知らせたオペレーターだけ。管理者は `@ユーザー` を付けて他の人を紐付け)\n\
            • `/herald away` / `/herald available` — 不在・在席(不在の間、通知のメンションはルールの代理に)\n\
            • `/herald audit` — 変更履歴(誰が・いつ・何を)\n\
            • `/herald export` — ルールをJSONで表示(`herald rules import` で読み込めます)\n\
            • `/herald lang` — ワークスペースの言語を表示、`/herald lang ja|en` で変更(管理者のみ)\n\
            • `/herald admins [add|remove @ユーザー]` — Herald管理者(変更はオーナーのみ)\n\
            • `/herald help` — このヘルプ"
            .into(),
        Lang::En => "*Herald commands*\n\
            • `/herald add` — add a notification rule (admins only)\n\
            • `/herald list` — the notification rules (`/herald list #channel` for one channel)\n\
            • `/herald errors` — add an error-notification rule (admins only)\n\
            • `/herald edit <code>` / `/herald delete <code>` — change or remove a rule (the code is the `abc123` in the list)\n\
            • `/herald test <code>` — send a test notification for a rule (admins only)\n\
            • `/herald import` — replace the rules with pasted JSON (admins only)\n\
            • `/herald connect` — the webhook URL (and secret); `/herald connect rotate` makes a new secret; `/herald connect callback <URL>` sets where replies go (admins only)\n\
            • `/herald disconnect` — disconnect Herald from this workspace (admins only)\n\
            • `/herald sync` — sync channels, people and user groups now (admins only)\n\
            • `/herald operator link <id>` — say which platform operator you are (your replies are sent as them; only one the platform named with your email; admins add `@user` to link someone else)\n\
            • `/herald away` / `/herald available` — while away, notifications mention the rules' backups instead of you\n\
            • `/herald audit` — the latest changes (who, when, what)\n\
            • `/herald export` — the rules as JSON (the format `herald rules import` reads)\n\
            • `/herald lang` — the workspace's language; `/herald lang ja|en` changes it (admins only)\n\
            • `/herald admins [add|remove @user]` — Herald admins (owners change them)\n\
            • `/herald help` — this help"
            .into(),
    }
}

pub fn unknown(lang: Lang, word: &str) -> String {
    let word = crate::core::render::escape(word);
    match lang {
        Lang::Ja => format!("`{word}` というコマンドはありません。"),
        Lang::En => format!("There is no `{word}` command."),
    }
}

pub fn invalid(lang: Lang, subcommand: &str, argument: &str) -> String {
    let argument = crate::core::render::escape(argument);
    match (subcommand, lang) {
        ("list", Lang::Ja) => format!(
            "`{argument}` はチャンネルとして読めません。`/herald list #チャンネル` のようにチャンネルを選んで指定してください。"
        ),
        ("list", Lang::En) => format!(
            "`{argument}` is not a channel Herald can read. Pick the channel as you type, like `/herald list #channel`."
        ),
        ("admins", Lang::Ja) => format!(
            "`{argument}` は読めません。`/herald admins add @ユーザー` のように、ユーザーを選んで指定してください。"
        ),
        ("admins", Lang::En) => format!(
            "`{argument}` is not something Herald can read. Pick the person as you type, like `/herald admins add @user`."
        ),
        ("operator", Lang::Ja) => {
            format!("`{argument}` は使えません。`/herald operator link <オペレーターID>` です。")
        }
        ("operator", Lang::En) => {
            format!("`{argument}` will not do: use `/herald operator link <operator-id>`.")
        }
        ("connect", Lang::Ja) => format!(
            "`{argument}` は使えません。`/herald connect` か `/herald connect rotate` です。"
        ),
        ("connect", Lang::En) => {
            format!("`{argument}` will not do: use `/herald connect` or `/herald connect rotate`.")
        }
        ("edit" | "delete" | "test", Lang::Ja) => format!(
            "ルールのコードを1つ指定してください(`{argument}` は使えません)。コードは `/herald list` の各行の `abc123` です。例: `/herald {subcommand} abc123`"
        ),
        ("edit" | "delete" | "test", Lang::En) => format!(
            "Name one rule by its code (`{argument}` will not do). The code is the `abc123` on each line of `/herald list`, e.g. `/herald {subcommand} abc123`."
        ),
        (_, Lang::Ja) => {
            format!("`{argument}` は使えません。`/herald lang ja` か `/herald lang en` です。")
        }
        (_, Lang::En) => format!(
            "`{argument}` is not a language Herald speaks: use `/herald lang ja` or `/herald lang en`."
        ),
    }
}

pub fn not_connected(_lang: Lang) -> &'static str {
    "Herald is not connected to this workspace. / このワークスペースはHeraldに接続されていません。"
}

pub fn failed(lang: Lang) -> &'static str {
    lang.pick(
        "Herald側でエラーが発生しました。しばらくしてからもう一度お試しください。",
        "Something went wrong on Herald's side. Please try again in a moment.",
    )
}

pub fn admins_only(lang: Lang) -> &'static str {
    lang.pick(
        "この変更はワークスペースの管理者またはオーナーだけが行えます。設定の確認は誰でもできます。",
        "Only workspace admins and owners can change this. Anyone can look at the settings.",
    )
}

pub fn lang_current(lang: Lang, workspace: Lang) -> String {
    let name = language_name(lang, workspace);
    match lang {
        Lang::Ja => format!(
            "このワークスペースの通知の言語は{name}です。`/herald lang ja|en` で変更できます(管理者のみ)。"
        ),
        Lang::En => format!(
            "This workspace's notifications are in {name}. `/herald lang ja|en` changes it (admins only)."
        ),
    }
}

pub fn lang_changed(new: Lang) -> String {
    match new {
        Lang::Ja => "これからの通知は日本語で送ります。".into(),
        Lang::En => "Notifications will be in English from now on.".into(),
    }
}

fn language_name(lang: Lang, of: Lang) -> &'static str {
    match (lang, of) {
        (Lang::Ja, Lang::Ja) => "日本語",
        (Lang::Ja, Lang::En) => "英語",
        (Lang::En, Lang::Ja) => "Japanese",
        (Lang::En, Lang::En) => "English",
    }
}

pub fn export_intro(lang: Lang) -> &'static str {
    lang.pick(
        "現在のルール(`herald rules import` でそのまま読み込めます):",
        "The current rules (`herald rules import` reads this as it is):",
    )
}

pub fn list_title(lang: Lang) -> &'static str {
    lang.pick("Herald の通知ルール", "Herald notification rules")
}

pub fn no_rules(lang: Lang, channel: Option<&str>) -> String {
    match (lang, channel) {
        (Lang::Ja, Some(c)) => format!("<#{c}> に通知するルールはありません。"),
        (Lang::En, Some(c)) => format!("No rule posts to <#{c}>."),
        (Lang::Ja, None) => "ルールはまだありません。`herald rules import` で読み込めます。".into(),
        (Lang::En, None) => "There are no rules yet. Load them with `herald rules import`.".into(),
    }
}

pub fn meeting_heading(lang: Lang, meeting_type: Option<&str>) -> String {
    match (lang, meeting_type) {
        (Lang::Ja, None) => "すべての面談タイプ".into(),
        (Lang::En, None) => "Every meeting type".into(),
        (Lang::Ja, Some(m)) => format!("面談タイプ `{}`", crate::core::render::escape(m)),
        (Lang::En, Some(m)) => format!("Meeting type `{}`", crate::core::render::escape(m)),
    }
}

pub fn errors_heading(lang: Lang) -> &'static str {
    lang.pick("エラー通知", "Error notifications")
}

/// One rule as a bullet: what → where, whom, and whether it is off.
pub fn rule_line(lang: Lang, rule: &Rule) -> String {
    let what = match &rule.trigger {
        RuleTrigger::Event { event_type, .. } => event_type.label(lang).to_string(),
        RuleTrigger::Error { categories } => categories
            .iter()
            .map(|c| c.label(lang))
            .collect::<Vec<_>>()
            .join(lang.pick("、", ", ")),
    };
    // Ephemeral replies notify no one, so mentions show as names without a ping.
    let mentions: Vec<String> = rule.mentions.iter().map(Mention::to_mrkdwn).collect();
    // Rules read back from the audit log have no id, so no code to show.
    let code = if rule.id.is_empty() {
        String::new()
    } else {
        format!("`{}` ", rule.short_ref())
    };
    let mut line = format!("• {code}{what} → <#{}>", rule.channel);
    if !mentions.is_empty() {
        line.push_str(&format!(
            " {} {}",
            lang.pick("メンション:", "mentions"),
            mentions.join(" ")
        ));
    }
    if !rule.enabled {
        line.push_str(lang.pick("(無効)", " (off)"));
    }
    line
}

pub fn list_footer(lang: Lang, count: usize, omitted: usize) -> String {
    let mut text = match lang {
        Lang::Ja => format!("{count} 件 · `/herald export` でJSON"),
        Lang::En => format!("{count} rules · `/herald export` for JSON"),
    };
    if omitted > 0 {
        text.push_str(&match lang {
            Lang::Ja => format!(" · 表示しきれない {omitted} 件を省略"),
            Lang::En => format!(" · {omitted} not shown"),
        });
    }
    text
}

pub fn modal_failed(lang: Lang) -> &'static str {
    lang.pick(
        "フォームを開けませんでした。もう一度 `/herald add` を実行してください。",
        "The form could not be opened. Please run `/herald add` again.",
    )
}

pub fn channel_archived(lang: Lang) -> &'static str {
    lang.pick(
        "このチャンネルはアーカイブされています。別のチャンネルを選ぶか、アーカイブを解除してください。",
        "This channel is archived. Choose another one, or unarchive it first.",
    )
}

pub fn channel_external(lang: Lang) -> &'static str {
    lang.pick(
        "別の組織から Slack コネクトで共有されたチャンネルには通知できません。",
        "Herald cannot post to a Slack Connect channel owned by another organization.",
    )
}

pub fn channel_invite(lang: Lang, name: Option<&str>) -> String {
    let name = name.map_or_else(String::new, |n| {
        format!(" #{}", crate::core::render::escape(n))
    });
    match lang {
        Lang::Ja => format!(
            "Heraldはプライベートチャンネル{name}に参加していません。そのチャンネルで `/invite @Herald` を実行してから、もう一度追加してください。"
        ),
        Lang::En => format!(
            "Herald is not in the private channel{name}. Type `/invite @Herald` in that channel, then add the rule again."
        ),
    }
}

pub fn channel_unchecked(lang: Lang) -> &'static str {
    lang.pick(
        "Slackでチャンネルを確認できませんでした。しばらくしてからもう一度お試しください。",
        "Slack could not confirm the channel just now. Please try again in a moment.",
    )
}

pub fn duplicate_rule(lang: Lang) -> &'static str {
    lang.pick(
        "同じイベント・面談タイプ・チャンネルのルールがすでにあります。",
        "A rule for this event, meeting type and channel already exists.",
    )
}

pub fn last_day(lang: Lang, delivered: i64, failed: i64) -> String {
    match lang {
        Lang::Ja => format!("*過去24時間* 配信 {delivered} 件 · 失敗 {failed} 件"),
        Lang::En => format!("*Last 24 hours* Delivered {delivered} · Failed {failed}"),
    }
}

pub fn admins_only_title(lang: Lang) -> &'static str {
    lang.pick("管理者のみ", "Admins only")
}

/// One change of the audit trail as a bullet: when, who, what (before → after).
pub fn audit_line(lang: Lang, entry: &crate::store::AuditEntry) -> String {
    use crate::store::AuditAction;
    let when = format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        entry.at / 1000,
        entry.at / 1000
    );
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

pub fn edit_conflict(lang: Lang) -> &'static str {
    lang.pick(
        "このフォームを開いた後に、他の人がこのルールを変更しました。閉じてから開き直し、最新の内容で編集してください。",
        "Someone else changed this rule after you opened the form. Close it and open it again to edit the latest version.",
    )
}

pub fn edit_missing(lang: Lang) -> &'static str {
    lang.pick(
        "このルールは他の人が削除しました。",
        "Someone else deleted this rule.",
    )
}

pub fn owners_only(lang: Lang) -> &'static str {
    lang.pick(
        "Herald管理者を変更できるのはワークスペースのオーナーだけです。",
        "Only workspace owners can change who administers Herald.",
    )
}

pub fn admins_listed(lang: Lang, users: &[String]) -> String {
    let names: Vec<String> = users.iter().map(|u| format!("<@{u}>")).collect();
    match (lang, names.is_empty()) {
        (Lang::Ja, true) => "ワークスペースの管理者とオーナーがHeraldを管理できます。追加のHerald管理者はいません(`/herald admins add @ユーザー`)。".into(),
        (Lang::En, true) => "Workspace admins and owners administer Herald. There are no other Herald admins (`/herald admins add @user`).".into(),
        (Lang::Ja, false) => format!("ワークスペースの管理者とオーナーに加えて、Herald管理者: {}", names.join(" ")),
        (Lang::En, false) => format!("Besides workspace admins and owners, Herald admins: {}", names.join(" ")),
    }
}

pub fn admin_changed(lang: Lang, user: &str, added: bool, changed: bool) -> String {
    match (lang, added, changed) {
        (Lang::Ja, true, true) => format!("<@{user}> をHerald管理者にしました。"),
        (Lang::En, true, true) => format!("<@{user}> is now a Herald admin."),
        (Lang::Ja, false, true) => format!("<@{user}> をHerald管理者から外しました。"),
        (Lang::En, false, true) => format!("<@{user}> is no longer a Herald admin."),
        (Lang::Ja, _, false) => format!("<@{user}> は変わりません。"),
        (Lang::En, _, false) => format!("Nothing changed for <@{user}>."),
    }
}

pub fn no_such_rule(lang: Lang, reference: &str) -> String {
    let reference = crate::core::render::escape(reference);
    match lang {
        Lang::Ja => format!(
            "コード `{reference}` のルールはありません。`/herald list` でコードを確かめてください。"
        ),
        Lang::En => {
            format!("No rule has the code `{reference}`. `/herald list` shows each rule's code.")
        }
    }
}

pub fn ambiguous_rule(lang: Lang, reference: &str) -> String {
    let reference = crate::core::render::escape(reference);
    match lang {
        Lang::Ja => format!(
            "`{reference}` に当てはまるルールが複数あります。もっと長いコード(ルールID)を指定してください。"
        ),
        Lang::En => {
            format!("More than one rule matches `{reference}`. Give more of the rule's id.")
        }
    }
}

pub fn test_title(lang: Lang) -> &'static str {
    lang.pick("テスト送信", "Test send")
}

pub fn test_sending(lang: Lang, channel: &str) -> String {
    match lang {
        Lang::Ja => format!(":hourglass_flowing_sand: <#{channel}> にテスト通知を送っています…"),
        Lang::En => {
            format!(":hourglass_flowing_sand: Sending a test notification to <#{channel}>…")
        }
    }
}

pub fn test_posted(lang: Lang, channel: &str) -> String {
    match lang {
        Lang::Ja => format!(
            ":white_check_mark: <#{channel}> にテスト通知を送りました。通常の配信と同じ経路です。"
        ),
        Lang::En => format!(
            ":white_check_mark: The test notification is in <#{channel}>, sent the way real ones are."
        ),
    }
}

pub fn test_failed(lang: Lang, explanation: &str) -> String {
    match lang {
        Lang::Ja => format!(":x: テスト通知を送れませんでした。{explanation}"),
        Lang::En => format!(":x: The test notification could not be sent. {explanation}"),
    }
}

pub fn test_waiting(lang: Lang, last_error: Option<&str>) -> String {
    let detail = last_error
        .map(|e| format!(" (`{}`)", crate::core::render::escape(e)))
        .unwrap_or_default();
    match lang {
        Lang::Ja => format!(
            ":hourglass: Slackからまだ応答がありません{detail}。Heraldは通常の通知と同じように再試行を続けます。結果は App Home に表示されます。"
        ),
        Lang::En => format!(
            ":hourglass: Slack has not accepted it yet{detail}. Herald keeps retrying as it does for real notifications; App Home shows the result."
        ),
    }
}

pub fn imported(lang: Lang, count: usize) -> String {
    match lang {
        Lang::Ja => format!("{count} 件のルールをインポートしました。"),
        Lang::En if count == 1 => "Imported 1 rule.".into(),
        Lang::En => format!("Imported {count} rules."),
    }
}

pub fn rule_deleted(lang: Lang) -> &'static str {
    lang.pick("ルールを削除しました。", "The rule is deleted.")
}

pub fn webhook_url(lang: Lang, url: &str) -> String {
    match lang {
        Lang::Ja => format!("*Webhook URL*(プラットフォームの送信先に設定してください)\n`{url}`"),
        Lang::En => {
            format!("*Webhook URL* (enter it in your platform as the destination)\n`{url}`")
        }
    }
}

pub fn webhook_secret_once(lang: Lang, secret: &str) -> String {
    match lang {
        Lang::Ja => format!(
            "*署名シークレット*(表示は今回だけです。プラットフォームの設定に保存してください)\n`{secret}`\n             リクエストは Standard Webhooks 方式(`webhook-id` / `webhook-timestamp` / `webhook-signature`)で署名してください。"
        ),
        Lang::En => format!(
            "*Signing secret* (shown this once: store it in your platform's settings)\n`{secret}`\n             Sign requests the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`)."
        ),
    }
}

pub fn webhook_secret_hidden(lang: Lang) -> &'static str {
    lang.pick(
        "署名シークレットは以前に表示済みのため、もう表示しません。新しいシークレットが必要なら `/herald connect rotate`(古いシークレットも24時間は有効)。",
        "The signing secret was shown before and is not shown again. For a new one, use `/herald connect rotate` (the old one keeps working for 24 hours).",
    )
}

pub fn webhook_secret_from_env(lang: Lang) -> &'static str {
    lang.pick(
        "署名シークレットは、Heraldの設定 `HERALD_WEBHOOK_SECRET` の値です(単一ワークスペースモード)。",
        "The signing secret is Herald's `HERALD_WEBHOOK_SECRET` setting (single-workspace mode).",
    )
}

pub fn webhook_rotated(lang: Lang, secret: &str, until_unix: i64) -> String {
    let until = format!("<!date^{until_unix}^{{date_short_pretty}} {{time}}|{until_unix}>");
    match lang {
        Lang::Ja => format!(
            "新しい署名シークレットです(表示は今回だけです)。\n`{secret}`\n古いシークレットも {until} まで有効なので、その間にプラットフォームの設定を更新してください。"
        ),
        Lang::En => format!(
            "Here is the new signing secret (shown this once).\n`{secret}`\nThe old one keeps working until {until}: update your platform before then."
        ),
    }
}

pub fn rotation_unavailable(lang: Lang) -> &'static str {
    lang.pick(
        "このHeraldは単一ワークスペースモードです。シークレットは設定 `HERALD_WEBHOOK_SECRET` で変更してください。",
        "This Herald runs in single-workspace mode: change the secret with its `HERALD_WEBHOOK_SECRET` setting.",
    )
}

pub fn disconnect_title(lang: Lang) -> &'static str {
    lang.pick("Heraldの接続解除", "Disconnect Herald")
}

pub fn disconnect_confirm(lang: Lang) -> &'static str {
    lang.pick(
        "Heraldをこのワークスペースから切断します。\n• Slackのトークンを無効にして削除します\n• 送信待ちの通知はすべて止まり、理由が記録されます\n• プラットフォームからのWebhookは 410 で断られます\n• ルールと配信ログは365日間保存され、再インストールすればそのまま使えます",
        "This disconnects Herald from the workspace.\n• Its Slack token is revoked and deleted\n• Every queued notification stops, with the reason recorded\n• Webhooks from your platform are refused with 410\n• Rules and the delivery log are kept for 365 days and work again after a reinstall",
    )
}

pub fn disconnected(lang: Lang, install_url: Option<&str>) -> String {
    let again = install_url
        .map(|u| match lang {
            Lang::Ja => format!("\n再開するには {u} から再インストールしてください。"),
            Lang::En => format!("\nTo resume, install again at {u}."),
        })
        .unwrap_or_default();
    match lang {
        Lang::Ja => {
            format!("Heraldの接続を解除しました。ルールと配信ログは365日間保存されます。{again}")
        }
        Lang::En => format!(
            "Herald is disconnected. Rules and the delivery log are kept for 365 days.{again}"
        ),
    }
}

pub fn sync_running(lang: Lang) -> &'static str {
    lang.pick(
        "同期はすでに実行中です。終わるまでお待ちください。",
        "A sync is already running; it will finish on its own.",
    )
}

pub fn sync_progress(lang: Lang, p: &crate::directory::sync::Progress) -> String {
    let phase = match (p.done, p.users, lang) {
        (true, _, Lang::Ja) => ":white_check_mark: 同期が完了しました",
        (true, _, Lang::En) => ":white_check_mark: Sync finished",
        (false, 0, Lang::Ja) => ":arrows_counterclockwise: チャンネルを同期中…",
        (false, 0, Lang::En) => ":arrows_counterclockwise: Syncing channels…",
        (false, _, Lang::Ja) => ":arrows_counterclockwise: メンバーを同期中…",
        (false, _, Lang::En) => ":arrows_counterclockwise: Syncing people…",
    };
    let waited = p.rate_limited.as_secs();
    match lang {
        Lang::Ja => format!(
            "{phase}\nチャンネル {} ・ メンバー {} ・ ユーザーグループ {}(Slack API 呼び出し {} 回{})",
            p.channels,
            p.users,
            p.groups,
            p.calls,
            if waited > 0 {
                format!("、レート制限で {waited} 秒待機")
            } else {
                String::new()
            }
        ),
        Lang::En => format!(
            "{phase}\n{} channels · {} people · {} user groups ({} Slack API calls{})",
            p.channels,
            p.users,
            p.groups,
            p.calls,
            if waited > 0 {
                format!(", {waited} s waiting on rate limits")
            } else {
                String::new()
            }
        ),
    }
}

pub fn sync_failed(lang: Lang, error: &str) -> String {
    let error = crate::core::render::escape(error);
    match lang {
        Lang::Ja => format!(
            ":x: 同期が途中で止まりました({error})。同期済みの分は保存されています。もう一度 `/herald sync` を実行してください。"
        ),
        Lang::En => format!(
            ":x: The sync stopped ({error}). What it fetched is kept; run `/herald sync` again."
        ),
    }
}

pub fn callback_invalid(lang: Lang, url: &str, why: &str) -> String {
    let url = crate::core::render::escape(url);
    match lang {
        Lang::Ja => {
            format!("`{url}` は返信先に使えません({why})。https:// のURLを指定してください。")
        }
        Lang::En => format!("`{url}` cannot receive replies: it {why}."),
    }
}

pub fn callback_set(lang: Lang, url: &str) -> String {
    let url = crate::core::render::escape(url);
    match lang {
        Lang::Ja => format!(
            "Slackのスレッドでの返信を `{url}` に送ります(Standard Webhooks方式で署名)。```で囲んだ返信は顧客へのメッセージ、それ以外は社内メモです。"
        ),
        Lang::En => format!(
            "Replies in Herald's threads now go to `{url}`, signed the Standard Webhooks way. A reply wrapped in ``` is a message to the customer; anything else is an internal note."
        ),
    }
}

pub fn operator_linked(lang: Lang, operator: &str, released: usize) -> String {
    let operator = crate::core::render::escape(operator);
    match lang {
        Lang::Ja => format!(
            "あなたをオペレーター `{operator}` に紐付けました。スレッドでの返信はこの名前で送られます(保留中だった {released} 件を送信します)。"
        ),
        Lang::En => format!(
            "You are operator `{operator}` now: your thread replies are sent under that name ({released} held replies are being sent)."
        ),
    }
}

pub fn operator_moved(
    lang: Lang,
    operator: &str,
    target: &str,
    previous: Option<&str>,
    released: usize,
) -> String {
    let operator = crate::core::render::escape(operator);
    let from = previous.filter(|p| *p != target);
    match (lang, from) {
        (Lang::Ja, Some(p)) => format!(
            "オペレーター `{operator}` を <@{p}> から <@{target}> に移しました(二人にDMで知らせ、履歴に記録しました。保留中だった {released} 件を送信します)。"
        ),
        (Lang::Ja, None) => format!(
            "<@{target}> をオペレーター `{operator}` に紐付けました(本人にDMで知らせ、履歴に記録しました。保留中だった {released} 件を送信します)。"
        ),
        (Lang::En, Some(p)) => format!(
            "Moved operator `{operator}` from <@{p}> to <@{target}> (both were told by DM and it is in the audit log; {released} held replies are being sent)."
        ),
        (Lang::En, None) => format!(
            "Linked <@{target}> to operator `{operator}` (they were told by DM and it is in the audit log; {released} held replies are being sent)."
        ),
    }
}

pub fn availability(lang: Lang, away: bool) -> String {
    match (away, lang) {
        (true, Lang::Ja) => ":palm_tree: 不在にしました。通知ではあなたの代わりにルールの代理がメンションされます。戻ったら `/herald available`。".into(),
        (true, Lang::En) => ":palm_tree: You are away: notifications mention the rules' backups instead of you. Back? `/herald available`.".into(),
        (false, Lang::Ja) => ":wave: 在席にしました。通知であなたがメンションされます。".into(),
        (false, Lang::En) => ":wave: You are available: notifications mention you again.".into(),
    }
}
