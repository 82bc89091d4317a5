//! The `/herald help` text: every subcommand, in Japanese and English. A subcommand's
//! line is added here with the subcommand (`admin::command::Command`).

use crate::core::catalog::Lang;

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
            • `/herald dm [on|off]` — 会話があなたに割り当てられたときのDM(お客様・最初のメッセージ・スレッドへのリンク)\n\
            • `/herald audit` — 変更履歴(誰が・いつ・何を)\n\
            • `/herald why <イベントID>` — そのイベントが通知された/されなかった理由(管理者のみ)\n\
            • `/herald log [日数]` — 配信・エラーのログをCSVでDMに送信(既定30日、最大365日。管理者のみ)\n\
            • `/herald export` — ルールをJSONで表示(`herald rules import` で読み込めます)\n\
            • `/herald lang` — ワークスペースの言語を表示、`/herald lang ja|en` で変更(管理者のみ)\n\
            • `/herald reactions [on|off]` — スレッドでの :white_check_mark: (会話を終了) と :eyes: (自分に割り当て) をプラットフォームに送るか(変更は管理者のみ)\n\
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
            • `/herald dm [on|off]` — the DM you get when a conversation is assigned to you (the customer, the first message, a link to the thread)\n\
            • `/herald audit` — the latest changes (who, when, what)\n\
            • `/herald why <event id>` — why an event did or did not notify (admins only)\n\
            • `/herald log [days]` — the delivery and error log as CSV, to your DM (30 days unless told, at most 365; admins only)\n\
            • `/herald export` — the rules as JSON (the format `herald rules import` reads)\n\
            • `/herald lang` — the workspace's language; `/herald lang ja|en` changes it (admins only)\n\
            • `/herald reactions [on|off]` — whether :white_check_mark: (close) and :eyes: (assign to me) in threads ask the platform (admins change it)\n\
            • `/herald admins [add|remove @user]` — Herald admins (owners change them)\n\
            • `/herald help` — this help"
            .into(),
    }
}
