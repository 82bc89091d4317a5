//! What a conversation job does, decided from facts read before it: pure, so every case
//! is one row of a table test. `delivery::thread` reads the facts, asks here, and runs
//! the step.

use crate::core::catalog::ConversationKind;
use crate::core::rule::Lifecycle;

/// The first question: does the job change a message Herald already posted?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditStep {
    /// An edit or deletion of a posted message: that message is updated or deleted.
    Follow,
    /// A deletion of a message Herald never posted: nothing to do.
    NothingToDelete,
    /// Anything else (an edit of a message never posted is posted as new).
    Post,
}

/// `placed`: None when the event carries no message, else whether Herald posted it.
pub fn edit_step(kind: Option<ConversationKind>, placed: Option<bool>) -> EditStep {
    use ConversationKind::{MessageDeleted, MessageUpdated};
    match (kind, placed) {
        (Some(MessageUpdated | MessageDeleted), Some(true)) => EditStep::Follow,
        (Some(MessageDeleted), Some(false)) => EditStep::NothingToDelete,
        _ => EditStep::Post,
    }
}

/// Where a post goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStep {
    /// No open thread (the first event, or the first after a close): a new parent, with
    /// an imported history following it when the event is one.
    OpenParent { history: bool },
    /// A history into the open thread.
    ImportHistory,
    /// A reply in the open thread.
    Reply,
}

pub fn post_step(kind: Option<ConversationKind>, thread_open: bool) -> PostStep {
    let history = kind == Some(ConversationKind::History);
    match (thread_open, history) {
        (false, history) => PostStep::OpenParent { history },
        (true, true) => PostStep::ImportHistory,
        (true, false) => PostStep::Reply,
    }
}

/// How a reply shows a state change (assigned, closed, a booking cancelled…), as the
/// rule's lifecycle chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyStyle {
    /// Also to the channel (`reply_broadcast`).
    pub broadcast: bool,
    /// Mention the conversation's owner, since only the thread shows it.
    pub ping_owner: bool,
    /// Put the state on the parent too.
    pub edit_parent: bool,
}

pub fn reply_style(state_change: bool, lifecycle: Lifecycle) -> ReplyStyle {
    ReplyStyle {
        broadcast: state_change && lifecycle == Lifecycle::Broadcast,
        ping_owner: state_change && lifecycle == Lifecycle::ThreadOnly,
        edit_parent: state_change && lifecycle == Lifecycle::EditParent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationKind::{Closed, History, MessageCreated, MessageDeleted, MessageUpdated};

    #[test]
    fn edits_and_deletions_follow_what_was_posted() {
        for (kind, placed, want) in [
            (Some(MessageUpdated), Some(true), EditStep::Follow),
            (Some(MessageDeleted), Some(true), EditStep::Follow),
            (Some(MessageDeleted), Some(false), EditStep::NothingToDelete),
            (Some(MessageUpdated), Some(false), EditStep::Post),
            (Some(MessageDeleted), None, EditStep::Post),
            (Some(MessageCreated), Some(true), EditStep::Post),
            (Some(History), Some(true), EditStep::Post),
            (None, None, EditStep::Post),
        ] {
            assert_eq!(edit_step(kind, placed), want, "{kind:?} {placed:?}");
        }
    }

    #[test]
    fn a_post_opens_a_parent_unless_a_thread_is_open() {
        for (kind, open, want) in [
            (
                Some(MessageCreated),
                false,
                PostStep::OpenParent { history: false },
            ),
            (Some(History), false, PostStep::OpenParent { history: true }),
            (Some(Closed), false, PostStep::OpenParent { history: false }),
            (Some(MessageCreated), true, PostStep::Reply),
            (Some(Closed), true, PostStep::Reply),
            (Some(History), true, PostStep::ImportHistory),
            (None, true, PostStep::Reply),
        ] {
            assert_eq!(post_step(kind, open), want, "{kind:?} open={open}");
        }
    }

    #[test]
    fn a_state_change_shows_as_the_rule_chose_and_a_message_never_does() {
        let none = ReplyStyle {
            broadcast: false,
            ping_owner: false,
            edit_parent: false,
        };
        for (change, lifecycle, want) in [
            (
                true,
                Lifecycle::EditParent,
                ReplyStyle {
                    edit_parent: true,
                    ..none
                },
            ),
            (
                true,
                Lifecycle::ThreadOnly,
                ReplyStyle {
                    ping_owner: true,
                    ..none
                },
            ),
            (
                true,
                Lifecycle::Broadcast,
                ReplyStyle {
                    broadcast: true,
                    ..none
                },
            ),
            (false, Lifecycle::EditParent, none),
            (false, Lifecycle::ThreadOnly, none),
            (false, Lifecycle::Broadcast, none),
        ] {
            assert_eq!(
                reply_style(change, lifecycle),
                want,
                "{change} {lifecycle:?}"
            );
        }
    }
}
