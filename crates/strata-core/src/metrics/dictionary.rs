//! String interning for category columns (product lines, industries, tags): values become
//! small integer codes; code 0 always means "no value".

use std::collections::HashMap;

/// Interned strings. Code 0 is reserved for "missing"; real values start at 1.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    values: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Dictionary {
    pub fn new() -> Dictionary {
        Dictionary::default()
    }

    /// The code of `value`, adding it when new. Empty text is "missing" (0).
    pub fn intern(&mut self, value: &str) -> u32 {
        if value.is_empty() {
            return 0;
        }
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        self.values.push(value.to_string());
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.codes.insert(value.to_string(), code);
        code
    }

    /// The code of `value` if it was ever interned.
    pub fn code(&self, value: &str) -> Option<u32> {
        self.codes.get(value).copied()
    }

    /// The text of `code` (None for 0 or unknown codes).
    pub fn text(&self, code: u32) -> Option<&str> {
        let i = usize::try_from(code).ok()?.checked_sub(1)?;
        self.values.get(i).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.values.iter().map(|v| 2 * v.len() + 48).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_zero_is_missing() {
        let mut d = Dictionary::new();
        assert_eq!(d.intern(""), 0);
        assert_eq!(d.intern("软件"), 1);
        assert_eq!(d.intern("硬件"), 2);
        assert_eq!(d.intern("软件"), 1);
        assert_eq!(d.text(2), Some("硬件"));
        assert_eq!(d.text(0), None);
        assert_eq!(d.code("服务"), None);
    }
}
