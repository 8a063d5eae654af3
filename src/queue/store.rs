//! Where a queue keeps its items: the one thing that differs between [`super::Queue`],
//! [`super::LifoQueue`] and [`super::PriorityQueue`].
//!
//! The store is a value chosen by the constructor rather than a type parameter of the core,
//! so that the core, its futures ([`super::Put`], [`super::Get`], [`super::Join`]) and the
//! channels built on it are generic over the item type only: users never name a container,
//! and each item type is compiled once whatever its discipline. The priority discipline needs
//! `T: Ord`, which only `PriorityQueue::new` can promise; it stores the two heap operations as
//! function pointers made where that bound holds.
//
// Not concurrent on its own: a `Store` lives inside the core's mutex.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// A container of items with one of the three disciplines.
pub(crate) enum Store<T> {
    /// First in, first out.
    Fifo(VecDeque<T>),
    /// Last in, first out.
    Lifo(Vec<T>),
    /// Smallest first; equal items in insertion order.
    Heap(Heap<T>),
}

/// A min-heap whose ties are broken by insertion order.
pub(crate) struct Heap<T> {
    items: BinaryHeap<Ranked<T>>,
    /// The rank of the next item pushed; a `u64` never wraps in practice.
    next_seq: u64,
    push: fn(&mut BinaryHeap<Ranked<T>>, Ranked<T>),
    pop: fn(&mut BinaryHeap<Ranked<T>>) -> Option<Ranked<T>>,
}

/// An item and its insertion number. `BinaryHeap` is a max-heap, so the order is reversed:
/// the greatest `Ranked` is the smallest item, and among equal items the oldest.
pub(crate) struct Ranked<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .item
            .cmp(&self.item)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl<T: Ord> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Ranked<T> {}

impl<T> Store<T> {
    pub(crate) fn fifo() -> Store<T> {
        Store::Fifo(VecDeque::new())
    }

    pub(crate) fn lifo() -> Store<T> {
        Store::Lifo(Vec::new())
    }

    pub(crate) fn heap() -> Store<T>
    where
        T: Ord,
    {
        Store::Heap(Heap {
            items: BinaryHeap::new(),
            next_seq: 0,
            push: BinaryHeap::push,
            pop: BinaryHeap::pop,
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Store::Fifo(q) => q.len(),
            Store::Lifo(v) => v.len(),
            Store::Heap(h) => h.items.len(),
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        match self {
            Store::Fifo(q) => q.push_back(item),
            Store::Lifo(v) => v.push(item),
            Store::Heap(h) => {
                let seq = h.next_seq;
                h.next_seq += 1;
                (h.push)(&mut h.items, Ranked { item, seq });
            }
        }
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        match self {
            Store::Fifo(q) => q.pop_front(),
            Store::Lifo(v) => v.pop(),
            Store::Heap(h) => (h.pop)(&mut h.items).map(|r| r.item),
        }
    }

    /// Empties the store, returning the old contents so that the caller can drop them after
    /// releasing its lock (an item's destructor may use the queue).
    pub(crate) fn take_all(&mut self) -> Store<T> {
        match self {
            Store::Fifo(q) => Store::Fifo(std::mem::take(q)),
            Store::Lifo(v) => Store::Lifo(std::mem::take(v)),
            Store::Heap(h) => Store::Heap(Heap {
                items: std::mem::take(&mut h.items),
                next_seq: 0,
                push: h.push,
                pop: h.pop,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T>(mut s: Store<T>) -> Vec<T> {
        std::iter::from_fn(|| s.pop()).collect()
    }

    #[test]
    fn each_discipline_pops_in_its_order() {
        for (mut s, want) in [
            (Store::fifo(), [3, 1, 2]),
            (Store::lifo(), [2, 1, 3]),
            (Store::heap(), [1, 2, 3]),
        ] {
            for i in [3, 1, 2] {
                s.push(i);
            }
            assert_eq!(s.len(), 3);
            assert_eq!(drain(s), want);
        }
    }

    #[test]
    fn heap_breaks_ties_by_insertion_order() {
        #[derive(Debug, PartialEq, Eq)]
        struct Job(u8, &'static str);
        impl Ord for Job {
            fn cmp(&self, o: &Self) -> Ordering {
                self.0.cmp(&o.0) // the name does not take part
            }
        }
        impl PartialOrd for Job {
            fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
                Some(self.cmp(o))
            }
        }
        let mut s = Store::heap();
        for j in [
            Job(2, "a"),
            Job(1, "b"),
            Job(2, "c"),
            Job(1, "d"),
            Job(2, "e"),
        ] {
            s.push(j);
        }
        let names: Vec<_> = drain(s).into_iter().map(|j| j.1).collect();
        assert_eq!(names, ["b", "d", "a", "c", "e"]);
    }

    #[test]
    fn take_all_empties_and_keeps_the_discipline() {
        let mut s = Store::heap();
        s.push(2);
        s.push(1);
        let old = s.take_all();
        assert_eq!(s.len(), 0);
        assert_eq!(drain(old), [1, 2]);
        s.push(5);
        s.push(4);
        assert_eq!(drain(s), [4, 5]);
    }
}
