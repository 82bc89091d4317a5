//! What the workspace said, kept across runs: every conversation's messages (threads,
//! edits, reactions, tombstones) and members, the DMs opened, and the id and `ts`
//! counters, as one JSON document. The playground saves it so a restarted `herald try`
//! shows the history Herald's own database still refers to.
//!
//! Only what people and apps wrote is kept; the workspace itself (people, channels,
//! groups) is seeded again in the same order, so it gets the same ids. Ephemeral
//! messages, views and triggers are not kept: Slack does not keep them either.

use serde_json::{Value, json};

use super::{Channel, Msg, SlackEmulator, render_msg};

/// The version of the snapshot's shape; another version is not restored.
const VERSION: u64 = 1;

/// A snapshot this emulator cannot read.
#[derive(Debug, PartialEq)]
pub struct RestoreError(String);

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a snapshot this emulator reads: {}", self.0)
    }
}

impl std::error::Error for RestoreError {}

impl SlackEmulator {
    /// Every conversation's messages and members, the DMs, and the counters.
    pub fn snapshot(&self) -> Value {
        let st = self.inner.lock();
        let channels: Vec<Value> = st
            .channels
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| {
                json!({
                    "id": c.id,
                    "team_id": c.team_id,
                    "im_user": c.im_user,
                    "members": c.members,
                    "messages": c.messages.iter().map(|m| render_msg(m, true)).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "version": VERSION,
            "seq": st.seq,
            "last_ts_micros": st.last_ts_micros,
            "channels": channels,
        })
    }

    /// Puts back what [`snapshot`](Self::snapshot) kept, into a workspace seeded as it was:
    /// messages and members of the conversations it knows, DMs recreated with their ids,
    /// counters moved past the saved ones. A conversation no longer seeded is left out.
    /// Nothing changes when the snapshot cannot be read. Returns how many messages were
    /// restored.
    pub fn restore(&self, snapshot: &Value) -> Result<usize, RestoreError> {
        if snapshot["version"].as_u64() != Some(VERSION) {
            return Err(RestoreError(format!(
                "version {} (this emulator reads {VERSION})",
                snapshot["version"]
            )));
        }
        let channels = snapshot["channels"]
            .as_array()
            .ok_or_else(|| RestoreError("no channels".into()))?;
        let mut parsed = Vec::with_capacity(channels.len());
        for saved in channels {
            let id = text(saved, "id")?;
            let team_id = text(saved, "team_id")?;
            let messages = saved["messages"]
                .as_array()
                .ok_or_else(|| RestoreError(format!("{id}: no messages")))?
                .iter()
                .map(msg_from_json)
                .collect::<Result<Vec<_>, _>>()?;
            let members = saved["members"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|u| u.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            parsed.push((id, team_id, opt(saved, "im_user"), members, messages));
        }
        let mut st = self.inner.lock();
        let mut restored = 0;
        for (id, team_id, im_user, members, messages) in parsed {
            let index = match (st.channel_index.get(&id).copied(), im_user) {
                (Some(i), _) => i,
                (None, Some(user)) if st.user(&user).is_some() => st.push_channel(Channel {
                    id: id.clone(),
                    team_id,
                    name: String::new(),
                    private: true,
                    archived: false,
                    im_user: Some(user.clone()),
                    shared_from_team: None,
                    members: Default::default(),
                    created: super::now_secs(),
                    creator: user,
                    messages: Vec::new(),
                    previous_names: Vec::new(),
                    deleted: false,
                }),
                _ => continue,
            };
            restored += messages.len();
            let channel = &mut st.channels[index];
            channel.members = members;
            channel.messages = messages;
        }
        st.seq = st.seq.max(snapshot["seq"].as_u64().unwrap_or_default());
        st.last_ts_micros = st
            .last_ts_micros
            .max(snapshot["last_ts_micros"].as_u64().unwrap_or_default());
        Ok(restored)
    }
}

fn text(v: &Value, key: &str) -> Result<String, RestoreError> {
    v[key]
        .as_str()
        .map(String::from)
        .ok_or_else(|| RestoreError(format!("no {key} in {v}")))
}

fn opt(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(String::from)
}

fn some(v: &Value, key: &str) -> Option<Value> {
    v.get(key).filter(|x| !x.is_null()).cloned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A message as [`render_msg`] wrote it, read back.
fn msg_from_json(v: &Value) -> Result<Msg, RestoreError> {
    let reactions = v["reactions"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|r| Some((r["name"].as_str()?.to_string(), strings(&r["users"]))))
                .collect()
        })
        .unwrap_or_default();
    Ok(Msg {
        ts: text(v, "ts")?,
        user: opt(v, "user").unwrap_or_default(),
        bot_id: opt(v, "bot_id"),
        app_id: opt(v, "app_id"),
        team: opt(v, "team").unwrap_or_default(),
        text: opt(v, "text").unwrap_or_default(),
        blocks: some(v, "blocks"),
        attachments: some(v, "attachments"),
        metadata: some(v, "metadata"),
        thread_ts: opt(v, "thread_ts"),
        parent_user_id: opt(v, "parent_user_id"),
        reply_count: v["reply_count"].as_u64().unwrap_or_default() as usize,
        reply_users: strings(&v["reply_users"]),
        latest_reply: opt(v, "latest_reply"),
        subtype: opt(v, "subtype"),
        edited: v["edited"]["ts"].as_str().map(|ts| {
            (
                opt(&v["edited"], "user").unwrap_or_default(),
                ts.to_string(),
            )
        }),
        username: opt(v, "username"),
        bot_profile: some(v, "bot_profile"),
        client_msg_id: opt(v, "client_msg_id"),
        reactions,
        hidden: v["hidden"] == true,
        files: some(v, "files"),
    })
}
