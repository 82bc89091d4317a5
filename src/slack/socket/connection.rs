//! One Socket Mode connection: reads Slack's frames, hands envelopes to the handler and
//! writes their acks, pings Slack, and tells the pool when it is live, when it should
//! be replaced (Slack's `disconnect`, or its expected lifetime running out) and when it
//! has ended. It never reconnects itself: the pool opens the replacement first.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

use tokio_util::task::TaskTracker;

use super::frames::{self, Body, Envelope, Frame};
use super::status::SocketStatus;
use crate::config::SocketTiming;
use crate::slack::SlackError;
use crate::slack::handler::{EventAck, FirstUse, SlackHandler};

/// What a connection tells the pool.
#[derive(Debug)]
pub(super) enum Report {
    /// Slack said `hello`: events can arrive here.
    Live { id: u64 },
    /// Open a replacement: Slack asked (`disconnect`) or the lifetime is nearly over.
    Replace { id: u64, why: &'static str },
    /// `apps.connections.open` failed: no connection was opened.
    OpenFailed { id: u64, error: SlackError },
    /// The connection is gone (or its WebSocket never opened).
    Ended {
        id: u64,
        why: &'static str,
        detail: String,
    },
}

/// What every connection of a pool shares.
#[derive(Clone)]
pub(super) struct Shared<H> {
    pub handler: H,
    pub timing: SocketTiming,
    pub status: SocketStatus,
    pub reports: mpsc::UnboundedSender<Report>,
    /// Envelopes being handled are tracked, so a shutdown lets them finish.
    pub tracker: TaskTracker,
}

/// Runs one connection to `url` until it ends or `close` turns true.
pub(super) async fn run<H: SlackHandler>(
    id: u64,
    url: String,
    shared: Shared<H>,
    mut close: watch::Receiver<bool>,
) {
    let (why, detail, was_live) = serve(id, &url, &shared, &mut close).await;
    if was_live {
        shared.status.went_down();
    }
    let _ = shared.reports.send(Report::Ended { id, why, detail });
}

async fn serve<H: SlackHandler>(
    id: u64,
    url: &str,
    shared: &Shared<H>,
    close: &mut watch::Receiver<bool>,
) -> (&'static str, String, bool) {
    let Shared {
        handler,
        timing,
        status,
        reports,
        tracker,
    } = shared;
    let mut ws = match timeout(
        timing.connect_timeout,
        tokio_tungstenite::connect_async(url),
    )
    .await
    {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(err)) => return ("connect_failed", err.to_string(), false),
        Err(_) => {
            return (
                "connect_failed",
                "the WebSocket did not open in time".into(),
                false,
            );
        }
    };
    let (acks_tx, mut acks) = mpsc::unbounded_channel::<String>();
    let mut last_seen = Instant::now();
    let mut ping =
        tokio::time::interval_at(Instant::now() + timing.ping_interval, timing.ping_interval);
    let mut refresh_at: Option<Instant> = None;
    let mut live = false;
    loop {
        let refresh = async {
            match refresh_at {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = ws.next() => {
                last_seen = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => match frames::parse(text.as_str()) {
                        Frame::Hello { lifetime } => {
                            if !live {
                                live = true;
                                status.went_live();
                                let _ = reports.send(Report::Live { id });
                            }
                            refresh_at = lifetime.map(|l| Instant::now() + l.saturating_sub(timing.refresh_margin));
                        }
                        Frame::Disconnect { reason } => {
                            tracing::info!(connection = id, reason = reason.as_str(), "Slack will close a Socket Mode connection");
                            let _ = reports.send(Report::Replace { id, why: reason.as_str() });
                        }
                        Frame::Envelope(envelope) => {
                            status.envelope();
                            tracker.spawn(dispatch(handler.clone(), envelope, acks_tx.clone()));
                        }
                        Frame::Unreadable { envelope_id, error } => {
                            tracing::warn!(connection = id, %error, "a Socket Mode frame Herald cannot read");
                            // Acknowledged, so Slack does not redeliver what can never be handled.
                            if let Some(envelope_id) = envelope_id {
                                let _ = acks_tx.send(frames::ack(&envelope_id, None));
                            }
                        }
                    },
                    Some(Ok(Message::Close(frame))) => {
                        return ("closed_by_slack", format!("{frame:?}"), live);
                    }
                    Some(Ok(_)) => {} // pings are answered by tungstenite; pongs only count as seen
                    Some(Err(err)) => return ("error", err.to_string(), live),
                    None => return ("closed", "the WebSocket ended".into(), live),
                }
            }
            Some(ack) = acks.recv() => {
                if let Err(err) = ws.send(Message::Text(ack.into())).await {
                    return ("error", format!("could not acknowledge: {err}"), live);
                }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > timing.stale_after {
                    // Nothing arrived, not even a pong: the socket is silent without
                    // having closed. Dropped without a close handshake, which would wait
                    // on the same silence.
                    return ("stale", format!("nothing from Slack for {:?}", last_seen.elapsed()), live);
                }
                if let Err(err) = ws.send(Message::Ping(Vec::new().into())).await {
                    return ("error", format!("could not ping: {err}"), live);
                }
            }
            () = refresh => {
                refresh_at = None;
                let _ = reports.send(Report::Replace { id, why: "lifetime" });
            }
            _ = close.changed() => {
                let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                return ("closed_by_herald", String::new(), live);
            }
        }
    }
}

/// Handles one envelope and queues its ack. An event that could not be handled, or is
/// being handled elsewhere, is not acknowledged: Slack delivers it again. A command or
/// an interaction is handled once per envelope id, so Slack's redelivery of one whose
/// ack was lost is acknowledged without running it again.
async fn dispatch<H: SlackHandler>(
    handler: H,
    envelope: Envelope,
    acks: mpsc::UnboundedSender<String>,
) {
    let Envelope {
        id,
        retry_attempt,
        body,
    } = envelope;
    if retry_attempt > 0 {
        tracing::info!(envelope = %id, retry_attempt, "Slack redelivered an envelope");
    }
    let first_use = || async {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        handler
            .first_use(&format!("socket-envelope:{id}"), now)
            .await
    };
    let payload = match body {
        Body::Event(callback) => match handler.event(*callback).await {
            EventAck::Done => None,
            EventAck::InProgress | EventAck::Failed => return,
        },
        Body::Command(command) => match first_use().await {
            FirstUse::Yes => frames::command_payload(&handler.command(*command).await),
            FirstUse::Replayed => None,
            FirstUse::Unavailable => return,
        },
        Body::Interaction(interaction) => {
            // Picker searches only read: answered every time.
            let reads_only = matches!(
                *interaction,
                slack_morphism::prelude::SlackInteractionEvent::BlockSuggestion(_)
            );
            match if reads_only {
                FirstUse::Yes
            } else {
                first_use().await
            } {
                FirstUse::Yes => {
                    frames::interaction_payload(&handler.interaction(*interaction).await)
                }
                FirstUse::Replayed => None,
                FirstUse::Unavailable => return,
            }
        }
    };
    let _ = acks.send(frames::ack(&id, payload));
}
