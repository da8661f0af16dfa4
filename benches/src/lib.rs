//! Shared helpers for the benchmarks (loading the real inputs).
