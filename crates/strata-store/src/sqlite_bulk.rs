//! The SQLite fast path for bulk writes: a statement prepared once on the connection's raw
//! handle (inside the same sqlx transaction) and re-used for every row. sqlx's per-statement
//! machinery costs more than SQLite's own work for single-row inserts; this path costs only
//! SQLite's. Values are encoded exactly as sqlx encodes them, so both paths read the same.

use std::{ffi::CStr, ptr::NonNull};

use libsqlite3_sys as ffi;

use crate::{
    value::{time_text, IsoDate, SqlValue},
    StoreError,
};

/// Maps a raw statement's error text to the store error for `context`.
pub(crate) fn raw_error(context: &'static str) -> impl Fn(String) -> StoreError + Copy {
    move |message| StoreError::Database { context, source: sqlx::Error::Protocol(message) }
}

/// Runs `f` on the raw handle of a pooled connection, locked for the whole call. `f` is
/// synchronous, so no raw pointer outlives the lock or crosses an await.
pub(crate) async fn with_pooled_handle<T>(
    pool: &sqlx::SqlitePool,
    context: &'static str,
    f: impl FnOnce(NonNull<ffi::sqlite3>) -> crate::Result<T>,
) -> crate::Result<T> {
    let mut conn = pool.acquire().await.map_err(StoreError::db(context))?;
    let mut handle = conn.lock_handle().await.map_err(StoreError::db(context))?;
    f(handle.as_raw_handle())
}

/// A raw connection handle that may move to another thread. sqlx opens connections in
/// SQLite's multi-thread mode, where a connection may be used from any thread as long as no
/// two threads use it at once; `with_pooled_handles` gives each thread a handle of its own.
#[derive(Clone, Copy)]
pub(crate) struct SendHandle(NonNull<ffi::sqlite3>);

impl SendHandle {
    /// The handle, for `RawStatement::prepare` (a method, so closures move the whole `Send` value).
    pub(crate) fn raw(self) -> NonNull<ffi::sqlite3> {
        self.0
    }
}

// SAFETY: see the type's documentation: each handle is used by one thread at a time, while
// the sqlx lock taken in `with_pooled_handles` keeps every other user away.
unsafe impl Send for SendHandle {}

/// Runs `f` on the raw handles of up to `wanted` pooled connections (at least one), all
/// locked for the whole call. Connections beyond the first are taken only when the pool gives
/// them quickly, so a busy pool means fewer handles, never a wait.
pub(crate) async fn with_pooled_handles<T>(
    pool: &sqlx::SqlitePool,
    wanted: usize,
    context: &'static str,
    f: impl FnOnce(&[SendHandle]) -> crate::Result<T>,
) -> crate::Result<T> {
    let mut conns = vec![pool.acquire().await.map_err(StoreError::db(context))?];
    while conns.len() < wanted {
        match tokio::time::timeout(std::time::Duration::from_millis(200), pool.acquire()).await {
            Ok(Ok(conn)) => conns.push(conn),
            _ => break,
        }
    }
    let mut locks = Vec::with_capacity(conns.len());
    for conn in &mut conns {
        locks.push(conn.lock_handle().await.map_err(StoreError::db(context))?);
    }
    let handles: Vec<SendHandle> = locks.iter_mut().map(|l| SendHandle(l.as_raw_handle())).collect();
    f(&handles)
}

/// A prepared statement on a locked raw connection handle. Finalized on drop.
pub(crate) struct RawStatement {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
}

fn error_text(db: *mut ffi::sqlite3) -> String {
    // SAFETY: `db` is a live connection handle; sqlite3_errmsg returns a NUL-terminated string
    // owned by SQLite that stays valid until the next call on this connection; we copy it now.
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned() }
}

impl RawStatement {
    /// Prepares `sql` on `db`. The caller holds sqlx's lock on the handle for the statement's
    /// whole life (see `ImportSession::insert_new`).
    pub(crate) fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<RawStatement, String> {
        let db = db.as_ptr();
        let mut stmt = std::ptr::null_mut();
        let len = i32::try_from(sql.len()).map_err(|_| "statement too long".to_string())?;
        // SAFETY: `db` is valid while the lock is held; `sql` is valid for `len` bytes; `stmt`
        // receives a statement we own and finalize in Drop.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), len, &mut stmt, std::ptr::null_mut()) };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            return Err(error_text(db));
        }
        Ok(RawStatement { db, stmt })
    }

    fn check(&self, rc: i32) -> Result<(), String> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_text(self.db))
        }
    }

    fn bind_text(&mut self, idx: i32, s: &str) -> Result<(), String> {
        let len = i32::try_from(s.len()).map_err(|_| "value too long".to_string())?;
        // SAFETY: the statement is live; SQLITE_TRANSIENT makes SQLite copy the bytes now, so
        // `s` need not outlive the call.
        let rc = unsafe { ffi::sqlite3_bind_text(self.stmt, idx, s.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT()) };
        self.check(rc)
    }

    /// Binds parameter `idx` (1-based) the way sqlx would encode `v`.
    pub(crate) fn bind(&mut self, idx: i32, v: &SqlValue) -> Result<(), String> {
        // SAFETY (int64/null binds): the statement is live and `idx` is within its parameters
        // (SQLite reports SQLITE_RANGE otherwise, which we return as an error).
        match v {
            SqlValue::Int(Some(i)) => self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt, idx, *i) }),
            SqlValue::Bool(Some(b)) => self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt, idx, i64::from(*b)) }),
            SqlValue::Text(Some(s)) => self.bind_text(idx, s),
            SqlValue::Date(Some(d)) => self.bind_text(idx, &IsoDate(*d).to_string()),
            SqlValue::Time(Some(t)) => self.bind_text(idx, &time_text(*t)),
            SqlValue::Json(j) => self.bind_text(idx, &j.to_string()),
            SqlValue::Int(None) | SqlValue::Bool(None) | SqlValue::Text(None) | SqlValue::Date(None) | SqlValue::Time(None) => {
                self.check(unsafe { ffi::sqlite3_bind_null(self.stmt, idx) })
            }
        }
    }

    pub(crate) fn bind_opt_text(&mut self, idx: i32, s: Option<&str>) -> Result<(), String> {
        match s {
            Some(s) => self.bind_text(idx, s),
            // SAFETY: as in `bind`.
            None => self.check(unsafe { ffi::sqlite3_bind_null(self.stmt, idx) }),
        }
    }

    /// Runs the statement to completion and resets it; returns the rows it changed.
    pub(crate) fn execute(&mut self) -> Result<i64, String> {
        // SAFETY: the statement and connection are live; reset/clear_bindings prepare the
        // statement for the next row and release the bound values.
        unsafe {
            let rc = ffi::sqlite3_step(self.stmt);
            let changes = ffi::sqlite3_changes(self.db);
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
            if rc == ffi::SQLITE_DONE {
                Ok(i64::from(changes))
            } else {
                Err(error_text(self.db))
            }
        }
    }

    /// Advances a query; true while it yields rows. Call `reset` before reusing the statement.
    pub(crate) fn step(&mut self) -> Result<bool, String> {
        // SAFETY: the statement and connection are live and used from this thread only.
        match unsafe { ffi::sqlite3_step(self.stmt) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            _ => Err(error_text(self.db)),
        }
    }

    /// Column `i` of the current row as an integer (None for NULL). The type is asked only
    /// when the value reads 0, which is what NULL reads as: one call per value, not two.
    pub(crate) fn column_int(&self, i: i32) -> Option<i64> {
        // SAFETY: called after `step` returned a row; `i` out of range reads NULL. Reading a
        // NULL as an integer converts nothing, so its type is still NULL afterwards.
        unsafe {
            let v = ffi::sqlite3_column_int64(self.stmt, i);
            if v == 0 && ffi::sqlite3_column_type(self.stmt, i) == ffi::SQLITE_NULL {
                None
            } else {
                Some(v)
            }
        }
    }

    /// Column `i` of the current row as an integer, NULL reading as 0.
    pub(crate) fn column_int_or_zero(&self, i: i32) -> i64 {
        // SAFETY: called after `step` returned a row; `i` out of range reads NULL.
        unsafe { ffi::sqlite3_column_int64(self.stmt, i) }
    }

    /// Whether column `i` of the current row holds an integer.
    pub(crate) fn column_is_int(&self, i: i32) -> bool {
        // SAFETY: called after `step` returned a row; `i` out of range reads NULL.
        unsafe { ffi::sqlite3_column_type(self.stmt, i) == ffi::SQLITE_INTEGER }
    }

    /// Column `i` of the current row as text bytes (None for NULL). The bytes are valid until
    /// the next `step`, `reset` or drop, which the borrow on `self` enforces.
    pub(crate) fn column_text(&self, i: i32) -> Option<&[u8]> {
        // SAFETY: called after `step` returned a row; sqlite3_column_text returns a pointer
        // owned by SQLite valid until the statement moves on, and sqlite3_column_bytes (called
        // after it, as SQLite requires) its length. The returned borrow ties it to `&self`.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, i);
            if p.is_null() {
                return None;
            }
            let n = usize::try_from(ffi::sqlite3_column_bytes(self.stmt, i)).unwrap_or(0);
            Some(std::slice::from_raw_parts(p, n))
        }
    }
}

impl Drop for RawStatement {
    fn drop(&mut self) {
        // SAFETY: we own the statement and finalize it exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}
