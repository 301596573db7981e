//! Reading an event table from SQLite on several connections at once, each thread building the
//! book of one customer range; the parts are then joined into one book. On two cores this keeps
//! both busy stepping SQLite, which is most of a cold start's work.
//!
//! A table with a covering customer index (`{table}_customer_events`, migration 0010) is read
//! from that index in customer order, so rows arrive grouped and are appended. Any other table
//! is counted per customer first, scanned by row id range and its rows scattered into place by
//! one placing thread per customer range.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use strata_core::metrics::{CustomerIndex, EventBook, EventBookBuilder, EventKind, EventRow, GroupedBookBuilder};

use crate::{
    event_scan::{parse_day, Decoder, Scanned, SharedDicts},
    sqlite_bulk::{raw_error, RawStatement, SendHandle},
    value::SqlValue,
    Result,
};

/// Decoded rows on their way to the thread placing their customers.
type Chunk = Vec<(u32, EventRow)>;

/// Rows handed from a scanning thread to a placing thread at a time.
const CHUNK: usize = 8_192;

const CONTEXT: &str = "scanning events";

/// A scoped thread's result; its panic, if it panicked, goes on in the caller.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Reads every row of `scan` (a SELECT of `kind`'s table without WHERE, see `raw_scan_sql`) into
/// a book over `index`, with one thread per handle building the book of one customer range.
pub(crate) fn read_book(handles: &[SendHandle], kind: EventKind, index: &CustomerIndex, scan: &str) -> Result<EventBook> {
    let fail = raw_error(CONTEXT);
    let Some(&first) = handles.first() else { return Ok(EventBook::empty(kind, index.len())) };
    let covering = format!("{}_customer_events", kind.name());
    let mut probe = RawStatement::prepare(first.raw(), "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1").map_err(fail)?;
    probe.bind(1, &SqlValue::Text(Some(covering.clone()))).map_err(fail)?;
    let grouped = probe.step().map_err(fail)?;
    drop(probe);
    // Customer positions [bounds[k], bounds[k + 1]) are thread k's.
    let threads = handles.len();
    let bounds: Vec<usize> = (0..=threads).map(|k| index.len() * k / threads).collect();
    if grouped {
        // Open above: a thread stops at its first row past its range, which costs no
        // comparison per row in SQLite.
        let sql = format!("{scan} INDEXED BY {covering} WHERE customer_id >= ?1 ORDER BY customer_id");
        return read_grouped(handles, kind, index, &sql, &bounds);
    }
    read_scattered(handles, kind, index, scan, &bounds)
}

/// Thread k reads the rows of its customers in customer order and appends them.
fn read_grouped(handles: &[SendHandle], kind: EventKind, index: &CustomerIndex, sql: &str, bounds: &[usize]) -> Result<EventBook> {
    let dicts = SharedDicts::default();
    let parts = std::thread::scope(|scope| -> Result<Vec<EventBook>> {
        let jobs: Vec<_> = handles
            .iter()
            .enumerate()
            .map(|(k, &handle)| {
                let (lo, hi, dicts) = (bounds[k], bounds[k + 1], &dicts);
                scope.spawn(move || -> Result<EventBook> {
                    let fail = raw_error(CONTEXT);
                    let mut builder = GroupedBookBuilder::new(kind, hi - lo);
                    if lo == hi {
                        return Ok(builder.finish());
                    }
                    let mut stmt = RawStatement::prepare(handle.raw(), sql).map_err(fail)?;
                    stmt.bind(1, &SqlValue::Int(Some(index.id(lo as u32)))).map_err(fail)?;
                    let last = index.id((hi - 1) as u32);
                    let mut decoder = Decoder::new(index, dicts);
                    let fields = (kind.numbers().len(), kind.categories().len());
                    while stmt.step().map_err(fail)? {
                        let row = scanned(&stmt, fields);
                        if row.customer > last {
                            break;
                        }
                        if let Some((p, row)) = decoder.decode(row) {
                            builder.push(p - lo as u32, &row);
                        }
                    }
                    Ok(builder.finish())
                })
            })
            .collect();
        jobs.into_iter().map(joined).collect()
    })?;
    Ok(EventBook::concat(kind, parts, dicts.into_inner()))
}

/// The current row of a scan (customer, day, the kind's numbers and categories, flag; see
/// `raw_scan_sql`). `fields`: how many numbers and categories the kind has.
fn scanned(stmt: &RawStatement, (numbers, categories): (usize, usize)) -> Scanned<'_> {
    let flag = 2 + numbers as i32 + categories as i32;
    Scanned {
        customer: stmt.column_int(0).unwrap_or(-1),
        day: if stmt.column_is_int(1) {
            stmt.column_int(1).and_then(|n| i32::try_from(n).ok())
        } else {
            stmt.column_text(1).and_then(parse_day)
        },
        nums: std::array::from_fn(|i| if i < numbers { stmt.column_int(2 + i as i32) } else { None }),
        cats: std::array::from_fn(|i| if i < categories { stmt.column_text(2 + (numbers + i) as i32) } else { None }),
        // 0 and NULL both read as 0: one call.
        flag: stmt.column_int_or_zero(flag),
    }
}

/// Counts per customer range, scans by row id range, places by customer range.
fn read_scattered(handles: &[SendHandle], kind: EventKind, index: &CustomerIndex, scan: &str, bounds: &[usize]) -> Result<EventBook> {
    let fail = raw_error(CONTEXT);
    let table = kind.name();
    let threads = handles.len();
    let mut counts = vec![0u32; index.len()];
    std::thread::scope(|scope| -> Result<()> {
        let mut rest = counts.as_mut_slice();
        let mut jobs = Vec::new();
        for (k, &handle) in handles.iter().enumerate() {
            let (mine, later) = std::mem::take(&mut rest).split_at_mut(bounds[k + 1] - bounds[k]);
            rest = later;
            let lo = bounds[k];
            jobs.push(scope.spawn(move || count_range(handle, table, index, lo, mine)));
        }
        jobs.into_iter().try_for_each(joined)
    })?;

    let mut bounds_stmt =
        RawStatement::prepare(handles[0].raw(), &format!("SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table})"))
            .map_err(fail)?;
    let ids = if bounds_stmt.step().map_err(fail)? { bounds_stmt.column_int(0).zip(bounds_stmt.column_int(1)) } else { None };
    drop(bounds_stmt);
    let (lowest, highest) = ids.unwrap_or((1, 0));

    let dicts = SharedDicts::default();
    let (senders, receivers): (Vec<SyncSender<Chunk>>, Vec<Receiver<Chunk>>) = (0..threads).map(|_| sync_channel(4)).unzip();
    let parts = std::thread::scope(|scope| -> Result<Vec<EventBook>> {
        let placers: Vec<_> = receivers
            .into_iter()
            .enumerate()
            .map(|(k, rx)| {
                let (lo, hi) = (bounds[k], bounds[k + 1]);
                let counts = &counts[lo..hi];
                scope.spawn(move || {
                    let mut builder = EventBookBuilder::new(kind, counts);
                    let lo = lo as u32;
                    for chunk in rx {
                        for (p, row) in &chunk {
                            builder.push(p - lo, row);
                        }
                    }
                    builder.finish()
                })
            })
            .collect();
        let span = (highest - lowest + 1).max(0);
        let scanners: Vec<_> = handles
            .iter()
            .enumerate()
            .map(|(k, &handle)| {
                let (from, to) = (lowest + span * k as i64 / threads as i64, lowest + span * (k as i64 + 1) / threads as i64 - 1);
                let (senders, dicts) = (senders.clone(), &dicts);
                scope.spawn(move || scan_range(handle, kind, scan, (from, to), Decoder::new(index, dicts), bounds, &senders))
            })
            .collect();
        drop(senders);
        let scanned = scanners.into_iter().try_for_each(joined);
        let parts: Vec<EventBook> = placers.into_iter().map(joined).collect();
        scanned.map(|()| parts)
    })?;
    Ok(EventBook::concat(kind, parts, dicts.into_inner()))
}

/// Counts the events of customer positions `lo..lo + counts.len()` into `counts`.
fn count_range(handle: SendHandle, table: &str, index: &CustomerIndex, lo: usize, counts: &mut [u32]) -> Result<()> {
    let fail = raw_error(CONTEXT);
    let Some(last) = counts.len().checked_sub(1) else { return Ok(()) };
    let sql = format!("SELECT customer_id, COUNT(*) FROM {table} WHERE customer_id BETWEEN ?1 AND ?2 GROUP BY customer_id");
    let mut stmt = RawStatement::prepare(handle.raw(), &sql).map_err(fail)?;
    stmt.bind(1, &SqlValue::Int(Some(index.id(lo as u32)))).map_err(fail)?;
    stmt.bind(2, &SqlValue::Int(Some(index.id((lo + last) as u32)))).map_err(fail)?;
    while stmt.step().map_err(fail)? {
        let position = stmt.column_int(0).and_then(|id| index.position(id)).map(|p| p as usize);
        if let Some(slot) = position.and_then(|p| p.checked_sub(lo)).and_then(|i| counts.get_mut(i)) {
            *slot = u32::try_from(stmt.column_int(1).unwrap_or(0)).unwrap_or(u32::MAX);
        }
    }
    Ok(())
}

/// Scans rows with ids `from..=to`, sending each decoded row to the placer of its customer.
fn scan_range(
    handle: SendHandle,
    kind: EventKind,
    scan: &str,
    (from, to): (i64, i64),
    mut decoder: Decoder<'_>,
    bounds: &[usize],
    senders: &[SyncSender<Chunk>],
) -> Result<()> {
    let fail = raw_error(CONTEXT);
    let mut stmt = RawStatement::prepare(handle.raw(), &format!("{scan} WHERE id BETWEEN ?1 AND ?2")).map_err(fail)?;
    stmt.bind(1, &SqlValue::Int(Some(from))).map_err(fail)?;
    stmt.bind(2, &SqlValue::Int(Some(to))).map_err(fail)?;
    let fields = (kind.numbers().len(), kind.categories().len());
    let mut outboxes: Vec<Chunk> = senders.iter().map(|_| Vec::with_capacity(CHUNK)).collect();
    while stmt.step().map_err(fail)? {
        let Some((p, row)) = decoder.decode(scanned(&stmt, fields)) else { continue };
        let k = bounds[1..].partition_point(|&b| b <= p as usize);
        outboxes[k].push((p, row));
        // A closed channel means that placer panicked: its join re-raises the panic.
        if outboxes[k].len() == CHUNK && senders[k].send(std::mem::replace(&mut outboxes[k], Vec::with_capacity(CHUNK))).is_err() {
            return Ok(());
        }
    }
    for (outbox, sender) in outboxes.into_iter().zip(senders) {
        let _ = sender.send(outbox);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{event_scan::raw_scan_sql, sqlite_bulk::with_pooled_handles, Backend, Store};

    /// The program of a cold start's grouped scan of `kind`: (opcode, p1) per instruction.
    async fn program_of(store: &Store, kind: EventKind) -> Vec<(String, i64)> {
        let Backend::Sqlite(pool) = &store.backend else { panic!("a SQLite store") };
        let sql = format!(
            "EXPLAIN {} INDEXED BY {}_customer_events WHERE customer_id >= 1 ORDER BY customer_id",
            raw_scan_sql(kind),
            kind.name()
        );
        with_pooled_handles(pool, 1, "explaining", |handles| {
            let fail = raw_error("explaining");
            let mut stmt = RawStatement::prepare(handles[0].raw(), &sql).map_err(fail)?;
            let mut out = Vec::new();
            while stmt.step().map_err(fail)? {
                out.push((String::from_utf8_lossy(stmt.column_text(1).unwrap_or_default()).into_owned(), stmt.column_int(2).unwrap_or(-1)));
            }
            Ok(out)
        })
        .await
        .expect("explained")
    }

    #[tokio::test]
    async fn cold_start_scans_read_days_and_flags_from_the_covering_index() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("scan.db");
        let store = Store::open(path.to_str().expect("a UTF-8 path")).await.expect("a store");
        for kind in [EventKind::Orders, EventKind::Payments] {
            let ops = program_of(&store, kind).await;
            // Every column comes from the cursor the scan seeks on, the index: the table's
            // rows are never visited (its cursor's deferred seek never happens).
            let index_cursor = ops.iter().find(|(op, _)| op == "SeekGE").map(|(_, c)| *c);
            let columns: Vec<i64> = ops.iter().filter(|(op, _)| op == "Column").map(|(_, c)| *c).collect();
            assert!(!columns.is_empty() && columns.iter().all(|c| Some(*c) == index_cursor), "{kind:?}: {ops:?}");
            // Nothing computed per row: no date function, no comparison of the status text.
            for op in ["Function", "PureFunc", "Eq", "Ne", "Found", "NotFound"] {
                assert!(!ops.iter().any(|(o, _)| o == op), "{kind:?} evaluates {op} per row: {ops:?}");
            }
        }
    }
}
