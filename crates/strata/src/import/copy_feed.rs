//! Feeding an import that goes in by `COPY` (PostgreSQL, a large load into an empty event
//! table): the reader's chunks are handed to the store's one open `COPY` while the chunks'
//! outcomes come back, so reading, resolving and the server's storing run side by side
//! instead of meeting at every chunk's end. The report keeps file order: a chunk's rows
//! rejected by validation, then those the store refused, chunk after chunk.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use strata_core::import::Mapping;
use strata_store::{Chunk, ChunkOutcome, ImportSession};
use tokio::sync::mpsc;

use super::report::{Rejection, Report};
use super::run::{stored_rejection, ImportError, Msg};

/// Chunks handed over and not yet taken by the `COPY`.
const AHEAD: usize = 2;

/// Takes every remaining message of `rx` (all chunks, once the mapping is known), writes the
/// records through `session`'s `COPY` and the rejections to `report`. Returns the rows read.
pub(super) async fn feed(
    session: &mut ImportSession,
    mapping: &Mapping,
    rx: &mut mpsc::Receiver<Msg>,
    report: &mut Report,
    rows_done: &AtomicU64,
) -> Result<u64, ImportError> {
    let (chunks, mut taken) = mpsc::channel::<Chunk>(AHEAD);
    let (outcomes, mut done) = mpsc::unbounded_channel::<ChunkOutcome>();
    let mut rows = 0u64;
    // Validation rejections of the chunks whose outcome has not come back, oldest first.
    let mut waiting: VecDeque<Vec<Rejection>> = VecDeque::new();
    let copying = async { session.copy_all(&mut taken, &outcomes).await.map_err(ImportError::from) };
    let feeding = async {
        while let Some(msg) = rx.recv().await {
            let Msg::Chunk { records, rejections, rows: n } = msg else { continue };
            rows += n;
            waiting.push_back(rejections);
            // A closed channel: the COPY failed, and its error ends the join below.
            if chunks.send(records).await.is_err() {
                break;
            }
            rows_done.fetch_add(n, Ordering::Relaxed);
            while let Ok(out) = done.try_recv() {
                report_chunk(report, mapping, waiting.pop_front(), out)?;
            }
        }
        drop(chunks);
        Ok::<(), ImportError>(())
    };
    tokio::try_join!(copying, feeding)?;
    // Every chunk handed over comes back with its outcome, even one validation emptied.
    while let Ok(out) = done.try_recv() {
        report_chunk(report, mapping, waiting.pop_front(), out)?;
    }
    Ok(rows)
}

/// One chunk's rejections, in file order: validation's, then the store's.
fn report_chunk(report: &mut Report, mapping: &Mapping, validated: Option<Vec<Rejection>>, out: ChunkOutcome) -> Result<(), ImportError> {
    for r in validated.into_iter().flatten() {
        report.add(r)?;
    }
    for r in out.rejected {
        report.add(stored_rejection(mapping, r))?;
    }
    Ok(())
}
