//! Replay: a recording's forwards kept so that it can run again at new leaf values, and the
//! walk of a replayed recording.
//!
//! A tape made by `Tape::for_replay` keeps, besides each op's node, the op's forward as a
//! boxed closure ([`Forward`]): the same closure that wrote the op's region while recording
//! (or, for the 1×1 path and the fallible ops, one computing the same scalars from the
//! tape's values). A replay writes new values into leaf regions and runs every forward
//! again in creation order, each on the values before its region; then the walk.
//!
//! **A static walk.** Which nodes a walk from the output reaches, and whether each gradient
//! write assigns or adds, depend on the nodes' offsets and flags only, never on values. So
//! they are worked out once, when the recording is made ([`plan`]: the recording walk's
//! stamps, run without arithmetic), and the replayed walk ([`walk`]) runs the reached nodes
//! with their write words known: no stamps, the same rules and the same inline partials in
//! the same order, so the same bits as a walk of a fresh recording.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::any::TypeId;

use crate::{Scalar, Tape};

use super::node::{BackwardFn, Node, Offsets, Operand, PARTIALS, SEEN, region_len};
use super::rule::Rule;
use super::walk::{Carry, Marks, Stamps, Walk, partials_step};

/// What a replayed op runs: `run(before, out)` writes the op's region `out` from the values
/// `before` it; `Err(op)` where the op has no value at these inputs (a `cholesky` of a
/// matrix that is no longer positive definite), its region then NaN.
pub(crate) type ForwardFn<T> = dyn Fn(&[T], &mut [T]) -> Result<(), &'static str> + Send + Sync;

/// One recorded op's forward, kept by a replayable tape.
pub(crate) struct Forward<T> {
    /// The first scalar the forward writes (its output region's, after an empty output's
    /// placeholder) and one past the last (its aux region's).
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Where its aux region starts: an op of constants only leaves its aux stale (it is never
    /// walked), so only `start..aux` is its result there.
    pub(crate) aux: u32,
    /// The node's index.
    pub(crate) node: u32,
    /// The closure's type: two recordings ran the same ops where their kinds and nodes agree.
    pub(crate) kind: TypeId,
    pub(crate) run: Box<ForwardFn<T>>,
}

impl<T: Scalar> Tape<T> {
    /// Keeps `run` as the forward of the node just recorded, whose region ends the tape and
    /// whose output has `out_len` scalars (an empty one's placeholder comes before what `run`
    /// writes). Called only on a replayable tape, after the borrow of recording ended:
    /// out of line, so that the recording paths stay as they are.
    #[cold]
    #[inline(never)]
    pub(crate) fn capture<F>(&self, out_len: usize, run: F)
    where
        F: Fn(&[T], &mut [T]) -> Result<(), &'static str> + Send + Sync + 'static,
    {
        let mut inner = self.inner.borrow_mut();
        let b = &mut *inner;
        let node = b.nodes.len() - 1;
        let out = b.nodes[node].at.out;
        let start = out + (region_len(out_len) - out_len) as u32;
        let aux = out + region_len(out_len) as u32;
        let end = b.values.len() as u32;
        if let Some(forwards) = &mut b.forwards {
            forwards.push(Forward {
                start,
                end,
                aux,
                node: node as u32,
                kind: TypeId::of::<F>(),
                run: Box::new(run),
            });
        }
    }
}

/// One node of a replayed walk: its rule, offsets and write word.
#[derive(Clone, Copy)]
pub(crate) struct Step<T> {
    backward: BackwardFn<T>,
    at: Offsets,
    write: u32,
}

/// The static walk from `output` over `nodes` (`n` scalars): the nodes it reaches, last
/// first, with their write words, and per offset whether a gradient reaches it (1) or not
/// (0). Exactly the recording walk's decisions (`walk.rs`), made on stamps alone.
pub(crate) fn plan<T>(nodes: &[Node<T>], output: Operand, n: usize) -> (Vec<Step<T>>, Vec<u8>) {
    let mut reached = vec![0u8; n];
    let mut steps = Vec::new();
    let mut marks = Stamps {
        reached: &mut reached,
        stamp: 1,
    };
    if output.needs_grad {
        marks.reached[output.off as usize] = 1;
    }
    for node in nodes.iter().rev() {
        let at = node.at;
        if at.flags == 0 || marks.reached[at.out as usize] != 1 {
            continue;
        }
        let write = marks.modes(&at);
        steps.push(Step {
            backward: node.backward,
            at,
            write,
        });
    }
    (steps, reached)
}

/// Runs `forwards` in order on `values`; the first op without a value stops it.
pub(crate) fn run_forwards<T>(
    forwards: &[Forward<T>],
    values: &mut [T],
) -> Result<(), (u32, &'static str)> {
    for f in forwards {
        let (before, rest) = values.split_at_mut(f.start as usize);
        let out = &mut rest[..(f.end - f.start) as usize];
        (f.run)(before, out).map_err(|op| (f.node, op))?;
    }
    Ok(())
}

/// The write word's marks: operand `k` already holds a contribution iff its `SEEN` bit is
/// set (the plan's stamps said so).
struct Known(u32);

impl Marks for Known {
    #[inline(always)]
    fn seen(&mut self, k: usize, _: usize) -> bool {
        (self.0 >> (2 * k)) & SEEN != 0
    }
}

/// The replayed walk: every step of the plan, the seed already in `grads` at the output.
/// The gradients of the regions the plan reaches are then those of a walk of a fresh
/// recording with the same values, bit for bit; the rest of `grads` is stale.
pub(crate) fn walk<T: Scalar>(steps: &[Step<T>], values: &[T], grads: &mut [T]) {
    let n = values.len();
    let mut w = Walk {
        data: &mut grads[..n],
        marks: Known(0),
        carry: Carry::none(),
    };
    for s in steps {
        if s.at.flags & PARTIALS != 0 {
            w.marks = Known(s.write);
            partials_step(&s.at, values, &mut w);
            continue;
        }
        (s.backward)(Rule {
            at: &s.at,
            write: s.write,
            values,
            grads: &mut *w.data,
        });
        w.carry = Carry::none();
    }
}
