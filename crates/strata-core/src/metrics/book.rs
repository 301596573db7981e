//! `EventBook`: one kind of customer event (orders, payments, …) held in compact columns,
//! grouped by customer and sorted by day within a customer, plus an overlay of customers whose
//! events changed since the book was built (incremental updates without rebuilding).

use std::collections::HashMap;

use super::{
    codes::CodeColumn,
    day::Day,
    day_column::{DayColumn, DaySlice},
    dictionary::Dictionary,
    nums::{NumColumn, NumSlice},
    window::DayRange,
};
use crate::import::Entity;

pub use super::codes::CodeSlice;

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

/// Builds a book from per-customer counts, then events pushed in any order.
pub struct EventBookBuilder {
    pub(super) kind: EventKind,
    pub(super) offsets: Vec<u32>,
    /// Per position: the next free slot and the end of its slots (one cache line per row).
    pub(super) cursors: Vec<[u32; 2]>,
    pub(super) day: DayColumn,
    pub(super) nums: [NumColumn; MAX_NUMS],
    pub(super) cats: [CodeColumn; MAX_CATS],
    pub(super) flag: Vec<u8>,
    pub dicts: [Dictionary; MAX_CATS],
    pub(super) dropped: u64,
}

impl EventBookBuilder {
    /// `counts[p]` is how many events customer position p will receive.
    pub fn new(kind: EventKind, counts: &[u32]) -> EventBookBuilder {
        let mut offsets = Vec::with_capacity(counts.len() + 1);
        let mut total: u32 = 0;
        offsets.push(0);
        for &c in counts {
            total = total.saturating_add(c);
            offsets.push(total);
        }
        let n = total as usize;
        let numbered = kind.numbers().len();
        let categorised = kind.categories().len();
        EventBookBuilder {
            kind,
            cursors: offsets.windows(2).map(|w| [w[0], w[1]]).collect(),
            offsets,
            day: DayColumn::zeros(n),
            nums: std::array::from_fn(|i| NumColumn::missing(if i < numbered { n } else { 0 })),
            cats: std::array::from_fn(|i| if i < categorised { CodeColumn::zeros(n) } else { CodeColumn::zeros(0) }),
            flag: vec![0; n],
            dicts: Default::default(),
            dropped: 0,
        }
    }

    /// Places one event; events beyond a customer's announced count are dropped and counted.
    pub fn push(&mut self, position: u32, row: &EventRow) {
        let p = position as usize;
        let Some(cursor) = self.cursors.get_mut(p).filter(|c| c[0] < c[1]) else {
            self.dropped += 1;
            return;
        };
        let i = cursor[0] as usize;
        cursor[0] += 1;
        self.write_fresh(i, row);
    }

    /// Stores `row` in slot `i`, never written before: values equal to a fresh column's
    /// (missing numbers and categories, flag 0) are not written again, which spares a
    /// scattered write per absent field.
    fn write_fresh(&mut self, i: usize, row: &EventRow) {
        self.day.set(i, row.day);
        for (col, v) in self.nums.iter_mut().zip(row.nums) {
            if v != NO_NUM {
                col.set(i, v);
            }
        }
        for (col, v) in self.cats.iter_mut().zip(row.cats) {
            if v != 0 {
                col.set(i, v);
            }
        }
        if row.flag != 0 {
            self.flag[i] = row.flag;
        }
    }

    /// Stores `row` in slot `i` (numeric and category fields the kind lacks are dropped).
    fn write(&mut self, i: usize, row: &EventRow) {
        self.day.set(i, row.day);
        for (col, v) in self.nums.iter_mut().zip(row.nums) {
            col.set(i, v);
        }
        for (col, v) in self.cats.iter_mut().zip(row.cats) {
            col.set(i, v);
        }
        self.flag[i] = row.flag;
    }

    /// Events that could not be placed (unknown position or more than announced).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sorts each customer's events by day and seals the book. Slots announced but never
    /// filled are removed.
    pub fn finish(mut self) -> EventBook {
        let n = self.cursors.len();
        let complete = self.cursors.iter().all(|c| c[0] == c[1]);
        if !complete {
            let counts: Vec<u32> = (0..n).map(|p| self.cursors[p][0] - self.offsets[p]).collect();
            let mut b = EventBookBuilder::new(self.kind, &counts);
            b.dicts = std::mem::take(&mut self.dicts);
            for p in 0..n {
                for i in self.offsets[p] as usize..self.cursors[p][0] as usize {
                    let row = self.row(i);
                    b.push(p as u32, &row);
                }
            }
            return b.finish();
        }
        for p in 0..n {
            let (a, b) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
            if !self.day.slice(a, b).is_sorted() {
                self.sort_run(a, b);
            }
        }
        EventBook {
            kind: self.kind,
            offsets: self.offsets,
            day: self.day,
            nums: self.nums,
            cats: self.cats,
            flag: self.flag,
            dicts: self.dicts,
            overlay: HashMap::new(),
            overlay_events: 0,
        }
    }

    fn row(&self, i: usize) -> EventRow {
        EventRow {
            day: self.day.get(i),
            nums: std::array::from_fn(|k| self.nums[k].get(i)),
            cats: std::array::from_fn(|k| self.cats[k].get(i)),
            flag: self.flag[i],
        }
    }

    fn sort_run(&mut self, a: usize, b: usize) {
        let mut rows: Vec<EventRow> = (a..b).map(|i| self.row(i)).collect();
        rows.sort_by_key(|r| r.day);
        for (k, r) in rows.iter().enumerate() {
            self.write(a + k, r);
        }
    }
}
