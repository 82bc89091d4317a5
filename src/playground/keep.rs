//! The local Slack's history on disk, beside Herald's database: restored at start, saved
//! whenever it changed (every [`EVERY`]) and once more at shutdown, so a restarted
//! playground shows the messages Herald's threads refer to. Written to a temporary file
//! and renamed over the old one, so a crash mid-write leaves the previous history whole.

use std::path::{Path, PathBuf};
use std::time::Duration;

use emulator::slack::SlackEmulator;
use tokio_util::sync::CancellationToken;

/// How often the history is saved when it changed.
const EVERY: Duration = Duration::from_secs(2);

/// Where the history of the playground whose database is `database` is kept.
pub fn path_for(database: &Path) -> PathBuf {
    database.with_extension("slack.json")
}

/// Restores the history at `path` into `slack`; a missing file is a first run. A file
/// that cannot be read is set aside (`….unreadable`) and the run starts empty, saying so.
pub fn restore(slack: &SlackEmulator, path: &Path) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            println!(
                "herald try: could not read {}: {e}; Slack's history starts empty",
                path.display()
            );
            return;
        }
    };
    let restored = serde_json::from_str(&text)
        .map_err(|e| e.to_string())
        .and_then(|snapshot| slack.restore(&snapshot).map_err(|e| e.to_string()));
    match restored {
        Ok(n) => {
            tracing::info!(messages = n, file = %path.display(), "the local Slack's history restored");
        }
        Err(why) => {
            let aside = path.with_extension("json.unreadable");
            let _ = std::fs::rename(path, &aside);
            println!(
                "herald try: {} could not be restored ({why}); it is now {} and Slack's history starts empty",
                path.display(),
                aside.display()
            );
        }
    }
}

/// Saves the history at `path` whenever it changed, until `shutdown`, and once after.
pub async fn save_periodically(
    slack: std::sync::Arc<SlackEmulator>,
    path: PathBuf,
    shutdown: CancellationToken,
) {
    let mut saved = String::new();
    loop {
        let stop = tokio::select! {
            () = tokio::time::sleep(EVERY) => false,
            () = shutdown.cancelled() => true,
        };
        let now = slack.snapshot().to_string();
        if now != saved {
            match write(&path, &now) {
                Ok(()) => saved = now,
                Err(e) => {
                    tracing::warn!(error = %e, file = %path.display(), "could not save the local Slack's history");
                }
            }
        }
        if stop {
            return;
        }
    }
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}
