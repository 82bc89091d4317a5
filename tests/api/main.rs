//! Integration tests: the real Herald against the Slack emulator, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

use emulator::slack as slack_emulator;

use emulator::platform as fake_platform;

mod alerts_only;
mod assignment_dm;
mod attachments;
mod callbacks;
mod catch_up;
mod cli;
mod commands;
mod conditions;
mod delivery;
mod directory;
mod dm_targets;
mod durability;
mod fairness;
mod faults;
mod grouping;
mod hardening;
mod helpers;
mod history;
mod home;
mod hours;
mod install;
mod invariants;
mod log_export;
mod metrics;
mod modals;
mod parent_story;
mod person_language;
mod process_crash;
mod reactions;
mod retention;
mod rule_tools;
mod scale_out;
mod security;
mod slack_connect;
mod socket_mode;
mod templates;
mod threads;
mod transport;
mod webhook;
mod worker;
