//! Recording: appending a node and its values.
//!
//! Two paths, one result. [`Tape::record`] is the general one: the op's forward writes its
//! output (and aux) straight into the value buffer, reading its operands from it.
//! [`Tape::record_scalar`] is the 1×1 fast path: the output and aux are computed *before*
//! the tape is borrowed, from operand values that 1×1 handles carry in registers, then
//! stored. Both store the same scalars and the same node, so a node cannot tell which path
//! recorded it.

use crate::fixed::FULL;
use crate::ops::Code;
use crate::{Scalar, Tape, Tensor};

use super::buf::Buffers;
use super::node::{GRAD_A, GRAD_B, Node, Op, Operand, PARTIALS, region_len};

impl<T: Scalar> Tape<T> {
    /// Appends a leaf holding `values` (`R·C` of them, column-major), copied straight in.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn leaf<const R: usize, const C: usize>(
        &self,
        needs_grad: bool,
        values: impl ExactSizeIterator<Item = T>,
    ) -> Tensor<'_, R, C, T> {
        let mut inner = self.inner.borrow_mut();
        let off = inner.push_leaf(R * C, values);
        if off == FULL {
            drop(inner);
            return self.full(region_len(R * C));
        }
        let value = if R * C == 1 {
            inner.values[off as usize]
        } else {
            T::zero()
        };
        Tensor::from_raw(self, off, needs_grad, value)
    }

    /// Appends a 1×1 leaf holding `value` (a few stores, no iterator).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn leaf_scalar(&self, needs_grad: bool, value: T) -> Tensor<'_, 1, 1, T> {
        let mut inner = self.inner.borrow_mut();
        // the fast path, as `try_push_scalar`: the room taken as slices is the room test
        let b = &mut *inner;
        let off = b.values.len();
        if let (Some([v]), Some([slot])) = (b.values.next_room(1), b.nodes.next_room(1)) {
            *v = value;
            *slot = Node::leaf(off as u32, 1);
            b.values.extend_by(1);
            b.nodes.extend_by(1);
            return Tensor::from_raw(self, off as u32, needs_grad, value);
        }
        let off = inner.room_for(1);
        if off == FULL {
            drop(inner);
            return self.full(1);
        }
        inner.values.push(value);
        inner.nodes.push(Node::leaf(off, 1));
        Tensor::from_raw(self, off, needs_grad, value)
    }

    /// Clears the recording and appends a variable leaf to the parameters' prefix; returns its
    /// node index and value offset.
    pub(crate) fn push_param(
        &mut self,
        len: usize,
        values: impl ExactSizeIterator<Item = T>,
    ) -> (u32, u32) {
        self.clear();
        let inner = self.inner.get_mut();
        let off = inner.push_leaf(len, values);
        assert!(
            off != FULL,
            "shapegrad: a parameter of {len} scalars does not fit this fixed tape"
        );
        inner.param_nodes = inner.nodes.len();
        inner.param_scalars = inner.values.len();
        (inner.nodes.len() as u32 - 1, off)
    }

    /// Appends an op with an `R×C` output: `forward(values, out)` writes the output and aux
    /// into `out`, reading operands from `values`, which holds everything recorded before.
    /// A replayable tape keeps `forward` to run it again (`engine/replay.rs`), so it is a
    /// pure function of the values it reads and of what it captured.
    ///
    /// `out` holds stale data from an earlier recording, not zeros, so `forward` must write
    /// every scalar of it (the stale-buffer test checks every op does): zeroing it first cost
    /// more than many ops themselves (`docs/benchmarks.md`).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record<const R: usize, const C: usize>(
        &self,
        op: Op<T>,
        forward: impl Fn(&[T], &mut [T]) + Send + Sync + 'static,
    ) -> Tensor<'_, R, C, T> {
        let (t, kept) = self.record_once::<R, C>(op, &forward);
        if kept {
            self.capture(R * C, move |values, out| {
                forward(values, out);
                Ok(())
            });
        }
        t
    }

    /// [`record`](Tape::record) for an op whose forward at recording time differs from the
    /// one a replay runs (a factorisation computed before recording, for an op that may have
    /// no value): `replay` computes the same scalars from the values, or returns `Err(op)`
    /// (its region then NaN) where the op has none.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_fallible<const R: usize, const C: usize>(
        &self,
        op: Op<T>,
        forward: impl FnOnce(&[T], &mut [T]),
        replay: impl Fn(&[T], &mut [T]) -> Result<(), &'static str> + Send + Sync + 'static,
    ) -> Tensor<'_, R, C, T> {
        let (t, kept) = self.record_once::<R, C>(op, forward);
        if kept {
            self.capture(R * C, replay);
        }
        t
    }

    /// What [`record`](Tape::record) does besides keeping the forward; also whether to keep
    /// it (a replayable tape, and the op fitted).
    #[inline(always)]
    #[track_caller]
    fn record_once<const R: usize, const C: usize>(
        &self,
        op: Op<T>,
        forward: impl FnOnce(&[T], &mut [T]),
    ) -> (Tensor<'_, R, C, T>, bool) {
        let mut inner = self.inner.borrow_mut();
        let len = region_len(R * C) + op.aux;
        let off = inner.room_for(len);
        if off == FULL {
            drop(inner);
            return (self.full(len), false);
        }
        inner.values.extend_by(len);
        let (before, out) = inner.values.split_at_mut(off as usize);
        // an empty output's placeholder scalar is skipped: the aux region follows either way
        forward(before, &mut out[region_len(R * C) - R * C..]);
        let value = if R * C == 1 { out[0] } else { T::zero() };
        let needs_grad = inner.push_node(&op, off, region_len(R * C));
        let kept = inner.forwards.is_some();
        (Tensor::from_raw(self, off, needs_grad, value), kept)
    }

    /// [`record`](Tape::record) for a 1×1 output whose `K` scalars (output, then aux) are
    /// already computed. The op's math ran before the tape is borrowed, so a cold call in it
    /// (sigmoid's far-left case) has no borrow to release on unwinding. A replayable tape
    /// keeps `replay`, which computes the same `K` scalars from the values before the op.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_scalar<const K: usize>(
        &self,
        op: Op<T>,
        out: [T; K],
        replay: impl Fn(&[T]) -> [T; K] + Send + Sync + 'static,
    ) -> Tensor<'_, 1, 1, T> {
        let (t, kept) = self.record_scalar_once(op, out);
        if kept {
            self.capture(1, move |values, out| {
                out.copy_from_slice(&replay(values));
                Ok(())
            });
        }
        t
    }

    /// [`record_scalar`](Tape::record_scalar) for a coded op (`ops/code.rs`): `out` is the
    /// first `K` scalars of `code.eval(a, b, want)` on the operands' values, and a replayable
    /// tape keeps `code` for the replay's interpreter instead of a closure.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_code<const K: usize>(
        &self,
        op: Op<T>,
        out: [T; K],
        code: Code<T>,
        want: bool,
    ) -> Tensor<'_, 1, 1, T> {
        debug_assert_eq!(code.len(), K);
        let a = op.inputs[0].map_or(0, |x| x.off);
        let b = op.inputs[1].map_or(a, |x| x.off);
        let (t, kept) = self.record_scalar_once(op, out);
        if kept {
            self.capture_code(code, a, b, want);
        }
        t
    }

    /// What [`record_scalar`](Tape::record_scalar) does besides keeping the forward; also
    /// whether to keep it (a replayable tape, and the op fitted).
    #[inline(always)]
    #[track_caller]
    fn record_scalar_once<const K: usize>(
        &self,
        op: Op<T>,
        out: [T; K],
    ) -> (Tensor<'_, 1, 1, T>, bool) {
        debug_assert_eq!(op.aux + 1, K);
        let mut inner = self.inner.borrow_mut();
        let (off, needs_grad) = match inner.try_push_scalar(&op, &out) {
            Some(pushed) => pushed,
            None => {
                let off = inner.room_for(K);
                if off == FULL {
                    drop(inner);
                    return (self.full(K), false);
                }
                let start = inner.values.extend_by(K);
                inner.values[start..][..K].copy_from_slice(&out);
                (off, inner.push_node(&op, off, 1))
            }
        };
        let kept = inner.forwards.is_some();
        drop(inner);
        (Tensor::from_raw(self, off, needs_grad, out[0]), kept)
    }

    /// The values of a recorded tensor, handed to `read` without copying.
    pub(crate) fn with_values<U>(&self, off: u32, len: usize, read: impl FnOnce(&[T]) -> U) -> U {
        let inner = self.inner.borrow();
        if off == FULL {
            // recorded past a fixed tape's capacity: NaN
            let nan = inner.fixed.as_ref().map_or(&[][..], |f| &f.nan[..]);
            return read(&nan[..len]);
        }
        read(&inner.values[off as usize..][..len])
    }

    /// The index of the node whose values start at offset `off`.
    pub(crate) fn node_at(&self, off: u32) -> usize {
        self.inner.borrow().node_at(off)
    }
}

impl<T: Scalar> Buffers<T> {
    /// Appends a leaf of `len` scalars taken from `values` (plus the placeholder of an empty
    /// region); returns its value offset.
    #[inline(always)]
    fn push_leaf(&mut self, len: usize, values: impl ExactSizeIterator<Item = T>) -> u32 {
        assert_eq!(values.len(), len, "shapegrad: leaf size");
        let off = self.room_for(region_len(len));
        if off == FULL {
            return FULL;
        }
        let start = self.values.extend_by(region_len(len));
        let dst = &mut self.values[start..];
        dst.iter_mut().zip(values).for_each(|(d, v)| *d = v);
        if len == 0 {
            dst[0] = T::zero();
        }
        self.nodes.push(Node::leaf(off, len as u32));
        off
    }

    /// [`Tape::record_scalar`]'s fast path: appends `out` and the node of `op` if both buffers
    /// have the room, in one bounds check each (the slices it takes are the room test), so
    /// the stores need no second check and the lengths stay in registers; `None`, touching
    /// nothing, if a buffer is full (the caller then grows it through `room_for`).
    #[inline(always)]
    fn try_push_scalar<const K: usize>(&mut self, op: &Op<T>, out: &[T; K]) -> Option<(u32, bool)> {
        let off = self.values.len();
        let (Some(dst), Some([slot])) = (self.values.next_room(K), self.nodes.next_room(1)) else {
            return None;
        };
        dst.copy_from_slice(out);
        // the room never passes `MAX_SCALARS` (invariant 13), so `off` fits a u32
        let (node, needs_grad) = node_of(op, off as u32, 1);
        *slot = node;
        self.values.extend_by(K);
        self.nodes.extend_by(1);
        Some((off as u32, needs_grad))
    }

    /// Appends the node of `op` whose output (`out_len` scalars, aux after them) starts at
    /// `off`; returns whether it needs a gradient.
    #[inline(always)]
    fn push_node(&mut self, op: &Op<T>, off: u32, out_len: usize) -> bool {
        let (node, needs_grad) = node_of(op, off, out_len);
        self.nodes.push(node);
        needs_grad
    }
}

/// The node of `op` whose output (`out_len` scalars, aux after them) starts at `off`, and
/// whether it needs a gradient.
#[inline(always)]
fn node_of<T>(op: &Op<T>, off: u32, out_len: usize) -> (Node<T>, bool) {
    let needs = |x: Option<Operand>| x.is_some_and(|x| x.needs_grad);
    let mut flags = (needs(op.inputs[0]) as u32 * GRAD_A) | (needs(op.inputs[1]) as u32 * GRAD_B);
    if op.partials && flags != 0 {
        flags |= PARTIALS;
    }
    let node = Node {
        backward: op.backward,
        at: super::node::Offsets {
            out: off,
            a: op.inputs[0].map_or(off, |x| x.off),
            b: op.inputs[1].map_or(off + out_len as u32, |x| x.off),
            flags,
        },
    };
    (node, flags != 0)
}
