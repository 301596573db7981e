//! The kinds of customer events the engine aggregates, the numeric and category fields each
//! carries, and one event as handed to a book.

use super::day::Day;
use crate::import::Entity;

/// The kinds of events the engine aggregates, with the fields each one carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Orders,
    Payments,
    Interactions,
    Deals,
    Tickets,
    Feedback,
}

/// Numeric fields per event: at most this many.
pub const MAX_NUMS: usize = 3;
/// Category fields per event: at most this many.
pub const MAX_CATS: usize = 2;
/// A missing numeric value.
pub const NO_NUM: i64 = i64::MIN;

impl EventKind {
    pub const ALL: [EventKind; 6] =
        [EventKind::Orders, EventKind::Payments, EventKind::Interactions, EventKind::Deals, EventKind::Tickets, EventKind::Feedback];

    /// The importable entity (and store table) holding these events.
    pub fn entity(self) -> Entity {
        match self {
            EventKind::Orders => Entity::Orders,
            EventKind::Payments => Entity::Payments,
            EventKind::Interactions => Entity::Interactions,
            EventKind::Deals => Entity::Deals,
            EventKind::Tickets => Entity::Tickets,
            EventKind::Feedback => Entity::Feedback,
        }
    }

    /// The name used in rules and the store.
    pub fn name(self) -> &'static str {
        self.entity().name()
    }

    /// Numeric fields, in column order. Money is in cents.
    pub fn numbers(self) -> &'static [&'static str] {
        match self {
            EventKind::Orders | EventKind::Payments => &["amount"],
            EventKind::Interactions => &[],
            EventKind::Deals => &["amount", "bant"],
            EventKind::Tickets => &["response_hours", "resolution_hours", "satisfaction"],
            EventKind::Feedback => &["nps", "csat"],
        }
    }

    /// Which numeric fields are money (cents in the book, currency units in rules).
    pub fn is_money(self, field: &str) -> bool {
        field == "amount"
    }

    /// Category fields, in column order.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            EventKind::Orders => &["product_line"],
            EventKind::Payments => &["method"],
            EventKind::Interactions => &["channel", "outcome"],
            EventKind::Deals => &["stage"],
            EventKind::Tickets => &["category", "severity"],
            EventKind::Feedback => &[],
        }
    }
}

/// One event as handed to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRow {
    pub day: Day,
    /// Numeric fields in `EventKind::numbers` order; `NO_NUM` when missing.
    pub nums: [i64; MAX_NUMS],
    /// Category codes in `EventKind::categories` order (0 = missing).
    pub cats: [u32; MAX_CATS],
    /// Kind-specific flag: for orders, 1 when the order counts as revenue.
    pub flag: u8,
}

impl EventRow {
    pub fn new(day: Day) -> EventRow {
        EventRow { day, nums: [NO_NUM; MAX_NUMS], cats: [0; MAX_CATS], flag: 0 }
    }
}
