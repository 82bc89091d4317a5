//! A pasted id (`C…`, `G…`, `U…`, `W…`, `S…`), fetched from Slack at once and stored, so
//! it works even before a sync has seen it and appears in every later search.

use std::time::Duration;

use crate::directory::DirectoryCtx;
use crate::slack::SlackError;
use crate::store::StoreError;
use crate::workspace::Workspace;

use super::{Choice, channel_choice, channel_row, group_row, user_row};

/// What kind of thing an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    User,
    Group,
}

/// Slack answers an options request within 3 seconds; a lookup gets most of that.
const PATIENCE: Duration = Duration::from_millis(2000);

/// The id in a query, if the query is one: bare (`C0123ABCD`) or as Slack escapes it
/// when pasted (`<#C0123ABCD|name>`, `<@U0123ABCD>`, `<!subteam^S0123ABCD>`).
pub fn pasted_id(query: &str) -> Option<(Kind, String)> {
    let q = query.trim();
    let inner = q
        .strip_prefix("<#")
        .or_else(|| q.strip_prefix("<@"))
        .or_else(|| q.strip_prefix("<!subteam^"))
        .and_then(|s| s.strip_suffix('>'))
        .map_or(q, |s| s.split('|').next().unwrap_or(s));
    // Slack's ids are upper case with digits; "customers" is a search, not an id.
    let id = inner.to_string();
    if !(9..=20).contains(&id.len())
        || !id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        || !id.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    let kind = match id.chars().next()? {
        'C' | 'G' => Kind::Channel,
        'U' | 'W' => Kind::User,
        'S' => Kind::Group,
        _ => return None,
    };
    Some((kind, id))
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("Slack: {0}")]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Slack did not answer in time")]
    Timeout,
}

/// Fetches the id from Slack and stores it; None if Slack knows no such thing (or
/// Herald may not see it). A channel a rule cannot use is still returned, labelled
/// with why, so the admin learns it at once rather than on saving.
pub async fn lookup(
    state: &DirectoryCtx,
    workspace: &Workspace,
    kind: Kind,
    id: &str,
    lang: crate::core::catalog::Lang,
) -> Result<Option<Choice>, LookupError> {
    let token = workspace.bot_token.expose();
    let team_id = &workspace.team_id;
    let found = tokio::time::timeout(PATIENCE, async {
        match kind {
            Kind::Channel => match state.slack.channel_info(token, id).await {
                Ok(info) => {
                    let row = channel_row(&info, team_id);
                    state
                        .directory
                        .put_channels(team_id, vec![row.clone()])
                        .await?;
                    Ok(Some(channel_choice(&row, lang)))
                }
                Err(SlackError::Api { code }) if code == "channel_not_found" => Ok(None),
                Err(err) => Err(LookupError::Slack(err)),
            },
            Kind::User => match state.slack.user_info(token, id).await {
                Ok(info) => {
                    let row = user_row(&info);
                    state
                        .directory
                        .put_users(team_id, vec![row.clone()])
                        .await?;
                    let label = state
                        .directory
                        .read(team_id, |d| d.mention_label(&row.id))
                        .await
                        .unwrap_or_else(|| row.name.clone());
                    Ok(Some(Choice { id: row.id, label }))
                }
                Err(SlackError::Api { code }) if code == "user_not_found" => Ok(None),
                Err(err) => Err(LookupError::Slack(err)),
            },
            Kind::Group => {
                // Slack has no usergroups.info: the list is small and refreshes them all.
                let groups = state.slack.list_groups(token).await?;
                let rows: Vec<_> = groups.iter().map(group_row).collect();
                state.directory.put_groups(team_id, rows).await?;
                Ok(state
                    .directory
                    .read(team_id, |d| d.mention_label(id))
                    .await
                    .map(|label| Choice {
                        id: id.to_string(),
                        label,
                    }))
            }
        }
    })
    .await;
    found.unwrap_or(Err(LookupError::Timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_ids_are_recognised_in_every_form() {
        let cases = [
            ("C0123ABCD", Some((Kind::Channel, "C0123ABCD"))),
            (" G0123ABCD ", Some((Kind::Channel, "G0123ABCD"))),
            ("customers", None),
            ("CUSTOMERS", None),
            ("<#C0123ABCD|general>", Some((Kind::Channel, "C0123ABCD"))),
            ("<@U0123ABCD>", Some((Kind::User, "U0123ABCD"))),
            ("W0123ABCD", Some((Kind::User, "W0123ABCD"))),
            ("<!subteam^S0123ABCD>", Some((Kind::Group, "S0123ABCD"))),
            ("sales", None),
            ("C01", None),
            ("D0123ABCD", None),
            ("C0123-ABCD", None),
        ];
        for (query, expected) in cases {
            let got = pasted_id(query);
            assert_eq!(
                got.as_ref().map(|(k, id)| (*k, id.as_str())),
                expected,
                "{query}"
            );
        }
    }
}
