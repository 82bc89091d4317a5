//! Labelled counters whose memory is bounded whatever the input: each label keeps at
//! most [`MAX_VALUES`] distinct values, and a new value past that is counted as
//! [`OTHER`]. Label values can come from outside (Slack's error codes, and, through a
//! mistake, anything a client sends), and a series per value would let a client grow
//! Herald's memory without end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Distinct values kept per label before new ones fold into [`OTHER`].
pub const MAX_VALUES: usize = 64;

/// The value a label takes once its distinct values are used up.
pub const OTHER: &str = "other";

#[derive(Default)]
struct State {
    series: BTreeMap<Vec<String>, u64>,
    /// Per label, the values seen so far.
    seen: Vec<BTreeSet<String>>,
}

/// A counter family's series, keyed by their label values (in `labels` order).
pub struct Counters {
    labels: &'static [&'static str],
    state: Mutex<State>,
}

impl Counters {
    pub fn new(labels: &'static [&'static str]) -> Self {
        Self {
            labels,
            state: Mutex::new(State {
                series: BTreeMap::new(),
                seen: vec![BTreeSet::new(); labels.len()],
            }),
        }
    }

    /// The label names, in the order values are given.
    pub fn labels(&self) -> &'static [&'static str] {
        self.labels
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while counting leaves the counts usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `n` to the series of `values` (one per label).
    pub fn add(&self, values: &[&str], n: u64) {
        debug_assert_eq!(values.len(), self.labels.len(), "one value per label");
        let mut state = self.lock();
        let key: Vec<String> = values
            .iter()
            .zip(state.seen.iter_mut())
            .map(|(value, seen)| {
                if seen.contains(*value) {
                    (*value).to_string()
                } else if seen.len() < MAX_VALUES {
                    seen.insert((*value).to_string());
                    (*value).to_string()
                } else {
                    OTHER.to_string()
                }
            })
            .collect();
        *state.series.entry(key).or_default() += n;
    }

    pub fn inc(&self, values: &[&str]) {
        self.add(values, 1);
    }

    /// Every series and its count, in label order.
    pub fn snapshot(&self) -> Vec<(Vec<String>, u64)> {
        self.lock()
            .series
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_series() {
        let c = Counters::new(&["method", "error"]);
        c.inc(&["chat.postMessage", "ok"]);
        c.inc(&["chat.postMessage", "ok"]);
        c.add(&["auth.test", "invalid_auth"], 3);
        assert_eq!(
            c.snapshot(),
            [
                (vec!["auth.test".into(), "invalid_auth".into()], 3),
                (vec!["chat.postMessage".into(), "ok".into()], 2),
            ]
        );
    }

    #[test]
    fn values_past_the_cap_fold_into_other_and_memory_stays_bounded() {
        let c = Counters::new(&["method", "error"]);
        for n in 0..10_000 {
            c.inc(&["chat.postMessage", &format!("code_{n}")]);
        }
        let series = c.snapshot();
        assert_eq!(series.len(), MAX_VALUES + 1, "the kept values and `other`");
        let other = series.iter().find(|(k, _)| k[1] == OTHER).map(|(_, n)| *n);
        assert_eq!(other, Some(10_000 - MAX_VALUES as u64));
        // A value seen before the cap keeps its own series.
        c.inc(&["chat.postMessage", "code_0"]);
        let first = c.snapshot().into_iter().find(|(k, _)| k[1] == "code_0");
        assert_eq!(first.map(|(_, n)| n), Some(2));
    }

    #[test]
    fn each_label_has_its_own_cap() {
        let c = Counters::new(&["a", "b"]);
        for n in 0..MAX_VALUES + 5 {
            c.inc(&[&format!("a{n}"), "same"]);
        }
        let snapshot = c.snapshot();
        assert!(snapshot.iter().all(|(k, _)| k[1] == "same"));
        assert_eq!(snapshot.len(), MAX_VALUES + 1);
    }
}
