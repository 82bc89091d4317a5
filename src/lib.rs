//! Herald: platform webhooks become Slack notifications, durably.
//!
//! # Layout
//!
//! Layered: a module imports only from layers below it (`tests/layers.rs` checks this;
//! `docs/architecture.md` draws it).
//!
//! - L0 [`core`]: pure. Ids, the event catalog (ja/en labels), rules and the rules file,
//!   the platform event and its parser, the router, Block Kit rendering, signatures.
//! - L1 capabilities, no business decisions: [`store`] (SQLite or PostgreSQL through one
//!   schema), [`slack`] (Web API client, the HTTP and Socket Mode transports behind
//!   [`slack::SlackHandler`], Slack Connect), [`platform`] (signed callbacks and the
//!   address policy), [`config`], [`crypto`], [`rate_limit`], [`tls`] (the HTTPS
//!   connector both outbound clients use), [`metrics`] (in-memory counters and the
//!   Prometheus text format; it names no other module, so every layer records into it).
//! - L2 [`jobs`] (the queue runtime: the `Job` trait, `enqueue`, the worker that alone
//!   records each attempt's `Outcome`; per-channel pacing, the PostgreSQL wake-up) and
//!   [`workspace`] (who
//!   Herald serves: workspaces and connections, their settings, rules cache, people, and
//!   the one disconnect).
//! - L3 [`ingest`]: an event and its routed jobs in one group-committed transaction.
//! - L4 features, each with its own context: [`webhook`] (the platform endpoint),
//!   [`delivery`] (the job kinds that leave Herald: `slack.post` with its threads,
//!   `platform.callback`, and the error report of a failed job),
//!   [`conversations`] (threads to and from the platform), [`directory`] (channels,
//!   people, groups), [`history`] (what happened to events: `/herald why`, the
//!   event types no rule takes), [`log_export`] (the error log as CSV: `/herald log`,
//!   `herald log export`), [`admin`] (`/herald`, modals, App Home), [`install`]
//!   ("Add to Slack").
//! - L5 [`bot`]: Herald's one [`slack::SlackHandler`]; Slack's input to the features.
//! - L6 [`app`]: wiring only; builds everything, cuts each feature's context from
//!   [`AppState`] and runs it.
//! - L7 [`playground`]: `herald try`, the app beside a local Slack and platform (the
//!   `emulator` crate) with a page that works like a Slack client.

pub mod admin;
pub mod app;
pub mod bot;
pub mod config;
pub mod conversations;
pub mod core;
pub mod crypto;
pub mod delivery;
pub mod directory;
pub mod history;
pub mod ingest;
pub mod install;
pub mod jobs;
pub mod log_export;
pub mod metrics;
pub mod platform;
pub mod playground;
pub mod rate_limit;
pub mod slack;
pub mod store;
pub mod tls;
pub mod webhook;
pub mod workspace;

pub use app::{App, AppState};
