//! Folding a book's overlay (customers changed since the base was built) back into its base
//! columns in place, one column at a time: each run of unchanged customers' rows moves to
//! where it belongs in the new layout, then the changed customers' events are written into
//! the gaps left for them. Linear in the book's size; no second copy of any column is made
//! (a column grows by reallocation, which for a large column remaps its pages), so the
//! memory a compaction needs beyond the book is the growth alone.

use super::{
    book::{EventBook, OwnedEvents},
    CodeColumn, DayColumn, NumColumn,
};

/// A run of unchanged customers' rows: old rows `from..to` start at row `at` of the new layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run {
    pub from: usize,
    pub to: usize,
    pub at: usize,
}

/// Moves the runs of `v` (a column of `old_len` rows) to their new places and sizes it to
/// `total` rows. Runs moving right go first, from the last; then runs moving left, from the
/// first: a run's new place can only overlap the old rows of runs moving the same way on the
/// side it moves to, which have moved by then. Rows between runs are left for the caller to
/// fill. A column the kind does not fill (empty) stays empty.
pub(super) fn shift<T: Copy + Default>(v: &mut Vec<T>, runs: &[Run], old_len: usize, total: usize) {
    if v.len() != old_len {
        return;
    }
    if total > v.len() {
        v.reserve_exact(total - v.len());
        v.resize(total, T::default());
    }
    for r in runs.iter().rev().filter(|r| r.at > r.from) {
        v.copy_within(r.from..r.to, r.at);
    }
    for r in runs.iter().filter(|r| r.at < r.from) {
        v.copy_within(r.from..r.to, r.at);
    }
    v.truncate(total);
}

fn shift_day(c: &mut DayColumn, runs: &[Run], old_len: usize, total: usize) {
    match c {
        DayColumn::U16(v) => shift(v, runs, old_len, total),
        DayColumn::I32(v) => shift(v, runs, old_len, total),
    }
}

fn shift_num(c: &mut NumColumn, runs: &[Run], old_len: usize, total: usize) {
    match c {
        NumColumn::I32(v) => shift(v, runs, old_len, total),
        NumColumn::I64(v) => shift(v, runs, old_len, total),
    }
}

fn shift_code(c: &mut CodeColumn, runs: &[Run], old_len: usize, total: usize) {
    match c {
        CodeColumn::U8(v) => shift(v, runs, old_len, total),
        CodeColumn::U16(v) => shift(v, runs, old_len, total),
        CodeColumn::U32(v) => shift(v, runs, old_len, total),
    }
}

impl EventBook {
    /// Folds the overlay into the base columns (linear in the book's size, in place).
    pub fn compact(&mut self) {
        if self.overlay.is_empty() {
            return;
        }
        let overlay = std::mem::take(&mut self.overlay);
        self.overlay_events = 0;
        let mut changed: Vec<u32> = overlay.keys().copied().collect();
        changed.sort_unstable();
        let n = self.customers();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u32);
        let mut runs: Vec<Run> = Vec::with_capacity(changed.len() + 1);
        let mut owned: Vec<(usize, &OwnedEvents)> = Vec::with_capacity(changed.len());
        let mut next = changed.iter().peekable();
        // The open run: its first old row and where that row goes.
        let mut run: Option<(usize, usize)> = None;
        let mut total = 0usize;
        for p in 0..n {
            let (a, b) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
            match next.peek() {
                Some(&&c) if c as usize == p => {
                    next.next();
                    if let Some((from, at)) = run.take() {
                        runs.push(Run { from, to: a, at });
                    }
                    let events = &overlay[&c];
                    owned.push((total, events));
                    total += events.day.len();
                }
                _ => {
                    run.get_or_insert((a, total));
                    total += b - a;
                }
            }
            offsets.push(total as u32);
        }
        if let Some((from, at)) = run {
            runs.push(Run { from, to: self.offsets[n] as usize, at });
        }
        let old_len = self.offsets[n] as usize;
        shift_day(&mut self.day, &runs, old_len, total);
        for i in 0..self.kind.numbers().len() {
            shift_num(&mut self.nums[i], &runs, old_len, total);
        }
        for i in 0..self.kind.categories().len() {
            shift_code(&mut self.cats[i], &runs, old_len, total);
        }
        shift(&mut self.flag, &runs, old_len, total);
        // The changed customers' events, into the rows left for them (a value too wide for
        // its column widens it).
        for (at, o) in owned {
            for (j, &d) in o.day.iter().enumerate() {
                self.day.set(at + j, d);
            }
            for i in 0..self.kind.numbers().len() {
                o.nums[i].iter().enumerate().for_each(|(j, &v)| self.nums[i].set(at + j, v));
            }
            for i in 0..self.kind.categories().len() {
                o.cats[i].iter().enumerate().for_each(|(j, &c)| self.cats[i].set(at + j, c));
            }
            if let Some(dst) = self.flag.get_mut(at..at + o.flag.len()) {
                dst.copy_from_slice(&o.flag);
            }
        }
        self.offsets = offsets;
    }
}

#[cfg(test)]
mod tests {
    use super::{shift, Run};

    /// A case: the column, its runs as (from, to, at), the new length, the expected column
    /// (`0` where a changed customer's rows go).
    type Case<'a> = (&'a [u8], &'a [(usize, usize, usize)], usize, &'a [u8]);

    #[test]
    fn runs_move_in_place_whichever_way_they_go() {
        let cases: &[Case<'_>] = &[
            // a customer in the middle grows by two
            (&[1, 2, 3, 4], &[(0, 2, 0), (3, 4, 5)], 6, &[1, 2, 0, 0, 0, 4]),
            // the first customer shrinks to nothing
            (&[1, 2, 3, 4], &[(2, 4, 0)], 2, &[3, 4]),
            // grow, then shrink: the second run moves right, the third left
            (&[1, 2, 3, 4, 5, 6, 7], &[(0, 1, 0), (2, 4, 3), (6, 7, 5)], 6, &[1, 0, 0, 3, 4, 7]),
            // shrink, then grow: the first run moves left, the last right
            (&[1, 2, 3, 4, 5, 6], &[(2, 4, 0), (5, 6, 4)], 5, &[3, 4, 0, 0, 6]),
            // nothing moves; a customer added at the end
            (&[1, 2], &[(0, 2, 0)], 3, &[1, 2, 0]),
        ];
        for (column, runs, total, want) in cases {
            let mut v = column.to_vec();
            let runs: Vec<Run> = runs.iter().map(|&(from, to, at)| Run { from, to, at }).collect();
            shift(&mut v, &runs, column.len(), *total);
            let got: Vec<u8> = v
                .iter()
                .enumerate()
                .map(|(i, &x)| if runs.iter().any(|r| (r.at..r.at + r.to - r.from).contains(&i)) { x } else { 0 })
                .collect();
            assert_eq!(&got, want, "column {column:?}, runs {runs:?}");
        }
    }

    #[test]
    fn an_unfilled_column_stays_empty() {
        let mut v: Vec<u8> = Vec::new();
        shift(&mut v, &[Run { from: 0, to: 2, at: 1 }], 2, 3);
        assert!(v.is_empty());
    }
}
