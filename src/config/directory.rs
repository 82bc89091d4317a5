//! The directory section: how often each workspace's channels, users and groups are
//! synced in full, and how fast Slack lets the sync page.

use std::time::Duration;

use super::{ConfigError, in_range};

/// Directory sync tuning.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// How often each workspace is synced in full (events keep it fresh in between).
    pub every: Duration,
    /// Spacing of list calls: Slack's Tier 2 (`conversations.list`, `users.list`) allows
    /// about 20 calls a minute, so one every 3 s is as fast as Slack allows.
    pub page_interval: Duration,
    /// Items per page: Slack's maximum for `conversations.list` (fewer round trips).
    pub page_size: u32,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(6 * 3600),
            page_interval: Duration::from_secs(3),
            page_size: 999,
        }
    }
}

/// `HERALD_DIRECTORY_SYNC_HOURS` over the defaults.
pub(super) fn directory(sync_hours: Option<String>) -> Result<DirectorySettings, ConfigError> {
    let mut directory = DirectorySettings::default();
    if let Some(hours) = in_range(
        sync_hours,
        1..=168_u64,
        "HERALD_DIRECTORY_SYNC_HOURS",
        "must be a whole number of hours from 1 to 168",
    )? {
        directory.every = Duration::from_secs(hours * 3600);
    }
    Ok(directory)
}
