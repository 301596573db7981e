//! Importing spreadsheets: read (source), validate (strata-core), write in one transaction
//! (strata-store), and report every rejected row.

mod copy_feed;
pub mod report;
pub mod run;
pub mod source;

pub use run::{run_import, ImportError, ImportRequest, ImportSummary};
