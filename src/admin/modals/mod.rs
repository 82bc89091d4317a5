//! The admin modals, one file per `callback_id`: the rule modal (add, edit, its live
//! preview and test button), delete, import and disconnect.

pub mod delete;
pub mod disconnect;
pub mod import;
pub mod rule;
