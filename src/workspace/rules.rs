//! Each workspace's rules, cached in front of the store for routing.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::core::rule_set::RuleSet;
use crate::store::{Store, StoreError};

/// Rules per workspace, indexed for routing and cached briefly: routing runs on every webhook, rules change
/// rarely. Changes made in this process invalidate at once; other processes (the CLI,
/// other replicas) are seen within the time to live.
#[derive(Clone)]
pub struct RuleCache {
    store: Store,
    cache: Cache<String, Arc<RuleSet>>,
}

impl RuleCache {
    pub fn new(store: Store) -> Self {
        let cache = Cache::builder()
            .max_capacity(10_000)
            .time_to_live(Duration::from_secs(5))
            .build();
        Self { store, cache }
    }

    pub async fn rules(&self, team_id: &str) -> Result<Arc<RuleSet>, Arc<StoreError>> {
        let store = self.store.clone();
        let team = team_id.to_string();
        self.cache
            .try_get_with(team_id.to_string(), async move {
                store
                    .rules(&team)
                    .await
                    .map(|rules| Arc::new(RuleSet::new(rules)))
            })
            .await
    }

    pub async fn invalidate(&self, team_id: &str) {
        self.cache.invalidate(team_id).await;
    }
}
