//! Herald: platform webhooks become Slack notifications, durably.
//!
//! # Layout
//! - [`config`]: settings from flags and env, validated once; secrets redacted.
//! - [`catalog`], [`model`]: event types with ja/en labels; rules, mentions, events.
//! - [`router`], [`render`]: pure routing and Block Kit rendering.
//! - [`webhook`], [`ingest`]: the signed platform endpoint; events and jobs stored in one
//!   (group-committed) transaction.
//! - [`delivery`]: job workers posting to Slack with pacing, retries and error reports.
//! - [`slack`]: the Web API client and the HTTP / Socket Mode transports.
//! - [`store`]: SQLite or PostgreSQL through one portable schema.
//! - [`admin`]: the `/herald` slash command.
//! - [`app`]: the one entry `main` and the tests share.

pub mod admin;
pub mod app;
pub mod bot;
pub mod config;
pub mod conversations;
pub mod core;
pub mod crypto;
pub mod delivery;
pub mod directory;
pub mod ingest;
pub mod install;
pub mod jobs;
pub mod platform;
pub mod rate_limit;
pub mod slack;
pub mod store;
pub mod webhook;
pub mod workspace;

pub use app::{App, AppState};
