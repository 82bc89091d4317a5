//! A local Slack and a fake business platform, shared by Herald's tests, benchmarks and
//! its playground (`herald try`).
//!
//! - [`slack`]: Slack's Web API, Socket Mode, OAuth v2 and views, with the state of the
//!   workspaces behind them, faults to inject and every call recorded.
//! - [`platform`]: a business platform receiving Herald's callbacks and verifying their
//!   Standard Webhooks signatures.
//!
//! Neither names anything of Herald's: both follow Slack's documentation and fixtures and
//! the Standard Webhooks spec, so Herald is tested against them and not against itself.

pub mod platform;
pub mod slack;
