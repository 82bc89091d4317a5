//! The durable job queue's runtime pieces that know no job kind: per-channel pacing and
//! the PostgreSQL wake-up listener.

pub mod pacing;
pub mod wakeup;

pub use pacing::{Pacer, Pacing, Slot};
