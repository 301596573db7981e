//! Numeric event columns that widen as needed: four bytes per value while every value fits an
//! `i32` (order amounts up to ¥21 million in cents, hours, scores), eight beyond. Missing values
//! read as `NO_NUM` in both widths.

use super::book::NO_NUM;

/// The `i32` that stands for a missing value in the narrow width.
const NO_NUM32: i32 = i32::MIN;

/// A column of numbers stored in the narrowest width that fits.
#[derive(Debug, Clone)]
pub enum NumColumn {
    I32(Vec<i32>),
    I64(Vec<i64>),
}

/// A borrowed run of a `NumColumn`. Reading past the end yields `NO_NUM`, so kinds without a
/// numeric field read as "missing" everywhere.
#[derive(Debug, Clone, Copy)]
pub enum NumSlice<'a> {
    I32(&'a [i32]),
    I64(&'a [i64]),
}

impl NumSlice<'_> {
    pub fn get(&self, i: usize) -> i64 {
        match self {
            NumSlice::I32(s) => s.get(i).map_or(NO_NUM, |&v| if v == NO_NUM32 { NO_NUM } else { i64::from(v) }),
            NumSlice::I64(s) => s.get(i).copied().unwrap_or(NO_NUM),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            NumSlice::I32(s) => s.len(),
            NumSlice::I64(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(&self) -> Vec<i64> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

/// The narrow form of `v`, if it has one.
fn narrow(v: i64) -> Option<i32> {
    if v == NO_NUM {
        return Some(NO_NUM32);
    }
    i32::try_from(v).ok().filter(|&x| x != NO_NUM32)
}

impl NumColumn {
    /// `n` missing values (an empty column for a field the kind lacks).
    pub fn missing(n: usize) -> NumColumn {
        NumColumn::I32(vec![NO_NUM32; n])
    }

    pub fn len(&self) -> usize {
        match self {
            NumColumn::I32(v) => v.len(),
            NumColumn::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> i64 {
        self.slice(0, self.len()).get(i)
    }

    /// The column in eight bytes per value (a no-op when it already is).
    fn widen(&mut self) {
        if let NumColumn::I32(xs) = self {
            *self = NumColumn::I64(xs.iter().map(|&x| if x == NO_NUM32 { NO_NUM } else { i64::from(x) }).collect());
        }
    }

    /// Sets `i` (ignored past the end), widening the column when `v` does not fit.
    pub fn set(&mut self, i: usize, v: i64) {
        if i >= self.len() {
            return;
        }
        match self {
            NumColumn::I32(xs) => match narrow(v) {
                Some(x) => xs[i] = x,
                None => {
                    self.widen();
                    self.set(i, v);
                }
            },
            NumColumn::I64(xs) => xs[i] = v,
        }
    }

    /// Values `a..b` (an empty slice when the column is empty).
    pub fn slice(&self, a: usize, b: usize) -> NumSlice<'_> {
        match self {
            NumColumn::I32(v) if v.is_empty() => NumSlice::I32(&[]),
            NumColumn::I64(v) if v.is_empty() => NumSlice::I64(&[]),
            NumColumn::I32(v) => NumSlice::I32(&v[a..b]),
            NumColumn::I64(v) => NumSlice::I64(&v[a..b]),
        }
    }

    /// Adds `v` at the end, widening the column when it does not fit.
    pub fn push(&mut self, v: i64) {
        match self {
            NumColumn::I32(xs) => match narrow(v) {
                Some(x) => xs.push(x),
                None => {
                    self.widen();
                    self.push(v);
                }
            },
            NumColumn::I64(xs) => xs.push(v),
        }
    }

    /// Appends the values of `s` (a run of another column), widening when `s` is wide.
    pub fn extend_from(&mut self, s: NumSlice<'_>) {
        match (&mut *self, s) {
            (NumColumn::I32(a), NumSlice::I32(b)) => a.extend_from_slice(b),
            (NumColumn::I64(a), NumSlice::I64(b)) => a.extend_from_slice(b),
            (NumColumn::I64(a), b) => a.extend((0..b.len()).map(|i| b.get(i))),
            (NumColumn::I32(_), b) => {
                self.widen();
                self.extend_from(b);
            }
        }
    }

    /// Appends `other`'s values, widening when either side is wide.
    pub fn append(&mut self, other: NumColumn) {
        match (&mut *self, other) {
            (NumColumn::I32(a), NumColumn::I32(b)) => a.extend_from_slice(&b),
            (NumColumn::I64(a), NumColumn::I64(b)) => a.extend_from_slice(&b),
            (NumColumn::I64(a), b) => a.extend((0..b.len()).map(|i| b.get(i))),
            (NumColumn::I32(_), b) => {
                self.widen();
                self.append(b);
            }
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            NumColumn::I32(v) => v.len() * 4,
            NumColumn::I64(v) => v.len() * 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_until_a_value_needs_eight_bytes() {
        let mut c = NumColumn::missing(4);
        for (i, v) in [(0, 123_456_i64), (1, -5), (2, NO_NUM)] {
            c.set(i, v);
        }
        assert!(matches!(c, NumColumn::I32(_)));
        assert_eq!((0..4).map(|i| c.get(i)).collect::<Vec<_>>(), [123_456, -5, NO_NUM, NO_NUM]);
        c.set(3, 10_000_000_000);
        c.set(1, i64::from(i32::MIN));
        assert!(matches!(c, NumColumn::I64(_)));
        assert_eq!((0..4).map(|i| c.get(i)).collect::<Vec<_>>(), [123_456, i64::from(i32::MIN), NO_NUM, 10_000_000_000]);
        assert_eq!(c.slice(1, 3).get(5), NO_NUM);
        assert_eq!(c.heap_bytes(), 32);
    }

    #[test]
    fn appending_keeps_values_and_widens_either_side() {
        let narrow = |vs: &[i64]| {
            let mut c = NumColumn::missing(vs.len());
            vs.iter().enumerate().for_each(|(i, &v)| c.set(i, v));
            c
        };
        let mut pushed = NumColumn::missing(0);
        [1, NO_NUM, 1 << 40, 2].into_iter().for_each(|v| pushed.push(v));
        assert_eq!((0..4).map(|i| pushed.get(i)).collect::<Vec<_>>(), [1, NO_NUM, 1 << 40, 2]);
        for (a, b) in [(vec![1, NO_NUM], vec![3]), (vec![1], vec![1 << 40, NO_NUM]), (vec![NO_NUM, 1 << 40], vec![2]), (vec![], vec![])] {
            let mut c = narrow(&a);
            c.append(narrow(&b));
            let want: Vec<i64> = a.iter().chain(&b).copied().collect();
            assert_eq!((0..c.len()).map(|i| c.get(i)).collect::<Vec<_>>(), want);
        }
    }
}
