//! `EventBookBuilder`: a book built from per-customer counts, then events pushed in any order.

use std::collections::HashMap;

use super::{
    book::EventBook,
    codes::CodeColumn,
    day_column::DayColumn,
    dictionary::Dictionary,
    event_kind::{EventKind, EventRow, MAX_CATS, MAX_NUMS, NO_NUM},
    nums::NumColumn,
};

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
