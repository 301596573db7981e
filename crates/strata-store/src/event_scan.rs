//! Reading event tables into the engine's columnar `EventBook`s: a count pass (per customer,
//! from the customer index) then one sequential scan that scatters rows into place. On SQLite
//! the scan steps a raw prepared statement (no per-row allocation); on PostgreSQL it streams.

use futures_util::TryStreamExt;
use sqlx::Row;
use strata_core::{
    engine::customer_update::RawEvent,
    metrics::{day_of, CustomerIndex, Dictionary, EventBook, EventBookBuilder, EventKind, EventRow, MAX_CATS, MAX_NUMS, NO_NUM},
};

use crate::{dialect, on_pool, placeholders, BackendKind, Result, Store, StoreError};

/// The SELECT list (customer, day text, 3 numbers, 2 categories, flag) and table of a kind.
fn scan_sql(kind: EventKind, backend: BackendKind) -> String {
    let pg = backend == BackendKind::Postgres;
    let day_of_date = |c: &str| if pg { format!("to_char({c}, 'YYYY-MM-DD')") } else { c.to_string() };
    let day_of_time = |c: &str| {
        if pg {
            format!("to_char({c} AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD')")
        } else {
            format!("date({c}, '+8 hours')")
        }
    };
    let hours = |from: &str, to: &str| {
        if pg {
            format!("CAST(EXTRACT(EPOCH FROM ({to} - {from})) / 3600 AS BIGINT)")
        } else {
            format!("CAST((julianday({to}) - julianday({from})) * 24 AS INTEGER)")
        }
    };
    let (table, day, nums, cats, flag): (&str, String, [String; MAX_NUMS], [&str; MAX_CATS], &str) = match kind {
        EventKind::Orders => (
            "orders",
            day_of_date("order_date"),
            ["amount_cents".into(), "NULL".into(), "NULL".into()],
            ["product_line", "NULL"],
            "CASE WHEN status IN ('cancelled', 'refunded') THEN 0 ELSE 1 END",
        ),
        EventKind::Payments => {
            ("payments", day_of_date("paid_on"), ["amount_cents".into(), "NULL".into(), "NULL".into()], ["method", "NULL"], "1")
        }
        EventKind::Interactions => {
            ("interactions", day_of_time("occurred_at"), ["NULL".into(), "NULL".into(), "NULL".into()], ["channel", "outcome"], "1")
        }
        EventKind::Deals => (
            "deals",
            day_of_time("created_at"),
            [
                "amount_cents".into(),
                "(CASE WHEN budget_cents > 0 THEN 1 ELSE 0 END) + (CASE WHEN authority THEN 1 ELSE 0 END) \
                 + (CASE WHEN need <> '' THEN 1 ELSE 0 END) + (CASE WHEN timing IS NOT NULL THEN 1 ELSE 0 END)"
                    .into(),
                "NULL".into(),
            ],
            ["stage", "NULL"],
            "CASE WHEN stage IN ('won', 'lost') THEN 0 ELSE 1 END",
        ),
        EventKind::Tickets => (
            "tickets",
            day_of_time("opened_at"),
            [hours("opened_at", "first_response_at"), hours("opened_at", "resolved_at"), "satisfaction".into()],
            ["category", "severity"],
            "CASE WHEN status IN ('resolved', 'closed') THEN 0 ELSE 1 END",
        ),
        EventKind::Feedback => {
            ("feedback", day_of_date("received_on"), ["nps".into(), "csat".into(), "NULL".into()], ["NULL", "NULL"], "1")
        }
    };
    let [n0, n1, n2] = nums;
    let [c0, c1] = cats;
    format!("SELECT customer_id, {day}, {n0}, {n1}, {n2}, {c0}, {c1}, {flag} FROM {table}")
}

/// Parses `YYYY-MM-DD` quickly; None for anything else.
fn parse_day(text: &[u8]) -> Option<i32> {
    if text.len() != 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| text[r].iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')));
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    Some(day_of(date))
}

/// One scanned row before it is placed.
struct Scanned<'a> {
    customer: i64,
    day: Option<&'a [u8]>,
    nums: [Option<i64>; MAX_NUMS],
    cats: [Option<&'a [u8]>; MAX_CATS],
    flag: i64,
}

/// Turns scanned rows into book rows: the customer's position, the day, category codes.
struct Decoder<'i> {
    index: &'i CustomerIndex,
    dicts: [Dictionary; MAX_CATS],
}

impl Decoder<'_> {
    fn decode(&mut self, s: Scanned<'_>) -> Option<(u32, EventRow)> {
        let (Some(p), Some(day)) = (self.index.position(s.customer), s.day.and_then(parse_day)) else {
            return None;
        };
        let mut row = EventRow::new(day);
        row.nums = s.nums.map(|n| n.unwrap_or(NO_NUM));
        for (i, c) in s.cats.iter().enumerate() {
            if let Some(text) = c {
                row.cats[i] = self.dicts[i].intern(&String::from_utf8_lossy(text));
            }
        }
        row.flag = u8::try_from(s.flag).unwrap_or(0);
        Some((p, row))
    }
}

/// Rows handed from the scanning thread to the placing thread at a time.
const CHUNK: usize = 16_384;

impl Store {
    /// Every customer id, for the engine's customer index.
    /// Every won or lost deal: (customer id, won, closing day as YYYY-MM-DD), for outcome studies.
    /// Deals closed without a date are left out.
    pub async fn closed_deals(&self) -> Result<Vec<(i64, bool, String)>> {
        let sql = "SELECT customer_id, stage = 'won', CAST(closed_on AS TEXT) FROM deals \
                   WHERE stage IN ('won', 'lost') AND closed_on IS NOT NULL ORDER BY customer_id, closed_on, id";
        on_pool!(self, p => sqlx::query_as::<_, (i64, bool, String)>(sql).fetch_all(p).await)
            .map_err(StoreError::db("listing closed deals"))
    }

    pub async fn customer_ids(&self) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM customers";
        match &self.backend {
            // Stepped on the raw handle: a million ids, no per-row hand-over between threads.
            crate::Backend::Sqlite(pool) => {
                crate::sqlite_bulk::with_pooled_handle(pool, "listing customer ids", |raw| {
                    let fail = crate::sqlite_bulk::raw_error("listing customer ids");
                    let mut stmt = crate::sqlite_bulk::RawStatement::prepare(raw, SQL).map_err(fail)?;
                    let mut ids = Vec::new();
                    while stmt.step().map_err(fail)? {
                        ids.extend(stmt.column_int(0));
                    }
                    Ok(ids)
                })
                .await
            }
            crate::Backend::Postgres(pool) => {
                sqlx::query_scalar::<_, i64>(SQL).fetch_all(pool).await.map_err(StoreError::db("listing customer ids"))
            }
        }
    }

    /// Every customer's id and external id, for reports that name customers by external id.
    pub async fn customer_external_ids(&self) -> Result<Vec<(i64, Option<String>)>> {
        on_pool!(self, p => {
            sqlx::query_as("SELECT id, external_id FROM customers").fetch_all(p).await.map_err(StoreError::db("listing external ids"))
        })
    }

    /// Every event of `kind` of one customer, as the engine's incremental update takes them.
    pub async fn customer_events(&self, kind: EventKind, customer_id: i64) -> Result<Vec<RawEvent>> {
        Ok(self.customers_events(kind, &[customer_id]).await?.into_iter().map(|(_, e)| e).collect())
    }

    /// Every event of `kind` of the given customers (a few hundred per statement), with the
    /// customer each belongs to.
    pub async fn customers_events(&self, kind: EventKind, customer_ids: &[i64]) -> Result<Vec<(i64, RawEvent)>> {
        let mut out = Vec::new();
        for chunk in customer_ids.chunks(500) {
            let sql = format!("{} WHERE customer_id IN ({})", scan_sql(kind, self.kind()), placeholders(1, chunk.len()));
            let sql = dialect(self.kind(), &sql);
            on_pool!(self, p => {
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                let rows = q.fetch_all(p).await.map_err(StoreError::db("reading customers' events"))?;
                for r in rows {
                    let text = |i: usize| r.try_get::<Option<String>, _>(i).ok().flatten();
                    let num = |i: usize| {
                        r.try_get::<Option<i64>, _>(i).ok().flatten().or_else(|| r.try_get::<Option<i32>, _>(i).ok().flatten().map(i64::from))
                    };
                    let (Some(id), Some(day)) = (num(0), text(1).as_deref().map(str::as_bytes).and_then(parse_day)) else { continue };
                    out.push((id, RawEvent {
                        day,
                        nums: [num(2), num(3), num(4)].map(|n| n.unwrap_or(NO_NUM)),
                        cats: [text(5), text(6)],
                        flag: u8::try_from(num(7).unwrap_or(0)).unwrap_or(0),
                    }));
                }
            });
        }
        Ok(out)
    }

    /// Reads every event of `kind` into a book over the customers of `index`.
    pub async fn event_book(&self, kind: EventKind, index: &CustomerIndex) -> Result<EventBook> {
        let table = kind.name();
        let count_sql = format!("SELECT customer_id, COUNT(*) FROM {table} GROUP BY customer_id");
        let mut counts = vec![0u32; index.len()];
        let count = |counts: &mut [u32], id: i64, n: i64| {
            if let Some(pos) = index.position(id) {
                counts[pos as usize] = u32::try_from(n).unwrap_or(u32::MAX);
            }
        };
        let sql = scan_sql(kind, self.kind());
        let mut decoder = Decoder { index, dicts: Default::default() };
        let builder = match &self.backend {
            crate::Backend::Sqlite(pool) => {
                crate::sqlite_bulk::with_pooled_handle(pool, "scanning events", |raw| {
                    let fail = crate::sqlite_bulk::raw_error("scanning events");
                    let mut counted = crate::sqlite_bulk::RawStatement::prepare(raw, &count_sql).map_err(fail)?;
                    while counted.step().map_err(fail)? {
                        count(&mut counts, counted.column_int(0).unwrap_or(-1), counted.column_int(1).unwrap_or(0));
                    }
                    drop(counted);
                    let mut stmt = crate::sqlite_bulk::RawStatement::prepare(raw, &sql).map_err(fail)?;
                    let builder = EventBookBuilder::new(kind, &counts);
                    // This thread steps SQLite and decodes; a second one places rows into the book
                    // (scattered writes, one customer's events far from the next row's).
                    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(u32, EventRow)>>(4);
                    std::thread::scope(|scope| {
                        let placing = scope.spawn(move || {
                            let mut builder = builder;
                            for chunk in rx {
                                for (p, row) in &chunk {
                                    builder.push(*p, row);
                                }
                            }
                            builder
                        });
                        let mut scanned = || -> Result<()> {
                            let mut chunk = Vec::with_capacity(CHUNK);
                            while stmt.step().map_err(fail)? {
                                let row = Scanned {
                                    customer: stmt.column_int(0).unwrap_or(-1),
                                    day: stmt.column_text(1),
                                    nums: [stmt.column_int(2), stmt.column_int(3), stmt.column_int(4)],
                                    cats: [stmt.column_text(5), stmt.column_text(6)],
                                    flag: stmt.column_int(7).unwrap_or(0),
                                };
                                chunk.extend(decoder.decode(row));
                                if chunk.len() == CHUNK && tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).is_err() {
                                    break;
                                }
                            }
                            // A closed channel means the placing thread panicked: join re-raises it.
                            let _ = tx.send(chunk);
                            Ok(())
                        };
                        let outcome = scanned();
                        drop(tx);
                        let builder = placing.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                        outcome.map(|()| builder)
                    })
                })
                .await?
            }
            crate::Backend::Postgres(pool) => {
                let counted: Vec<(i64, i64)> =
                    sqlx::query_as(&count_sql).fetch_all(pool).await.map_err(StoreError::db("counting events per customer"))?;
                for (id, n) in counted {
                    count(&mut counts, id, n);
                }
                let mut builder = EventBookBuilder::new(kind, &counts);
                let mut rows = sqlx::query(&sql).fetch(pool);
                while let Some(r) = rows.try_next().await.map_err(StoreError::db("scanning events"))? {
                    let text = |i: usize| r.try_get::<Option<String>, _>(i).ok().flatten();
                    let num = |i: usize| {
                        r.try_get::<Option<i64>, _>(i)
                            .ok()
                            .flatten()
                            .or_else(|| r.try_get::<Option<i32>, _>(i).ok().flatten().map(i64::from))
                    };
                    let (day, c0, c1) = (text(1), text(5), text(6));
                    let row = Scanned {
                        customer: num(0).unwrap_or(-1),
                        day: day.as_deref().map(str::as_bytes),
                        nums: [num(2), num(3), num(4)],
                        cats: [c0.as_deref().map(str::as_bytes), c1.as_deref().map(str::as_bytes)],
                        flag: num(7).unwrap_or(0),
                    };
                    if let Some((p, row)) = decoder.decode(row) {
                        builder.push(p, &row);
                    }
                }
                builder
            }
        };
        let mut builder = builder;
        builder.dicts = decoder.dicts;
        Ok(builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day(b"2025-01-01"), Some(20089));
        for bad in [&b"2025-1-01"[..], b"2025-13-01", b"2025/01/01", b"", b"20250101xx"] {
            assert_eq!(parse_day(bad), None, "{bad:?}");
        }
    }
}
