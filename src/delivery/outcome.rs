//! What to do after a Slack call failed: pure decisions, tested with tables.

use std::time::Duration;

use crate::core::catalog::Lang;
use crate::slack::SlackError;

/// Used when Slack rate-limits without saying for how long.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Slack no longer takes the workspace's token: nothing Herald sends there can work
/// until Herald is installed again.
pub fn is_token_refused(code: &str) -> bool {
    matches!(
        code,
        "invalid_auth" | "token_revoked" | "account_inactive" | "not_authed" | "token_expired"
    )
}

/// A failure no retry can fix, with the words an admin needs to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permanent {
    /// Slack's error code, or Herald's own.
    pub code: String,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Slack asked us to wait; not a failure of the job.
    Wait(Duration),
    /// Try again on the retry schedule.
    Retry(String),
    Fail(Permanent),
}

/// Classifies an error of `chat.postMessage` (after any `conversations.join`).
pub fn decide(err: &SlackError, channel: &str) -> Decision {
    let fail = |code: &str| {
        Decision::Fail(Permanent {
            code: code.into(),
            channel: channel.into(),
        })
    };
    match err {
        SlackError::RateLimited { retry_after, .. } => {
            Decision::Wait(retry_after.unwrap_or(DEFAULT_RETRY_AFTER))
        }
        SlackError::Transport(reason) | SlackError::Protocol(reason) => {
            Decision::Retry(reason.clone())
        }
        SlackError::Api { code } => match code.as_str() {
            "ratelimited" => Decision::Wait(DEFAULT_RETRY_AFTER),
            "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                Decision::Retry(code.clone())
            }
            other => fail(other),
        },
    }
}

impl Permanent {
    /// The reason in words, with the fix, for the job's log and the error report.
    pub fn explain(&self, lang: Lang) -> String {
        let ch = &self.channel;
        match (self.code.as_str(), lang) {
            ("not_invited", Lang::Ja) => format!(
                "Heraldはプライベートチャンネル {ch} に参加していません。チャンネルで `/invite @Herald` を実行して招待してください。"
            ),
            ("not_invited", Lang::En) => format!(
                "Herald is not in the private channel {ch}. Invite @Herald to it: type `/invite @Herald` in that channel."
            ),
            ("channel_not_found", Lang::Ja) => format!(
                "チャンネル {ch} が見つかりません。プライベートチャンネルの場合は `/invite @Herald` でHeraldを招待し、削除された場合はルールのチャンネルを変更してください。"
            ),
            ("channel_not_found", Lang::En) => format!(
                "Channel {ch} was not found. If it is private, invite @Herald to it (`/invite @Herald`); if it was deleted, change the rule's channel."
            ),
            ("is_archived", Lang::Ja) => format!(
                "チャンネル {ch} はアーカイブされています。アーカイブを解除するか、ルールのチャンネルを変更してください。"
            ),
            ("is_archived", Lang::En) => format!(
                "Channel {ch} is archived. Unarchive it or change the rule's channel."
            ),
            (crate::slack::connect::REFUSED_CODE, Lang::Ja) => format!(
                "{ch} は別の組織から Slack コネクトで共有されたチャンネルです。社内の通知は送れません。ルールのチャンネルを自組織のチャンネルに変更してください。"
            ),
            (crate::slack::connect::REFUSED_CODE, Lang::En) => format!(
                "{ch} is a Slack Connect channel hosted by another organization; Herald does not send internal notifications there. Change the rule's channel to one of your own."
            ),
            (code, Lang::Ja) if is_token_refused(code) => format!(
                "Slackがトークンを拒否しました ({}). Heraldをワークスペースに再インストールしてください。", self.code
            ),
            (code, Lang::En) if is_token_refused(code) => format!(
                "Slack rejected Herald's token ({}). Reinstall Herald to the workspace.", self.code
            ),
            (crate::slack::connect::PERSON_ELSEWHERE_CODE, Lang::Ja) => format!(
                "{ch} は別の組織のメンバー(Slack コネクト)です。社内の通知はDMで送れません。ルールの送り先を自組織の人かチャンネルに変更してください。"
            ),
            (crate::slack::connect::PERSON_ELSEWHERE_CODE, Lang::En) => format!(
                "{ch} is a member of another organization (Slack Connect); Herald does not send internal notifications to their DM. Change the rule's target to someone of your own or a channel."
            ),
            ("user_disabled", Lang::Ja) => format!(
                "{ch} のアカウントは無効になっています。ルールの送り先を変更してください。"
            ),
            ("user_disabled", Lang::En) => format!(
                "{ch}'s account is deactivated. Change the rule's target."
            ),
            ("user_not_found", Lang::Ja) => format!(
                "{ch} はこのワークスペースに見つかりません。ルールの送り先を変更してください。"
            ),
            ("user_not_found", Lang::En) => format!(
                "{ch} was not found in this workspace. Change the rule's target."
            ),
            ("cannot_dm_bot", Lang::Ja) => format!(
                "{ch} はボットです。DMで通知できるのは人だけです。ルールの送り先を変更してください。"
            ),
            ("cannot_dm_bot", Lang::En) => format!(
                "{ch} is a bot; Herald sends DMs only to people. Change the rule's target."
            ),
            ("missing_scope", Lang::Ja) => "Heraldに必要な権限がありません。manifest.yml のスコープでアプリを再インストールしてください。".into(),
            ("missing_scope", Lang::En) => "Herald lacks a permission it needs. Reinstall the app with the scopes in manifest.yml.".into(),
            ("retries_exhausted", Lang::Ja) => format!(
                "{ch} への配信を約1日再試行しましたが、Slackに届きませんでした。"
            ),
            ("retries_exhausted", Lang::En) => format!(
                "Herald retried delivery to {ch} for about a day without reaching Slack."
            ),
            (code, Lang::Ja) => format!("Slackが {ch} への投稿を拒否しました: {code}"),
            (code, Lang::En) => format!("Slack refused the post to {ch}: {code}"),
        }
    }
}

/// A Slack error of a job that posts something of Herald's own (a DM, a file), as the
/// worker records it: waited out, retried (`may_have_posted` when the call may have taken
/// effect), or failed with Slack's code; no error report, nothing to explain to an admin.
pub fn own_post_outcome(
    err: &SlackError,
    channel: &str,
    may_have_posted: bool,
) -> crate::jobs::Outcome {
    use crate::jobs::Outcome;
    match decide(err, channel) {
        Decision::Wait(wait) => Outcome::RateLimited {
            until: crate::store::now_ms() + crate::store::duration_ms(wait),
        },
        Decision::Retry(reason) => Outcome::Retry {
            reason,
            maybe_posted: may_have_posted,
        },
        Decision::Fail(p) => Outcome::fail(crate::store::JobStatus::Failed, p.code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> SlackError {
        SlackError::Api { code: code.into() }
    }

    #[test]
    fn slack_errors_are_classified() {
        let wait = |s| Decision::Wait(Duration::from_secs(s));
        let fail = |c: &str| {
            Decision::Fail(Permanent {
                code: c.into(),
                channel: "C1".into(),
            })
        };
        let cases = [
            (
                SlackError::RateLimited {
                    method: "chat.postMessage",
                    retry_after: Some(Duration::from_secs(7)),
                },
                wait(7),
            ),
            (
                SlackError::RateLimited {
                    method: "chat.postMessage",
                    retry_after: None,
                },
                wait(30),
            ),
            (api("ratelimited"), wait(30)),
            (
                SlackError::Transport("HTTP 503".into()),
                Decision::Retry("HTTP 503".into()),
            ),
            (
                api("internal_error"),
                Decision::Retry("internal_error".into()),
            ),
            (api("channel_not_found"), fail("channel_not_found")),
            (api("is_archived"), fail("is_archived")),
            (api("invalid_auth"), fail("invalid_auth")),
            (api("token_revoked"), fail("token_revoked")),
            (api("invalid_blocks"), fail("invalid_blocks")),
        ];
        for (err, expected) in cases {
            assert_eq!(decide(&err, "C1"), expected, "{err:?}");
        }
    }

    #[test]
    fn every_permanent_failure_explains_itself_in_both_languages() {
        for code in [
            "not_invited",
            "channel_not_found",
            "is_archived",
            "invalid_auth",
            "missing_scope",
            "retries_exhausted",
            "whatever",
        ] {
            let p = Permanent {
                code: code.into(),
                channel: "<#C1>".into(),
            };
            let (ja, en) = (p.explain(Lang::Ja), p.explain(Lang::En));
            assert!(
                ja.contains("<#C1>") || code.contains("auth") || code == "missing_scope",
                "{ja}"
            );
            assert_ne!(ja, en);
        }
        let p = Permanent {
            code: "not_invited".into(),
            channel: "<#C1>".into(),
        };
        assert!(p.explain(Lang::En).contains("/invite @Herald"));
    }
}
