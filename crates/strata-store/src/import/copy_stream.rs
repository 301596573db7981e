//! PostgreSQL with the key index deferred (a large import into an empty event table): a
//! chunk's rows are resolved, encoded in binary `COPY` form and sent a slice at a time inside
//! one `COPY`, so the server stores one slice while the next is prepared here. Before, the
//! whole chunk was prepared, then sent, then waited for: each side idled while the other
//! worked. With the primary key deferred too (`deferral.rs`), rows carry ids given here in
//! order, so the server neither draws from the sequence nor updates the key's B-tree per row.

use super::refs::RefMaps;
use super::*;
use crate::copy_binary;

/// Rows per message sent inside the `COPY` (about 25 KB of orders): small, so the server
/// starts on a chunk soon and has little left to store when the chunk's `COPY` ends (4,096
/// rows per message: 61.5 s for the orders at M, 512: 58.9 s).
const SLICE_ROWS: usize = 512;

impl ImportSession {
    /// Writes a chunk through one `COPY`: every row is new (no stored key can match; the
    /// index built at commit finds keys the file repeats), so none comes back for the update
    /// path. Rows rejected here (unknown customer, key repeated within the chunk) are not sent.
    pub(super) async fn copy_chunk(&mut self, records: Vec<(u64, Record)>) -> Result<ChunkOutcome> {
        let (spec, entity, customer_col) = (self.spec, self.entity, self.customer_col);
        // The caches, borrowed field by field: the open COPY holds the transaction meanwhile.
        let refs = RefMaps {
            by_external: self.by_external.as_ref(),
            by_canonical: self.by_canonical.as_ref(),
            users: self.users.as_ref(),
            teams: self.teams.as_ref(),
        };
        let touched = &mut self.touched;
        let Tx::Postgres(t) = &mut self.tx else {
            return Err(StoreError::config("a COPY import needs PostgreSQL".to_string()));
        };
        let cols: Vec<&str> = spec.cols.iter().map(|(c, _)| *c).collect();
        let id_col = if self.next_id.is_some() { "id, " } else { "" };
        let sql = format!(
            "COPY {} ({id_col}external_id, {}, batch_id, created_at, updated_at) FROM STDIN (FORMAT binary)",
            spec.table,
            cols.join(", ")
        );
        let next_id = &mut self.next_id;
        let tail =
            copy_binary::Tail::of(&[SqlValue::Int(Some(self.batch_id)), SqlValue::Time(Some(self.now)), SqlValue::Time(Some(self.now))]);
        let mut out = ChunkOutcome::default();
        let mut seen: HashMap<String, u64> = HashMap::with_capacity(records.len());
        let mut data = Vec::with_capacity(SLICE_ROWS * 128);
        copy_binary::start(&mut data);
        let mut copy = t.copy_in_raw(&sql).await.map_err(StoreError::db("starting to copy imported rows"))?;
        for slice in records.chunks(SLICE_ROWS) {
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
                seen.insert(key.clone(), *row);
                let id = next_id.map(|n| SqlValue::Int(Some(n)));
                *next_id = next_id.map(|n| n + 1);
                let key = SqlValue::Text(Some(key));
                copy_binary::push_row(&mut data, id.iter().chain(std::iter::once(&key)).chain(&values), &tail);
                if let Some(SqlValue::Int(Some(id))) = customer_col.and_then(|c| values.get(c)) {
                    touched.add(*id);
                    out.inserted_rows.push((*row, *id));
                }
                out.inserted += 1;
            }
            copy.send(data.as_slice()).await.map_err(StoreError::db("copying imported rows"))?;
            data.clear();
        }
        copy_binary::finish(&mut data);
        copy.send(data.as_slice()).await.map_err(StoreError::db("copying imported rows"))?;
        copy.finish().await.map_err(StoreError::db("copying imported rows"))?;
        self.totals.inserted += out.inserted;
        Ok(out)
    }
}
