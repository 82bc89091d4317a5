//! SQLite's one writer at a time, taken in-process, with the webhook first in line.
//!
//! SQLite lets one transaction write at a time. Herald's hot writers (the ingest writer,
//! the job claims and outcomes) take this gate before they acquire a connection, so they
//! queue on an async lock instead of meeting `SQLITE_BUSY`, whose handler sleeps 1, 2,
//! 5, 10… ms.
//!
//! A plain fair lock made a webhook's answer wait behind every worker already queued:
//! when a second's paced posts fall due together, each claim and each outcome is its own
//! commit, and the ingest writer's batch came after all of them (an ack p99 of 30 ms at
//! 500 events/s). Here the ingest writer goes [`Precedence::First`]: it waits at most
//! for the one write under way. Workers keep their order among themselves, and they
//! cannot be starved for long: the ingest writer takes every waiting request into one
//! batch, so it needs the gate once per commit, not once per event.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// Who waits for the gate: the ingest writer goes ahead of everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precedence {
    /// The webhook's writer: an answer someone waits for.
    First,
    /// Job claims, outcomes and other background writes, in arrival order.
    InLine,
}

#[derive(Default)]
struct State {
    held: bool,
    first: VecDeque<oneshot::Sender<Turn>>,
    in_line: VecDeque<oneshot::Sender<Turn>>,
}

#[derive(Clone, Default)]
pub(super) struct WriteGate {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("WriteGate")
            .field("held", &state.held)
            .field("waiting", &(state.first.len() + state.in_line.len()))
            .finish()
    }
}

/// The right to write; the gate passes to the next in line when it is dropped.
#[must_use = "the gate is released as soon as the turn is dropped"]
pub struct Turn {
    gate: WriteGate,
}

impl WriteGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the gate. A waiter that gives up (its future dropped) gives up its
    /// place, or, if the gate reached it meanwhile, passes it on.
    pub(super) async fn turn(&self, precedence: Precedence) -> Turn {
        let rx = {
            let mut state = self.lock();
            if !state.held {
                state.held = true;
                return Turn { gate: self.clone() };
            }
            let (tx, rx) = oneshot::channel();
            match precedence {
                Precedence::First => state.first.push_back(tx),
                Precedence::InLine => state.in_line.push_back(tx),
            }
            rx
        };
        // The sender is only dropped unsent by `release`, which never does that while a
        // receiver waits (a failed send hands the turn to the next waiter instead).
        rx.await
            .unwrap_or_else(|_| unreachable!("a waiter is always given its turn"))
    }

    /// Passes the gate to the next waiter, first the ingest writer, or opens it.
    fn release(&self) {
        let mut state = self.lock();
        loop {
            let Some(next) = state
                .first
                .pop_front()
                .or_else(|| state.in_line.pop_front())
            else {
                state.held = false;
                return;
            };
            match next.send(Turn { gate: self.clone() }) {
                Ok(()) => return,
                // That waiter gave up: its turn must not run `release` while this holds
                // the lock, so it is forgotten and the next waiter is tried.
                Err(turn) => std::mem::forget(turn),
            }
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.gate.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `turn` once: Some if it got the gate at once.
    fn now_or_never<F: std::future::Future>(f: F) -> Option<F::Output> {
        futures_util::FutureExt::now_or_never(f)
    }

    #[tokio::test]
    async fn the_ingest_writer_goes_ahead_of_workers_already_waiting() {
        let gate = WriteGate::default();
        let held = gate.turn(Precedence::InLine).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for (name, precedence) in [
            ("worker 1", Precedence::InLine),
            ("worker 2", Precedence::InLine),
            ("ingest", Precedence::First),
        ] {
            let (gate, order) = (gate.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let _turn = gate.turn(precedence).await;
                order.lock().unwrap().push(name);
            }));
            // Each is queued before the next one asks.
            tokio::task::yield_now().await;
        }
        drop(held);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["ingest", "worker 1", "worker 2"]);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_gate_to_the_next() {
        let gate = WriteGate::default();
        let held = gate.turn(Precedence::InLine).await;
        // Queued, then dropped before the gate reaches it.
        let gone = gate.turn(Precedence::First);
        assert!(now_or_never(gone).is_none());
        let next = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _turn = gate.turn(Precedence::InLine).await;
            }
        });
        tokio::task::yield_now().await;
        drop(held);
        next.await.unwrap();
        // And the gate is open again afterwards.
        assert!(now_or_never(gate.turn(Precedence::InLine)).is_some());
    }

    #[tokio::test]
    async fn a_turn_handed_to_a_waiter_that_then_gives_up_is_passed_on() {
        let gate = WriteGate::default();
        let held = gate.turn(Precedence::InLine).await;
        let mut late = Box::pin(gate.turn(Precedence::InLine));
        assert!(now_or_never(late.as_mut()).is_none());
        // The gate is handed to `late` (its turn waits in the channel), and `late` is
        // dropped without taking it: the turn inside is dropped and releases the gate.
        drop(held);
        drop(late);
        assert!(now_or_never(gate.turn(Precedence::InLine)).is_some());
    }
}
