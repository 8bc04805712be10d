//! Replay: a recording's forwards kept so that it can run again at new leaf values, and the
//! walk of a replayed recording.
//!
//! A tape made by `Tape::for_replay` keeps, besides each op's node, the op's forward
//! ([`Forward`]): a coded 1×1 op's [`Code`] and operand offsets, or a boxed closure (the same
//! closure that wrote the op's region while recording, or, for an uncoded 1×1 op and the
//! fallible ops, one computing the same scalars from the tape's values). A replay writes new
//! values into leaf regions and runs the forwards again in creation order ([`run_program`]:
//! codes interpreted, boxes called), each on the values before its region; then the walk.
//!
//! **A static walk.** Which nodes a walk from the output reaches, and whether each gradient
//! write assigns or adds, depend on the nodes' offsets and flags only, never on values. So
//! they are worked out once, when the recording is made ([`plan`]: the recording walk's
//! stamps, run without arithmetic), and the replayed walk ([`walk`]) runs the reached nodes
//! with those decisions stored in each [`Step`]: no stamps, the same rules and the same inline
//! partials in the same order, so the same bits as a walk of a fresh recording.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::any::TypeId;

use crate::ops::Code;
use crate::{Scalar, Tape};

use super::node::{BackwardFn, GRAD_A, GRAD_B, Node, Offsets, Operand, PARTIALS, SEEN, region_len};
use super::rule::Rule;
use super::walk::Stamps;

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
    pub(crate) run: Run<T>,
}

/// How a kept forward runs.
pub(crate) enum Run<T> {
    /// A coded 1×1 op (`ops/code.rs`): `code` on the values at `a` and `b` (`b = a` for one
    /// operand), writing `code.len()` scalars from `start`.
    Code {
        code: Code<T>,
        a: u32,
        b: u32,
        want: bool,
    },
    /// Any other op: its closure, and the closure's type (two recordings ran the same ops
    /// where their kinds and nodes agree).
    Boxed {
        kind: TypeId,
        run: Box<ForwardFn<T>>,
    },
}

impl<T: Scalar> Forward<T> {
    /// Whether `other` ran the same op (the same code and constant, or a closure of the same
    /// type) at the same node.
    pub(crate) fn same_op(&self, other: &Self) -> bool {
        self.node == other.node
            && match (&self.run, &other.run) {
                (Run::Code { code: a, .. }, Run::Code { code: b, .. }) => a.same(*b),
                (Run::Boxed { kind: a, .. }, Run::Boxed { kind: b, .. }) => a == b,
                _ => false,
            }
    }
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
        self.keep(
            out_len,
            Run::Boxed {
                kind: TypeId::of::<F>(),
                run: Box::new(run),
            },
        );
    }

    /// [`capture`](Tape::capture) for a coded 1×1 op on the operands at `a` and `b`.
    #[cold]
    #[inline(never)]
    pub(crate) fn capture_code(&self, code: Code<T>, a: u32, b: u32, want: bool) {
        self.keep(1, Run::Code { code, a, b, want });
    }

    /// Pushes the forward `run` of the node just recorded.
    fn keep(&self, out_len: usize, run: Run<T>) {
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
                run,
            });
        }
    }
}

/// One instruction of a replay's forward program: a coded op run in the interpreter's loop,
/// or a call of the boxed forward at an index of the recording's forwards.
#[derive(Clone, Copy)]
pub(crate) enum Inst<T> {
    Code {
        code: Code<T>,
        a: u32,
        b: u32,
        out: u32,
        want: bool,
    },
    Call(u32),
}

/// The forward program of `forwards`, in their order.
pub(crate) fn program<T: Scalar>(forwards: &[Forward<T>]) -> Vec<Inst<T>> {
    let inst = |(k, f): (usize, &Forward<T>)| match f.run {
        Run::Code { code, a, b, want } => Inst::Code {
            code,
            a,
            b,
            out: f.start,
            want,
        },
        Run::Boxed { .. } => Inst::Call(k as u32),
    };
    forwards.iter().enumerate().map(inst).collect()
}

/// A node of a replayed walk whose rule is not inline: its rule, offsets and write word.
#[derive(Clone, Copy)]
pub(crate) struct RuleStep<T> {
    backward: BackwardFn<T>,
    at: Offsets,
    write: u32,
}

/// One node of a replayed walk, its decisions made: a partials node's inline rule with its
/// operands' offsets and whether each write adds (`true`) or assigns, or a rule call (an
/// index into the plan's [`RuleStep`]s). 16 bytes.
#[derive(Clone, Copy)]
pub(crate) enum Step {
    /// `[y, ∂y/∂a]` at `out`: `∂a (+)= ∂y·v[out + 1]`.
    One {
        out: u32,
        a: u32,
        add: bool,
    },
    /// `[y, ∂y/∂a, ∂y/∂b]` at `out`: `∂a (+)= ∂y·v[out + 1]` if `grad_a`, then
    /// `∂b (+)= ∂y·v[out + 2]`.
    Two {
        out: u32,
        a: u32,
        b: u32,
        grad_a: bool,
        add_a: bool,
        add_b: bool,
    },
    Rule(u32),
}

/// A replay's walk: its steps, last node first, and the rules they call.
pub(crate) struct Plan<T> {
    pub(crate) steps: Vec<Step>,
    rules: Vec<RuleStep<T>>,
}

/// The static walk from `output` over `nodes` (`n` scalars): the nodes it reaches, last
/// first, with their write words, and per offset whether a gradient reaches it (1) or not
/// (0). Exactly the recording walk's decisions (`walk.rs`), made on stamps alone.
pub(crate) fn plan<T>(nodes: &[Node<T>], output: Operand, n: usize) -> (Plan<T>, Vec<u8>) {
    let mut reached = vec![0u8; n];
    let mut plan = Plan {
        steps: Vec::new(),
        rules: Vec::new(),
    };
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
        let add = |k: u32| (write >> (2 * k)) & SEEN != 0;
        let step = if at.flags & PARTIALS == 0 {
            plan.rules.push(RuleStep {
                backward: node.backward,
                at,
                write,
            });
            Step::Rule(plan.rules.len() as u32 - 1)
        } else if at.flags & GRAD_B != 0 {
            Step::Two {
                out: at.out,
                a: at.a,
                b: at.b,
                grad_a: at.flags & GRAD_A != 0,
                add_a: add(0),
                add_b: add(1),
            }
        } else {
            Step::One {
                out: at.out,
                a: at.a,
                add: add(0),
            }
        };
        plan.steps.push(step);
    }
    (plan, reached)
}

/// Runs the forward `program` of `forwards` in order on `values`; the first op without a
/// value stops it.
///
/// A coded op reads its operands, evaluates its code and stores its scalars here, in the
/// loop: no call but the math's own (`exp`; a `Map`'s `fn`). The output it stored last is
/// carried in a register, so that a chain of scalar ops does not load back what the op
/// before it just stored (a store-to-load round trip on the critical path): values are
/// written once a pass, so the carried one stays what the buffer holds.
pub(crate) fn run_program<T: Scalar>(
    program: &[Inst<T>],
    forwards: &[Forward<T>],
    values: &mut [T],
) -> Result<(), (u32, &'static str)> {
    let mut carry = (usize::MAX, T::zero());
    for inst in program {
        match *inst {
            Inst::Code {
                code,
                a,
                b,
                out,
                want,
            } => {
                let (a, b, out) = (a as usize, b as usize, out as usize);
                let read = |at: usize| if at == carry.0 { carry.1 } else { values[at] };
                // one arm per code, so that its scalar count and operand count are constants
                // and `eval` folds to that code's math
                macro_rules! step {
                    ($code:expr, $k:literal, $two:literal) => {{
                        debug_assert_eq!(code.len(), $k);
                        let x = read(a);
                        let y = if $two { read(b) } else { x };
                        let r = $code.eval(x, y, want);
                        values[out..][..$k].copy_from_slice(&r[..$k]);
                        r[0]
                    }};
                }
                let y = match code {
                    Code::Neg => step!(Code::Neg, 2, false),
                    Code::Add => step!(Code::Add, 3, true),
                    Code::Sub => step!(Code::Sub, 3, true),
                    Code::Mul => step!(Code::Mul, 3, true),
                    Code::Div => step!(Code::Div, 1, true),
                    Code::Square => step!(Code::Square, 2, false),
                    Code::Exp => step!(Code::Exp, 2, false),
                    Code::AddC(c) => step!(Code::AddC(c), 2, false),
                    Code::SubFromC(c) => step!(Code::SubFromC(c), 2, false),
                    Code::MulC(c) => step!(Code::MulC(c), 2, false),
                    Code::DivC(c) => step!(Code::DivC(c), 2, false),
                    Code::DivIntoC(c) => step!(Code::DivIntoC(c), 1, false),
                    Code::Map(f) => step!(Code::Map(f), 2, false),
                    Code::Zip(f) => step!(Code::Zip(f), 3, true),
                    Code::Fn1(f) => step!(Code::Fn1(f), 1, false),
                    Code::Fn2(f) => step!(Code::Fn2(f), 1, true),
                };
                carry = (out, y);
            }
            Inst::Call(k) => {
                let f = &forwards[k as usize];
                let (before, rest) = values.split_at_mut(f.start as usize);
                let out = &mut rest[..(f.end - f.start) as usize];
                match &f.run {
                    Run::Boxed { run, .. } => run(before, out).map_err(|op| (f.node, op))?,
                    Run::Code { .. } => unreachable!("shapegrad: a coded op called as a closure"),
                }
            }
        }
    }
    Ok(())
}

/// The replayed walk: every step of the plan, the seed already in `grads` at the output.
/// The gradients of the regions the plan reaches are then those of a walk of a fresh
/// recording with the same values, bit for bit (the same products and sums in the same
/// order as `walk.rs`'s `partials_step` and the same rules); the rest of `grads` is stale.
///
/// The partials arms restate `partials_step` with the add-or-assign decisions read from the
/// step instead of stamps. Running `partials_step` itself here (generic over how it learns
/// those decisions, with the step's write word decoded per node) took the replayed
/// graph_notebook from 119–125 to 145–149 ns on the AMD EPYC Zen 4 (alternated four times),
/// at 1.5 % more instructions: the branches on decoded bits cost more than the instructions
/// say. So the two loops stay separate; a change to one belongs in the other.
pub(crate) fn walk<T: Scalar>(plan: &Plan<T>, values: &[T], grads: &mut [T]) {
    let n = values.len();
    let g = &mut grads[..n];
    // the gradient written last, still in a register (`walk.rs`'s `Carry`)
    let mut carry = (usize::MAX, T::zero());
    macro_rules! put {
        ($off:expr, $add:expr, $term:expr) => {{
            let (off, term) = ($off as usize, $term);
            let d = if $add {
                (if carry.0 == off { carry.1 } else { g[off] }) + term
            } else {
                term
            };
            g[off] = d;
            carry = (off, d);
        }};
    }
    for s in &plan.steps {
        match *s {
            Step::One { out, a, add } => {
                let out = out as usize;
                let go = if carry.0 == out { carry.1 } else { g[out] };
                put!(a, add, go * values[out + 1]);
            }
            Step::Two {
                out,
                a,
                b,
                grad_a,
                add_a,
                add_b,
            } => {
                let out = out as usize;
                let go = if carry.0 == out { carry.1 } else { g[out] };
                // the check of `out + 2` covers `out + 1`
                let db = values[out + 2];
                let da = values[out + 1];
                if grad_a {
                    put!(a, add_a, go * da);
                }
                // a reused operand (`x * x`): `a`'s term was just written, so `b` adds
                put!(b, add_b, go * db);
            }
            Step::Rule(k) => {
                let r = &plan.rules[k as usize];
                (r.backward)(Rule {
                    at: &r.at,
                    write: r.write,
                    values,
                    grads: &mut *g,
                });
                carry = (usize::MAX, T::zero());
            }
        }
    }
}
