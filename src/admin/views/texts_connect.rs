//! Texts of connecting a platform: the webhook URL and secret, rotation, the callback
//! URL, disconnecting, and the directory sync's progress, in Japanese and English.

use crate::core::catalog::Lang;

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
    let until = crate::core::render::slack_time(until_unix);
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
