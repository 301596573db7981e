//! Event day columns in two bytes per event while every day falls in 1970–2149 (day numbers
//! 0..=65535), widening to four bytes for anything else, so old or odd dates still work.

use super::day::Day;

/// A column of day numbers stored in the narrowest width that fits.
#[derive(Debug, Clone)]
pub enum DayColumn {
    U16(Vec<u16>),
    I32(Vec<i32>),
}

/// A borrowed, sorted run of days (one customer's events).
#[derive(Debug, Clone, Copy)]
pub enum DaySlice<'a> {
    U16(&'a [u16]),
    I32(&'a [i32]),
}

impl DaySlice<'_> {
    pub fn get(&self, i: usize) -> Day {
        match self {
            DaySlice::U16(s) => Day::from(s[i]),
            DaySlice::I32(s) => s[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            DaySlice::U16(s) => s.len(),
            DaySlice::I32(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first index whose day is not `pred` (the days are sorted).
    pub fn partition_point(&self, pred: impl Fn(Day) -> bool) -> usize {
        match self {
            DaySlice::U16(s) => s.partition_point(|&d| pred(Day::from(d))),
            DaySlice::I32(s) => s.partition_point(|&d| pred(d)),
        }
    }

    pub fn to_vec(&self) -> Vec<Day> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// Whether the days are in order.
    pub fn is_sorted(&self) -> bool {
        (1..self.len()).all(|i| self.get(i - 1) <= self.get(i))
    }
}

impl DayColumn {
    pub fn zeros(n: usize) -> DayColumn {
        DayColumn::U16(vec![0; n])
    }

    pub fn len(&self) -> usize {
        match self {
            DayColumn::U16(v) => v.len(),
            DayColumn::I32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Day {
        match self {
            DayColumn::U16(v) => Day::from(v[i]),
            DayColumn::I32(v) => v[i],
        }
    }

    /// The column in four bytes per day (a no-op when it already is).
    fn widen(&mut self) {
        if let DayColumn::U16(v) = self {
            *self = DayColumn::I32(v.iter().map(|&d| Day::from(d)).collect());
        }
    }

    /// Sets `i`, widening the column when `day` does not fit two bytes.
    pub fn set(&mut self, i: usize, day: Day) {
        match self {
            DayColumn::U16(v) => match u16::try_from(day) {
                Ok(d) => v[i] = d,
                Err(_) => {
                    self.widen();
                    self.set(i, day);
                }
            },
            DayColumn::I32(v) => v[i] = day,
        }
    }

    pub fn slice(&self, a: usize, b: usize) -> DaySlice<'_> {
        match self {
            DayColumn::U16(v) => DaySlice::U16(&v[a..b]),
            DayColumn::I32(v) => DaySlice::I32(&v[a..b]),
        }
    }

    /// Adds `day` at the end, widening the column when it does not fit two bytes.
    pub fn push(&mut self, day: Day) {
        match self {
            DayColumn::U16(v) => match u16::try_from(day) {
                Ok(d) => v.push(d),
                Err(_) => {
                    self.widen();
                    self.push(day);
                }
            },
            DayColumn::I32(v) => v.push(day),
        }
    }

    /// Appends the days of `s` (a run of another column), widening when `s` is wide.
    pub fn extend_from(&mut self, s: DaySlice<'_>) {
        match (&mut *self, s) {
            (DayColumn::U16(a), DaySlice::U16(b)) => a.extend_from_slice(b),
            (DayColumn::I32(a), DaySlice::I32(b)) => a.extend_from_slice(b),
            (DayColumn::I32(a), DaySlice::U16(b)) => a.extend(b.iter().map(|&d| Day::from(d))),
            (DayColumn::U16(_), b) => {
                self.widen();
                self.extend_from(b);
            }
        }
    }

    /// Appends `other`'s days, widening when either side is wide.
    pub fn append(&mut self, other: DayColumn) {
        match (&mut *self, other) {
            (DayColumn::U16(a), DayColumn::U16(b)) => a.extend_from_slice(&b),
            (DayColumn::I32(a), DayColumn::I32(b)) => a.extend_from_slice(&b),
            (DayColumn::I32(a), DayColumn::U16(b)) => a.extend(b.iter().map(|&d| Day::from(d))),
            (DayColumn::U16(_), b) => {
                self.widen();
                self.append(b);
            }
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            DayColumn::U16(v) => v.len() * 2,
            DayColumn::I32(v) => v.len() * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_bytes_until_a_day_falls_outside_1970_to_2149() {
        let mut c = DayColumn::zeros(3);
        c.set(0, 20_089);
        c.set(1, 65_535);
        assert!(matches!(c, DayColumn::U16(_)));
        c.set(2, -365);
        assert!(matches!(c, DayColumn::I32(_)));
        assert_eq!(c.slice(0, 3).to_vec(), [20_089, 65_535, -365]);
        assert_eq!(c.slice(0, 2).partition_point(|d| d < 30_000), 1);
        assert!(!c.slice(0, 3).is_sorted() && c.slice(0, 2).is_sorted());
    }

    #[test]
    fn appending_widens_either_side() {
        let column = |days: &[Day]| {
            let mut c = DayColumn::zeros(days.len());
            days.iter().enumerate().for_each(|(i, &d)| c.set(i, d));
            c
        };
        let mut pushed = DayColumn::zeros(0);
        [5, 70_000, 6].into_iter().for_each(|d| pushed.push(d));
        assert_eq!(pushed.slice(0, 3).to_vec(), [5, 70_000, 6]);
        for (a, b) in [(vec![1, 2], vec![3]), (vec![1], vec![-4, 5]), (vec![-1], vec![7]), (vec![], vec![])] {
            let mut c = column(&a);
            c.append(column(&b));
            let want: Vec<Day> = a.iter().chain(&b).copied().collect();
            assert_eq!(c.slice(0, c.len()).to_vec(), want);
        }
    }
}
