//! Compact lists for the per-prefix records of the RIB, where most lists
//! hold one element (a prefix learnt from one peer) or none (an Adj-RIB-Out
//! nobody fills): a `Vec` costs 24 octets even when empty, these cost 16
//! ([`OneOrMany`]) and 8 ([`BoxedVec`]), so that a prefix's whole record
//! is 32 octets, two to a cache line. The boxed `Vec`s are the point: a
//! thin pointer in the record, the rest on the heap only when used.
#![allow(clippy::box_collection)]

use std::ops::{Deref, DerefMut};

/// A list that holds none or one element inline and more on the heap: 16
/// octets for an element of up to 12 octets (4-octet aligned). Reads go
/// through the slice it dereferences to.
#[derive(Clone, Debug, Default)]
pub(crate) enum OneOrMany<T> {
    #[default]
    Empty,
    One(T),
    /// Two or more (never fewer: removals fold back into `One`/`Empty`).
    /// Boxed so that the variant is one pointer: a bare `Vec` would make
    /// every list 24 octets, and two-or-more is the rare case.
    Many(Box<Vec<T>>),
}

impl<T> Deref for OneOrMany<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Self::Empty => &[],
            Self::One(x) => std::slice::from_ref(x),
            Self::Many(v) => v,
        }
    }
}

impl<T> DerefMut for OneOrMany<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Self::Empty => &mut [],
            Self::One(x) => std::slice::from_mut(x),
            Self::Many(v) => v,
        }
    }
}

impl<T> OneOrMany<T> {
    /// Appends `x`. A heap list grows by a quarter, not double: most
    /// prefixes have a few paths and the memory budget is per path.
    pub(crate) fn push(&mut self, x: T) {
        match std::mem::take(self) {
            Self::Empty => *self = Self::One(x),
            Self::One(y) => {
                let mut v = Vec::with_capacity(2);
                v.extend([y, x]);
                *self = Self::Many(Box::new(v));
            }
            Self::Many(mut v) => {
                if v.len() == v.capacity() {
                    v.reserve_exact((v.len() / 4).max(1));
                }
                v.push(x);
                *self = Self::Many(v);
            }
        }
    }

    /// Removes and returns element `i` (which must exist).
    pub(crate) fn remove(&mut self, i: usize) -> T {
        match std::mem::take(self) {
            Self::Empty => unreachable!("remove from an empty list"),
            Self::One(x) => {
                debug_assert_eq!(i, 0);
                x
            }
            Self::Many(mut v) => {
                let x = v.remove(i);
                *self = Self::fold(v);
                x
            }
        }
    }

    /// Keeps the elements for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        match std::mem::take(self) {
            Self::Empty => {}
            Self::One(x) => {
                if keep(&x) {
                    *self = Self::One(x);
                }
            }
            Self::Many(mut v) => {
                v.retain(keep);
                *self = Self::fold(v);
            }
        }
    }

    /// A heap list of any length in its canonical form.
    fn fold(mut v: Box<Vec<T>>) -> Self {
        match v.len() {
            0 => Self::Empty,
            1 => Self::One(v.pop().expect("one element")),
            _ => {
                if v.capacity() > v.len() + v.len() / 2 + 1 {
                    v.shrink_to_fit();
                }
                Self::Many(v)
            }
        }
    }
}

/// A `Vec` that costs one pointer (8 octets) while empty, and nothing on
/// the heap. Reads go through the slice it dereferences to.
#[derive(Clone, Debug)]
pub(crate) struct BoxedVec<T>(Option<Box<Vec<T>>>);

impl<T> Default for BoxedVec<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> Deref for BoxedVec<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], |v| v)
    }
}

impl<T> DerefMut for BoxedVec<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_deref_mut().map_or(&mut [], |v| v)
    }
}

impl<T> BoxedVec<T> {
    /// Appends `new`, growing by a quarter at least (not double).
    pub(crate) fn extend_growing<I>(&mut self, new: I)
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        let new = new.into_iter();
        if new.len() == 0 {
            return;
        }
        let v = self.0.get_or_insert_with(Box::default);
        if v.capacity() - v.len() < new.len() {
            v.reserve_exact(new.len().max(v.len() / 4));
        }
        v.extend(new);
    }

    /// Keeps the elements for which `keep` is true; an emptied list frees
    /// its heap part.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(v) = self.0.as_mut() {
            v.retain(keep);
            if v.is_empty() {
                self.0 = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_of::<OneOrMany<[u32; 3]>>(), 16);
        assert_eq!(size_of::<BoxedVec<[u32; 4]>>(), 8);
    }

    #[test]
    fn one_or_many_agrees_with_vec() {
        let mut s: u64 = 1;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 33) as u32
        };
        let mut l = OneOrMany::default();
        let mut v: Vec<u32> = Vec::new();
        for _ in 0..20_000 {
            match next() % 4 {
                0 | 1 if v.len() < 9 => {
                    let x = next() % 16;
                    l.push(x);
                    v.push(x);
                }
                2 if !v.is_empty() => {
                    let i = next() as usize % v.len();
                    assert_eq!(l.remove(i), v.remove(i));
                }
                _ => {
                    let m = next() % 16;
                    l.retain(|x| *x != m);
                    v.retain(|x| *x != m);
                }
            }
            assert_eq!(&l[..], &v[..]);
            match (&l, v.len()) {
                (OneOrMany::Empty, 0) | (OneOrMany::One(_), 1) => {}
                (OneOrMany::Many(_), n) if n >= 2 => {}
                _ => panic!("not canonical: {l:?}"),
            }
            if let Some(x) = l.first_mut() {
                *x += 16;
                v[0] += 16;
            }
        }
    }

    #[test]
    fn boxed_vec_frees_when_empty() {
        let mut b = BoxedVec::default();
        assert!(b.is_empty() && b.0.is_none());
        b.extend_growing([1u32]);
        b.extend_growing(vec![2, 3]);
        b.extend_growing(Vec::new());
        assert_eq!(&b[..], &[1, 2, 3]);
        b.retain(|x| *x != 2);
        assert_eq!(&b[..], &[1, 3]);
        b.retain(|_| false);
        assert!(b.0.is_none());
    }
}
