//! Workspaces Herald posts to and the webhook connections that feed them.
//!
//! Two sources, one lookup: single-workspace mode pins the bot token's workspace (found
//! with `auth.test` at start) and one connection, `default`, signed with
//! `HERALD_WEBHOOK_SECRET`; installs ("Add to Slack") live in the store with their token
//! and secrets sealed, and are opened on first use and cached briefly. Every caller asks
//! by `team_id` or connection id, so a workspace only ever sees its own.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::config::{Secret, WebhookSecret};
use crate::core::catalog::Lang;
use crate::crypto::Sealer;
use crate::store::{Store, StoreError, now_ms};

#[derive(Debug, Clone)]
pub struct Workspace {
    pub team_id: String,
    pub team_name: String,
    pub bot_user_id: String,
    pub bot_token: Secret,
    pub lang: Lang,
}

#[derive(Clone)]
pub struct Connection {
    pub id: String,
    pub team_id: String,
    /// Current key first; a previous key stays valid during a rotation's grace period.
    pub keys: Vec<Vec<u8>>,
}

/// The keys are webhook secrets: `Debug` shows how many there are, never their bytes.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("team_id", &self.team_id)
            .field("keys", &format_args!("[*** x{}]", self.keys.len()))
            .finish()
    }
}

/// What a sealed bot token is bound to: it opens for this workspace only.
pub fn token_context(team_id: &str) -> String {
    format!("bot-token:{team_id}")
}

/// What a sealed webhook secret is bound to.
pub fn secret_context(connection_id: &str) -> String {
    format!("webhook-secret:{connection_id}")
}

/// Installs and rotations made by another process are seen within this time.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// The longest connection id Herald makes (`conn_` + 27 hex digits) with room to spare.
pub const MAX_CONNECTION_ID: usize = 64;

/// Bytes the connection cache may hold in all (keys, secrets and per-entry overhead):
/// a flood of unknown ids evicts older misses instead of growing the process.
const CONNECTION_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Whether `id` can be a connection id at all: `default` or `conn_…`, ASCII letters,
/// digits, `_` and `-`, at most [`MAX_CONNECTION_ID`] bytes. Anything else is unknown
/// without asking the store or the cache (whose keys must stay small).
pub fn is_connection_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CONNECTION_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Clone)]
pub struct Workspaces {
    pinned: Option<Arc<(Workspace, Connection)>>,
    store: Store,
    sealer: Option<Arc<Sealer>>,
    lang: Lang,
    workspaces: Cache<String, Option<Workspace>>,
    connections: Cache<String, Option<Connection>>,
}

impl Workspaces {
    pub fn new(
        store: Store,
        sealer: Option<Arc<Sealer>>,
        lang: Lang,
        pinned: Option<(Workspace, Connection)>,
    ) -> Self {
        Self {
            pinned: pinned.map(Arc::new),
            store,
            sealer,
            lang,
            workspaces: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CACHE_TTL)
                .build(),
            connections: Cache::builder()
                .weigher(|id: &String, connection: &Option<Connection>| {
                    let keys = connection.as_ref().map_or(0, |c| {
                        c.keys.iter().map(Vec::len).sum::<usize>() + c.team_id.len()
                    });
                    u32::try_from(id.len() + keys + 128).unwrap_or(u32::MAX)
                })
                .max_capacity(CONNECTION_CACHE_BYTES)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }

    /// The sealer for secrets at rest; None when no encryption key is configured.
    pub fn sealer(&self) -> Option<&Sealer> {
        self.sealer.as_deref()
    }

    /// The workspace with a usable token, None if Herald is not (or no longer) installed,
    /// and the store's error when it cannot tell.
    pub async fn workspace(&self, team_id: &str) -> Result<Option<Workspace>, StoreError> {
        if let Some(pinned) = &self.pinned
            && pinned.0.team_id == team_id
        {
            return Ok(Some(pinned.0.clone()));
        }
        let (store, sealer, lang) = (self.store.clone(), self.sealer.clone(), self.lang);
        let team = team_id.to_string();
        let loaded = self
            .workspaces
            .try_get_with(team_id.to_string(), async move {
                let Some(row) = store.installed_workspace(&team).await? else {
                    return Ok::<_, StoreError>(None);
                };
                let (Some(sealed), Some(sealer)) = (row.bot_token_sealed, sealer) else {
                    return Ok(None);
                };
                match sealer.open(&sealed, &token_context(&team)) {
                    Ok(token) => Ok(Some(Workspace {
                        team_id: row.team_id,
                        team_name: row.team_name,
                        bot_user_id: row.bot_user_id,
                        bot_token: Secret::new(token),
                        lang,
                    })),
                    Err(err) => {
                        tracing::error!(team_id = %team, error = %err, "the stored bot token does not open");
                        Ok(None)
                    }
                }
            })
            .await;
        loaded.map_err(|err| StoreError::Shared(err.to_string()))
    }

    /// The webhook connection and the keys that may sign its requests.
    pub async fn connection(
        &self,
        connection_id: &str,
    ) -> Result<Option<Connection>, Arc<StoreError>> {
        if let Some(pinned) = &self.pinned
            && pinned.1.id == connection_id
        {
            return Ok(Some(pinned.1.clone()));
        }
        if !is_connection_id(connection_id) {
            return Ok(None);
        }
        let (store, sealer) = (self.store.clone(), self.sealer.clone());
        let id = connection_id.to_string();
        self.connections
            .try_get_with(connection_id.to_string(), async move {
                let Some(row) = store.connection(&id).await? else {
                    return Ok::<_, StoreError>(None);
                };
                let Some(sealer) = sealer else {
                    return Ok(None);
                };
                let open = |sealed: &str| {
                    sealer
                        .open(sealed, &secret_context(&id))
                        .map_err(|e| e.to_string())
                        .and_then(|s| WebhookSecret::parse(&s))
                        .map(|s| s.key().to_vec())
                        .inspect_err(|err| {
                            tracing::error!(connection = %id, error = %err, "a stored webhook secret does not open");
                        })
                        .ok()
                };
                let mut keys: Vec<Vec<u8>> = open(&row.secret_sealed).into_iter().collect();
                if let (Some(previous), Some(until)) =
                    (row.previous_secret_sealed.as_deref(), row.previous_valid_until)
                    && until > now_ms()
                {
                    keys.extend(open(previous));
                }
                Ok(Some(Connection {
                    id: row.id,
                    team_id: row.team_id,
                    keys,
                }))
            })
            .await
    }

    /// How many connections (and misses) are cached, after pending maintenance.
    pub async fn cached_connections(&self) -> u64 {
        self.connections.run_pending_tasks().await;
        self.connections.entry_count()
    }

    /// Forgets what is cached about a workspace and its connections (after an install,
    /// a rotation or a disconnect in this process).
    pub async fn invalidate(&self, team_id: &str) {
        self.workspaces.invalidate(team_id).await;
        // Connections are few per workspace and cheap to reload: drop them all rather
        // than keep an index from team to connection.
        self.connections.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_are_short_and_plain() {
        for ok in [
            "default",
            "conn_0193a2b4c5d6e0123456789abcdef",
            "a",
            &"x".repeat(64),
        ] {
            assert!(is_connection_id(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "../etc",
            "a b",
            "conn_é",
            "a/b",
            "a%00",
            "a\0b",
        ] {
            assert!(!is_connection_id(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn ids_that_cannot_be_connections_are_never_looked_up_nor_cached() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let registry = Workspaces::new(store, None, Lang::En, None);
        for n in 0..50 {
            let id = format!("{n}{}", "z".repeat(60 * 1024));
            assert!(registry.connection(&id).await.unwrap().is_none());
        }
        assert_eq!(registry.cached_connections().await, 0);
        // A well-formed unknown id is a miss worth caching: it is small.
        assert!(registry.connection("conn_unknown").await.unwrap().is_none());
        assert_eq!(registry.cached_connections().await, 1);
    }

    #[test]
    fn a_connection_never_prints_its_keys() {
        let connection = Connection {
            id: "conn_1".into(),
            team_id: "T1".into(),
            keys: vec![b"current-webhook-key".to_vec(), vec![0xAB; 4]],
        };
        let printed = format!("{connection:?}");
        assert!(
            printed.contains("conn_1") && printed.contains("x2"),
            "{printed}"
        );
        for leak in ["current", "99, 117", "171"] {
            assert!(!printed.contains(leak), "{leak} in {printed}");
        }
    }
}
