//! Deliveries that failed in the last week, by channel, for App Home's "Failed
//! deliveries" with Resend per job and Resend all per channel. The resend itself is the
//! store's guarded requeue ([`Store::resend_jobs`]): exactly once, audited.

use crate::core::catalog::EventType;
use crate::core::event::{Origin, PlatformEvent};
use crate::store::{FailedPost, Store, StoreError};

/// How far back App Home looks, and what "Resend all" takes.
pub const WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Failed jobs read per look; "Resend all" takes at most this many of a channel.
const READ_LIMIT: i64 = 1000;

/// Jobs shown one by one per channel (each with its own Resend); the rest are counted.
pub const SHOWN_PER_CHANNEL: usize = 3;

/// One channel's failed deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedChannel {
    pub channel: String,
    /// The newest few, with their event's type when it can still be read.
    pub jobs: Vec<(FailedPost, Option<EventType>)>,
    pub total: usize,
}

/// Groups failed posts (newest first) by channel, channels in order of their newest.
pub fn by_channel(posts: Vec<FailedPost>) -> Vec<FailedChannel> {
    let mut channels: Vec<FailedChannel> = Vec::new();
    for post in posts {
        let channel = post.channel.clone().unwrap_or_default();
        let at = match channels.iter().position(|c| c.channel == channel) {
            Some(at) => at,
            None => {
                channels.push(FailedChannel {
                    channel,
                    jobs: Vec::new(),
                    total: 0,
                });
                channels.len() - 1
            }
        };
        let group = &mut channels[at];
        group.total += 1;
        if group.jobs.len() < SHOWN_PER_CHANNEL {
            group.jobs.push((post, None));
        }
    }
    channels
}

/// The workspace's failed deliveries of the last week, by channel; the first
/// `shown_channels` (those App Home shows) with their events' types.
pub async fn recent(
    store: &Store,
    team_id: &str,
    now_ms: i64,
    shown_channels: usize,
) -> Result<Vec<FailedChannel>, StoreError> {
    let posts = store
        .failed_posts(team_id, now_ms - WINDOW_MS, READ_LIMIT)
        .await?;
    let mut channels = by_channel(posts);
    for channel in channels.iter_mut().take(shown_channels) {
        for (post, event_type) in &mut channel.jobs {
            *event_type = store
                .event(team_id, &post.event_id)
                .await?
                .and_then(|e| PlatformEvent::parse_from(e.body.as_bytes(), Origin::Herald).ok())
                .map(|e| e.event_type);
        }
    }
    Ok(channels)
}

/// The ids "Resend all" takes for a channel: its failed deliveries of the last week.
pub async fn channel_ids(
    store: &Store,
    team_id: &str,
    channel: &str,
    now_ms: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(store
        .failed_posts(team_id, now_ms - WINDOW_MS, READ_LIMIT)
        .await?
        .into_iter()
        .filter(|p| p.channel.as_deref() == Some(channel))
        .map(|p| p.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, channel: &str, at: i64) -> FailedPost {
        FailedPost {
            id: id.into(),
            event_id: format!("evt_{id}"),
            channel: Some(channel.into()),
            status: "failed".into(),
            last_error: Some("not_invited: …".into()),
            updated_at: at,
        }
    }

    #[test]
    fn failed_posts_group_by_channel_newest_first_and_count_past_the_shown_ones() {
        let posts = vec![
            post("j5", "C0B", 50),
            post("j4", "C0A", 40),
            post("j3", "C0A", 30),
            post("j2", "C0A", 20),
            post("j1", "C0A", 10),
        ];
        let got = by_channel(posts);
        let summary: Vec<_> = got
            .iter()
            .map(|c| {
                let ids: Vec<&str> = c.jobs.iter().map(|(p, _)| p.id.as_str()).collect();
                (c.channel.as_str(), ids, c.total)
            })
            .collect();
        assert_eq!(
            summary,
            [("C0B", vec!["j5"], 1), ("C0A", vec!["j4", "j3", "j2"], 4),]
        );
    }
}
