//! A workspace's directory in memory: rows by id, each with its names folded once, and
//! the scans that answer a picker's query (best matches first, at most
//! [`MAX_OPTIONS`](super::MAX_OPTIONS)).

use std::collections::HashMap;

use super::choices::{Choice, MAX_OPTIONS, channel_label, group_label, offerable, user_label};
use super::search;
use crate::store::{ChannelRow, GroupRow, UserRow};

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
    pub(super) fn put_channel(&mut self, row: ChannelRow) {
        let names = search::Names::new([row.name.as_str()]);
        self.channels.put(row.id.clone(), Channel { row, names });
    }

    pub(super) fn put_user(&mut self, row: UserRow) {
        let names = user_names(&row);
        self.users.put(row.id.clone(), User { row, names });
    }

    pub(super) fn put_group(&mut self, row: GroupRow) {
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
            |u| !u.row.is_bot && !u.row.deleted,
            |u| &u.names,
        );
        let groups = scan(&self.groups.rows, &query, |g| !g.row.disabled, |g| &g.names);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: &str, name: &str) -> ChannelRow {
        ChannelRow {
            id: id.into(),
            name: name.into(),
            is_private: false,
            is_archived: false,
            is_member: false,
            external_team: None,
            deleted: false,
        }
    }

    #[test]
    fn channels_offer_what_a_rule_can_post_to_best_first() {
        let mut s = Snapshot::default();
        s.put_channel(channel("C1", "wholesales"));
        s.put_channel(channel("C2", "sales"));
        s.put_channel(channel("C3", "sales-tokyo"));
        s.put_channel(ChannelRow {
            is_archived: true,
            ..channel("C4", "sales-old")
        });
        s.put_channel(ChannelRow {
            external_team: Some("T0OTHER".into()),
            ..channel("C5", "sales-partner")
        });
        s.put_channel(ChannelRow {
            is_private: true,
            ..channel("G6", "sales-secret")
        });
        s.put_channel(ChannelRow {
            is_private: true,
            is_member: true,
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
            is_bot: false,
            deleted: false,
        });
        s.put_user(UserRow {
            id: "U2".into(),
            name: "herald".into(),
            real_name: None,
            display_name: None,
            is_bot: true,
            deleted: false,
        });
        s.put_group(GroupRow {
            id: "S1".into(),
            handle: "sales-team".into(),
            name: "営業チーム".into(),
            disabled: false,
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
