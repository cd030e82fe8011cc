//! The query-time candidate pool: the `ef` closest elements found so far, sorted by
//! distance, each marked once expanded.
//!
//! hnswlib keeps two heaps (the best `ef` results, and every candidate still to
//! expand). Without deletions or a filter every result is a candidate and every
//! candidate worth expanding is among the best `ef`, so one sorted array does both:
//! expand the closest unexpanded entry until none is left. It finds the same elements
//! as hnswlib's search on the same graph (which of equal distances is kept at the
//! boundary may differ), with one small array that stays in L1 instead of two heaps.

/// Marks an expanded entry (ids of pooled searches stay below 2³¹).
const EXPANDED: u32 = 1 << 31;

/// Largest element id a pooled search can hold.
pub(crate) const MAX_POOLED_ID: u32 = EXPANDED - 1;

pub(crate) struct Pool<'a> {
    items: &'a mut Vec<(f32, u32)>,
    cap: usize,
    /// Every entry before this index is expanded.
    next: usize,
}

impl<'a> Pool<'a> {
    /// An empty pool of `cap` (≥ 1) entries in `buf`.
    pub(crate) fn new(buf: &'a mut Vec<(f32, u32)>, cap: usize) -> Self {
        buf.clear();
        buf.reserve(cap + 1);
        Pool {
            items: buf,
            cap: cap.max(1),
            next: 0,
        }
    }

    /// Whether an element at distance `d` would enter the pool.
    #[inline(always)]
    pub(crate) fn admits(&self, d: f32) -> bool {
        self.items.len() < self.cap || d < self.items[self.items.len() - 1].0
    }

    /// Adds element `id` at distance `d` if it is among the `cap` closest so far;
    /// returns whether it is now the next to expand.
    #[inline(always)]
    pub(crate) fn insert(&mut self, d: f32, id: u32) -> bool {
        if !self.admits(d) {
            return false;
        }
        debug_assert!(id <= MAX_POOLED_ID);
        if self.items.len() == self.cap {
            self.items.pop();
        }
        // After equal distances, so earlier finds keep their place.
        let at = self.items.iter().filter(|it| it.0 <= d).count();
        self.items.insert(at, (d, id));
        if at < self.next {
            self.next = at;
        }
        at == self.next
    }

    /// The closest unexpanded element, now marked expanded.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<u32> {
        while self.next < self.items.len() {
            let it = &mut self.items[self.next];
            self.next += 1;
            if it.1 & EXPANDED == 0 {
                let id = it.1;
                it.1 |= EXPANDED;
                return Some(id);
            }
        }
        None
    }

    /// The closest unexpanded element, left unexpanded (to prefetch its links).
    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u32> {
        self.items[self.next..]
            .iter()
            .find(|it| it.1 & EXPANDED == 0)
            .map(|it| it.1)
    }

    /// Ends the search: the buffer keeps the entries, closest first, as (distance, id).
    pub(crate) fn finish(self) {
        for it in self.items.iter_mut() {
            it.1 &= !EXPANDED;
        }
    }

    /// The entries, closest first, as (distance, id).
    #[cfg(test)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (f32, u32)> + '_ {
        self.items.iter().map(|&(d, id)| (d, id & !EXPANDED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_closest_and_expands_in_order() {
        let mut buf = Vec::new();
        let mut p = Pool::new(&mut buf, 3);
        p.insert(5.0, 5);
        p.insert(1.0, 1);
        assert_eq!(p.pop(), Some(1));
        p.insert(3.0, 3);
        p.insert(4.0, 4);
        // Full (1, 3, 4): 5 fell out; 9 does not get in; 2 pushes 4 out.
        p.insert(9.0, 9);
        p.insert(2.0, 2);
        assert_eq!(p.peek(), Some(2));
        assert_eq!(p.pop(), Some(2));
        assert_eq!(p.pop(), Some(3));
        assert_eq!(p.pop(), None);
        // A closer element found late is expanded next, once.
        p.insert(0.5, 7);
        assert_eq!(p.pop(), Some(7));
        assert_eq!(p.pop(), None);
        let all: Vec<(f32, u32)> = p.entries().collect();
        assert_eq!(all, vec![(0.5, 7), (1.0, 1), (2.0, 2)]);
        p.finish();
        assert_eq!(buf, vec![(0.5, 7), (1.0, 1), (2.0, 2)]);
    }

    #[test]
    fn equal_distances_keep_the_earlier() {
        let mut buf = Vec::new();
        let mut p = Pool::new(&mut buf, 2);
        p.insert(1.0, 10);
        p.insert(1.0, 11);
        p.insert(1.0, 12);
        let ids: Vec<u32> = p.entries().map(|e| e.1).collect();
        assert_eq!(ids, vec![10, 11]);
    }
}
