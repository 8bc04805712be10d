//! The reverse walk.
//!
//! Nodes were appended as ops ran, so every operand sits before its result: one pass over the
//! nodes in reverse is a topological order (no recursion, no sort, no depth limit).
//!
//! **Stamps instead of zeroing.** The gradient buffer is reused from walk to walk and never
//! zeroed. A per-offset stamp (one byte, [`Gradients`]) marks the regions this walk has
//! written: a node runs only if its output region carries this walk's stamp (the output
//! reaches it), and a rule's first contribution to an operand's region is assigned, later
//! ones added. Invariant: a region carrying this walk's stamp holds a gradient of this walk.
//!
//! **Inline partials.** A 1×1 node flagged `PARTIALS` stored `[y, ∂y/∂a, ∂y/∂b]`; the walk
//! applies `∂a += ∂y·∂y/∂a`, `∂b += ∂y·∂y/∂b` itself instead of calling a rule. Invariant:
//! only ops whose general rule is exactly `go * d` with the stored `d` get the flag.
//!
//! **Carry.** The gradient scalar the walk wrote last stays in a register ([`Carry`]), so a
//! chain of scalar nodes does not store a gradient and load it straight back (a
//! store-to-load round trip on the critical path). Invariant: the carry is dropped after
//! every call to a rule, which may write anywhere.

use crate::gradients::Gradients;
use crate::{Scalar, Tape};

use super::node::{GRAD_A, GRAD_B, Offsets, Operand, PARTIALS, SEEN, WRITE};
use super::rule::Rule;

/// The gradient scalar the walk wrote last, still in a register.
#[derive(Clone, Copy)]
struct Carry<T> {
    off: usize,
    value: T,
}

impl<T: Scalar> Carry<T> {
    /// No carried value (after a rule that may have written anywhere).
    #[inline(always)]
    fn none() -> Self {
        Carry {
            off: usize::MAX,
            value: T::zero(),
        }
    }

    /// `g[off]`, from the register if it holds it.
    #[inline(always)]
    fn read(&self, g: &[T], off: usize) -> T {
        if self.off == off { self.value } else { g[off] }
    }
}

/// The walk's marks: a stamp per offset.
pub(super) struct Stamps<'g> {
    pub(super) reached: &'g mut [u8],
    pub(super) stamp: u8,
}

impl Stamps<'_> {
    /// Whether the region at `off` already holds a contribution of this walk; stamps it as
    /// holding one.
    #[inline(always)]
    fn seen(&mut self, off: usize) -> bool {
        if self.reached[off] == self.stamp {
            true
        } else {
            self.reached[off] = self.stamp;
            false
        }
    }

    /// The write word of a node about to run its rule: per operand, whether it needs a
    /// gradient and whether its region already holds one; stamps the regions.
    #[inline(always)]
    pub(super) fn modes(&mut self, at: &Offsets) -> u32 {
        let (a, b) = (at.a as usize, at.b as usize);
        let mut write = 0;
        if at.flags & GRAD_A != 0 {
            write = WRITE | ((self.reached[a] == self.stamp) as u32 * SEEN);
            self.reached[a] = self.stamp;
        }
        // `b` is an aux offset when it is no operand, hence the flag test first; a reused
        // operand (`x * x`) was just stamped for `a`, so `b` adds
        if at.flags & GRAD_B != 0 {
            write |= (WRITE | ((self.reached[b] == self.stamp) as u32 * SEEN)) << 2;
            self.reached[b] = self.stamp;
        }
        write
    }
}

/// The walk's state: gradients, their stamps, and the carried gradient.
struct Walk<'g, T> {
    data: &'g mut [T],
    marks: Stamps<'g>,
    carry: Carry<T>,
}

impl<T: Scalar> Walk<'_, T> {
    /// `∂x (+)= term` for the operand at `off`: assigned on the walk's first contribution to
    /// it (and stamped), added after; the written value is carried to the next node.
    #[inline(always)]
    fn put(&mut self, off: usize, term: T) {
        let d = if self.marks.seen(off) {
            self.carry.read(self.data, off) + term
        } else {
            term
        };
        self.data[off] = d;
        self.carry = Carry { off, value: d };
    }
}

/// A partials node's rule, as the walk runs it inline. The replayed walk
/// (`engine/replay.rs`: `walk`) restates it with its decisions stored, for speed (measured
/// there): a change here belongs there too.
#[inline(always)]
fn partials_step<T: Scalar>(at: &Offsets, v: &[T], w: &mut Walk<'_, T>) {
    let out = at.out as usize;
    let go = w.carry.read(w.data, out);
    if at.flags & GRAD_B != 0 {
        // two operands, so `[y, ∂y/∂a, ∂y/∂b]`: the check of `out + 2` covers `out + 1`
        let db = v[out + 2];
        let da = v[out + 1];
        if at.flags & GRAD_A != 0 {
            w.put(at.a as usize, go * da);
        }
        // an operand used twice (`x * x`) was just marked for `a`, so `b` adds: both terms
        // in that order, as `Grads::add` adds them
        w.put(at.b as usize, go * db);
    } else if at.flags & GRAD_A != 0 {
        w.put(at.a as usize, go * v[out + 1]);
    }
}

impl<T: Scalar> Tape<T> {
    /// The reverse walk: writes `seed` as the gradient of `output`, then visits nodes from
    /// the output's down to the first, each once, running the rule of every node the output
    /// reaches. Nodes off that path are skipped, so their values (an `inf` in a branch the
    /// output does not use) cannot leak `0·inf = NaN` into shared operands.
    ///
    /// `grads` names this recording only once the walk has finished: if a rule panics,
    /// `grads` is left refusing every tensor rather than holding half a walk.
    pub(crate) fn backward_from(&self, output: Operand, seed: &[T], grads: &mut Gradients<T>) {
        let inner = self.inner.borrow();
        if let Some(error) = inner.fixed.as_ref().and_then(|f| f.overflow) {
            panic!("{error}; nothing to differentiate (Tensor::try_backward returns this)");
        }
        let nodes = &inner.nodes[..=inner.node_at(output.off)];
        let start = output.off as usize;
        // gradients and stamps cover the whole tape, so that values, gradients and stamps
        // are slices of one length: one bounds check covers an offset in all three
        let n = inner.values.len();
        let state = grads.begin(n);
        let stamp = state.stamp;
        let values = &inner.values[..n];
        let mut w = Walk {
            data: &mut state.data[..n],
            marks: Stamps {
                reached: &mut state.reached[..n],
                stamp,
            },
            carry: Carry::none(),
        };
        match seed {
            [one] => w.data[start] = *one,
            _ => w.data[start..][..seed.len()].copy_from_slice(seed),
        }
        if output.needs_grad {
            w.marks.reached[start] = stamp;
        }
        for node in nodes.iter().rev() {
            let at = &node.at;
            if at.flags == 0 || w.marks.reached[at.out as usize] != stamp {
                continue; // a leaf, a constant-only op, or off the output's path
            }
            if at.flags & PARTIALS != 0 {
                partials_step(at, values, &mut w); // what `node.backward` stands for
                continue;
            }
            let write = w.marks.modes(at);
            (node.backward)(Rule {
                at,
                write,
                values,
                grads: &mut *w.data,
            });
            w.carry = Carry::none();
        }
        state.finish(self.session(), inner.param_nodes);
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use crate::engine::Rule;
    use crate::{Gradients, Tape};

    #[test]
    fn a_walk_that_panics_leaves_gradients_refusing_tensors() {
        // A rule that panics half way through a walk: the `Gradients` it was writing must not
        // answer for the recording afterwards (it used to read zeros for whatever the walk
        // had not reached).
        fn panicking<T>(_: Rule<'_, T>) {
            panic!("rule failed");
        }
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(2.0);
        let mut grads = Gradients::new();
        (x * 3.0).backward_into(&mut grads);
        assert_eq!(grads.wrt(x)[0], 3.0);
        let y = x.record_unary::<1, 1>(0, |x, out| out[0] = x[0], panicking::<f64>);
        let walk = catch_unwind(AssertUnwindSafe(|| (y * 2.0).backward_into(&mut grads)));
        assert!(walk.is_err());
        let read = catch_unwind(AssertUnwindSafe(|| grads.wrt(x)));
        assert!(read.is_err(), "a half-walked Gradients answered");
    }
}
