//! The catch-up section: how often Herald reads back the replies of recently active
//! threads (so none posted while it was down is missed), and how fast Slack lets it.
//!
//! Slack's limit for `conversations.replies` depends on how the app is distributed
//! (docs.slack.dev/apis/web-api/rate-limits, "App types and rate limits"): an app
//! commercially distributed outside the Slack Marketplace may call it once a minute,
//! with at most 15 messages a page; internal (customer-built) and Marketplace apps keep
//! Tier 3 (50+ a minute, pages of up to 1,000, 200 recommended).

use std::time::Duration;

use super::{ConfigError, in_range, invalid, non_empty};

/// How the Slack app is distributed: it decides the pace Slack allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Built for its own workspace (single-workspace mode's default).
    Internal,
    /// Approved for the Slack Marketplace.
    Marketplace,
    /// Installed by others through OAuth, not Marketplace-approved (the installs'
    /// default): one call a minute, 15 messages a page.
    OutsideMarketplace,
}

impl Distribution {
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Internal => "internal",
            Distribution::Marketplace => "marketplace",
            Distribution::OutsideMarketplace => "outside-marketplace",
        }
    }
}

/// Catch-up tuning.
#[derive(Debug, Clone)]
pub struct CatchUpSettings {
    /// How long after one sweep of a workspace the next starts (the first runs at start).
    pub every: Duration,
    /// Threads active this recently are read back; a reply older than this is never
    /// forwarded late.
    pub window: Duration,
    /// Spacing of `conversations.replies` calls per workspace.
    pub call_interval: Duration,
    /// Messages asked for per page.
    pub page_size: u32,
    /// How long a process's hold on a workspace's sweep lasts from its last renewal
    /// (before every call and every reply forwarded): after a crash, how soon another
    /// process (or the restarted one) sweeps that workspace.
    pub lease: Duration,
    pub distribution: Distribution,
}

impl CatchUpSettings {
    /// Slack's pace for `distribution`, every five minutes over the last 24 hours.
    pub fn for_distribution(distribution: Distribution) -> Self {
        let (call_interval, page_size) = match distribution {
            Distribution::OutsideMarketplace => (Duration::from_secs(60), 15),
            // Tier 3 allows about 50 a minute; 40 leaves room for the lost-post search,
            // which uses the same method.
            Distribution::Internal | Distribution::Marketplace => {
                (Duration::from_millis(1500), 200)
            }
        };
        Self {
            every: Duration::from_secs(300),
            window: Duration::from_secs(24 * 3600),
            call_interval,
            page_size,
            // One paced call and a page's forwarding fit in it with room to spare.
            lease: call_interval * 3 + Duration::from_secs(10),
            distribution,
        }
    }
}

/// `HERALD_CATCH_UP_MINUTES` and `HERALD_SLACK_APP_DISTRIBUTION` over the defaults;
/// `installs` (OAuth on) makes the app distributed outside the Marketplace unless said
/// otherwise.
pub(super) fn catch_up(
    minutes: Option<String>,
    distribution: Option<String>,
    installs: bool,
) -> Result<CatchUpSettings, ConfigError> {
    let distribution = match non_empty(distribution).as_deref() {
        None if installs => Distribution::OutsideMarketplace,
        None => Distribution::Internal,
        Some("internal") => Distribution::Internal,
        Some("marketplace") => Distribution::Marketplace,
        Some("outside-marketplace") => Distribution::OutsideMarketplace,
        Some(_) => {
            return Err(invalid(
                "HERALD_SLACK_APP_DISTRIBUTION",
                "must be internal, marketplace or outside-marketplace",
            ));
        }
    };
    let mut settings = CatchUpSettings::for_distribution(distribution);
    if let Some(minutes) = in_range(
        minutes,
        1..=1440_u64,
        "HERALD_CATCH_UP_MINUTES",
        "must be a whole number of minutes from 1 to 1440",
    )? {
        settings.every = Duration::from_secs(minutes * 60);
    }
    Ok(settings)
}
