//! Reading event tables into the engine's columnar `EventBook`s: a count pass (per customer,
//! from the customer index) then a sequential scan that scatters rows into place. On SQLite
//! several connections step raw prepared statements (no per-row allocation, see
//! `event_scan_sqlite`); on PostgreSQL one query streams.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use futures_util::TryStreamExt;
use sqlx::Row;
use strata_core::{
    engine::customer_update::RawEvent,
    metrics::{day_of_ymd, CustomerIndex, Dictionary, EventBook, EventBookBuilder, EventKind, EventRow, MAX_CATS, MAX_NUMS, NO_NUM},
};

use crate::{dialect, on_pool, placeholders, BackendKind, Result, Store, StoreError};

/// The parts of a kind's scan: table, day (text, or a day number), 3 numbers, 2 categories,
/// flag. Numbers and categories the kind lacks are `NULL`, after the ones it has.
type SelectParts = (&'static str, String, [String; MAX_NUMS], [&'static str; MAX_CATS], &'static str);

/// The SELECT (customer, day text, 3 numbers, 2 categories, flag) of a kind's table.
fn scan_sql(kind: EventKind, backend: BackendKind) -> String {
    let (table, day, [n0, n1, n2], [c0, c1], flag) = select_parts(kind, backend);
    format!("SELECT customer_id, {day}, {n0}, {n1}, {n2}, {c0}, {c1}, {flag} FROM {table}")
}

/// Orders' and payments' day number and orders' live flag as SQLite computes them. These are
/// the expressions of the covering indexes (migration 0013), character for character, so that
/// a scan reads them from the index instead of evaluating them per row.
const SQLITE_ORDER_DAY: &str = "CAST(julianday(order_date) - 2440587.5 AS INTEGER)";
const SQLITE_PAYMENT_DAY: &str = "CAST(julianday(paid_on) - 2440587.5 AS INTEGER)";
const SQLITE_ORDER_LIVE: &str = "status NOT IN ('cancelled', 'refunded')";

/// The SELECT a raw SQLite scan steps: customer, day, then only the numbers and categories the
/// kind has, then the flag (no NULL placeholders to produce per row).
pub(crate) fn raw_scan_sql(kind: EventKind) -> String {
    let (table, day, nums, cats, flag) = select_parts(kind, BackendKind::Sqlite);
    let fields: Vec<&str> =
        nums.iter().map(String::as_str).take(kind.numbers().len()).chain(cats.into_iter().take(kind.categories().len())).collect();
    let fields = fields.iter().map(|f| format!(", {f}")).collect::<String>();
    format!("SELECT customer_id, {day}{fields}, {flag} FROM {table}")
}

fn select_parts(kind: EventKind, backend: BackendKind) -> SelectParts {
    let pg = backend == BackendKind::Postgres;
    let day_of_date = |c: &str| if pg { format!("to_char({c}, 'YYYY-MM-DD')") } else { c.to_string() };
    let indexed = |pg_form: String, sqlite_form: &str| if pg { pg_form } else { sqlite_form.to_string() };
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
    match kind {
        EventKind::Orders => (
            "orders",
            indexed(day_of_date("order_date"), SQLITE_ORDER_DAY),
            ["amount_cents".into(), "NULL".into(), "NULL".into()],
            ["product_line", "NULL"],
            if pg { "CASE WHEN status IN ('cancelled', 'refunded') THEN 0 ELSE 1 END" } else { SQLITE_ORDER_LIVE },
        ),
        EventKind::Payments => (
            "payments",
            indexed(day_of_date("paid_on"), SQLITE_PAYMENT_DAY),
            ["amount_cents".into(), "NULL".into(), "NULL".into()],
            ["method", "NULL"],
            "1",
        ),
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
    }
}

/// Parses `YYYY-MM-DD` quickly; None for anything else.
pub(crate) fn parse_day(text: &[u8]) -> Option<i32> {
    if text.len() != 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let num =
        |r: std::ops::Range<usize>| text[r].iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')));
    day_of_ymd(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Column 1 of a scanned row: a day number (SQLite's indexed orders and payments) or a
/// `YYYY-MM-DD` text.
fn day_of_row<R: Row>(r: &R) -> Option<i32>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    match r.try_get::<Option<i64>, _>(1) {
        Ok(n) => n.and_then(|n| i32::try_from(n).ok()),
        Err(_) => r.try_get::<Option<String>, _>(1).ok().flatten().and_then(|t| parse_day(t.as_bytes())),
    }
}

/// One scanned row before it is placed.
pub(crate) struct Scanned<'a> {
    pub(crate) customer: i64,
    /// The day number, from a day number or a `YYYY-MM-DD` text in the row.
    pub(crate) day: Option<i32>,
    pub(crate) nums: [Option<i64>; MAX_NUMS],
    pub(crate) cats: [Option<&'a [u8]>; MAX_CATS],
    pub(crate) flag: i64,
}

/// The category dictionaries of one book, shared by every thread decoding its rows.
#[derive(Default)]
pub(crate) struct SharedDicts(Mutex<[Dictionary; MAX_CATS]>);

impl SharedDicts {
    pub(crate) fn into_inner(self) -> [Dictionary; MAX_CATS] {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Turns scanned rows into book rows: the customer's position, the day, category codes.
pub(crate) struct Decoder<'i> {
    index: &'i CustomerIndex,
    dicts: &'i SharedDicts,
    /// The codes this thread has seen, so the shared lock is taken only for a new text.
    known: [HashMap<Vec<u8>, u32>; MAX_CATS],
}

impl<'i> Decoder<'i> {
    pub(crate) fn new(index: &'i CustomerIndex, dicts: &'i SharedDicts) -> Decoder<'i> {
        Decoder { index, dicts, known: Default::default() }
    }

    pub(crate) fn decode(&mut self, s: Scanned<'_>) -> Option<(u32, EventRow)> {
        let (Some(p), Some(day)) = (self.index.position(s.customer), s.day) else {
            return None;
        };
        let mut row = EventRow::new(day);
        row.nums = s.nums.map(|n| n.unwrap_or(NO_NUM));
        for (i, c) in s.cats.iter().enumerate() {
            if let Some(text) = c {
                row.cats[i] = match self.known[i].get(*text) {
                    Some(&code) => code,
                    None => self.learn(i, text),
                };
            }
        }
        row.flag = u8::try_from(s.flag).unwrap_or(0);
        Some((p, row))
    }

    fn learn(&mut self, i: usize, text: &[u8]) -> u32 {
        let code = self.dicts.0.lock().unwrap_or_else(PoisonError::into_inner)[i].intern(&String::from_utf8_lossy(text));
        self.known[i].insert(text.to_vec(), code);
        code
    }
}

/// Connections a SQLite scan reads on at once: one per core, at most four.
fn scan_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4)
}

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
                    let (Some(id), Some(day)) = (num(0), day_of_row(&r)) else { continue };
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
        let pool = match &self.backend {
            crate::Backend::Sqlite(pool) => {
                let sql = raw_scan_sql(kind);
                return crate::sqlite_bulk::with_pooled_handles(pool, scan_threads(), "scanning events", |handles| {
                    crate::event_scan_sqlite::read_book(handles, kind, index, &sql)
                })
                .await;
            }
            crate::Backend::Postgres(pool) => pool,
        };
        let sql = scan_sql(kind, self.kind());
        let count_sql = format!("SELECT customer_id, COUNT(*) FROM {} GROUP BY customer_id", kind.name());
        let mut counts = vec![0u32; index.len()];
        let counted: Vec<(i64, i64)> =
            sqlx::query_as(&count_sql).fetch_all(pool).await.map_err(StoreError::db("counting events per customer"))?;
        for (id, n) in counted {
            if let Some(pos) = index.position(id) {
                counts[pos as usize] = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
        let dicts = SharedDicts::default();
        let mut decoder = Decoder::new(index, &dicts);
        let mut builder = EventBookBuilder::new(kind, &counts);
        let mut rows = sqlx::query(&sql).fetch(pool);
        while let Some(r) = rows.try_next().await.map_err(StoreError::db("scanning events"))? {
            let text = |i: usize| r.try_get::<Option<String>, _>(i).ok().flatten();
            let num = |i: usize| {
                r.try_get::<Option<i64>, _>(i).ok().flatten().or_else(|| r.try_get::<Option<i32>, _>(i).ok().flatten().map(i64::from))
            };
            let (c0, c1) = (text(5), text(6));
            let row = Scanned {
                customer: num(0).unwrap_or(-1),
                day: day_of_row(&r),
                nums: [num(2), num(3), num(4)],
                cats: [c0.as_deref().map(str::as_bytes), c1.as_deref().map(str::as_bytes)],
                flag: num(7).unwrap_or(0),
            };
            if let Some((p, row)) = decoder.decode(row) {
                builder.push(p, &row);
            }
        }
        drop(rows);
        drop(decoder);
        builder.dicts = dicts.into_inner();
        Ok(builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_a_kind_lacks_are_null_after_the_ones_it_has() {
        for kind in EventKind::ALL {
            for backend in [BackendKind::Sqlite, BackendKind::Postgres] {
                let (table, _, nums, cats, _) = select_parts(kind, backend);
                assert_eq!(table, kind.name());
                for (i, n) in nums.iter().enumerate() {
                    assert_eq!(n == "NULL", i >= kind.numbers().len(), "{kind:?} number {i}");
                }
                for (i, c) in cats.iter().enumerate() {
                    assert_eq!(*c == "NULL", i >= kind.categories().len(), "{kind:?} category {i}");
                }
            }
        }
    }

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day(b"2025-01-01"), Some(20089));
        for bad in [&b"2025-1-01"[..], b"2025-13-01", b"2025/01/01", b"", b"20250101xx"] {
            assert_eq!(parse_day(bad), None, "{bad:?}");
        }
    }
}
