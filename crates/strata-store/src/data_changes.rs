//! The data change feed and job leases. Every write that can move a customer's tier (customer
//! master data, events, imports and their undo, published models) appends to `data_changes` in
//! the same transaction; each running server follows the feed to keep its in-memory engine
//! current. Leases let exactly one of several servers run a scheduled job (the daily sweep).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::{dialect, on_pool, placeholders, Result, Store, StoreError};

/// More customers than this in one write are noted as one `reload` instead of one row each.
pub const MAX_LISTED_CUSTOMERS: usize = 10_000;

/// What a change entry asks a follower to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// One customer's master data or events changed (or it was created or deleted).
    Customer,
    /// Too much changed to list: reload everything.
    Reload,
    /// Published models or their cut points changed.
    Models,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Customer => "customer",
            ChangeKind::Reload => "reload",
            ChangeKind::Models => "models",
        }
    }

    fn parse(s: &str) -> ChangeKind {
        match s {
            "customer" => ChangeKind::Customer,
            "models" => ChangeKind::Models,
            _ => ChangeKind::Reload,
        }
    }
}

/// One entry of the feed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DataChange {
    pub seq: i64,
    pub kind: ChangeKind,
    pub customer_id: Option<i64>,
    /// The server that applied this change to its own engine when it wrote it, if any.
    pub origin: Option<String>,
}

/// The customers a write touched: listed while few, else "many" (noted as a reload).
#[derive(Debug, Clone, Default)]
pub struct Touched {
    ids: BTreeSet<i64>,
    many: bool,
}

impl Touched {
    pub fn add(&mut self, id: i64) {
        if !self.many {
            self.ids.insert(id);
            if self.ids.len() > MAX_LISTED_CUSTOMERS {
                self.many = true;
                self.ids.clear();
            }
        }
    }

    pub fn set_many(&mut self) {
        self.many = true;
        self.ids.clear();
    }

    /// The entries to append: one per customer, or one reload.
    pub(crate) fn entries(&self) -> Vec<(ChangeKind, Option<i64>)> {
        if self.many {
            vec![(ChangeKind::Reload, None)]
        } else {
            self.ids.iter().map(|&id| (ChangeKind::Customer, Some(id))).collect()
        }
    }
}

/// Appends change entries inside the caller's transaction or on the pool, a few hundred rows per
/// statement.
macro_rules! note_changes {
    ($exec:expr, $backend:expr, $entries:expr) => {
        crate::data_changes::note_changes!($exec, $backend, $entries, None::<&str>)
    };
    ($exec:expr, $backend:expr, $entries:expr, $origin:expr) => {{
        let now = chrono::Utc::now();
        let entries: &[(crate::data_changes::ChangeKind, Option<i64>)] = $entries;
        let origin: Option<&str> = $origin;
        for chunk in entries.chunks(250) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", crate::placeholders(i * 4 + 1, 4))).collect();
            let sql = format!("INSERT INTO data_changes (kind, customer_id, at, origin) VALUES {}", rows.join(", "));
            let sql = crate::dialect($backend, &sql);
            let mut q = sqlx::query(&sql);
            for (kind, id) in chunk {
                q = q.bind(kind.name()).bind(*id).bind(now).bind(origin);
            }
            q.execute($exec).await.map_err(crate::StoreError::db("noting a data change"))?;
        }
    }};
}
pub(crate) use note_changes;

impl Store {
    /// The newest entry of the feed (0 when empty): a follower that loads its state after
    /// reading this has seen everything up to it.
    pub async fn last_change_seq(&self) -> Result<i64> {
        let n: Option<i64> = on_pool!(self, p => sqlx::query_scalar("SELECT MAX(seq) FROM data_changes").fetch_one(p).await)
            .map_err(StoreError::db("reading the change feed"))?;
        Ok(n.unwrap_or(0))
    }

    /// Entries after `seq`, oldest first, at most `limit`.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<DataChange>> {
        let sql = "SELECT seq, kind, customer_id, origin FROM data_changes WHERE seq > $1 ORDER BY seq LIMIT $2";
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> =
            on_pool!(self, p => sqlx::query_as(sql).bind(seq).bind(limit).fetch_all(p).await)
                .map_err(StoreError::db("reading the change feed"))?;
        Ok(rows
            .into_iter()
            .map(|(seq, kind, customer_id, origin)| DataChange { seq, kind: ChangeKind::parse(&kind), customer_id, origin })
            .collect())
    }

    /// Entries with the given sequence numbers (gaps a follower saw and re-checks: on PostgreSQL
    /// a transaction can commit a later number before an earlier one).
    pub async fn changes_at(&self, seqs: &[i64]) -> Result<Vec<DataChange>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let sql =
            format!("SELECT seq, kind, customer_id, origin FROM data_changes WHERE seq IN ({}) ORDER BY seq", placeholders(1, seqs.len()));
        let sql = dialect(self.kind(), &sql);
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> = on_pool!(self, p => {
            let mut q = sqlx::query_as(&sql);
            for s in seqs {
                q = q.bind(*s);
            }
            q.fetch_all(p).await
        })
        .map_err(StoreError::db("reading the change feed"))?;
        Ok(rows
            .into_iter()
            .map(|(seq, kind, customer_id, origin)| DataChange { seq, kind: ChangeKind::parse(&kind), customer_id, origin })
            .collect())
    }

    /// The customers an import batch last wrote (inserted or updated).
    pub async fn batch_customers(&self, batch_id: i64) -> Result<Vec<i64>> {
        on_pool!(self, p => sqlx::query_scalar("SELECT id FROM customers WHERE batch_id = $1").bind(batch_id).fetch_all(p).await)
            .map_err(StoreError::db("listing a batch's customers"))
    }

    /// Takes (or renews) the lease on `job` for `holder` until `until`; false when another
    /// holder's lease is still running.
    pub async fn try_lease(&self, job: &str, holder: &str, until: DateTime<Utc>) -> Result<bool> {
        let now = Utc::now();
        let sql = "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                   WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4";
        let n =
            on_pool!(self, p => sqlx::query(sql).bind(job).bind(holder).bind(until).bind(now).execute(p).await.map(|r| r.rows_affected()))
                .map_err(StoreError::db("taking a job lease"))?;
        Ok(n > 0)
    }

    /// Records that `job` ran for `period` (e.g. the day swept) and gives the lease up.
    pub async fn finish_lease(&self, job: &str, holder: &str, period: &str) -> Result<()> {
        let sql = "UPDATE job_leases SET last_run = $1, expires_at = $2 WHERE job = $3 AND holder = $4";
        on_pool!(self, p => sqlx::query(sql).bind(period).bind(Utc::now()).bind(job).bind(holder).execute(p).await.map(|_| ()))
            .map_err(StoreError::db("finishing a job lease"))?;
        Ok(())
    }

    /// The period `job` last ran for, if ever.
    pub async fn job_last_run(&self, job: &str) -> Result<Option<String>> {
        let v: Option<Option<String>> =
            on_pool!(self, p => sqlx::query_scalar("SELECT last_run FROM job_leases WHERE job = $1").bind(job).fetch_optional(p).await)
                .map_err(StoreError::db("reading a job lease"))?;
        Ok(v.flatten())
    }
}
