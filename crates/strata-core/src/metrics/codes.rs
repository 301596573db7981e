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

    /// Sets `i` (ignored past the end), widening the column when `code` does not fit.
    pub fn set(&mut self, i: usize, code: u32) {
        if i >= self.len() {
            return;
        }
        match self {
            CodeColumn::U8(v) => match u8::try_from(code) {
                Ok(c) => v[i] = c,
                Err(_) => {
                    *self = CodeColumn::U16(v.iter().map(|&x| u16::from(x)).collect());
                    self.set(i, code);
                }
            },
            CodeColumn::U16(v) => match u16::try_from(code) {
                Ok(c) => v[i] = c,
                Err(_) => {
                    *self = CodeColumn::U32(v.iter().map(|&x| u32::from(x)).collect());
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
}
