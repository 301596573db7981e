//! Folding a book's overlay (customers changed since the base was built) back into its base
//! columns, one column at a time: runs of unchanged customers are copied as slices, changed
//! customers' events come from the overlay. Linear in the book's size; the extra memory at
//! any moment is one new column, not a second book.

use super::{
    book::{EventBook, OwnedEvents},
    CodeColumn, DayColumn, NumColumn,
};

/// One stretch of the new base: a run of old base rows, or one changed customer's events.
enum Piece<'a> {
    Base(usize, usize),
    Owned(&'a OwnedEvents),
}

/// Builds one new column from the pieces, taking `old` (dropped as soon as it is copied).
fn rebuild<C>(old: C, pieces: &[Piece<'_>], empty: C, copy: impl Fn(&mut C, &C, usize, usize), own: impl Fn(&mut C, &OwnedEvents)) -> C {
    let mut new = empty;
    for piece in pieces {
        match piece {
            Piece::Base(a, b) => copy(&mut new, &old, *a, *b),
            Piece::Owned(o) => own(&mut new, o),
        }
    }
    new
}

impl EventBook {
    /// Folds the overlay into the base columns (linear in the book's size).
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
        let mut pieces: Vec<Piece<'_>> = Vec::with_capacity(changed.len() * 2 + 1);
        let mut next = changed.iter().peekable();
        let mut run_start: Option<usize> = None;
        let mut total = 0u32;
        for p in 0..n {
            let (a, b) = (self.offsets[p] as usize, self.offsets[p + 1] as usize);
            match next.peek() {
                Some(&&c) if c as usize == p => {
                    next.next();
                    if let Some(s) = run_start.take() {
                        pieces.push(Piece::Base(s, a));
                    }
                    let owned = &overlay[&c];
                    pieces.push(Piece::Owned(owned));
                    total += owned.day.len() as u32;
                }
                _ => {
                    run_start.get_or_insert(a);
                    total += (b - a) as u32;
                }
            }
            offsets.push(total);
        }
        if let Some(s) = run_start {
            pieces.push(Piece::Base(s, self.offsets[n] as usize));
        }
        let cap = total as usize;
        let day = std::mem::replace(&mut self.day, DayColumn::zeros(0));
        let empty = match &day {
            DayColumn::U16(_) => DayColumn::U16(Vec::with_capacity(cap)),
            DayColumn::I32(_) => DayColumn::I32(Vec::with_capacity(cap)),
        };
        self.day = rebuild(
            day,
            &pieces,
            empty,
            |new, old, a, b| new.extend_from(old.slice(a, b)),
            |new, o| o.day.iter().for_each(|&d| new.push(d)),
        );
        for i in 0..self.kind.numbers().len() {
            let old = std::mem::replace(&mut self.nums[i], NumColumn::missing(0));
            let empty = match &old {
                NumColumn::I32(_) => NumColumn::I32(Vec::with_capacity(cap)),
                NumColumn::I64(_) => NumColumn::I64(Vec::with_capacity(cap)),
            };
            self.nums[i] = rebuild(
                old,
                &pieces,
                empty,
                |new, old, a, b| new.extend_from(old.slice(a, b)),
                |new, o| o.nums[i].iter().for_each(|&v| new.push(v)),
            );
        }
        for i in 0..self.kind.categories().len() {
            let old = std::mem::replace(&mut self.cats[i], CodeColumn::zeros(0));
            let empty = match &old {
                CodeColumn::U8(_) => CodeColumn::U8(Vec::with_capacity(cap)),
                CodeColumn::U16(_) => CodeColumn::U16(Vec::with_capacity(cap)),
                CodeColumn::U32(_) => CodeColumn::U32(Vec::with_capacity(cap)),
            };
            self.cats[i] = rebuild(
                old,
                &pieces,
                empty,
                |new, old, a, b| new.extend_from(old.slice(a, b)),
                |new, o| o.cats[i].iter().for_each(|&c| new.push(c)),
            );
        }
        let flag = std::mem::take(&mut self.flag);
        self.flag = rebuild(
            flag,
            &pieces,
            Vec::with_capacity(cap),
            |new, old, a, b| new.extend_from_slice(&old[a..b]),
            |new, o| new.extend_from_slice(&o.flag),
        );
        drop(pieces);
        self.offsets = offsets;
    }
}
