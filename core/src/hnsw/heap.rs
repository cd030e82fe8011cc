//! The priority queue hnswlib builds with: `std::priority_queue` of (distance, id)
//! ordered by distance only (hnswlib's `CompareByFirst`), with libstdc++'s heap
//! algorithms reproduced step for step.
//!
//! Why not `std::collections::BinaryHeap`: with equal distances (common with integer
//! data, duplicates, or u8 vectors) *which* element a heap pops first depends on the
//! heap's internal moves. hnswlib's neighbour lists, and so its files and its results
//! at ties, follow libstdc++'s moves; matching them is what lets a single-threaded
//! build reproduce hnswlib's index file byte for byte.

/// A heap entry: a key (a distance, or a negated distance for the closest-first
/// candidate queues) and an element id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub key: f32,
    pub id: u32,
}

/// `CompareByFirst`: `a.first < b.first`. NaN (only a custom distance can produce it)
/// compares false both ways, which the heap algorithms tolerate.
#[inline(always)]
fn less(a: &Item, b: &Item) -> bool {
    a.key < b.key
}

/// `std::pair`'s `<` (key, then id) as a total order: the order of hnswlib's heaps that
/// use the default comparator, where ties are decided by id. NaN sorts after numbers.
pub(crate) fn pair_order(a: &Item, b: &Item) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let by_key = if a.key < b.key {
        Ordering::Less
    } else if a.key > b.key {
        Ordering::Greater
    } else {
        a.key.is_nan().cmp(&b.key.is_nan())
    };
    by_key.then(a.id.cmp(&b.id))
}

/// A max-heap on `key` (libstdc++'s `push_heap`/`pop_heap`).
#[derive(Debug, Default, Clone)]
pub(crate) struct MaxHeap {
    v: Vec<Item>,
}

impl MaxHeap {
    pub(crate) fn with_capacity(n: usize) -> Self {
        MaxHeap {
            v: Vec::with_capacity(n),
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.v.len()
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<&Item> {
        self.v.first()
    }

    /// `priority_queue::push`: append, then `__push_heap` from the new hole.
    #[inline(always)]
    pub(crate) fn push(&mut self, item: Item) {
        self.v.push(item);
        let hole = self.v.len() - 1;
        sift_up(&mut self.v, hole, 0, item);
    }

    /// `priority_queue::pop`: `pop_heap` (the last element re-seated by
    /// `__adjust_heap` from the root), then `pop_back`.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Item> {
        let last = self.v.pop()?;
        if self.v.is_empty() {
            return Some(last);
        }
        let top = self.v[0];
        adjust_heap(&mut self.v, last);
        Some(top)
    }

    /// Every item in the order repeated `pop`s return them.
    pub(crate) fn into_pop_order(mut self) -> Vec<Item> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(it) = self.pop() {
            out.push(it);
        }
        out
    }

    /// The items in storage order (for filtering into another heap in any order).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Item> {
        self.v.iter()
    }
}

/// libstdc++'s `__push_heap(first, hole, top, value)`.
#[inline(always)]
fn sift_up(v: &mut [Item], mut hole: usize, top: usize, value: Item) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !less(&v[parent], &value) {
            break;
        }
        v[hole] = v[parent];
        hole = parent;
    }
    v[hole] = value;
}

/// libstdc++'s `__adjust_heap(first, 0, len, value)`: move the hole at the root down
/// along the larger children to the bottom, then sift `value` up from there.
#[inline(always)]
fn adjust_heap(v: &mut [Item], value: Item) {
    let len = v.len();
    let mut hole = 0usize;
    let mut second = 0usize;
    while second < (len - 1) / 2 {
        second = 2 * (second + 1);
        // Branch-free: which child is larger is a coin toss the predictor loses.
        second -= less(&v[second], &v[second - 1]) as usize;
        v[hole] = v[second];
        hole = second;
    }
    if len & 1 == 0 && second == (len - 2) / 2 {
        second = 2 * (second + 1);
        v[hole] = v[second - 1];
        hole = second - 1;
    }
    sift_up(v, hole, 0, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order() {
        let mut h = MaxHeap::default();
        let keys = [5.0, 1.0, 9.0, 3.0, 7.0, 9.0, 0.0, 4.0];
        for (i, &k) in keys.iter().enumerate() {
            h.push(Item {
                key: k,
                id: i as u32,
            });
        }
        let popped: Vec<f32> = h.into_pop_order().iter().map(|it| it.key).collect();
        assert_eq!(popped, vec![9.0, 9.0, 7.0, 5.0, 4.0, 3.0, 1.0, 0.0]);
    }

    #[test]
    fn ties_follow_libstdcxx() {
        // Printed by a std::priority_queue<pair<float, unsigned>, vector, CompareByFirst>
        // (libstdc++, GCC 12) fed ids 0..6 all with key 1.0.
        let mut h = MaxHeap::default();
        for id in 0..6 {
            h.push(Item { key: 1.0, id });
        }
        let ids: Vec<u32> = h.into_pop_order().iter().map(|it| it.id).collect();
        assert_eq!(ids, vec![0, 2, 5, 4, 1, 3]);

        // Interleaved pushes and pops with many ties: push id i with key (7i mod 5),
        // pop after every third push, then drain (same program).
        let expected = [
            2, 4, 7, 9, 12, 17, 14, 22, 19, 27, 32, 24, 37, 34, 39, 29, 21, 16, 36, 31, 1, 26, 11,
            6, 38, 8, 18, 3, 13, 33, 28, 23, 5, 20, 10, 0, 30, 35, 15, 25,
        ];
        let mut h = MaxHeap::default();
        let mut got = Vec::new();
        for i in 0..40u32 {
            h.push(Item {
                key: ((i * 7) % 5) as f32,
                id: i,
            });
            if i % 3 == 2 {
                got.push(h.pop().unwrap().id);
            }
        }
        got.extend(h.into_pop_order().iter().map(|it| it.id));
        assert_eq!(got, expected);
    }
}
