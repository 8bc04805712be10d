//! The tape's two buffers and their growth.
//!
//! Invariant: every append goes through [`Buffers::room_for`], which makes room *before*
//! anything is computed or stored, so an append itself is plain stores into initialised
//! memory (no capacity check, no call that could unwind between computing and storing).
//!
//! A new tape's buffers start empty; the first growth adopts a buffer set from the thread's
//! pool (`pool.rs`) if it keeps one, and a dropped tape returns its set there.

use crate::Scalar;
use crate::fixed::{FULL, Fixed, OnFull};
use alloc::boxed::Box;
use alloc::vec::Vec;

use super::node::Node;
use super::pool::{self, TapeStore};
use super::replay::Forward;

/// The most scalars a tape holds: value offsets are `u32`.
pub(crate) const MAX_SCALARS: usize = u32::MAX as usize;

/// An append-only buffer whose storage is always initialised: `data.len()` is its capacity
/// and `len` how much is recorded. Appending past the room panics on the index; it never
/// grows by itself.
pub(crate) struct Buf<E> {
    data: Vec<E>,
    pub(crate) len: usize,
}

impl<E: Copy> Buf<E> {
    /// No room (no allocation).
    const fn empty() -> Self {
        Buf {
            data: Vec::new(),
            len: 0,
        }
    }

    /// Room for `data.len()` elements, none recorded: reuses `data`'s stale contents.
    fn reuse(data: Vec<E>) -> Self {
        Buf { data, len: 0 }
    }

    /// Number of recorded elements.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of elements it holds room for.
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Counts all the room as recorded, so that every later append finds none (a fixed
    /// tape that overflowed).
    pub(crate) fn use_up(&mut self) {
        self.len = self.data.len();
    }

    /// Forgets everything past the first `n` elements (keeping the room).
    pub(crate) fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Appends `n` elements holding stale data; returns where they start.
    #[inline(always)]
    pub(crate) fn extend_by(&mut self, n: usize) -> usize {
        let start = self.len;
        self.len = start + n;
        start
    }

    /// The room for the next `n` elements, if the buffer has it (stale data, not yet
    /// counted as recorded: [`extend_by`](Buf::extend_by) does that).
    #[inline(always)]
    pub(crate) fn next_room(&mut self, n: usize) -> Option<&mut [E]> {
        self.data.get_mut(self.len..self.len.checked_add(n)?)
    }

    /// Appends `e`.
    #[inline(always)]
    pub(crate) fn push(&mut self, e: E) {
        let at = self.extend_by(1);
        self.data[at] = e;
    }

    /// Makes room for at least `n` more elements, doubling, but for no more than `max`
    /// elements in all (`len + n <= max`).
    fn grow(&mut self, n: usize, fill: E, max: usize) {
        let room = (self.len + n).max(2 * self.data.len()).max(8).min(max);
        self.data.resize(room, fill);
    }

    /// Makes room for `n` elements in all (at most `max`) if it has less.
    fn reserve_total(&mut self, n: usize, fill: E, max: usize) {
        if self.data.len() < n {
            self.data.resize(n.min(max), fill);
        }
    }
}

impl<E> core::ops::Deref for Buf<E> {
    type Target = [E];

    #[inline(always)]
    fn deref(&self) -> &[E] {
        &self.data[..self.len]
    }
}

impl<E> core::ops::DerefMut for Buf<E> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [E] {
        &mut self.data[..self.len]
    }
}

/// The tape's storage: nodes in creation order, and every node's values (output, then aux)
/// in one contiguous buffer, in the same order.
pub(crate) struct Buffers<T> {
    pub(crate) nodes: Buf<Node<T>>,
    pub(crate) values: Buf<T>,
    /// The parameters' prefix of `nodes` and `values`, which `Tape::clear` keeps.
    pub(crate) param_nodes: usize,
    pub(crate) param_scalars: usize,
    /// The box of the set adopted from the pool, emptied (its buffers are `nodes` and
    /// `values` now; the box carries the pool's idle count), to return them in: the pool
    /// moves a set as one pointer (see `TapeStore`).
    shell: Option<Box<TapeStore<T>>>,
    /// A fixed tape's limits (`Tape::fixed`): its buffers never grow.
    pub(crate) fixed: Option<Box<Fixed<T>>>,
    /// A replayable tape's forwards, one per recorded op in creation order
    /// (`Tape::for_replay`, `engine/replay.rs`); `None` on every other tape.
    pub(crate) forwards: Option<Vec<Forward<T>>>,
}

impl<T: Scalar> Buffers<T> {
    /// Empty buffers without room (nothing allocated, nothing taken from the pool yet).
    pub(crate) const fn new() -> Self {
        Buffers {
            nodes: Buf::empty(),
            values: Buf::empty(),
            param_nodes: 0,
            param_scalars: 0,
            shell: None,
            fixed: None,
            forwards: None,
        }
    }

    /// Buffers of exactly `nodes` nodes and `scalars` values that never grow.
    pub(crate) fn fixed(nodes: usize, scalars: usize, on_full: OnFull) -> Self {
        let mut b = Self::new();
        b.nodes.reserve_total(nodes, Node::filler(), MAX_SCALARS);
        b.values.reserve_total(scalars, T::zero(), MAX_SCALARS);
        let nan = match on_full {
            OnFull::Error => alloc::vec![T::zero() / T::zero(); scalars],
            OnFull::Panic => Vec::new(),
        };
        b.fixed = Some(Box::new(Fixed {
            on_full,
            nodes,
            scalars,
            overflow: None,
            nan,
        }));
        b
    }

    /// Makes room for `nodes` nodes and `scalars` values in all, adopting a pooled set
    /// first.
    pub(crate) fn reserve(&mut self, nodes: usize, scalars: usize) {
        self.adopt();
        self.nodes.reserve_total(nodes, Node::filler(), MAX_SCALARS);
        self.values.reserve_total(scalars, T::zero(), MAX_SCALARS);
    }

    /// Takes the thread's pooled buffer set if these buffers have no room yet.
    fn adopt(&mut self) {
        if self.nodes.capacity() == 0
            && self.values.capacity() == 0
            && let Some(mut set) = pool::take_tape::<T>()
        {
            self.nodes = Buf::reuse(core::mem::take(&mut set.nodes));
            self.values = Buf::reuse(core::mem::take(&mut set.values));
            self.shell = Some(set);
        }
    }

    /// Gives the buffers to the thread's pool, leaving these empty (a dropped tape's last
    /// act).
    pub(crate) fn recycle(&mut self) {
        if self.nodes.data.capacity() == 0 && self.values.data.capacity() == 0 {
            return; // nothing was recorded
        }
        if !pool::KEEPS {
            return; // the buffers are freed with the tape
        }
        let used = self.values.len();
        let mut set = self
            .shell
            .take()
            .unwrap_or_else(|| Box::new(TapeStore::empty()));
        set.nodes = core::mem::take(&mut self.nodes.data);
        set.values = core::mem::take(&mut self.values.data);
        (self.nodes.len, self.values.len) = (0, 0);
        pool::put_tape(set, used);
    }

    /// Makes room for one more node with `len` scalars; returns its value offset, or
    /// [`FULL`] on a fixed tape without the room. (Every node takes at least one scalar, so
    /// node indices fit in `u32` too.)
    #[inline(always)]
    pub(crate) fn room_for(&mut self, len: usize) -> u32 {
        let off = self.values.len();
        if self.values.capacity() - off < len || self.nodes.capacity() == self.nodes.len() {
            // the value buffer never holds room past `MAX_SCALARS`, so an op that fits in the
            // room fits the limit: it is checked here, where the buffers grow, only
            assert!(
                off + len <= MAX_SCALARS,
                "shapegrad: a tape holds at most 2^32 - 1 scalars; clear it between steps"
            );
            if self.grow(len) {
                return FULL;
            }
        }
        off as u32
    }

    /// Grows both buffers for one more node of `len` scalars: the only call on the recording
    /// path, cold and out of line.
    ///
    /// `extern "C"`, so that it cannot unwind (a panic inside aborts; it allocates, and Rust
    /// already aborts when an allocation fails). A call that may unwind needs a landing pad
    /// to release the tape's borrow, and with one the compiler kept a scalar chain's values
    /// in stack slots instead of registers, storing and reloading them around every op.
    ///
    /// Returns `true` for a fixed tape, which never grows. (A flag, not the new offset: the
    /// caller's offset stays the length it read before the call, which the compiler then
    /// knows, as it knows nothing of what an out-of-line call returns.)
    #[cold]
    #[inline(never)]
    extern "C" fn grow(&mut self, len: usize) -> bool {
        if self.fixed.is_some() {
            return true;
        }
        self.adopt();
        if self.values.capacity() - self.values.len() < len {
            self.values.grow(len, T::zero(), MAX_SCALARS);
        }
        if self.nodes.capacity() == self.nodes.len() {
            self.nodes.grow(1, Node::filler(), MAX_SCALARS); // every node takes a scalar
        }
        false
    }

    /// The index of the node whose values start at offset `off` (nodes are in offset order).
    pub(crate) fn node_at(&self, off: u32) -> usize {
        // most walks start at the last node (the loss, just recorded)
        if let Some(last) = self.nodes.last()
            && last.at.out == off
        {
            return self.nodes.len() - 1;
        }
        let k = self.nodes.partition_point(|n| n.at.out < off);
        debug_assert_eq!(
            self.nodes[k].at.out, off,
            "shapegrad: no node at offset {off}"
        );
        k
    }
}
