//! The buffer sets a dropped tape or `Gradients` hands to the pool (`pool.rs` with the
//! feature `std`, `pool_none.rs` without it).

use alloc::vec::Vec;

use super::node::Node;

/// A tape's buffers, as the pool keeps them.
pub(crate) struct TapeStore<T> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<T>,
    /// Returns in a row with under an eighth of the room used (travels with the buffers).
    pub(crate) idle: u32,
}

/// A `Gradients`' buffers with the stamp of their last walk (the stamps left in `reached`
/// stay older than every later walk's, so the buffers need no clearing).
pub(crate) struct GradStore<T> {
    pub(crate) data: Vec<T>,
    pub(crate) reached: Vec<u8>,
    pub(crate) stamp: u8,
    /// As [`TapeStore::idle`].
    pub(crate) idle: u32,
}
