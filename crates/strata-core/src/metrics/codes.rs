//! Category code columns that widen as needed: one byte per value while there are fewer than
//! 256 distinct values (product lines, channels), two below 65,536, four beyond.

/// A column of dictionary codes stored in the narrowest width that fits.
#[derive(Debug, Clone)]
pub enum CodeColumn {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

/// A borrowed run of a `CodeColumn`. Reading past the end yields 0 (no value), so kinds
/// without a category field read as "missing" everywhere.
#[derive(Debug, Clone, Copy)]
pub enum CodeSlice<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

impl CodeSlice<'_> {
    pub fn get(&self, i: usize) -> u32 {
        match self {
            CodeSlice::U8(s) => s.get(i).map_or(0, |&v| u32::from(v)),
            CodeSlice::U16(s) => s.get(i).map_or(0, |&v| u32::from(v)),
            CodeSlice::U32(s) => s.get(i).copied().unwrap_or(0),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            CodeSlice::U8(s) => s.len(),
            CodeSlice::U16(s) => s.len(),
            CodeSlice::U32(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CodeColumn {
    pub fn zeros(n: usize) -> CodeColumn {
        CodeColumn::U8(vec![0; n])
    }

    pub fn len(&self) -> usize {
        match self {
            CodeColumn::U8(v) => v.len(),
            CodeColumn::U16(v) => v.len(),
            CodeColumn::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> u32 {
        self.slice(0, self.len()).get(i)
    }

    /// The column one width wider (a no-op at four bytes).
    fn widen(&mut self) {
        match self {
            CodeColumn::U8(v) => *self = CodeColumn::U16(v.iter().map(|&x| u16::from(x)).collect()),
            CodeColumn::U16(v) => *self = CodeColumn::U32(v.iter().map(|&x| u32::from(x)).collect()),
            CodeColumn::U32(_) => {}
        }
    }

    /// Bytes per code.
    fn width(&self) -> usize {
        match self {
            CodeColumn::U8(_) => 1,
            CodeColumn::U16(_) => 2,
            CodeColumn::U32(_) => 4,
        }
    }

    /// Sets `i` (ignored past the end), widening the column when `code` does not fit.
    pub fn set(&mut self, i: usize, code: u32) {
        if i >= self.len() {
            return;
        }
        match self {
            CodeColumn::U8(v) => match u8::try_from(code) {
                Ok(c) => v[i] = c,
                Err(_) => {
                    self.widen();
                    self.set(i, code);
                }
            },
            CodeColumn::U16(v) => match u16::try_from(code) {
                Ok(c) => v[i] = c,
                Err(_) => {
                    self.widen();
                    self.set(i, code);
                }
            },
            CodeColumn::U32(v) => v[i] = code,
        }
    }

    /// Grows (with missing values) or shrinks to `n` values.
    pub fn resize(&mut self, n: usize) {
        match self {
            CodeColumn::U8(v) => v.resize(n, 0),
            CodeColumn::U16(v) => v.resize(n, 0),
            CodeColumn::U32(v) => v.resize(n, 0),
        }
    }

    /// Values `a..b`, or an empty slice when the column is empty.
    pub fn slice(&self, a: usize, b: usize) -> CodeSlice<'_> {
        match self {
            CodeColumn::U8(v) => CodeSlice::U8(v.get(a..b).unwrap_or(&[])),
            CodeColumn::U16(v) => CodeSlice::U16(v.get(a..b).unwrap_or(&[])),
            CodeColumn::U32(v) => CodeSlice::U32(v.get(a..b).unwrap_or(&[])),
        }
    }

    /// Adds `code` at the end, widening the column when it does not fit.
    pub fn push(&mut self, code: u32) {
        match self {
            CodeColumn::U8(v) => match u8::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    self.widen();
                    self.push(code);
                }
            },
            CodeColumn::U16(v) => match u16::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    self.widen();
                    self.push(code);
                }
            },
            CodeColumn::U32(v) => v.push(code),
        }
    }

    /// Appends the codes of `s` (a run of another column), widening when `s` is wide.
    pub fn extend_from(&mut self, s: CodeSlice<'_>) {
        let wide = match s {
            CodeSlice::U8(_) => 1,
            CodeSlice::U16(_) => 2,
            CodeSlice::U32(_) => 4,
        };
        while self.width() < wide {
            self.widen();
        }
        match (&mut *self, s) {
            (CodeColumn::U8(a), CodeSlice::U8(b)) => a.extend_from_slice(b),
            (CodeColumn::U16(a), CodeSlice::U16(b)) => a.extend_from_slice(b),
            (CodeColumn::U32(a), CodeSlice::U32(b)) => a.extend_from_slice(b),
            (CodeColumn::U16(a), CodeSlice::U8(b)) => a.extend(b.iter().map(|&x| u16::from(x))),
            (CodeColumn::U32(a), b) => a.extend((0..b.len()).map(|i| b.get(i))),
            _ => {} // self was made at least as wide as `s` above
        }
    }

    /// Appends `other`'s codes, in the wider of the two widths.
    pub fn append(&mut self, mut other: CodeColumn) {
        while self.width() < other.width() {
            self.widen();
        }
        while other.width() < self.width() {
            other.widen();
        }
        match (&mut *self, other) {
            (CodeColumn::U8(a), CodeColumn::U8(b)) => a.extend_from_slice(&b),
            (CodeColumn::U16(a), CodeColumn::U16(b)) => a.extend_from_slice(&b),
            (CodeColumn::U32(a), CodeColumn::U32(b)) => a.extend_from_slice(&b),
            _ => {} // the widths were made equal above
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            CodeColumn::U8(v) => v.len(),
            CodeColumn::U16(v) => v.len() * 2,
            CodeColumn::U32(v) => v.len() * 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_only_when_needed() {
        let mut c = CodeColumn::zeros(3);
        c.set(0, 200);
        assert!(matches!(c, CodeColumn::U8(_)));
        c.set(1, 300);
        assert!(matches!(c, CodeColumn::U16(_)));
        c.set(2, 70_000);
        assert!(matches!(c, CodeColumn::U32(_)));
        assert_eq!((c.get(0), c.get(1), c.get(2)), (200, 300, 70_000));
        c.set(9, 1);
        assert_eq!(c.get(9), 0);
        assert_eq!(CodeColumn::zeros(0).slice(0, 0).get(0), 0);
    }

    #[test]
    fn appending_keeps_codes_across_widths() {
        let column = |codes: &[u32]| {
            let mut c = CodeColumn::zeros(codes.len());
            codes.iter().enumerate().for_each(|(i, &x)| c.set(i, x));
            c
        };
        let mut pushed = CodeColumn::zeros(0);
        [3, 300, 70_000, 1].into_iter().for_each(|c| pushed.push(c));
        assert_eq!((0..4).map(|i| pushed.get(i)).collect::<Vec<_>>(), [3, 300, 70_000, 1]);
        for (a, b) in [(vec![1, 2], vec![3]), (vec![1], vec![300, 5]), (vec![70_000], vec![7]), (vec![], vec![]), (vec![4], vec![])] {
            let mut c = column(&a);
            c.append(column(&b));
            let want: Vec<u32> = a.iter().chain(&b).copied().collect();
            assert_eq!((0..c.len()).map(|i| c.get(i)).collect::<Vec<_>>(), want);
        }
    }
}
