//! Building books in parts: from rows that arrive grouped by customer (a scan of a customer
//! index: nothing counted first, every write sequential), and joining books built over
//! consecutive customer ranges into one, so several threads can each build their own part.

use super::{
    book::{EventBook, EventBookBuilder, EventKind, EventRow, MAX_CATS, MAX_NUMS},
    CodeColumn, DayColumn, Dictionary, NumColumn,
};

/// Builds a book from rows grouped by customer, in ascending position.
pub struct GroupedBookBuilder {
    kind: EventKind,
    customers: usize,
    /// Run starts of positions 0..offsets.len(); the last run is still open.
    offsets: Vec<u32>,
    day: DayColumn,
    nums: [NumColumn; MAX_NUMS],
    cats: [CodeColumn; MAX_CATS],
    flag: Vec<u8>,
    dropped: u64,
}

impl GroupedBookBuilder {
    /// A builder for positions 0..customers.
    pub fn new(kind: EventKind, customers: usize) -> GroupedBookBuilder {
        GroupedBookBuilder {
            kind,
            customers,
            offsets: vec![0],
            day: DayColumn::zeros(0),
            nums: std::array::from_fn(|_| NumColumn::missing(0)),
            cats: std::array::from_fn(|_| CodeColumn::zeros(0)),
            flag: Vec::new(),
            dropped: 0,
        }
    }

    /// Adds one event of `position`. A position before the last one seen, or outside the
    /// builder's range, is dropped and counted.
    pub fn push(&mut self, position: u32, row: &EventRow) {
        let p = position as usize;
        if p + 1 < self.offsets.len() || p >= self.customers {
            self.dropped += 1;
            return;
        }
        let end = u32::try_from(self.flag.len()).unwrap_or(u32::MAX);
        while self.offsets.len() <= p {
            self.offsets.push(end);
        }
        self.day.push(row.day);
        for (col, &v) in self.nums.iter_mut().zip(&row.nums).take(self.kind.numbers().len()) {
            col.push(v);
        }
        for (col, &c) in self.cats.iter_mut().zip(&row.cats).take(self.kind.categories().len()) {
            col.push(c);
        }
        self.flag.push(row.flag);
    }

    /// Events that could not be placed (out of order or out of range).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Closes the runs, sorts each customer's events by day where they are not, and seals the
    /// book (category codes are the caller's: see `EventBook::concat`).
    pub fn finish(mut self) -> EventBook {
        let end = u32::try_from(self.flag.len()).unwrap_or(u32::MAX);
        self.offsets.resize(self.customers + 1, end);
        EventBookBuilder {
            kind: self.kind,
            cursors: self.offsets.windows(2).map(|w| [w[1], w[1]]).collect(),
            offsets: self.offsets,
            day: self.day,
            nums: self.nums,
            cats: self.cats,
            flag: self.flag,
            dicts: Default::default(),
            dropped: self.dropped,
        }
        .finish()
    }
}

impl EventBook {
    /// Joins `parts` in order: part k's customer positions follow part k−1's. `dicts` gives the
    /// text of every category code used in any part (the parts' own dictionaries are dropped).
    /// Each column grows in place, so the extra memory at any moment is one part's column.
    pub fn concat(kind: EventKind, parts: Vec<EventBook>, dicts: [Dictionary; MAX_CATS]) -> EventBook {
        let mut parts = parts.into_iter();
        let mut book = parts.next().unwrap_or_else(|| EventBook::empty(kind, 0));
        book.dicts = dicts;
        for part in parts {
            debug_assert_eq!(part.kind, book.kind, "joining books of different kinds");
            let customers = u32::try_from(book.offsets.len() - 1).unwrap_or(u32::MAX);
            let base = book.offsets.last().copied().unwrap_or(0);
            book.offsets.extend(part.offsets.iter().skip(1).map(|&o| o + base));
            book.day.append(part.day);
            for (mine, theirs) in book.nums.iter_mut().zip(part.nums) {
                mine.append(theirs);
            }
            for (mine, theirs) in book.cats.iter_mut().zip(part.cats) {
                mine.append(theirs);
            }
            book.flag.extend_from_slice(&part.flag);
            book.overlay.extend(part.overlay.into_iter().map(|(p, events)| (p + customers, events)));
            book.overlay_events += part.overlay_events;
        }
        book
    }
}
