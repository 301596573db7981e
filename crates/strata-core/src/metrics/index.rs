//! The dense customer index: store ids (sparse i64) ↔ positions 0..n in every column.
//! Positions follow ascending id, so "ties broken by customer id" is "ties broken by position".

/// Maps store customer ids to dense positions, in ascending id order.
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    ids: Vec<i64>,
    /// Whether the ids are consecutive, so a position is the id minus the first id: the usual
    /// store, whose ids only grow and seldom lose one. Then `lookup` stays empty.
    dense: bool,
    /// Otherwise, the position by id for ids in 0..lookup.len(); u32::MAX when absent.
    lookup: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

impl CustomerIndex {
    /// Builds the index from ids in any order (duplicates are ignored).
    pub fn new(mut ids: Vec<i64>) -> CustomerIndex {
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&id| id >= 0);
        let dense = match (ids.first(), ids.last()) {
            (Some(&first), Some(&last)) => usize::try_from(last - first).is_ok_and(|span| span + 1 == ids.len()),
            _ => true,
        };
        let mut index = CustomerIndex { ids, dense, lookup: Vec::new() };
        if !dense {
            index.build_lookup();
        }
        index
    }

    fn build_lookup(&mut self) {
        let max = self.ids.last().copied().unwrap_or(-1);
        self.lookup = vec![ABSENT; usize::try_from(max + 1).unwrap_or(0)];
        for (pos, &id) in self.ids.iter().enumerate() {
            self.lookup[id as usize] = pos as u32;
        }
        self.dense = false;
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The position of a store id.
    pub fn position(&self, id: i64) -> Option<u32> {
        if self.dense {
            let first = *self.ids.first()?;
            return u32::try_from(id.checked_sub(first)?).ok().filter(|&p| (p as usize) < self.ids.len());
        }
        let i = usize::try_from(id).ok()?;
        self.lookup.get(i).copied().filter(|&p| p != ABSENT)
    }

    /// The store id at a position.
    pub fn id(&self, position: u32) -> i64 {
        self.ids.get(position as usize).copied().unwrap_or(-1)
    }

    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// Adds a customer created after the index was built; returns its position. New ids are
    /// appended (they are larger than every existing id in a store that allocates ids upward);
    /// a smaller id rebuilds the index.
    pub fn insert(&mut self, id: i64) -> Option<u32> {
        if let Some(p) = self.position(id) {
            return Some(p);
        }
        let i = usize::try_from(id).ok()?;
        if self.ids.last().is_some_and(|&last| last > id) {
            return None;
        }
        let pos = u32::try_from(self.ids.len()).ok()?;
        if self.dense && self.ids.last().is_none_or(|&last| last + 1 == id) {
            self.ids.push(id);
            return Some(pos);
        }
        if self.dense {
            self.build_lookup();
        }
        if self.lookup.len() <= i {
            self.lookup.resize(i + 1, ABSENT);
        }
        self.ids.push(id);
        self.lookup[i] = pos;
        Some(pos)
    }

    pub fn heap_bytes(&self) -> usize {
        self.ids.len() * 8 + self.lookup.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_ascending_ids() {
        let idx = CustomerIndex::new(vec![30, 10, 20, 10]);
        assert_eq!(idx.len(), 3);
        assert_eq!(idx.position(10), Some(0));
        assert_eq!(idx.position(30), Some(2));
        assert_eq!(idx.position(15), None);
        assert_eq!(idx.position(-4), None);
        assert_eq!(idx.position(999), None);
        assert_eq!(idx.id(1), 20);
    }

    #[test]
    fn appends_new_larger_ids_and_refuses_smaller_ones() {
        let mut idx = CustomerIndex::new(vec![1, 2]);
        assert_eq!(idx.insert(7), Some(2));
        assert_eq!(idx.position(7), Some(2));
        assert_eq!(idx.insert(2), Some(1));
        assert_eq!(idx.insert(5), None);
    }

    #[test]
    fn consecutive_ids_need_no_lookup_until_a_gap() {
        let mut idx = CustomerIndex::new(vec![7, 5, 6]);
        assert_eq!(idx.heap_bytes(), 24);
        assert_eq!((idx.position(4), idx.position(5), idx.position(7), idx.position(8)), (None, Some(0), Some(2), None));
        assert_eq!((idx.position(i64::MIN), idx.position(i64::MAX)), (None, None));
        assert_eq!(idx.insert(8), Some(3));
        assert_eq!(idx.heap_bytes(), 32);
        assert_eq!(idx.insert(20), Some(4));
        assert!(idx.heap_bytes() > 40);
        assert_eq!((idx.position(8), idx.position(20), idx.position(9)), (Some(3), Some(4), None));
        let mut empty = CustomerIndex::new(Vec::new());
        assert_eq!(empty.position(0), None);
        assert_eq!((empty.insert(3), empty.insert(4), empty.position(4)), (Some(0), Some(1), Some(1)));
        let mut default = CustomerIndex::default();
        assert_eq!((default.insert(2), default.position(2), default.position(1)), (Some(0), Some(0), None));
    }
}
