//! The pure core: ids, the event catalog, rules, the platform event and its parser, the
//! router and Block Kit rendering. Nothing here does I/O or names a module outside
//! `core`, so every decision in it is tested with plain values.

pub mod catalog;
pub mod conditions;
pub mod csv;
pub mod event;
pub mod event_parse;
pub mod file_link;
pub mod group;
pub mod hours;
pub mod ids;
pub mod render;
pub mod router;
pub mod rule;
pub mod rule_set;
pub mod rules_json;
pub mod signature;
pub mod storable;
pub mod template;
