//! Parsing the text after `/herald`: pure, so every odd input is a table row in a test.

use crate::core::catalog::Lang;
use crate::core::ids::ChannelId;

/// What an admin asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    /// Open the add-rule modal.
    Add,
    /// Open the add-error-rule modal.
    Errors,
    /// Rules, optionally only those posting to one channel.
    List {
        channel: Option<ChannelId>,
    },
    /// The rules as JSON (the `herald rules import` format).
    Export,
    /// The latest changes: who, when, before and after.
    Audit,
    /// Show (None) or set the workspace's language.
    Lang(Option<Lang>),
    /// Show (None) or turn on/off reactions as actions (✅ close, 👀 assign).
    Reactions(Option<bool>),
    /// Show (None) or turn on/off the caller's DM when a conversation is assigned to them.
    Dm(Option<bool>),
    /// List Herald admins, or (owners) add / remove one.
    Admins(Option<(bool, String)>),
    /// Open a rule's edit modal; the argument is the rule's short reference from `list`.
    Edit(String),
    /// Ask to confirm, then delete a rule.
    Delete(String),
    /// Send a test notification for a rule through the normal delivery path.
    Test(String),
    /// Open the modal that replaces the rules with pasted JSON.
    Import,
    /// The workspace's webhook URL (and, once, its secret); `rotate` makes a new secret.
    Connect {
        rotate: bool,
    },
    /// Where the platform receives replies from Slack threads.
    ConnectCallback(String),
    /// The caller is this platform operator (replies are sent under their name); with a
    /// user, a Herald admin links that user (moving the operator from whoever held it).
    OperatorLink {
        operator: String,
        user: Option<String>,
    },
    /// The caller is away (true) or available again (false).
    Away(bool),
    /// Ask to confirm, then disconnect Herald from the workspace.
    Disconnect,
    /// Sync the directory (channels, people, user groups) now, showing its progress.
    Sync,
    /// Explain one event (Herald's event id or the platform's webhook-id): what arrived,
    /// each rule's verdict, and every job it made.
    Why(String),
    /// The error log of the last `days` days (1 to 365; 30 when not given) as CSV, to
    /// the admin's DM.
    Log {
        days: u32,
    },
    /// Anything else: answered with help, never with silence.
    Unknown(String),
    /// A known subcommand with an argument it cannot use.
    Invalid {
        subcommand: &'static str,
        argument: String,
    },
}

impl Command {
    /// Commands open to admins only: those that change Herald, and those that show
    /// what happened to the workspace's events. (Naming admins is for owners, a stricter
    /// check made where it is handled.)
    pub fn changes_settings(&self) -> bool {
        matches!(
            self,
            Command::Add
                | Command::Errors
                | Command::Lang(Some(_))
                | Command::Reactions(Some(_))
                | Command::Edit(_)
                | Command::Delete(_)
                | Command::Test(_)
                | Command::Import
                | Command::Connect { .. }
                | Command::ConnectCallback(_)
                | Command::Disconnect
                | Command::Sync
                | Command::Why(_)
                | Command::Log { .. }
                | Command::OperatorLink { user: Some(_), .. }
        )
    }

    pub fn parse(text: &str) -> Self {
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return Command::Help;
        };
        let rest: Vec<&str> = words.collect();
        match first.to_lowercase().as_str() {
            "help" | "ヘルプ" | "?" => Command::Help,
            "list" | "一覧" => match rest.as_slice() {
                [] => Command::List { channel: None },
                [one] => match channel_argument(one) {
                    Some(channel) => Command::List {
                        channel: Some(channel),
                    },
                    None => Command::Invalid {
                        subcommand: "list",
                        argument: (*one).to_string(),
                    },
                },
                more => Command::Invalid {
                    subcommand: "list",
                    argument: more.join(" "),
                },
            },
            "export" | "エクスポート" => Command::Export,
            "add" | "追加" => Command::Add,
            "errors" | "エラー" => Command::Errors,
            "audit" | "履歴" => Command::Audit,
            "lang" | "言語" => match rest.as_slice() {
                [] => Command::Lang(None),
                [one] => match one.to_lowercase().parse::<Lang>() {
                    Ok(lang) => Command::Lang(Some(lang)),
                    Err(()) => Command::Invalid {
                        subcommand: "lang",
                        argument: (*one).to_string(),
                    },
                },
                more => Command::Invalid {
                    subcommand: "lang",
                    argument: more.join(" "),
                },
            },
            "reactions" | "リアクション" => {
                on_off(&rest, "reactions").map_or_else(|e| e, Command::Reactions)
            }
            "dm" => on_off(&rest, "dm").map_or_else(|e| e, Command::Dm),
            "admins" | "管理者" => match rest.as_slice() {
                [] => Command::Admins(None),
                [verb, who] => match (verb.to_lowercase().as_str(), user_argument(who)) {
                    ("add" | "追加", Some(user)) => Command::Admins(Some((true, user))),
                    ("remove" | "削除", Some(user)) => Command::Admins(Some((false, user))),
                    _ => Command::Invalid {
                        subcommand: "admins",
                        argument: rest.join(" "),
                    },
                },
                more => Command::Invalid {
                    subcommand: "admins",
                    argument: more.join(" "),
                },
            },
            "import" | "インポート" => Command::Import,
            "connect" | "接続" => match rest.as_slice() {
                [] => Command::Connect { rotate: false },
                [one] if one.eq_ignore_ascii_case("rotate") || *one == "更新" => {
                    Command::Connect { rotate: true }
                }
                [verb, url] if verb.eq_ignore_ascii_case("callback") || *verb == "返信先" => {
                    // Slack wraps pasted links in <…> (and <url|label>).
                    let url = url
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .split('|')
                        .next()
                        .unwrap_or_default();
                    Command::ConnectCallback(url.to_string())
                }
                more => Command::Invalid {
                    subcommand: "connect",
                    argument: more.join(" "),
                },
            },
            "disconnect" | "接続解除" => Command::Disconnect,
            "away" | "不在" => Command::Away(true),
            "available" | "在席" => Command::Away(false),
            "operator" | "オペレーター" => match rest.as_slice() {
                [verb, id] if verb.eq_ignore_ascii_case("link") || *verb == "紐付け" => {
                    Command::OperatorLink {
                        operator: (*id).to_string(),
                        user: None,
                    }
                }
                [verb, id, who] if verb.eq_ignore_ascii_case("link") || *verb == "紐付け" => {
                    match user_argument(who) {
                        Some(user) => Command::OperatorLink {
                            operator: (*id).to_string(),
                            user: Some(user),
                        },
                        None => Command::Invalid {
                            subcommand: "operator",
                            argument: rest.join(" "),
                        },
                    }
                }
                more => Command::Invalid {
                    subcommand: "operator",
                    argument: more.join(" "),
                },
            },
            "sync" | "同期" => Command::Sync,
            "why" | "なぜ" => match rest.as_slice() {
                [one] if event_argument(one) => Command::Why(one.trim_matches('`').to_string()),
                other => Command::Invalid {
                    subcommand: "why",
                    argument: other.join(" "),
                },
            },
            "log" | "ログ" => match rest.as_slice() {
                [] => Command::Log {
                    days: crate::log_export::DEFAULT_DAYS,
                },
                [one] => match crate::log_export::parse_days(one) {
                    Some(days) => Command::Log { days },
                    _ => Command::Invalid {
                        subcommand: "log",
                        argument: (*one).to_string(),
                    },
                },
                more => Command::Invalid {
                    subcommand: "log",
                    argument: more.join(" "),
                },
            },
            verb @ ("edit" | "編集" | "delete" | "削除" | "test" | "テスト") => {
                let subcommand = match verb {
                    "edit" | "編集" => "edit",
                    "delete" | "削除" => "delete",
                    _ => "test",
                };
                match rest.as_slice() {
                    [one] if rule_argument(one) => {
                        let reference = one.trim_matches('`').to_lowercase();
                        match subcommand {
                            "edit" => Command::Edit(reference),
                            "delete" => Command::Delete(reference),
                            _ => Command::Test(reference),
                        }
                    }
                    other => Command::Invalid {
                        subcommand,
                        argument: other.join(" "),
                    },
                }
            }
            _ => Command::Unknown(first.to_string()),
        }
    }
}

/// A rule reference: the short code `list` shows (or a whole rule id).
fn rule_argument(word: &str) -> bool {
    (4..=64).contains(&word.len())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '`')
}

/// An event reference: Herald's event id, or a platform's webhook-id (Standard Webhooks
/// ids are printable ASCII), perhaps in backticks as copied from a message.
fn event_argument(word: &str) -> bool {
    let word = word.trim_matches('`');
    (1..=256).contains(&word.len()) && word.chars().all(|c| c.is_ascii_graphic())
}

/// A user as Slack escapes a mention in command text (`<@U123|name>`), or a pasted id.
fn user_argument(word: &str) -> Option<String> {
    let inner = word
        .strip_prefix("<@")
        .and_then(|w| w.strip_suffix('>'))
        .map_or(word, |w| w.split('|').next().unwrap_or(w));
    match crate::core::rule::Mention::parse(inner) {
        Ok(crate::core::rule::Mention::User(id)) => Some(id),
        _ => None,
    }
}

/// A channel as Slack escapes it in command text (`<#C123|name>`, with `should_escape`)
/// or a pasted id (`C123`).
fn channel_argument(word: &str) -> Option<ChannelId> {
    let inner = word
        .strip_prefix("<#")
        .and_then(|w| w.strip_suffix('>'))
        .map_or(word, |w| w.split('|').next().unwrap_or(w));
    ChannelId::parse(inner).ok()
}

/// `[on|off]` after a subcommand: None when absent; the refusal for anything else.
fn on_off(rest: &[&str], subcommand: &'static str) -> Result<Option<bool>, Command> {
    match rest {
        [] => Ok(None),
        [one] => match one.to_lowercase().as_str() {
            "on" | "オン" => Ok(Some(true)),
            "off" | "オフ" => Ok(Some(false)),
            _ => Err(Command::Invalid {
                subcommand,
                argument: (*one).to_string(),
            }),
        },
        more => Err(Command::Invalid {
            subcommand,
            argument: more.join(" "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: &str) -> Option<ChannelId> {
        Some(ChannelId::parse(id).unwrap())
    }

    #[test]
    fn command_texts_parse() {
        let cases = [
            ("", Command::Help),
            ("   ", Command::Help),
            ("help", Command::Help),
            ("HELP", Command::Help),
            ("list", Command::List { channel: None }),
            (
                "list <#C0123ABC|general>",
                Command::List {
                    channel: channel("C0123ABC"),
                },
            ),
            (
                "list <#C0123ABC>",
                Command::List {
                    channel: channel("C0123ABC"),
                },
            ),
            (
                "list C0123ABC",
                Command::List {
                    channel: channel("C0123ABC"),
                },
            ),
            (
                "  list\t<#G0PRIV01|secret>  ",
                Command::List {
                    channel: channel("G0PRIV01"),
                },
            ),
            (
                "list #general",
                Command::Invalid {
                    subcommand: "list",
                    argument: "#general".into(),
                },
            ),
            (
                "list a b",
                Command::Invalid {
                    subcommand: "list",
                    argument: "a b".into(),
                },
            ),
            ("export", Command::Export),
            ("log", Command::Log { days: 30 }),
            ("log 7", Command::Log { days: 7 }),
            ("ログ 365", Command::Log { days: 365 }),
            (
                "log 0",
                Command::Invalid {
                    subcommand: "log",
                    argument: "0".into(),
                },
            ),
            (
                "log 366",
                Command::Invalid {
                    subcommand: "log",
                    argument: "366".into(),
                },
            ),
            (
                "log abc",
                Command::Invalid {
                    subcommand: "log",
                    argument: "abc".into(),
                },
            ),
            (
                "log 7 8",
                Command::Invalid {
                    subcommand: "log",
                    argument: "7 8".into(),
                },
            ),
            ("why evt_01ABC", Command::Why("evt_01ABC".into())),
            (
                "なぜ `msg_2KWPBgLlAfxdpx2AI54pPJ85f4W`",
                Command::Why("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".into()),
            ),
            (
                "why",
                Command::Invalid {
                    subcommand: "why",
                    argument: String::new(),
                },
            ),
            (
                "why a b",
                Command::Invalid {
                    subcommand: "why",
                    argument: "a b".into(),
                },
            ),
            (
                "why ``",
                Command::Invalid {
                    subcommand: "why",
                    argument: "``".into(),
                },
            ),
            ("add", Command::Add),
            ("errors", Command::Errors),
            ("audit", Command::Audit),
            ("lang", Command::Lang(None)),
            ("admins", Command::Admins(None)),
            (
                "admins add <@U0ABC123|sato>",
                Command::Admins(Some((true, "U0ABC123".into()))),
            ),
            (
                "admins remove U0ABC123",
                Command::Admins(Some((false, "U0ABC123".into()))),
            ),
            (
                "admins add @sato",
                Command::Invalid {
                    subcommand: "admins",
                    argument: "add @sato".into(),
                },
            ),
            ("dm", Command::Dm(None)),
            ("DM off", Command::Dm(Some(false))),
            (
                "dm on please",
                Command::Invalid {
                    subcommand: "dm",
                    argument: "on please".into(),
                },
            ),
            ("reactions", Command::Reactions(None)),
            ("reactions OFF", Command::Reactions(Some(false))),
            ("リアクション オン", Command::Reactions(Some(true))),
            (
                "reactions maybe",
                Command::Invalid {
                    subcommand: "reactions",
                    argument: "maybe".into(),
                },
            ),
            ("lang en", Command::Lang(Some(Lang::En))),
            ("lang JA", Command::Lang(Some(Lang::Ja))),
            (
                "lang fr",
                Command::Invalid {
                    subcommand: "lang",
                    argument: "fr".into(),
                },
            ),
            ("一覧", Command::List { channel: None }),
            ("edit 3fa9c1", Command::Edit("3fa9c1".into())),
            ("delete 3FA9C1", Command::Delete("3fa9c1".into())),
            ("test `3fa9c1`", Command::Test("3fa9c1".into())),
            ("テスト 3fa9c1", Command::Test("3fa9c1".into())),
            ("import", Command::Import),
            ("connect", Command::Connect { rotate: false }),
            ("connect ROTATE", Command::Connect { rotate: true }),
            (
                "connect callback <https://platform.example/cb>",
                Command::ConnectCallback("https://platform.example/cb".into()),
            ),
            ("disconnect", Command::Disconnect),
            (
                "operator link op_7",
                Command::OperatorLink {
                    operator: "op_7".into(),
                    user: None,
                },
            ),
            (
                "operator link op_7 <@U0ABC123|sato>",
                Command::OperatorLink {
                    operator: "op_7".into(),
                    user: Some("U0ABC123".into()),
                },
            ),
            (
                "operator link op_7 @sato",
                Command::Invalid {
                    subcommand: "operator",
                    argument: "link op_7 @sato".into(),
                },
            ),
            ("away", Command::Away(true)),
            ("available", Command::Away(false)),
            ("sync", Command::Sync),
            (
                "connect now",
                Command::Invalid {
                    subcommand: "connect",
                    argument: "now".into(),
                },
            ),
            (
                "edit",
                Command::Invalid {
                    subcommand: "edit",
                    argument: String::new(),
                },
            ),
            (
                "delete a b",
                Command::Invalid {
                    subcommand: "delete",
                    argument: "a b".into(),
                },
            ),
            ("frobnicate now", Command::Unknown("frobnicate".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(Command::parse(text), expected, "{text:?}");
        }
    }

    #[test]
    fn no_text_panics_the_parser() {
        // Every prefix of a few tricky inputs, including multi-byte and markup characters.
        for input in ["list <#C1|名前>", "lang ja", "<#>", "list <#|>", "言語 en"] {
            for end in input.char_indices().map(|(i, _)| i).chain([input.len()]) {
                let _ = Command::parse(&input[..end]);
            }
        }
    }
}
