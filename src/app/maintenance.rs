//! Housekeeping loops: SQLite's WAL checkpoint and the retention purge.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Keeps SQLite's write-ahead log short, off the request path (see `Store::checkpoint`).
pub async fn checkpoint_periodically(store: Store, shutdown: CancellationToken) {
    if store.backend() != crate::store::Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(err) = store.checkpoint().await {
            tracing::warn!(error = %err, "WAL checkpoint failed");
        }
    }
}

/// Events and delivery outcomes are kept this long (the error log is exportable for a year).
pub const RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);
/// Slack retries an event for minutes; a day of receipts is plenty to de-duplicate.
pub const RECEIPT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Deletes what is past retention, a minute after start and then every six hours.
pub async fn purge_periodically(store: Store, shutdown: CancellationToken) {
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return,
        }
        let now = crate::store::now_ms();
        let before = now - crate::store::duration_ms(RETENTION);
        let receipts_before = now - crate::store::duration_ms(RECEIPT_RETENTION);
        match store.purge(before, receipts_before).await {
            Ok(purged) => tracing::info!(?purged, "retention purge done"),
            Err(err) => tracing::error!(error = %err, "retention purge failed"),
        }
        wait = Duration::from_secs(6 * 3600);
    }
}
