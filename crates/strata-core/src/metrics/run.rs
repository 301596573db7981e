//! Typed views of one customer's run of events: the day and number columns come in two widths
//! each, and aggregation loops are written once, generic over the widths, then dispatched once
//! per customer (not per event) so the inner loops compile to plain array reads.

use super::{
    book::NO_NUM,
    day::Day,
    day_column::DaySlice,
    nums::{NumSlice, NO_NUM32},
    window::DayRange,
};

/// A stored day number.
pub trait DayValue: Copy {
    fn day(self) -> Day;
}

impl DayValue for u16 {
    #[inline(always)]
    fn day(self) -> Day {
        Day::from(self)
    }
}

impl DayValue for i32 {
    #[inline(always)]
    fn day(self) -> Day {
        self
    }
}

/// A stored number (`NO_NUM` when missing).
pub trait NumValue: Copy {
    fn num(self) -> i64;
}

impl NumValue for i32 {
    #[inline(always)]
    fn num(self) -> i64 {
        if self == NO_NUM32 {
            NO_NUM
        } else {
            i64::from(self)
        }
    }
}

impl NumValue for i64 {
    #[inline(always)]
    fn num(self) -> i64 {
        self
    }
}

/// Work over one customer's days and one number column of equal length (an empty number
/// column when the kind has no such field).
pub trait RunVisitor {
    type Out;
    fn visit<D: DayValue, N: NumValue>(self, days: &[D], nums: &[N]) -> Self::Out;
}

/// Calls `v` with the concrete widths of `day` and `nums`.
#[inline]
pub fn visit_run<V: RunVisitor>(day: DaySlice<'_>, nums: NumSlice<'_>, v: V) -> V::Out {
    match (day, nums) {
        (DaySlice::U16(d), NumSlice::I32(n)) => v.visit(d, n),
        (DaySlice::U16(d), NumSlice::I64(n)) => v.visit(d, n),
        (DaySlice::I32(d), NumSlice::I32(n)) => v.visit(d, n),
        (DaySlice::I32(d), NumSlice::I64(n)) => v.visit(d, n),
    }
}

/// Index range of the sorted `days` inside `range`.
#[inline]
pub fn span_of<D: DayValue>(days: &[D], range: DayRange) -> std::ops::Range<usize> {
    if range == DayRange::ALL {
        return 0..days.len();
    }
    let lo = days.partition_point(|d| d.day() < range.start);
    let hi = days.partition_point(|d| d.day() <= range.end);
    lo..hi.max(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Total;
    impl RunVisitor for Total {
        type Out = (i64, Day);
        fn visit<D: DayValue, N: NumValue>(self, days: &[D], nums: &[N]) -> (i64, Day) {
            let sum = nums.iter().map(|n| n.num()).filter(|&v| v != NO_NUM).sum();
            (sum, days.last().map_or(0, |d| d.day()))
        }
    }

    #[test]
    fn every_width_reads_the_same_values() {
        let (d16, d32) = ([10u16, 20, 30], [10i32, 20, 30]);
        let (n32, n64) = ([5i32, NO_NUM32, 7], [5i64, NO_NUM, 7]);
        for day in [DaySlice::U16(&d16), DaySlice::I32(&d32)] {
            for nums in [NumSlice::I32(&n32), NumSlice::I64(&n64)] {
                assert_eq!(visit_run(day, nums, Total), (12, 30));
            }
        }
        assert_eq!(span_of(&d16, DayRange { start: 15, end: 30 }), 1..3);
        assert_eq!(span_of(&d32, DayRange { start: 31, end: 40 }), 3..3);
        assert_eq!(span_of(&d32, DayRange::ALL), 0..3);
    }
}
