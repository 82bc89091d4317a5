//! Integration tests: the real Herald against the Slack emulator, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

#[path = "../support/slack_emulator.rs"]
mod slack_emulator;

#[path = "../support/fake_platform.rs"]
mod fake_platform;

mod callbacks;
mod cli;
mod commands;
mod delivery;
mod directory;
mod durability;
mod hardening;
mod helpers;
mod home;
mod install;
mod modals;
mod rule_tools;
mod threads;
mod transport;
mod webhook;
