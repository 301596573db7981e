//! PostgreSQL with the key index deferred (a large import into an empty event table): chunks
//! are resolved, encoded in binary `COPY` form and sent a slice at a time inside one `COPY`
//! kept open from chunk to chunk, so the server stores rows while the next are prepared here
//! and neither side waits for the other at a chunk's end. (With one `COPY` per chunk, the
//! server idled while a chunk's first slice was prepared and this side idled while the server
//! stored its last one.) With the primary key deferred too (`deferral.rs`), rows carry ids
//! given here in order, so the server neither draws from the sequence nor updates the key's
//! B-tree per row, and go in frozen (`COPY … FREEZE`, the table having been emptied in this
//! transaction).

use tokio::sync::mpsc;

use super::refs::{RefMaps, SeenKeys};
use super::*;
use crate::copy_binary;

/// Rows per message sent inside the `COPY` (about 25 KB of orders): small, so the server
/// starts storing soon after the first rows are ready.
const SLICE_ROWS: usize = 512;

/// Validated records, in file order, as the caller hands them over.
pub type Chunk = Vec<(u64, Record)>;

impl ImportSession {
    /// Whether this import's rows go in by `COPY` ([`ImportSession::copy_all`]): PostgreSQL,
    /// with the key index deferred.
    pub fn copies(&self) -> bool {
        self.deferred_keys.is_some() && matches!(self.tx, Tx::Postgres(_))
    }

    /// One chunk by `COPY` (what `write` does for such an import).
    pub(super) async fn copy_chunk(&mut self, records: Chunk) -> Result<ChunkOutcome> {
        let (chunks, mut rx) = mpsc::channel(1);
        let (outcomes, mut done) = mpsc::unbounded_channel();
        // Room for one chunk, and its receiver is here: the send cannot fail.
        let _ = chunks.try_send(records);
        drop(chunks);
        self.copy_all(&mut rx, &outcomes).await?;
        Ok(done.try_recv().unwrap_or_default())
    }

    /// Writes the chunks `chunks` yields, until it closes, by `COPY`: every row is new (no
    /// stored key can match; the index built at commit finds keys the file repeats), so none
    /// comes back for the update path. Each chunk's outcome (rows rejected here: unknown
    /// customer, key repeated within the chunk) goes to `outcomes` once its rows are sent.
    /// One `COPY` takes chunk after chunk; it ends early only for a chunk that needs a
    /// reference cache not loaded yet, which is loaded (a query) before the next `COPY`.
    pub async fn copy_all(&mut self, chunks: &mut mpsc::Receiver<Chunk>, outcomes: &mpsc::UnboundedSender<ChunkOutcome>) -> Result<()> {
        if !self.copies() {
            return Err(StoreError::config("a COPY import needs PostgreSQL and a deferred key index".to_string()));
        }
        let Some(mut chunk) = chunks.recv().await else { return Ok(()) };
        loop {
            self.load_caches(&chunk).await?;
            match self.copy_run(chunk, chunks, outcomes).await? {
                Some(next) => chunk = next,
                None => return Ok(()),
            }
        }
    }

    /// One `COPY`: `first`, then the chunks that come while the caches cover them. Returns
    /// the chunk that needs a cache loaded first, or None when `chunks` closed.
    async fn copy_run(
        &mut self,
        first: Chunk,
        chunks: &mut mpsc::Receiver<Chunk>,
        outcomes: &mpsc::UnboundedSender<ChunkOutcome>,
    ) -> Result<Option<Chunk>> {
        let (spec, entity, customer_col, external_complete) = (self.spec, self.entity, self.customer_col, self.external_complete);
        // The caches, borrowed field by field: the open COPY holds the transaction meanwhile.
        let refs = RefMaps {
            by_external: self.by_external.as_ref(),
            by_canonical: self.by_canonical.as_ref(),
            users: self.users.as_ref(),
            teams: self.teams.as_ref(),
        };
        let (touched, next_id, totals) = (&mut self.touched, &mut self.next_id, &mut self.totals);
        let Tx::Postgres(t) = &mut self.tx else {
            return Err(StoreError::config("a COPY import needs PostgreSQL".to_string()));
        };
        let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
        // Ids given here come with the table emptied in this transaction (`deferral.rs`): the
        // rows can go in frozen.
        let (id_col, freeze) = if next_id.is_some() { ("id, ", ", FREEZE") } else { ("", "") };
        let sql = format!(
            "COPY {} ({id_col}external_id, {}, batch_id, created_at, updated_at) FROM STDIN (FORMAT binary{freeze})",
            spec.table,
            cols.join(", ")
        );
        let tail =
            copy_binary::Tail::of(&[SqlValue::Int(Some(self.batch_id)), SqlValue::Time(Some(self.now)), SqlValue::Time(Some(self.now))]);
        let mut data = Vec::with_capacity(SLICE_ROWS * 128);
        copy_binary::start(&mut data);
        let mut copy = t.copy_in_raw(&sql).await.map_err(StoreError::db("starting to copy imported rows"))?;
        let mut chunk = first;
        let rest = loop {
            let mut out = ChunkOutcome::default();
            let mut seen = SeenKeys::with_capacity_and_hasher(chunk.len(), Default::default());
            for slice in chunk.chunks(SLICE_ROWS) {
                for (row, rec) in slice {
                    let (key, values) = match refs.keyed_row(entity, *row, rec) {
                        // Deferred keys are for event tables, whose rows always have a key.
                        Ok((Some(k), values)) => (k, values),
                        Ok((None, values)) => (table::content_key(&values), values),
                        Err(e) => {
                            out.rejected.push(e);
                            continue;
                        }
                    };
                    if let Some(first) = seen.get(&key) {
                        out.rejected.push(dup_row(*row, &key, Some(*first)));
                        continue;
                    }
                    let id = next_id.map(|n| SqlValue::Int(Some(n)));
                    *next_id = next_id.map(|n| n + 1);
                    let key = SqlValue::Text(Some(key));
                    copy_binary::push_row(&mut data, id.iter().chain(std::iter::once(&key)).chain(&values), &tail);
                    if let SqlValue::Text(Some(key)) = key {
                        seen.insert(key, *row);
                    }
                    if let Some(SqlValue::Int(Some(id))) = customer_col.and_then(|c| values.get(c)) {
                        touched.add(*id);
                        out.inserted_rows.push((*row, *id));
                    }
                    out.inserted += 1;
                }
                copy.send(data.as_slice()).await.map_err(StoreError::db("copying imported rows"))?;
                data.clear();
            }
            totals.inserted += out.inserted;
            // A caller that stopped listening only misses the report of this chunk.
            let _ = outcomes.send(out);
            match chunks.recv().await {
                None => break None,
                Some(next) if refs.cover(&next, external_complete) => chunk = next,
                Some(next) => break Some(next),
            }
        };
        copy_binary::finish(&mut data);
        copy.send(data.as_slice()).await.map_err(StoreError::db("copying imported rows"))?;
        copy.finish().await.map_err(StoreError::db("copying imported rows"))?;
        Ok(rest)
    }
}
