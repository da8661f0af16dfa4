//! A software prefetch hint: the only `unsafe` in this crate.
//!
//! Walks of a large trie for keys in no particular order miss the cache on
//! nearly every node. [`PrefixTrie::insert_hints`](crate::trie::PrefixTrie::insert_hints)
//! walks a group of keys side by side and, with this hint, asks for each
//! key's next node a whole round before it reads it, so the misses of the
//! group overlap. A plain load would not do: a load that misses holds its
//! place in the reorder buffer until it completes, so only a few keys'
//! loads are in flight at once; a prefetch retires at once.
//!
//! The hint reads no memory the program can see and cannot fault: it takes
//! a reference, so the address is always that of a live value, and a
//! prefetch instruction ignores the address anyway. Miri runs it (as a no-op)
//! in the trie unit tests that `.ci/run` runs under it.
//! On targets other than x86-64 it does nothing.
#![allow(unsafe_code)]

/// Asks the CPU to bring the cache line holding `*r` into the cache.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs the `sse` target feature, which every
    // x86-64 CPU has (it is in the target's baseline). The instruction
    // reads nothing the program observes and never faults, whatever the
    // address; here it is that of a live reference.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            (r as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
