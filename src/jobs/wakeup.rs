//! Several Herald processes on one PostgreSQL database: a job ingested by one process is
//! picked up at once by an idle worker of any process. Each commit that inserts jobs
//! sends `NOTIFY herald_jobs` (see `store::insert_jobs`); this listener, one per process,
//! wakes the process's idle workers. Polling (`poll_interval`) stays as the fallback for
//! a lost connection and for retries that fall due.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::JOBS_CHANNEL;

/// Longest wait before a lost listener connection is opened again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Listens until `cancel` fires, reconnecting with backoff when the connection drops.
pub async fn listen(url: String, wake: Arc<Notify>, cancel: CancellationToken) {
    let mut backoff = Duration::from_millis(200);
    while !cancel.is_cancelled() {
        match connect(&url).await {
            Ok(mut listener) => {
                backoff = Duration::from_millis(200);
                tracing::debug!("listening for new jobs of other processes");
                // Jobs may have arrived while the connection was down.
                wake.notify_waiters();
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        received = listener.recv() => match received {
                            Ok(_) => wake.notify_waiters(),
                            Err(err) => {
                                tracing::warn!(error = %err, "job notifications lost; reconnecting");
                                break;
                            }
                        },
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, ?backoff, "could not listen for job notifications");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(JOBS_CHANNEL).await?;
    Ok(listener)
}
