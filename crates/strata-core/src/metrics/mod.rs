//! Customer metrics kept in memory in compact columns: the data the tier engine evaluates.
//!
//! Customers get a dense index (`CustomerIndex`), events live per kind in an `EventBook`
//! (customer-grouped columns plus an overlay for incremental changes), and aggregates are
//! computed over day windows resolved against an explicit "today" (this crate reads no clock).

mod book;
mod book_builder;
mod book_parts;
mod codes;
mod compaction;
mod day;
mod day_column;
mod dictionary;
mod event_kind;
mod index;
mod nums;
mod window;

pub use book::{EventBook, EventKind, EventRow, EventSlice, MAX_CATS, MAX_NUMS, NO_NUM};
pub use book_builder::EventBookBuilder;
pub use book_parts::GroupedBookBuilder;
pub use codes::CodeColumn;
pub use day::{date_of, day_of, day_of_ymd, Day};
pub use day_column::{DayColumn, DaySlice};
pub use dictionary::Dictionary;
pub use index::CustomerIndex;
pub use nums::{NumColumn, NumSlice};
pub use window::{DayRange, Window};

#[cfg(test)]
mod book_tests;
