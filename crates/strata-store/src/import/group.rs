//! Several batches in one import transaction (group commit): a live server that receives many
//! small event requests at once writes each as its own batch — its own record, counts, feed
//! entries and undo — but commits them together, so they share one log write and one sync.
//! Each batch is written under a savepoint: a batch with a rejected row is rolled back alone
//! and leaves the others as if it had never been sent.

use super::*;

/// The savepoint one grouped batch is written under: taken, released, returned to.
const SAVEPOINT: &str = "SAVEPOINT strata_grouped_batch";
const RELEASE: &str = "RELEASE SAVEPOINT strata_grouped_batch";
/// Returns to the savepoint and lets it go, in one round trip.
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT strata_grouped_batch; RELEASE SAVEPOINT strata_grouped_batch";
/// Keeps what was written since the savepoint and marks a new one, in one round trip.
const RENEW: &str = "RELEASE SAVEPOINT strata_grouped_batch; SAVEPOINT strata_grouped_batch";

impl ImportSession {
    /// Marks the point a later [`ImportSession::rollback_to_savepoint`] returns to. Take it
    /// before [`ImportSession::next_batch`] so that a rollback also removes the batch record.
    pub async fn savepoint(&mut self) -> Result<()> {
        self.exec_control(SAVEPOINT, "marking a savepoint").await
    }

    /// Keeps what was written since the savepoint.
    pub async fn release_savepoint(&mut self) -> Result<()> {
        self.exec_control(RELEASE, "releasing a savepoint").await
    }

    /// [`ImportSession::release_savepoint`] then [`ImportSession::savepoint`], in one statement
    /// string (one round trip): between two grouped batches.
    pub async fn renew_savepoint(&mut self) -> Result<()> {
        self.exec_control(RENEW, "renewing a savepoint").await
    }

    /// Discards what was written since the savepoint (the batch record included when it was
    /// started after it) and forgets that batch's counts and customers.
    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.exec_control(ROLLBACK_TO, "rolling back to a savepoint").await?;
        self.totals = ChunkOutcome::default();
        self.touched = Touched::default();
        Ok(())
    }

    /// Starts another batch of the same kind of rows and fields in this transaction, after
    /// [`ImportSession::finish_batch`] has recorded the previous one.
    pub async fn next_batch(&mut self, file_name: &str, actor: &str) -> Result<()> {
        let now = Utc::now();
        let id = record_batch(&mut self.tx, self.entity, file_name, actor, now).await?;
        self.batch_id = id;
        self.now = now;
        self.file_name = file_name.to_string();
        self.actor = actor.to_string();
        self.totals = ChunkOutcome::default();
        self.touched = Touched::default();
        Ok(())
    }

    /// Removes the current batch's record, when its rows were rolled back to the savepoint
    /// taken before them (the transaction's first batch is recorded before any savepoint).
    pub async fn discard_batch(&mut self) -> Result<()> {
        let id = self.batch_id;
        on_tx!(&mut self.tx, t => sqlx::query("DELETE FROM import_batches WHERE id = $1").bind(id).execute(&mut **t).await.map(|_| ()))
            .map_err(StoreError::db("discarding an import batch"))
    }

    /// Runs a transaction-control statement (simple protocol: nothing to prepare).
    async fn exec_control(&mut self, sql: &'static str, context: &'static str) -> Result<()> {
        on_tx!(&mut self.tx, t => sqlx::Executor::execute(&mut **t, sql).await.map(|_| ())).map_err(StoreError::db(context))
    }
}
