//! SQLite WAL checkpoints off the writers' path: a background task copies committed pages from
//! the write-ahead log into the database file a few times a second, on its own connection, so
//! a commit only appends to the log and the copying runs beside the next transaction instead
//! of inside the commit. The automatic checkpoint stays on, at a larger size, as a backstop.

use std::{sync::Weak, time::Duration};

use sqlx::SqlitePool;

/// Pages in the log after which a commit checkpoints itself (the background task normally
/// keeps the log far below this). 256 MB: one batch of 10,000 orders through the live engine
/// writes about 35,000 pages, and at 64 MB every such commit copied the log itself instead of
/// leaving it to the background task (13,000 instead of 11,000 orders/s at size M).
pub(crate) const AUTOCHECKPOINT_PAGES: &str = "65536";

const EVERY: Duration = Duration::from_millis(200);

/// Runs passive checkpoints on `pool` until every handle sharing `alive` is gone. Without a
/// Tokio runtime (nothing to run on) commits checkpoint themselves as usual.
pub(crate) fn spawn<T: Send + Sync + 'static>(pool: SqlitePool, alive: Weak<T>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            if alive.upgrade().is_none() || pool.is_closed() {
                break;
            }
            // PASSIVE never waits for readers or writers; what it cannot copy now it copies on
            // a later round.
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::debug!(error = %e, "background checkpoint");
            }
        }
    });
}
