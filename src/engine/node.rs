//! What one recorded op is: a [`Node`] (its rule and [`Offsets`]), and what recording it
//! takes ([`Op`], [`Operand`]).

/// How a backward rule writes one operand's gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// The operand needs no gradient (a constant, or no variable flows into it).
    Skip,
    /// First contribution: overwrite the region (it holds stale data).
    Assign,
    /// Later contribution: add to the region.
    Add,
}

/// Per operand `k`, in bits `2k..2k + 2` of a rule's write word: the operand needs a gradient.
pub(crate) const WRITE: u32 = 1;
/// Per operand: the region already holds a contribution of this walk (add to it).
pub(crate) const SEEN: u32 = 2;

impl Write {
    /// Operand `k`'s mode in a write word.
    #[inline(always)]
    pub(crate) fn of(write: u32, k: usize) -> Write {
        match (write >> (2 * k)) & (WRITE | SEEN) {
            0 => Write::Skip,
            WRITE => Write::Assign,
            _ => Write::Add,
        }
    }
}

/// [`Offsets::flags`]: the first operand needs a gradient.
pub(crate) const GRAD_A: u32 = 1;
/// [`Offsets::flags`]: there is a second operand and it needs a gradient.
pub(crate) const GRAD_B: u32 = 2;
/// [`Offsets::flags`]: the rule is [`partials_backward`] (set only with `GRAD_A` or `GRAD_B`).
pub(crate) const PARTIALS: u32 = 4;

/// Where a recorded op's values live and which operands need a gradient. 16 bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Offsets {
    /// Offset of the output values (and of their gradient).
    pub(crate) out: u32,
    /// Offset of the first operand (the output's, for leaves).
    pub(crate) a: u32,
    /// Offset of the second operand, or of the aux region (right after the output's
    /// region) for one-operand ops; for leaves, the number of scalars.
    pub(crate) b: u32,
    /// [`GRAD_A`] | [`GRAD_B`] | [`PARTIALS`]; 0 for leaves and for ops no variable flows
    /// into, which the walk skips.
    pub(crate) flags: u32,
}

/// A backward rule. Monomorphised per (op, shape, scalar) and stored as a plain pointer; the
/// walk hands it a [`Rule`](crate::engine::Rule), the typed view op authors write against.
pub(crate) type BackwardFn<T> = for<'r> fn(crate::engine::Rule<'r, T>);

/// One recorded op: 24 bytes, no heap allocation of its own.
#[derive(Clone, Copy)]
pub(crate) struct Node<T> {
    /// The backward rule (never called when `at.flags` is 0 or has [`PARTIALS`]).
    pub(crate) backward: BackwardFn<T>,
    /// Where its values live and which operands need a gradient.
    pub(crate) at: Offsets,
}

impl<T> Node<T> {
    /// What fills a node buffer's room before nodes are recorded there.
    pub(crate) fn filler() -> Self {
        Node::leaf(0, 0)
    }

    /// The node of a leaf of `len` values at `off` (its `b` is its length).
    #[inline(always)]
    pub(crate) fn leaf(off: u32, len: u32) -> Self {
        Node {
            backward: leaf_backward::<T>,
            at: Offsets {
                out: off,
                a: off,
                b: len,
                flags: 0,
            },
        }
    }
}

/// The backward rule of a leaf: nothing to propagate (and never called).
fn leaf_backward<T>(_: crate::engine::Rule<'_, T>) {}

/// The rule of a 1×1 node that stored its partial derivatives after its output,
/// `[y, ∂y/∂a, ∂y/∂b]`: `∂a += ∂y·(∂y/∂a)`, `∂b += ∂y·(∂y/∂b)`. The walk runs it inline
/// (`walk::partials_step`), so this pointer is never called.
pub(crate) fn partials_backward<T>(_: crate::engine::Rule<'_, T>) {
    unreachable!("shapegrad: the walk runs a partials node's rule inline")
}

/// Scalars a node's output region takes: `n`, but at least one, so that every region starts
/// at its own offset (the walk marks regions by their start; an empty tensor sharing its start
/// with the next node would mark that node too).
#[inline(always)]
pub(crate) const fn region_len(n: usize) -> usize {
    if n == 0 { 1 } else { n }
}

/// An operand of an op being recorded: whether it needs a gradient, and its value offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand {
    pub(crate) needs_grad: bool,
    pub(crate) off: u32,
}

/// What recording appends besides the output: operands, aux scalars and the rule.
#[derive(Clone, Copy)]
pub(crate) struct Op<T> {
    /// Up to two operands, in the order the rule sees them (`lhs`/`x`, then `rhs`).
    pub(crate) inputs: [Option<Operand>; 2],
    /// Extra scalars stored after the output for the backward rule.
    pub(crate) aux: usize,
    /// The backward rule.
    pub(crate) backward: BackwardFn<T>,
    /// Whether the rule is [`partials_backward`] (a 1×1 output followed by its partials).
    pub(crate) partials: bool,
}

impl<T> Op<T> {
    /// The op of a 1×1 output that stores its partial derivatives right after it,
    /// `[y, ∂y/∂a, ∂y/∂b]`: its rule becomes [`partials_backward`], which the walk runs
    /// inline. Only for ops whose rule is exactly `∂x += ∂y·d` with the stored `d`, so that
    /// the inline rule gives the bits the general rule gives.
    #[inline(always)]
    pub(crate) fn with_partials(self) -> Self {
        Op {
            aux: if self.inputs[1].is_some() { 2 } else { 1 },
            backward: partials_backward::<T>,
            partials: true,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_is_24_bytes() {
        // The tape's per-op cost: a fn pointer and four u32 offsets/flags.
        assert_eq!(core::mem::size_of::<super::Node<f64>>(), 24);
    }
}
