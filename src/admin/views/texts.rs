//! Every text the slash command shows, in Japanese and English.

use crate::core::catalog::Lang;
use crate::core::ids::mrkdwn;
use crate::core::rule::{Mention, Rule, RuleTrigger};

pub use super::texts_audit::*;
pub use super::texts_connect::*;
pub use super::texts_help::*;

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
        ("why", Lang::Ja) => format!(
            "イベントを1つ指定してください(`{argument}` は使えません)。Webhookの202応答の `event_id`、またはプラットフォームの `webhook-id` です。例: `/herald why evt_…`"
        ),
        ("why", Lang::En) => format!(
            "Name one event (`{argument}` will not do): the `event_id` of the webhook's 202 answer, or the platform's `webhook-id`, e.g. `/herald why evt_…`."
        ),
        ("log", _) => crate::log_export::texts::bad_days(lang, &argument),
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
    let mut line = format!("• {code}{what} → {}", rule.channel.mrkdwn());
    if !mentions.is_empty() {
        line.push_str(&format!(
            " {} {}",
            lang.pick("メンション:", "mentions"),
            mentions.join(" ")
        ));
    }
    if !rule.options.conditions.is_empty() {
        let conditions: Vec<String> = rule
            .options
            .conditions
            .iter()
            .map(|c| format!("`{}`", crate::core::render::escape(&c.to_line())))
            .collect();
        line.push_str(&format!(
            " {} {}",
            lang.pick("条件:", "where"),
            conditions.join(lang.pick("、", ", "))
        ));
    }
    if let Some(hours) = &rule.options.hours {
        line.push_str(&format!(" 🕘 {}", hours.describe(lang)));
    }
    if rule.options.replies == crate::core::rule::Replies::Off {
        line.push_str(lang.pick(" 🔕 通知専用", " 🔕 alerts only"));
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

/// Why a rule may not send to this person's DM (`code` from `slack::connect::person_refusal`,
/// or Slack's `user_not_found`).
pub fn person_refused(lang: Lang, code: &str) -> &'static str {
    match code {
        crate::slack::connect::PERSON_ELSEWHERE_CODE => lang.pick(
            "別の組織のメンバー(Slack コネクト)には社内の通知を送れません。",
            "Herald does not send internal notifications to a member of another organization (Slack Connect).",
        ),
        "user_disabled" => lang.pick(
            "このアカウントは無効になっています。",
            "This account is deactivated.",
        ),
        "cannot_dm_bot" => lang.pick(
            "ボットにはDMで通知できません。人かチャンネルを選んでください。",
            "Herald cannot notify a bot. Choose a person or a channel.",
        ),
        _ => lang.pick(
            "このワークスペースにその人が見つかりません。",
            "That person is not in this workspace.",
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
        Lang::Ja => format!(
            ":hourglass_flowing_sand: {} にテスト通知を送っています…",
            mrkdwn(channel)
        ),
        Lang::En => {
            format!(
                ":hourglass_flowing_sand: Sending a test notification to {}…",
                mrkdwn(channel)
            )
        }
    }
}

pub fn test_posted(lang: Lang, channel: &str) -> String {
    match lang {
        Lang::Ja => format!(
            ":white_check_mark: {} にテスト通知を送りました。通常の配信と同じ経路です。",
            mrkdwn(channel)
        ),
        Lang::En => format!(
            ":white_check_mark: The test notification is in {}, sent the way real ones are.",
            mrkdwn(channel)
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
