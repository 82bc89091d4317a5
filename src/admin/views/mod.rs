//! Block Kit and texts of the admin surface, pure: every view is built from values, so
//! each is tested without Slack (the architecture test holds them free of I/O).

pub mod home;
pub mod home_history;
pub mod known_types;
pub mod preview;
pub mod rule_hours;
pub mod rule_modal;
pub mod rule_options;
pub mod rule_read;
pub mod small_modals;
pub mod texts;
pub mod texts_audit;
pub mod texts_connect;
pub mod texts_help;
pub mod why;
