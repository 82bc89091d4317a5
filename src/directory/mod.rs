//! The directory: each workspace's channels, users and user groups, for the pickers.
//!
//! The store keeps what Slack last said (a restart needs no full sync); a bounded moka
//! cache holds each active workspace's snapshot in memory, with every name folded once
//! for searching. Batch syncs and Slack's events write through both, so a rename or an
//! archive is visible to the next search. Rules keep ids, so a rename changes a label,
//! never a rule.

pub mod events;
pub mod lookup;
pub mod search;
pub mod sync;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::future::Cache;

use crate::store::{ChannelRow, GroupRow, Store, StoreError, UserRow};

/// What the directory's sync, lookups and event handling need.
#[derive(Clone)]
pub struct DirectoryCtx {
    pub directory: Directory,
    pub registry: crate::workspace::Workspaces,
    pub settings: std::sync::Arc<crate::config::Settings>,
    pub slack: crate::slack::SlackApi,
    pub store: Store,
    pub workspace_state: crate::workspace::WorkspaceSettings,
}

/// One option of a picker: Slack's `value` (an id) and `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// Slack shows at most 100 options per external select answer.
pub const MAX_OPTIONS: usize = 100;
/// Slack's limit on an option's text.
const MAX_LABEL: usize = 75;

struct Channel {
    row: ChannelRow,
    names: search::Names,
}

struct User {
    row: UserRow,
    names: search::Names,
}

struct Group {
    row: GroupRow,
    names: search::Names,
}

/// Entries in a vector (scanned on every search, so kept contiguous) with an index by id.
struct Table<T> {
    rows: Vec<T>,
    by_id: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            by_id: HashMap::new(),
        }
    }
}

impl<T> Table<T> {
    fn put(&mut self, id: String, entry: T) {
        match self.by_id.get(&id) {
            Some(&i) => self.rows[i] = entry,
            None => {
                self.by_id.insert(id, self.rows.len());
                self.rows.push(entry);
            }
        }
    }

    fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id).map(|&i| &self.rows[i])
    }

    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// A workspace's directory in memory: rows by id, each with its folded names.
#[derive(Default)]
pub struct Snapshot {
    channels: Table<Channel>,
    users: Table<User>,
    groups: Table<Group>,
}

fn user_names(row: &UserRow) -> search::Names {
    search::Names::new(
        [
            Some(&row.name),
            row.display_name.as_ref(),
            row.real_name.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    )
}

/// The best hits of a scan, found with one substring search per entry.
fn scan<'a, T>(
    rows: &'a [T],
    query: &str,
    usable: impl Fn(&T) -> bool,
    names: impl Fn(&T) -> &search::Names,
) -> Vec<&'a T> {
    let finder = memchr::memmem::Finder::new(query.as_bytes());
    let mut hits: Vec<Hit<'a, T>> = rows
        .iter()
        .filter(|e| usable(e))
        .filter_map(|e| {
            let n = names(e);
            n.rank(&finder).map(|r| (r, n.first().len(), n.first(), e))
        })
        .collect();
    top(&mut hits);
    hits.into_iter().map(|(_, _, _, e)| e).collect()
}

impl Snapshot {
    fn put_channel(&mut self, row: ChannelRow) {
        let names = search::Names::new([row.name.as_str()]);
        self.channels.put(row.id.clone(), Channel { row, names });
    }

    fn put_user(&mut self, row: UserRow) {
        let names = user_names(&row);
        self.users.put(row.id.clone(), User { row, names });
    }

    fn put_group(&mut self, row: GroupRow) {
        let names = search::Names::new([row.handle.as_str(), row.name.as_str()]);
        self.groups.put(row.id.clone(), Group { row, names });
    }

    /// Channels a rule may post to, best matches first: not archived or deleted, not
    /// another organization's, and private ones only where Herald is a member.
    pub fn channels(&self, query: &str) -> Vec<Choice> {
        let query = search::fold(query.trim().trim_start_matches('#'));
        scan(
            &self.channels.rows,
            &query,
            |c| offerable(&c.row),
            |c| &c.names,
        )
        .into_iter()
        .map(|c| Choice {
            id: c.row.id.clone(),
            label: channel_label(&c.row),
        })
        .collect()
    }

    /// People (not bots, not deactivated) and user groups (not disabled) to mention.
    pub fn people(&self, query: &str) -> (Vec<Choice>, Vec<Choice>) {
        let query = search::fold(query.trim().trim_start_matches('@'));
        let users = scan(
            &self.users.rows,
            &query,
            |u| u.row.is_bot == 0 && u.row.deleted == 0,
            |u| &u.names,
        );
        let groups = scan(
            &self.groups.rows,
            &query,
            |g| g.row.disabled == 0,
            |g| &g.names,
        );
        // Together within Slack's 100: groups are few, people many.
        let groups: Vec<Choice> = groups
            .iter()
            .take(MAX_OPTIONS / 4)
            .map(|g| Choice {
                id: g.row.id.clone(),
                label: group_label(&g.row),
            })
            .collect();
        let users = users
            .iter()
            .take(MAX_OPTIONS - groups.len())
            .map(|u| Choice {
                id: u.row.id.clone(),
                label: user_label(&u.row),
            })
            .collect();
        (users, groups)
    }

    pub fn channel(&self, id: &str) -> Option<&ChannelRow> {
        self.channels.get(id).map(|c| &c.row)
    }

    /// A mention's label: `@display name` for a user, `@handle` for a group.
    pub fn mention_label(&self, id: &str) -> Option<String> {
        if let Some(u) = self.users.get(id) {
            return Some(user_label(&u.row));
        }
        self.groups.get(id).map(|g| group_label(&g.row))
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.users.len(), self.groups.len())
    }
}

/// A match: its rank, the length and text of its main key (shorter, then alphabetical,
/// first), and the entry.
type Hit<'a, T> = (u8, usize, &'a str, &'a T);

/// Keeps the best `MAX_OPTIONS` hits, in order, without sorting all of them.
fn top<T>(hits: &mut Vec<Hit<'_, T>>) {
    let order = |a: &Hit<'_, T>, b: &Hit<'_, T>| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2));
    if hits.len() > MAX_OPTIONS {
        hits.select_nth_unstable_by(MAX_OPTIONS - 1, order);
        hits.truncate(MAX_OPTIONS);
    }
    hits.sort_by(order);
}

fn offerable(c: &ChannelRow) -> bool {
    c.deleted == 0
        && c.is_archived == 0
        && c.external_team.is_none()
        && (c.is_private == 0 || c.is_member == 1)
}

fn cut(label: &str) -> String {
    crate::core::render::cut(label, MAX_LABEL)
}

pub fn channel_label(c: &ChannelRow) -> String {
    let lock = if c.is_private == 1 { "🔒" } else { "#" };
    cut(&format!("{lock}{}", c.name))
}

fn user_label(u: &UserRow) -> String {
    let shown = u
        .display_name
        .as_deref()
        .filter(|d| !d.is_empty())
        .or(u.real_name.as_deref().filter(|r| !r.is_empty()))
        .unwrap_or(&u.name);
    match u.real_name.as_deref() {
        Some(real) if !real.is_empty() && real != shown => cut(&format!("{shown} ({real})")),
        _ => cut(shown),
    }
}

fn group_label(g: &GroupRow) -> String {
    cut(&format!("@{} ({})", g.handle, g.name))
}

/// A channel as a picker option; one a rule cannot use says why (a pasted id may name
/// one, and the admin should learn it before saving).
pub fn channel_choice(row: &ChannelRow, lang: crate::core::catalog::Lang) -> Choice {
    let label = if offerable(row) {
        channel_label(row)
    } else {
        let why = if row.external_team.is_some() {
            lang.pick(
                "他組織のSlack Connectチャンネル",
                "another organization's Slack Connect channel",
            )
        } else if row.deleted == 1 {
            lang.pick("削除済み", "deleted")
        } else if row.is_archived == 1 {
            lang.pick("アーカイブ済み", "archived")
        } else {
            lang.pick(
                "Heraldが未参加(/invite @Herald)",
                "Herald is not in it (/invite @Herald)",
            )
        };
        cut(&format!("⚠ {} — {why}", channel_label(row)))
    };
    Choice {
        id: row.id.clone(),
        label,
    }
}

/// A channel as the directory keeps it. Another organization's Slack Connect channel is
/// kept with its owner so a lookup can say why it is not offered.
pub fn channel_row(info: &crate::slack::ChannelInfo, own_team: &str) -> ChannelRow {
    let external_team = crate::slack::connect::host_elsewhere(info, own_team);
    ChannelRow {
        id: info.id.clone(),
        name: info.name.clone().unwrap_or_else(|| info.id.clone()),
        is_private: i64::from(info.is_private),
        is_archived: i64::from(info.is_archived),
        is_member: i64::from(info.is_member),
        external_team,
        deleted: 0,
    }
}

pub fn user_row(info: &crate::slack::UserInfo) -> UserRow {
    let nonblank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    UserRow {
        id: info.id.clone(),
        name: if info.name.is_empty() {
            info.id.clone()
        } else {
            info.name.clone()
        },
        real_name: nonblank(&info.profile.real_name),
        display_name: nonblank(&info.profile.display_name),
        // Slackbot is not flagged as a bot, but nobody mentions it in a rule.
        is_bot: i64::from(info.is_bot || info.id == "USLACKBOT"),
        deleted: i64::from(info.deleted),
    }
}

pub fn group_row(info: &crate::slack::GroupInfo) -> GroupRow {
    GroupRow {
        id: info.id.clone(),
        handle: info.handle.clone(),
        name: info.name.clone(),
        disabled: i64::from(info.date_delete != 0),
    }
}

/// The directories of the workspaces in use, in front of the store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    teams: Cache<String, Arc<RwLock<Snapshot>>>,
}

impl Directory {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            teams: Cache::builder()
                // Bounded by entries, so a few huge workspaces cannot take all memory.
                .weigher(|_, snapshot: &Arc<RwLock<Snapshot>>| {
                    let (c, u, g) = snapshot.read().map(|s| s.counts()).unwrap_or_default();
                    u32::try_from(c + u + g + 1).unwrap_or(u32::MAX)
                })
                .max_capacity(2_000_000)
                // A workspace nobody picks for a while is reloaded from the store.
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    /// The workspace's snapshot, loaded from the store on first use.
    pub async fn snapshot(&self, team_id: &str) -> Result<Arc<RwLock<Snapshot>>, Arc<StoreError>> {
        let store = self.store.clone();
        let team = team_id.to_string();
        self.teams
            .try_get_with(team_id.to_string(), async move {
                let mut snapshot = Snapshot::default();
                for row in store.directory_channels(&team).await? {
                    snapshot.put_channel(row);
                }
                for row in store.directory_users(&team).await? {
                    snapshot.put_user(row);
                }
                for row in store.directory_groups(&team).await? {
                    snapshot.put_group(row);
                }
                Ok::<_, StoreError>(Arc::new(RwLock::new(snapshot)))
            })
            .await
    }

    /// Runs `read` on the workspace's snapshot (an empty one if the store fails).
    pub async fn read<T>(&self, team_id: &str, read: impl FnOnce(&Snapshot) -> T) -> T {
        match self.snapshot(team_id).await {
            Ok(snapshot) => match snapshot.read() {
                Ok(s) => read(&s),
                Err(poisoned) => read(&poisoned.into_inner()),
            },
            Err(err) => {
                tracing::error!(team_id, error = %err, "could not load the directory");
                read(&Snapshot::default())
            }
        }
    }

    /// Stores rows and, if the workspace is in memory, updates it there too.
    pub async fn put_channels(
        &self,
        team_id: &str,
        rows: Vec<ChannelRow>,
    ) -> Result<(), StoreError> {
        self.store.upsert_channels(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_channel(r)))
            .await;
        Ok(())
    }

    pub async fn put_users(&self, team_id: &str, rows: Vec<UserRow>) -> Result<(), StoreError> {
        self.store.upsert_users(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_user(r)))
            .await;
        Ok(())
    }

    pub async fn put_groups(&self, team_id: &str, rows: Vec<GroupRow>) -> Result<(), StoreError> {
        self.store.upsert_groups(team_id, &rows).await?;
        self.update(team_id, |s| rows.into_iter().for_each(|r| s.put_group(r)))
            .await;
        Ok(())
    }

    /// Changes one channel (an event), if Herald knows it.
    pub async fn change_channel(
        &self,
        team_id: &str,
        id: &str,
        change: impl FnOnce(&mut ChannelRow),
    ) -> Result<Option<ChannelRow>, StoreError> {
        let known = self.read(team_id, |s| s.channel(id).cloned()).await;
        let Some(mut row) = known else {
            return Ok(None);
        };
        change(&mut row);
        self.put_channels(team_id, vec![row.clone()]).await?;
        Ok(Some(row))
    }

    /// After a full sync, forgets what the sync did not see (the store marks it; the
    /// snapshot is reloaded).
    pub async fn finish_sync(&self, team_id: &str, since: i64) -> Result<u64, StoreError> {
        let marked = self.store.mark_unseen_channels(team_id, since).await?;
        self.teams.invalidate(team_id).await;
        Ok(marked)
    }

    async fn update(&self, team_id: &str, change: impl FnOnce(&mut Snapshot)) {
        if let Some(snapshot) = self.teams.get(team_id).await {
            match snapshot.write() {
                Ok(mut s) => change(&mut s),
                Err(poisoned) => change(&mut poisoned.into_inner()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: &str, name: &str) -> ChannelRow {
        ChannelRow {
            id: id.into(),
            name: name.into(),
            is_private: 0,
            is_archived: 0,
            is_member: 0,
            external_team: None,
            deleted: 0,
        }
    }

    #[test]
    fn channels_offer_what_a_rule_can_post_to_best_first() {
        let mut s = Snapshot::default();
        s.put_channel(channel("C1", "wholesales"));
        s.put_channel(channel("C2", "sales"));
        s.put_channel(channel("C3", "sales-tokyo"));
        s.put_channel(ChannelRow {
            is_archived: 1,
            ..channel("C4", "sales-old")
        });
        s.put_channel(ChannelRow {
            external_team: Some("T0OTHER".into()),
            ..channel("C5", "sales-partner")
        });
        s.put_channel(ChannelRow {
            is_private: 1,
            ..channel("G6", "sales-secret")
        });
        s.put_channel(ChannelRow {
            is_private: 1,
            is_member: 1,
            ..channel("G7", "sales-board")
        });
        let ids: Vec<String> = s.channels("#SALES").into_iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            ["C2", "G7", "C3", "C1"],
            "exact, then prefix (shorter, then a–z), then inside"
        );
        assert_eq!(s.channels("ｓａｌｅｓ-ｔ")[0].label, "#sales-tokyo");
    }

    #[test]
    fn people_and_groups_match_any_of_their_names() {
        let mut s = Snapshot::default();
        s.put_user(UserRow {
            id: "U1".into(),
            name: "taro".into(),
            real_name: Some("山田 太郎".into()),
            display_name: Some("タロウ".into()),
            is_bot: 0,
            deleted: 0,
        });
        s.put_user(UserRow {
            id: "U2".into(),
            name: "herald".into(),
            real_name: None,
            display_name: None,
            is_bot: 1,
            deleted: 0,
        });
        s.put_group(GroupRow {
            id: "S1".into(),
            handle: "sales-team".into(),
            name: "営業チーム".into(),
            disabled: 0,
        });
        let (users, groups) = s.people("たろう");
        assert_eq!(users[0].id, "U1");
        assert_eq!(users[0].label, "タロウ (山田 太郎)");
        assert!(groups.is_empty());
        let (users, groups) = s.people("");
        assert_eq!(users.len(), 1, "bots are not offered");
        assert_eq!(groups[0].label, "@sales-team (営業チーム)");
        let (_, groups) = s.people("えいぎょう");
        assert!(groups.is_empty(), "kanji are not read as kana");
        let (_, groups) = s.people("営業");
        assert_eq!(groups[0].id, "S1");
    }

    #[test]
    fn at_most_a_hundred_options_come_back() {
        let mut s = Snapshot::default();
        for i in 0..500 {
            s.put_channel(channel(&format!("C{i:04}"), &format!("team-{i:04}")));
        }
        let found = s.channels("team");
        assert_eq!(found.len(), MAX_OPTIONS);
        assert_eq!(found[0].label, "#team-0000", "shortest, then alphabetical");
    }
}
