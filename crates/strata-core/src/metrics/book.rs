//! `EventBook`: one kind of customer event (orders, payments, …) held in compact columns,
//! grouped by customer and sorted by day within a customer, plus an overlay of customers whose
//! events changed since the book was built (incremental updates without rebuilding).

use std::collections::HashMap;

pub use super::book_builder::EventBookBuilder;
pub use super::codes::CodeSlice;
pub use super::event_kind::{EventKind, EventRow, MAX_CATS, MAX_NUMS, NO_NUM};
use super::{
    codes::CodeColumn,
    day::Day,
    day_column::{DayColumn, DaySlice},
    dictionary::Dictionary,
    nums::{NumColumn, NumSlice},
    window::DayRange,
};

/// A customer's events, columns of equal length sorted by day.
#[derive(Debug, Clone, Copy)]
pub struct EventSlice<'a> {
    pub day: DaySlice<'a>,
    pub nums: [NumSlice<'a>; MAX_NUMS],
    pub cats: [CodeSlice<'a>; MAX_CATS],
    pub flag: &'a [u8],
}

impl<'a> EventSlice<'a> {
    pub fn len(&self) -> usize {
        self.day.len()
    }

    pub fn is_empty(&self) -> bool {
        self.day.is_empty()
    }

    /// Event `j` as a row (numeric fields a kind lacks read as missing).
    pub fn row(&self, j: usize) -> EventRow {
        EventRow {
            day: self.day.get(j),
            nums: std::array::from_fn(|i| self.nums[i].get(j)),
            cats: std::array::from_fn(|i| self.cats[i].get(j)),
            flag: self.flag[j],
        }
    }

    /// Index range of events inside `range` (days are sorted).
    pub fn span(&self, range: DayRange) -> std::ops::Range<usize> {
        if range == DayRange::ALL {
            return 0..self.day.len();
        }
        let lo = self.day.partition_point(|d| d < range.start);
        let hi = self.day.partition_point(|d| d <= range.end);
        lo..hi.max(lo)
    }
}

/// Owned columns for one customer in the overlay: only the fields the kind has (a column the
/// kind lacks stays empty and reads as missing), sized for the events they hold.
#[derive(Debug, Clone)]
pub(super) struct OwnedEvents {
    pub(super) day: Vec<Day>,
    pub(super) nums: [Vec<i64>; MAX_NUMS],
    pub(super) cats: [Vec<u32>; MAX_CATS],
    pub(super) flag: Vec<u8>,
    /// How many of `nums` and `cats` the kind fills.
    numbers: u8,
    categories: u8,
}

impl OwnedEvents {
    /// No events yet, with room for `n` of `kind`.
    fn for_kind(kind: EventKind, n: usize) -> OwnedEvents {
        let (numbers, categories) = (kind.numbers().len(), kind.categories().len());
        OwnedEvents {
            day: Vec::with_capacity(n),
            nums: std::array::from_fn(|i| Vec::with_capacity(if i < numbers { n } else { 0 })),
            cats: std::array::from_fn(|i| Vec::with_capacity(if i < categories { n } else { 0 })),
            flag: Vec::with_capacity(n),
            numbers: numbers as u8,
            categories: categories as u8,
        }
    }

    fn slice(&self) -> EventSlice<'_> {
        EventSlice {
            day: DaySlice::I32(&self.day),
            nums: [NumSlice::I64(&self.nums[0]), NumSlice::I64(&self.nums[1]), NumSlice::I64(&self.nums[2])],
            cats: [CodeSlice::U32(&self.cats[0]), CodeSlice::U32(&self.cats[1])],
            flag: &self.flag,
        }
    }

    fn insert(&mut self, row: &EventRow) {
        let at = self.day.partition_point(|&d| d <= row.day);
        self.day.insert(at, row.day);
        for (col, v) in self.nums.iter_mut().zip(row.nums).take(usize::from(self.numbers)) {
            col.insert(at, v);
        }
        for (col, v) in self.cats.iter_mut().zip(row.cats).take(usize::from(self.categories)) {
            col.insert(at, v);
        }
        self.flag.insert(at, row.flag);
    }
}

/// All events of one kind for every customer position.
#[derive(Debug, Clone)]
pub struct EventBook {
    pub(super) kind: EventKind,
    /// `offsets[p]..offsets[p + 1]` are position p's events in the base columns.
    pub(super) offsets: Vec<u32>,
    pub(super) day: DayColumn,
    pub(super) nums: [NumColumn; MAX_NUMS],
    pub(super) cats: [CodeColumn; MAX_CATS],
    pub(super) flag: Vec<u8>,
    /// Per category field: the text of each code.
    pub(super) dicts: [Dictionary; MAX_CATS],
    /// Customers whose events changed since the base was built: their complete event list.
    pub(super) overlay: HashMap<u32, OwnedEvents>,
    pub(super) overlay_events: usize,
}

impl EventBook {
    pub fn empty(kind: EventKind, customers: usize) -> EventBook {
        EventBookBuilder::new(kind, &vec![0; customers]).finish()
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// Number of customer positions the book covers.
    pub fn customers(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Total number of events.
    pub fn len(&self) -> usize {
        let overlaid: usize = self.overlay.keys().map(|&p| self.base_len(p)).sum();
        self.day.len() - overlaid + self.overlay_events
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn base_len(&self, p: u32) -> usize {
        let p = p as usize;
        match (self.offsets.get(p), self.offsets.get(p + 1)) {
            (Some(&a), Some(&b)) => (b - a) as usize,
            _ => 0,
        }
    }

    fn base_slice(&self, p: u32) -> EventSlice<'_> {
        let p = p as usize;
        let (a, b) = match (self.offsets.get(p), self.offsets.get(p + 1)) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        EventSlice {
            day: self.day.slice(a, b),
            nums: [self.nums[0].slice(a, b), self.nums[1].slice(a, b), self.nums[2].slice(a, b)],
            cats: [self.cats[0].slice(a, b), self.cats[1].slice(a, b)],
            flag: &self.flag[a..b],
        }
    }

    /// The events of the customer at `position` (empty for positions the book does not know).
    #[inline]
    pub fn events(&self, position: u32) -> EventSlice<'_> {
        if !self.overlay.is_empty() {
            if let Some(owned) = self.overlay.get(&position) {
                return owned.slice();
            }
        }
        self.base_slice(position)
    }

    /// An order book from (position, day, amount in cents) rows, every order counting as revenue.
    pub fn of_orders(rows: &[(u32, Day, i64)]) -> EventBook {
        let customers = rows.iter().map(|r| r.0 as usize + 1).max().unwrap_or(0);
        let mut counts = vec![0u32; customers];
        for r in rows {
            counts[r.0 as usize] += 1;
        }
        let mut b = EventBookBuilder::new(EventKind::Orders, &counts);
        for &(p, day, cents) in rows {
            let mut row = EventRow::new(day);
            row.nums[0] = cents;
            row.flag = 1;
            b.push(p, &row);
        }
        b.finish()
    }

    /// A copy holding only the events on or before `day` (for features "as of" a past date).
    /// Category codes keep their meaning: the dictionaries are copied.
    pub fn until(&self, day: Day) -> EventBook {
        let n = self.customers() as u32;
        let counts: Vec<u32> = (0..n).map(|p| self.events(p).span(DayRange { start: Day::MIN, end: day }).len() as u32).collect();
        let mut b = EventBookBuilder::new(self.kind, &counts);
        b.dicts = self.dicts.clone();
        for p in 0..n {
            let e = self.events(p);
            for j in 0..counts[p as usize] as usize {
                b.push(p, &e.row(j));
            }
        }
        b.finish()
    }

    /// The dictionary of category field `i`.
    pub fn dictionary(&self, i: usize) -> &Dictionary {
        &self.dicts[i.min(MAX_CATS - 1)]
    }

    /// Interns a category value of field `i`.
    pub fn intern(&mut self, i: usize, value: &str) -> u32 {
        self.dicts[i.min(MAX_CATS - 1)].intern(value)
    }

    /// Makes room for customers added after the book was built.
    pub fn grow(&mut self, customers: usize) {
        if let Some(&last) = self.offsets.last() {
            while self.offsets.len() < customers + 1 {
                self.offsets.push(last);
            }
        }
    }

    fn owned(&mut self, position: u32) -> &mut OwnedEvents {
        if !self.overlay.contains_key(&position) {
            let base = self.base_slice(position);
            let mut owned = OwnedEvents::for_kind(self.kind, base.len() + 1);
            for j in 0..base.len() {
                owned.insert(&base.row(j));
            }
            self.overlay_events += owned.day.len();
            self.overlay.insert(position, owned);
        }
        let kind = self.kind;
        self.overlay.entry(position).or_insert_with(|| OwnedEvents::for_kind(kind, 1))
    }

    /// Adds one event for the customer at `position`.
    pub fn add(&mut self, position: u32, row: &EventRow) {
        self.grow(position as usize + 1);
        self.owned(position).insert(row);
        self.overlay_events += 1;
    }

    /// Replaces every event of the customer at `position` (after edits, deletes or an undo).
    pub fn replace(&mut self, position: u32, rows: &[EventRow]) {
        self.grow(position as usize + 1);
        let kind = self.kind;
        let owned = self.owned(position);
        let before = owned.day.len();
        *owned = OwnedEvents::for_kind(kind, rows.len());
        let mut sorted = rows.to_vec();
        sorted.sort_by_key(|r| r.day);
        for r in &sorted {
            owned.insert(r);
        }
        self.overlay_events = self.overlay_events + rows.len() - before;
    }

    /// Customers in the overlay (changed since the base was built).
    pub fn overlay_customers(&self) -> usize {
        self.overlay.len()
    }

    /// Bytes held by the columns (what the engine's memory figures report).
    pub fn heap_bytes(&self) -> usize {
        let base = self.offsets.len() * 4
            + self.day.heap_bytes()
            + self.nums.iter().map(NumColumn::heap_bytes).sum::<usize>()
            + self.cats.iter().map(CodeColumn::heap_bytes).sum::<usize>()
            + self.flag.len();
        base + self.overlay_events * 25 + self.overlay.len() * 200 + self.dicts.iter().map(Dictionary::heap_bytes).sum::<usize>()
    }
}
