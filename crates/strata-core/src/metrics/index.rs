//! The dense customer index: store ids (sparse i64) ↔ positions 0..n in every column.
//! Positions follow ascending id, so "ties broken by customer id" is "ties broken by position".

/// Maps store customer ids to dense positions, in ascending id order.
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    ids: Vec<i64>,
    /// position by id, for ids in 0..lookup.len(); u32::MAX when absent.
    lookup: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

impl CustomerIndex {
    /// Builds the index from ids in any order (duplicates are ignored).
    pub fn new(mut ids: Vec<i64>) -> CustomerIndex {
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&id| id >= 0);
        let max = ids.last().copied().unwrap_or(-1);
        let mut lookup = vec![ABSENT; usize::try_from(max + 1).unwrap_or(0)];
        for (pos, &id) in ids.iter().enumerate() {
            lookup[id as usize] = pos as u32;
        }
        CustomerIndex { ids, lookup }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The position of a store id.
    pub fn position(&self, id: i64) -> Option<u32> {
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
        if self.lookup.len() <= i {
            self.lookup.resize(i + 1, ABSENT);
        }
        let pos = u32::try_from(self.ids.len()).ok()?;
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
}
