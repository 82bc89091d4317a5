//! The log's rows of a time range, page after page: first the events (each with its
//! deliveries), oldest first, then the callbacks to the platform. A page is a few
//! hundred events or callbacks, so 100,000 rows never sit in memory at once.

use std::collections::HashMap;

use crate::core::csv;
use crate::delivery::callback::KIND as CALLBACK;
use crate::store::{LogCursor, LoggedJob, Store, StoreError};

use super::Request;
use super::rows::{callback_row, event_rows};

/// Events (or callbacks) read per page.
const PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Events,
    Callbacks,
    Done,
}

/// Reads the log's rows as CSV records.
pub struct LogReader<'a> {
    store: &'a Store,
    request: &'a Request,
    phase: Phase,
    after: Option<LogCursor>,
}

impl<'a> LogReader<'a> {
    pub fn new(store: &'a Store, request: &'a Request) -> Self {
        Self {
            store,
            request,
            phase: Phase::Events,
            after: None,
        }
    }

    /// The next page's records (CRLF-terminated), None once every row was read. A page
    /// may be empty (a page of Herald's own unrouted events has no row).
    pub async fn next_page(&mut self) -> Result<Option<Vec<String>>, StoreError> {
        let range = (self.request.since_ms, self.request.until_ms);
        let team = self.request.team_id.as_str();
        let style = self.request.style;
        match self.phase {
            Phase::Done => Ok(None),
            Phase::Events => {
                let events = self
                    .store
                    .logged_events(team, range, self.after.as_ref(), PAGE)
                    .await?;
                self.advance(
                    events.last().map(|e| (e.received_at, e.id.clone())),
                    events.len(),
                );
                let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
                let jobs = self.store.logged_jobs_of(team, &ids, CALLBACK).await?;
                let mut by_event: HashMap<&str, Vec<&LoggedJob>> = HashMap::new();
                for job in &jobs {
                    by_event.entry(job.event_id.as_str()).or_default().push(job);
                }
                let mut records = Vec::with_capacity(events.len() + jobs.len());
                for event in &events {
                    let own = by_event.remove(event.id.as_str()).unwrap_or_default();
                    records.extend(
                        event_rows(event, &own, style)
                            .iter()
                            .map(|r| csv::record(r.as_slice())),
                    );
                }
                Ok(Some(records))
            }
            Phase::Callbacks => {
                let callbacks = self
                    .store
                    .logged_callbacks(team, CALLBACK, range, self.after.as_ref(), PAGE)
                    .await?;
                self.advance(
                    callbacks.last().map(|j| (j.created_at, j.id.clone())),
                    callbacks.len(),
                );
                Ok(Some(
                    callbacks
                        .iter()
                        .map(|j| csv::record(callback_row(j, style).as_slice()))
                        .collect(),
                ))
            }
        }
    }

    /// Moves past a page of `read` rows ending at `last`; a short page ends its phase.
    fn advance(&mut self, last: Option<LogCursor>, read: usize) {
        if read < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            self.phase = match self.phase {
                Phase::Events => Phase::Callbacks,
                Phase::Callbacks | Phase::Done => Phase::Done,
            };
            self.after = None;
        } else {
            self.after = last;
        }
    }
}
