//! Who Herald serves: the installed workspaces and their webhook connections (with their
//! sealed secrets), each workspace's settings and rules, all cached in front of the store;
//! and the one way a workspace stops being served ([`lifecycle::disconnect`]).

pub mod lifecycle;
pub mod people;
pub mod pinned;
pub mod registry;
pub mod rekey;
pub mod rules;
pub mod settings;

pub use registry::{
    Connection, MAX_CONNECTION_ID, Workspace, Workspaces, is_connection_id, secret_context,
    token_context,
};
pub use rekey::{RekeyError, rekey};
pub use rules::RuleCache;
pub use settings::WorkspaceSettings;
