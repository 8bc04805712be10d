//! The buffer sets a dropped tape or `Gradients` hands to the pool (`pool.rs` with the
//! feature `std`, `pool_none.rs` without it).

use alloc::vec::Vec;

use super::node::Node;
use crate::tape::Session;

/// A tape's buffers, as the pool keeps them: boxed, so that a set moves in and out of the
/// pool as one pointer. Moved by value, a set was staged in stack slots and copied with
/// wide loads spanning the narrower stores that had just written it, missing store-to-load
/// forwarding (stalls perf found in every pool call on the README idiom's path; the box
/// itself is kept with the set, so the steady state allocates nothing).
pub(crate) struct TapeStore<T> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<T>,
    /// Returns in a row with under an eighth of the room used (travels with the buffers).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // no pool keeps sets without std
    pub(crate) idle: usize,
}

impl<T> TapeStore<T> {
    /// No buffers.
    pub(crate) const fn empty() -> Self {
        TapeStore {
            nodes: Vec::new(),
            values: Vec::new(),
            idle: 0,
        }
    }
}

/// Everything a [`Gradients`](crate::Gradients) holds, boxed so that a `Gradients` is one
/// pointer: `backward()` returns it by value and the pool takes and gives it back, and a
/// one-word move cannot miss store-to-load forwarding the way a copied multi-field struct
/// did (the wide loads of the copy spanning the narrower stores that had just written its
/// fields; perf found one such stall in `backward()`'s return and one in every drop).
#[derive(Clone, Debug)]
pub(crate) struct GradStore<T> {
    /// Gradients, laid out like the tape's values (all of them at the last walk). Only
    /// regions stamped in `reached` hold gradients of this walk; the rest is stale.
    pub(crate) data: Vec<T>,
    /// Per value offset: the stamp of the last walk that wrote the region starting there
    /// (the stamps left by earlier walks stay older than every later walk's, so recycled
    /// buffers need no clearing).
    pub(crate) reached: Vec<u8>,
    /// This walk's stamp, 1..=255 (0 before any walk).
    pub(crate) stamp: u8,
    /// The recording these gradients belong to; tape id 0 before any backward.
    pub(crate) session: Session,
    /// How many parameters the tape had when these gradients were computed.
    pub(crate) params: usize,
    /// Scalars the largest walk covered (what the pool's idle rule counts as used).
    pub(crate) walked: usize,
    /// As [`TapeStore::idle`].
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) idle: usize,
}

impl<T> GradStore<T> {
    /// No buffers, no walk.
    pub(crate) const fn empty() -> Self {
        GradStore {
            data: Vec::new(),
            reached: Vec::new(),
            stamp: 0,
            session: Session {
                tape: 0,
                generation: 0,
            },
            params: 0,
            walked: 0,
            idle: 0,
        }
    }

    /// Names the recording a finished walk differentiated, and how many parameters it had.
    pub(crate) fn finish(&mut self, session: Session, params: usize) {
        self.session = session;
        self.params = params;
    }
}
