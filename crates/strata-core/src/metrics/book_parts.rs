//! Joining event books built over consecutive customer ranges into one book, so that several
//! threads can each build the part for their own customers and nothing is built twice.

use super::{
    book::{EventBook, EventKind, MAX_CATS},
    Dictionary,
};

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
