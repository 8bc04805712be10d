//! The buffer sets a dropped tape or `Gradients` hands to the pool (`pool.rs` with the
//! feature `std`, `pool_none.rs` without it).

use alloc::vec::Vec;

use super::node::Node;

/// A tape's buffers, as the pool keeps them.
///
/// Every field of a kept set is a full word (`usize`, not `u32` or `u8`): a set is staged
/// in registers and stack slots on its way in and out of the pool, and a narrow field's
/// store followed by a wider load of the same slot misses store-to-load forwarding (a stall
/// perf found in every pool call, on the README idiom's path).
pub(crate) struct TapeStore<T> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<T>,
    /// Returns in a row with under an eighth of the room used (travels with the buffers).
    pub(crate) idle: usize,
}

/// A `Gradients`' buffers with the stamp of their last walk (the stamps left in `reached`
/// stay older than every later walk's, so the buffers need no clearing).
pub(crate) struct GradStore<T> {
    pub(crate) data: Vec<T>,
    pub(crate) reached: Vec<u8>,
    /// The stamp of the last walk (1..=255; a word, as [`TapeStore`] says).
    pub(crate) stamp: usize,
    /// As [`TapeStore::idle`].
    pub(crate) idle: usize,
}
