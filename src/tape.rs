//! The tape: recording in creation order, the reverse walk, and [`Gradients`].
//!
//! Every recorded op appends one [`Node`] and its output values (plus any scratch the backward
//! rule needs, the "aux" region) to two contiguous buffers. A node names its operands by the
//! offsets of their values, so a backward rule reads operand values and writes operand
//! gradients at those offsets. The gradient buffer mirrors the value buffer one to one.
//! Because nodes are appended as ops run, every operand sits before its result: walking the
//! nodes once in reverse is a topological order, with no recursion and no sort.
//!
//! The walk tracks which gradient regions it has written ("reached") with a per-offset stamp,
//! so it needs no zeroing pass: a rule's first contribution to an operand is assigned, later
//! ones are added ([`Write`]), and nodes the output does not reach are skipped.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::SMatrix;

use crate::{Scalar, Tensor};

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

/// [`Slots::write`], per operand `k` in bits `2k..2k + 2`: the operand needs a gradient.
const WRITE: u32 = 1;
/// [`Slots::write`], per operand: the region already holds a contribution (add to it).
const SEEN: u32 = 2;

/// Where a recorded op's values live: the offsets of its output and operands, and which
/// operands need a gradient. 16 bytes, stored in the [`Node`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Offsets {
    /// Offset of the output values.
    out: u32,
    /// Offset of the first operand (the output's for leaves).
    a: u32,
    /// Offset of the second operand, or of the aux region (right after the output); for
    /// leaves, the number of scalars.
    b: u32,
    /// [`GRAD_A`] | [`GRAD_B`]: which operands need a gradient, 0 for leaves and for ops no
    /// variable flows into, which the walk skips; plus [`PARTIALS`] for a 1×1 op whose rule
    /// is [`partials_backward`].
    flags: u32,
}

/// What a backward rule gets: its node's offsets (by reference, into the tape) and how to
/// write each operand's gradient. A pointer and an integer, so it travels in two registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slots<'n> {
    at: &'n Offsets,
    /// [`WRITE`] | [`SEEN`] for the first operand, the same shifted left by 2 for the second.
    write: u32,
}

impl Slots<'_> {
    /// Offset of the node's output values (and of its upstream gradient `grad_out`).
    #[inline(always)]
    pub(crate) fn out(&self) -> usize {
        self.at.out as usize
    }

    /// Offset of the first operand.
    #[inline(always)]
    pub(crate) fn a(&self) -> usize {
        self.at.a as usize
    }

    /// Offset of the second operand or, for one-operand ops, of the node's aux region.
    #[inline(always)]
    pub(crate) fn b(&self) -> usize {
        self.at.b as usize
    }

    /// How to write operand `k`'s gradient (0 for `a`, 1 for `b`).
    #[inline(always)]
    pub(crate) fn mode(&self, k: usize) -> Write {
        match (self.write >> (2 * k)) & (WRITE | SEEN) {
            0 => Write::Skip,
            WRITE => Write::Assign,
            _ => Write::Add,
        }
    }

    /// Writes `terms` into the first operand's gradient (`n` scalars at `a`), adding or
    /// assigning as the walk says: every rule's "`∂a += …`".
    #[inline(always)]
    pub(crate) fn grad_a<T: Scalar>(
        &self,
        before: &mut [T],
        n: usize,
        terms: impl Iterator<Item = T>,
    ) {
        write(&mut before[self.a()..][..n], self.write, terms);
    }

    /// Writes both operands' gradients: `terms_a` into `a`'s as [`grad_a`](Slots::grad_a)
    /// does, then `terms_b` into `b`'s (`n` scalars each), the rule of every two-operand op.
    ///
    /// For an operand used twice (`x * x`) both go to one region: each element gets its two
    /// contributions in that same order, held in a register between them rather than stored
    /// and read back, which on a chain of scalar ops is a store-to-load round trip saved.
    #[inline(always)]
    pub(crate) fn grad_ab<T: Scalar>(
        &self,
        before: &mut [T],
        n: usize,
        terms_a: impl Iterator<Item = T>,
        terms_b: impl Iterator<Item = T>,
    ) {
        const BOTH: u32 = WRITE | (WRITE << 2);
        if self.a() == self.b() && self.write & BOTH == BOTH {
            // `b`'s mode is Add: the walk stamped the region for `a` first
            let dst = before[self.a()..][..n].iter_mut();
            if self.write & SEEN != 0 {
                dst.zip(terms_a.zip(terms_b))
                    .for_each(|(d, (x, y))| *d = (*d + x) + y);
            } else {
                dst.zip(terms_a.zip(terms_b))
                    .for_each(|(d, (x, y))| *d = x + y);
            }
        } else {
            self.grad_a(before, n, terms_a);
            write(&mut before[self.b()..][..n], self.write >> 2, terms_b);
        }
    }

    /// For kernels like `gemm` that take `β` in `dst = … + β·dst`: `None` to skip operand `k`,
    /// else `β` = 0 (assign) or 1 (add).
    #[inline(always)]
    pub(crate) fn beta<T: Scalar>(&self, k: usize) -> Option<T> {
        match self.mode(k) {
            Write::Skip => None,
            Write::Assign => Some(T::zero()),
            Write::Add => Some(T::one()),
        }
    }
}

/// `dst (+)= terms` as the low bits of `write` say: nothing without [`WRITE`], add with
/// [`SEEN`], else assign.
#[inline(always)]
fn write<T: Scalar>(dst: &mut [T], write: u32, terms: impl Iterator<Item = T>) {
    if write & WRITE != 0 {
        if write & SEEN != 0 {
            dst.iter_mut().zip(terms).for_each(|(d, t)| *d += t);
        } else {
            dst.iter_mut().zip(terms).for_each(|(d, t)| *d = t);
        }
    }
}

/// The rule of a 1×1 op that stored its partial derivatives after its output, as
/// `[y, ∂y/∂a, ∂y/∂b]` (or `[y, ∂y/∂x]` with one operand): `∂a += ∂y·(∂y/∂a)`,
/// `∂b += ∂y·(∂y/∂b)`. Every such node shares it, so the walk runs it inline, as
/// [`partials_step`], and this pointer is never called; see [`Op::with_partials`].
pub(crate) fn partials_backward<T>(_: Slots<'_>, _: &[T], _: &mut [T]) {
    unreachable!("shapegrad: the walk runs a partials node's rule inline")
}

/// The gradient scalar the walk wrote last, still in a register: reading it back from
/// memory would put a store-to-load round trip on the walk's critical path.
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

/// The walk's state: gradients, reach stamps, this walk's stamp and the carried gradient.
struct Walk<'g, T> {
    data: &'g mut [T],
    reached: &'g mut [u8],
    stamp: u8,
    carry: Carry<T>,
}

impl<T: Scalar> Walk<'_, T> {
    /// `∂x (+)= term` for the operand at `off`: assigned on the walk's first contribution to
    /// it (and stamped), added after; the written value is carried to the next node.
    #[inline(always)]
    fn put(&mut self, off: usize, term: T) {
        let d = if self.reached[off] == self.stamp {
            self.carry.read(self.data, off) + term
        } else {
            self.reached[off] = self.stamp;
            term
        };
        self.data[off] = d;
        self.carry = Carry { off, value: d };
    }
}

/// [`partials_backward`] as the walk runs it, for a node reached by the walk.
#[inline(always)]
fn partials_step<T: Scalar>(at: &Offsets, v: &[T], w: &mut Walk<'_, T>) {
    let out = at.out as usize;
    let go = w.carry.read(w.data, out);
    if at.flags & GRAD_A != 0 {
        w.put(at.a as usize, go * v[out + 1]);
    }
    // an operand used twice (`x * x`) was just stamped for `a`, so `b` adds: both terms in
    // that order, as `Slots::grad_ab` adds them
    if at.flags & GRAD_B != 0 {
        w.put(at.b as usize, go * v[out + 2]);
    }
}

/// A backward rule: reads `values`, reads `grads[out..]` and writes the operands' gradients
/// below `out` as `Slots::write` says. Monomorphised per (op, shape, scalar) and stored as a
/// plain pointer.
pub(crate) type BackwardFn<T> = fn(Slots<'_>, &[T], &mut [T]);

/// Scalars a node's output region takes: `n`, but at least one, so that every region starts at
/// its own offset (the walk marks regions by their start; an empty tensor sharing its start
/// with the next node would mark that node too).
#[inline(always)]
pub(crate) const fn region_len(n: usize) -> usize {
    if n == 0 { 1 } else { n }
}

/// [`Offsets::flags`]: the first operand needs a gradient.
const GRAD_A: u32 = 1;
/// [`Offsets::flags`]: there is a second operand and it needs a gradient.
const GRAD_B: u32 = 2;
/// [`Offsets::flags`]: the rule is [`partials_backward`] (set only with `GRAD_A` or `GRAD_B`).
const PARTIALS: u32 = 4;

/// One recorded op: 24 bytes, no heap allocation of its own.
#[derive(Clone, Copy)]
pub(crate) struct Node<T> {
    /// The backward rule (a no-op for leaves, never called when `at.flags` is 0).
    backward: BackwardFn<T>,
    /// Where its values live and which operands need a gradient.
    at: Offsets,
}

impl<T> Node<T> {
    /// What fills a node buffer's room before nodes are recorded there.
    fn filler() -> Self {
        Node {
            backward: leaf_backward::<T>,
            at: Offsets {
                out: 0,
                a: 0,
                b: 0,
                flags: 0,
            },
        }
    }
}

/// The backward rule of a leaf: nothing to propagate (and never called).
fn leaf_backward<T>(_: Slots<'_>, _: &[T], _: &mut [T]) {}

/// An operand of an op being recorded: whether it needs a gradient, and its value offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand {
    pub(crate) needs_grad: bool,
    pub(crate) off: u32,
}

/// What [`Tape::record`] appends besides the output: operands and the backward rule.
pub(crate) struct Op<T> {
    /// Up to two operands, in the order the backward rule expects them as `a` and `b`.
    pub(crate) inputs: [Option<Operand>; 2],
    /// Extra scalars stored after the output for the backward rule; when `inputs[1]` is
    /// `None`, `Slots::b` points at them.
    pub(crate) aux: usize,
    /// The backward rule.
    pub(crate) backward: BackwardFn<T>,
    /// Whether `backward` is [`partials_backward`] (see [`Op::with_partials`]).
    pub(crate) partials: bool,
}

impl<T: Scalar> Op<T> {
    /// The op with a 1×1 output that stores its partial derivatives right after it,
    /// `[y, ∂y/∂a, ∂y/∂b]`: its rule becomes [`partials_backward`], which the walk runs
    /// inline. For ops whose rule is `∂x += ∂y·d` with a `d` known in the forward pass
    /// (`a·b`, `a + b`, `eˣ`, `σ(x)`), this gives the same bits as the general rule.
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

/// An append-only buffer whose storage is always initialised: `data.len()` is its capacity
/// and `len` how much is recorded. [`Inner::room_for`] makes room before every append, so an
/// append is plain stores (an append past the room panics on the index; it never grows).
struct Buf<E> {
    data: Vec<E>,
    len: usize,
}

impl<E: Copy> Buf<E> {
    /// Room for `n` elements, filled with `fill`.
    fn with_capacity(n: usize, fill: E) -> Self {
        Buf {
            data: vec![fill; n],
            len: 0,
        }
    }

    /// Number of recorded elements.
    #[inline(always)]
    fn len(&self) -> usize {
        self.len
    }

    /// Number of elements it holds room for.
    #[inline(always)]
    fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Forgets everything past the first `n` elements (keeping the room).
    fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Appends `n` elements holding stale data; returns where they start. Within the room
    /// made by [`Inner::room_for`]; past it, indexing them panics.
    #[inline(always)]
    fn extend_by(&mut self, n: usize) -> usize {
        let start = self.len;
        self.len = start + n;
        start
    }

    /// Appends `e` (within the room, as [`extend_by`](Buf::extend_by)).
    #[inline(always)]
    fn push(&mut self, e: E) {
        let at = self.extend_by(1);
        self.data[at] = e;
    }

    /// Makes room for at least `n` more elements, doubling, but for no more than `max`
    /// elements in all (`len + n <= max`).
    fn grow(&mut self, n: usize, fill: E, max: usize) {
        let room = (self.len + n).max(2 * self.data.len()).max(8).min(max);
        self.data.resize(room, fill);
    }
}

impl<E> std::ops::Deref for Buf<E> {
    type Target = [E];

    #[inline(always)]
    fn deref(&self) -> &[E] {
        &self.data[..self.len]
    }
}

impl<E> std::ops::DerefMut for Buf<E> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [E] {
        &mut self.data[..self.len]
    }
}

struct Inner<T> {
    nodes: Buf<Node<T>>,
    values: Buf<T>,
    /// The parameters' prefix of `nodes` and `values`, which `clear` keeps.
    param_nodes: usize,
    param_scalars: usize,
}

/// The most scalars a tape holds: value offsets are `u32`.
const MAX_SCALARS: usize = u32::MAX as usize;

/// Tape ids: a new one for every tape (0 is never handed out).
static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(1);

/// Tells recordings apart: the tape's id and how many times it was cleared. Plain data, so
/// [`Tape::clear`] costs no atomic operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) tape: u64,
    pub(crate) generation: u64,
}

/// A recording of operations, in creation order, that can be differentiated in reverse.
///
/// Create tensors on it with [`var`](Tape::var) and [`constant`](Tape::constant), combine them
/// with the ops on [`Tensor`], and call [`backward`](Tensor::backward) on a 1×1 result. Values
/// live in one contiguous buffer owned by the tape; nodes in another. Recording an op does not
/// allocate once the buffers have capacity, and [`clear`](Tape::clear) keeps that capacity
/// for the next step.
///
/// A tape is `Send` (one tape per worker thread) but not `Sync`: recording goes through a
/// shared reference, with a `RefCell` inside.
///
/// # Examples
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::Tape;
///
/// let mut tape = Tape::new();
/// for step in 0..3 {
///     let a = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0 + step as f64));
///     let loss = (a * a).sum();
///     let grads = loss.backward();
///     assert_eq!(grads.wrt(a)[(0, 1)], 4.0); // ∂/∂a Σ a² = 2a
///     tape.clear(); // keeps capacity for the next step
/// }
/// ```
pub struct Tape<T: Scalar = f64> {
    inner: RefCell<Inner<T>>,
    session: Session,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("Tape")
            .field("nodes", &inner.nodes.len())
            .field("scalars", &inner.values.len())
            .finish()
    }
}

/// # Creating and reusing a tape
impl<T: Scalar> Tape<T> {
    /// An empty tape.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f32>::new();
    /// assert!(tape.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty tape with room for `nodes` recorded ops holding `scalars` values in total,
    /// so that recording up to that size does not allocate. The room is allocated and
    /// initialised here (24 bytes a node, one `T` a scalar), so the memory is committed up
    /// front rather than on first use.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f64>::with_capacity(1000, 4000);
    /// assert!(tape.capacity().0 >= 1000);
    /// ```
    pub fn with_capacity(nodes: usize, scalars: usize) -> Self {
        Tape {
            inner: RefCell::new(Inner {
                nodes: Buf::with_capacity(nodes.min(MAX_SCALARS), Node::filler()),
                values: Buf::with_capacity(scalars.min(MAX_SCALARS), T::zero()),
                param_nodes: 0,
                param_scalars: 0,
            }),
            session: Session {
                tape: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
                generation: 0,
            },
        }
    }

    /// Forgets every recorded op, keeping the buffers' capacity and the
    /// [parameters](Tape::param).
    ///
    /// Tensors of the old recording cannot outlive this call (they borrow the tape), and
    /// [`Gradients`] computed before it refuse tensors recorded after it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::<f64>::new();
    /// let x = tape.var_scalar(2.0);
    /// let _ = x.exp();
    /// assert_eq!(tape.len(), 2);
    /// tape.clear();
    /// assert_eq!(tape.len(), 0);
    /// ```
    pub fn clear(&mut self) {
        let inner = self.inner.get_mut();
        inner.nodes.truncate(inner.param_nodes);
        inner.values.truncate(inner.param_scalars);
        self.session.generation += 1;
    }

    /// Number of recorded nodes (leaves and parameters included).
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f64>::new();
    /// let x = tape.var_scalar(1.0);
    /// let _y = x + x;
    /// assert_eq!(tape.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len()
    }

    /// Whether nothing has been recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(shapegrad::Tape::<f64>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of scalars stored for all recorded nodes (outputs plus backward scratch).
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f64>::new();
    /// let _m = tape.var(nalgebra::Matrix2x3::<f64>::zeros());
    /// assert_eq!(tape.scalars(), 6);
    /// ```
    pub fn scalars(&self) -> usize {
        self.inner.borrow().values.len()
    }

    /// Capacity of the node and value buffers, `(nodes, scalars)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::<f64>::new();
    /// let _ = tape.var_scalar(1.0).exp();
    /// let before = tape.capacity();
    /// tape.clear();
    /// assert_eq!(tape.capacity(), before);
    /// ```
    pub fn capacity(&self) -> (usize, usize) {
        let inner = self.inner.borrow();
        (inner.nodes.capacity(), inner.values.capacity())
    }
}

/// # Recording (crate-internal)
impl<T: Scalar> Tape<T> {
    /// The id of the current recording.
    pub(crate) fn session(&self) -> Session {
        self.session
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
        let (node, off) = inner.push_leaf(len, values);
        inner.param_nodes = inner.nodes.len();
        inner.param_scalars = inner.values.len();
        (node, off)
    }

    /// Calls `f(offset, values, grad)` for each parameter's region that `grads` holds a
    /// gradient for; `offset` runs over `0..param_scalars`.
    pub(crate) fn for_each_param(
        &mut self,
        grads: &Gradients<T>,
        mut f: impl FnMut(usize, &mut [T], &[T]),
    ) {
        let inner = self.inner.get_mut();
        // parameters made after the walk have no gradient in it (their offsets may hold
        // another node's gradient of that recording)
        let known = inner.param_nodes.min(grads.params);
        for n in &inner.nodes[..known] {
            let (start, len) = (n.at.out as usize, n.at.b as usize); // a leaf's `b` is its length
            if let Some(grad) = grads.region(start, len) {
                f(start, &mut inner.values[start..][..len], grad);
            }
        }
    }

    /// Number of scalars held by parameters.
    pub(crate) fn params_len(&self) -> usize {
        self.inner.borrow().param_scalars
    }

    /// The values at `off..off + len`, mutably (a parameter's, for an update step).
    pub(crate) fn values_mut(&mut self, off: u32, len: usize) -> &mut [T] {
        &mut self.inner.get_mut().values[off as usize..][..len]
    }

    /// Appends a leaf holding `values` (`R·C` of them, column-major), copied straight in.
    #[inline(always)]
    pub(crate) fn leaf<const R: usize, const C: usize>(
        &self,
        needs_grad: bool,
        values: impl ExactSizeIterator<Item = T>,
    ) -> Tensor<'_, R, C, T> {
        let mut inner = self.inner.borrow_mut();
        let (_, off) = inner.push_leaf(R * C, values);
        let value = if R * C == 1 {
            inner.values[off as usize]
        } else {
            T::zero()
        };
        Tensor::from_raw(self, off, needs_grad, value)
    }

    /// Appends a 1×1 leaf holding `value` (a few stores, no iterator).
    #[inline(always)]
    pub(crate) fn leaf_scalar(&self, needs_grad: bool, value: T) -> Tensor<'_, 1, 1, T> {
        let mut inner = self.inner.borrow_mut();
        let (_, off) = inner.room_for(1);
        inner.values.push(value);
        inner.push_leaf_node(off, 1);
        Tensor::from_raw(self, off, needs_grad, value)
    }

    /// Appends an op with an `R×C` output: `forward(values, out)` writes the output (and aux)
    /// into `out`, reading operands from `values`, which holds everything recorded before.
    /// The output takes [`region_len`]`(R·C)` scalars of `out`, the aux region the rest.
    ///
    /// `out` holds stale data from an earlier recording, not zeros, so `forward` must write
    /// every scalar of it (`tests/stale_buffers.rs` checks every op does). Zeroing it first
    /// cost more than the pass itself: net (16, 32, 8) took 1.30× the hand-written gradient
    /// with the zeroing and 1.12× without, in a timing loop.
    #[inline(always)]
    pub(crate) fn record<const R: usize, const C: usize>(
        &self,
        op: Op<T>,
        forward: impl FnOnce(&[T], &mut [T]),
    ) -> Tensor<'_, R, C, T> {
        let mut inner = self.inner.borrow_mut();
        let (_, off) = inner.room_for(region_len(R * C) + op.aux);
        inner.values.extend_by(region_len(R * C) + op.aux);
        let start = off as usize;
        let (before, out) = inner.values.split_at_mut(start);
        // an empty output's placeholder scalar is skipped: aux starts at `Slots::b` either way
        forward(before, &mut out[region_len(R * C) - R * C..]);
        let value = if R * C == 1 { out[0] } else { T::zero() };
        let needs_grad = inner.push_node(&op, off, region_len(R * C));
        Tensor::from_raw(self, off, needs_grad, value)
    }

    /// [`record`](Tape::record) for a 1×1 output: `out` is the output followed by its `K - 1`
    /// aux scalars, already computed (from operand values the handles carry, so nothing is
    /// read from the tape, and the op's math runs before the tape is borrowed: a cold call
    /// in it, like sigmoid's far-left case, has no borrow to release on unwinding).
    #[inline(always)]
    pub(crate) fn record_scalar<const K: usize>(
        &self,
        op: Op<T>,
        out: [T; K],
    ) -> Tensor<'_, 1, 1, T> {
        debug_assert_eq!(op.aux + 1, K);
        let mut inner = self.inner.borrow_mut();
        let (_, off) = inner.room_for(K);
        let start = inner.values.extend_by(K);
        inner.values[start..][..K].copy_from_slice(&out);
        let needs_grad = inner.push_node(&op, off, 1);
        Tensor::from_raw(self, off, needs_grad, out[0])
    }

    /// The values of a recorded tensor, handed to `read` without copying.
    pub(crate) fn with_values<R>(&self, off: u32, len: usize, read: impl FnOnce(&[T]) -> R) -> R {
        let inner = self.inner.borrow();
        let start = off as usize;
        read(&inner.values[start..start + len])
    }

    /// The index of the node whose values start at offset `off` (nodes are in offset order).
    pub(crate) fn node_at(&self, off: u32) -> usize {
        self.inner.borrow().node_at(off)
    }

    /// The reverse walk: writes `seed` as the gradient of `output`, then visits nodes from
    /// the output's down to the first, each once, running the rule of every node the output
    /// reaches. Nodes off that path are skipped, so their values (an `inf` in a branch the
    /// output does not use) cannot leak `0·inf = NaN` into shared operands.
    pub(crate) fn backward_from(&self, output: Operand, seed: &[T], grads: &mut Gradients<T>) {
        let inner = self.inner.borrow();
        let nodes = &inner.nodes[..=inner.node_at(output.off)];
        let start = output.off as usize;
        // gradients and stamps cover the whole tape, so that values, gradients and stamps
        // are slices of one length: one bounds check covers an offset in all three
        let n = inner.values.len();
        let stamp = grads.begin(n, self.session);
        grads.params = inner.param_nodes;
        let values = &inner.values[..n];
        let mut w = Walk {
            data: &mut grads.data[..n],
            reached: &mut grads.reached[..n],
            stamp,
            carry: Carry::none(),
        };
        match seed {
            [one] => w.data[start] = *one,
            _ => w.data[start..][..seed.len()].copy_from_slice(seed),
        }
        if output.needs_grad {
            w.reached[start] = stamp;
        }
        for n in nodes.iter().rev() {
            let at = &n.at;
            if at.flags == 0 || w.reached[at.out as usize] != stamp {
                continue; // a leaf, a constant-only op, or off the output's path
            }
            if at.flags & PARTIALS != 0 {
                partials_step(at, values, &mut w); // what `n.backward` stands for
                continue;
            }
            let (a, b) = (at.a as usize, at.b as usize);
            let mut write = 0;
            if at.flags & GRAD_A != 0 {
                write = WRITE | ((w.reached[a] == stamp) as u32 * SEEN);
                w.reached[a] = stamp;
            }
            // `b` is an aux offset when it is no operand, hence the flag test first; a reused
            // operand (`x * x`) was just stamped for `a`, so `b` adds
            if at.flags & GRAD_B != 0 {
                write |= (WRITE | ((w.reached[b] == stamp) as u32 * SEEN)) << 2;
                w.reached[b] = stamp;
            }
            (n.backward)(Slots { at, write }, values, w.data);
            w.carry = Carry::none();
        }
    }
}

impl<T: Scalar> Inner<T> {
    /// Makes room for one more node with `len` scalars, before anything is stored; returns
    /// its node index and value offset. (Every node takes at least one scalar, so node indices
    /// fit in `u32` too.) Every append goes through here.
    #[inline(always)]
    fn room_for(&mut self, len: usize) -> (u32, u32) {
        let off = self.values.len();
        if self.values.capacity() - off < len || self.nodes.capacity() == self.nodes.len() {
            // the value buffer never holds room past `MAX_SCALARS`, so an op that fits in the
            // room fits the limit: it is checked here, where the buffers grow, only
            assert!(
                off + len <= MAX_SCALARS,
                "shapegrad: a tape holds at most 2^32 - 1 scalars; clear it between steps"
            );
            self.grow(len);
        }
        (self.nodes.len() as u32, off as u32)
    }

    /// Grows both buffers for one more node of `len` scalars: the only call on the recording
    /// path, cold and out of line.
    ///
    /// `extern "C"`, so that it cannot unwind (a panic inside aborts; it allocates, and Rust
    /// already aborts when an allocation fails). A call that may unwind needs a landing pad
    /// to release the tape's borrow, and with one the compiler kept a scalar chain's values
    /// in stack slots instead of registers, storing and reloading them around every op.
    #[cold]
    #[inline(never)]
    extern "C" fn grow(&mut self, len: usize) {
        if self.values.capacity() - self.values.len() < len {
            self.values.grow(len, T::zero(), MAX_SCALARS);
        }
        if self.nodes.capacity() == self.nodes.len() {
            self.nodes.grow(1, Node::filler(), MAX_SCALARS); // every node takes a scalar
        }
    }

    /// The index of the node whose values start at offset `off`.
    fn node_at(&self, off: u32) -> usize {
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

    /// Appends a leaf of `len` scalars taken from `values` (plus the placeholder of an empty
    /// region); returns its node index and value offset.
    #[inline(always)]
    fn push_leaf(&mut self, len: usize, values: impl ExactSizeIterator<Item = T>) -> (u32, u32) {
        assert_eq!(values.len(), len, "shapegrad: leaf size");
        let (node, off) = self.room_for(region_len(len));
        let start = self.values.extend_by(region_len(len));
        let dst = &mut self.values[start..];
        dst.iter_mut().zip(values).for_each(|(d, v)| *d = v);
        if len == 0 {
            dst[0] = T::zero();
        }
        self.push_leaf_node(off, len);
        (node, off)
    }

    /// Appends the node of a leaf whose `len` values start at `off`.
    #[inline(always)]
    fn push_leaf_node(&mut self, off: u32, len: usize) {
        self.nodes.push(Node {
            backward: leaf_backward::<T>,
            at: Offsets {
                out: off,
                a: off,
                b: len as u32, // a leaf's `b` is its length (`for_each_param` reads it)
                flags: 0,
            },
        });
    }

    /// Appends the node of `op` whose output (`out_len` scalars, aux after them) starts at
    /// `off`; returns whether it needs a gradient.
    #[inline(always)]
    fn push_node(&mut self, op: &Op<T>, off: u32, out_len: usize) -> bool {
        let needs = |x: Option<Operand>| x.is_some_and(|x| x.needs_grad);
        let mut flags =
            (needs(op.inputs[0]) as u32 * GRAD_A) | (needs(op.inputs[1]) as u32 * GRAD_B);
        if op.partials && flags != 0 {
            flags |= PARTIALS;
        }
        self.nodes.push(Node {
            backward: op.backward,
            at: Offsets {
                out: off,
                a: op.inputs[0].map_or(off, |x| x.off),
                b: op.inputs[1].map_or(off + out_len as u32, |x| x.off),
                flags,
            },
        });
        flags != 0
    }
}

/// Panics unless `a` and `b` were recorded on the same tape, naming the op.
#[inline(always)]
pub(crate) fn same_tape<T: Scalar>(op: &str, a: &Tape<T>, b: &Tape<T>) {
    assert!(
        std::ptr::eq(a, b),
        "shapegrad: `{op}` combines tensors from two different tapes"
    );
}

/// Splits the gradient buffer at a node's output: everything before it (where its operands'
/// gradients live) mutably, and its own upstream gradient `grad_out` (`n` values) shared.
#[inline(always)]
pub(crate) fn split_grads<T>(grads: &mut [T], out: usize, n: usize) -> (&mut [T], &[T]) {
    let (before, rest) = grads.split_at_mut(out);
    (before, &rest[..n])
}

/// A gradient region as an `R×C` matrix, or zeros where there is none.
pub(crate) fn matrix_or_zeros<T: Scalar, const R: usize, const C: usize>(
    grad: Option<&[T]>,
) -> SMatrix<T, R, C> {
    grad.map_or_else(SMatrix::zeros, SMatrix::from_column_slice)
}

/// The gradients of one output with respect to every tensor of its tape, from
/// [`Tensor::backward`] or [`Tensor::backward_with`].
///
/// Owns its buffer (no borrow of the tape), so it is `Send + Sync` and outlives further
/// recording. Reuse one across steps with [`Tensor::backward_into`] to avoid reallocating.
///
/// # Examples
///
/// ```
/// use shapegrad::Tape;
///
/// let tape = Tape::new();
/// let x = tape.var_scalar(3.0);
/// let y = tape.var_scalar(4.0);
/// let grads = (x * y).backward();
/// assert_eq!(grads.wrt(x)[0], 4.0);
/// assert_eq!(grads.wrt(y)[0], 3.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gradients<T: Scalar = f64> {
    /// Gradients, laid out like the tape's values (all of them at the last walk). Only
    /// regions stamped in `reached` hold gradients of this walk; the rest is stale.
    data: Vec<T>,
    /// Per value offset: the stamp of the last walk that wrote the region starting there.
    reached: Vec<u8>,
    /// This walk's stamp, 1..=255 (0 before any walk).
    stamp: u8,
    /// The recording these gradients belong to; tape id 0 before any backward.
    session: Session,
    /// How many parameters the tape had when these gradients were computed.
    params: usize,
}

impl<T: Scalar> Gradients<T> {
    /// An empty gradient buffer, to be filled by [`Tensor::backward_into`].
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Gradients, Tape};
    ///
    /// let mut grads = Gradients::new();
    /// let tape = Tape::new();
    /// let x = tape.var_scalar(2.0);
    /// x.exp().backward_into(&mut grads);
    /// assert_eq!(grads.wrt(x)[0], 2.0_f64.exp());
    /// ```
    pub fn new() -> Self {
        Gradients {
            data: Vec::new(),
            reached: Vec::new(),
            stamp: 0,
            session: Session::default(),
            params: 0,
        }
    }

    /// Prepares for a walk over `len` scalars of recording `session`: sizes the buffers
    /// (growing only, with no pass over what is kept) and returns the new stamp.
    fn begin(&mut self, len: usize, session: Session) -> u8 {
        if self.data.len() < len {
            self.data.resize(len, T::zero());
            self.reached.resize(len, 0);
        }
        if self.stamp == u8::MAX {
            self.reached.fill(0);
            self.stamp = 0;
        }
        self.stamp += 1;
        self.session = session;
        self.stamp
    }

    /// `∂y/∂x`, the gradient of the differentiated output `y` with respect to `x`, shaped
    /// like `x`. Zeros where `y` does not depend on `x`, for constants, and for tensors
    /// recorded after `backward` ran.
    ///
    /// # Panics
    ///
    /// If `x` belongs to another tape, or to a recording started by [`Tape::clear`] after
    /// these gradients were computed, or if no backward has filled these gradients yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 2.0));
    /// let unused = tape.var_scalar(5.0);
    /// let grads = (x * x).sum().backward();
    /// assert_eq!(grads.wrt(x), Vector2::new(2.0, 4.0));
    /// assert_eq!(grads.wrt(unused)[0], 0.0);
    /// ```
    pub fn wrt<const R: usize, const C: usize>(&self, x: Tensor<'_, R, C, T>) -> SMatrix<T, R, C> {
        matrix_or_zeros(self.slice(x))
    }

    /// The gradient with respect to `x` as a column-major slice without copying, or `None`
    /// where [`wrt`](Gradients::wrt) would return zeros.
    ///
    /// # Panics
    ///
    /// As [`wrt`](Gradients::wrt).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let a = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let grads = (a * 3.0).sum().backward();
    /// assert_eq!(grads.slice(a), Some(&[3.0, 3.0, 3.0, 3.0][..]));
    /// ```
    pub fn slice<const R: usize, const C: usize>(&self, x: Tensor<'_, R, C, T>) -> Option<&[T]> {
        // no walk has session tape 0, so one comparison covers both panics
        if x.tape().session() != self.session {
            self.wrong_session();
        }
        self.region(x.offset(), R * C)
    }

    /// The panic of [`slice`](Gradients::slice) for a tensor of another recording, or for
    /// gradients no walk has filled.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn wrong_session(&self) -> ! {
        assert!(
            self.session.tape != 0,
            "shapegrad: `Gradients::wrt` on gradients no backward has filled"
        );
        panic!("shapegrad: `Gradients::wrt` got a tensor from another tape or recording")
    }

    /// The gradient region at `start`, if this walk wrote it.
    pub(crate) fn region(&self, start: usize, len: usize) -> Option<&[T]> {
        if self.reached.get(start) != Some(&self.stamp) {
            return None;
        }
        self.data.get(start..start + len)
    }

    /// The recording these gradients belong to.
    pub(crate) fn session(&self) -> Session {
        self.session
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Matrix1, Matrix2x3};

    #[test]
    fn records_in_creation_order_and_clear_keeps_capacity() {
        let mut tape = Tape::<f64>::new();
        let a = tape.var(Matrix2x3::<f64>::repeat(1.0));
        let b = a.exp();
        let _ = (a + b).sum();
        assert_eq!(tape.len(), 4);
        // 6 (a) + 6 (exp) + 6 (add) + 1 (sum)
        assert_eq!(tape.scalars(), 19);
        let cap = tape.capacity();
        tape.clear();
        assert_eq!((tape.len(), tape.scalars()), (0, 0));
        assert_eq!(tape.capacity(), cap);
    }

    #[test]
    fn constants_get_no_backward_and_zero_gradient() {
        let tape = Tape::<f64>::new();
        let c = tape.constant(Matrix1::new(2.0));
        let x = tape.var_scalar(3.0);
        let cc = c * c; // constant-only subgraph
        let y = cc * x;
        let g = y.backward();
        assert_eq!(g.wrt(x)[0], 4.0); // ∂(c²x)/∂x = c² = 4
        assert_eq!(g.wrt(c)[0], 0.0);
        assert_eq!(g.wrt(cc)[0], 0.0);
    }

    #[test]
    #[should_panic(expected = "another tape or recording")]
    fn gradients_refuse_tensor_of_another_tape() {
        let t1 = Tape::<f64>::new();
        let t2 = Tape::<f64>::new();
        let x = t1.var_scalar(1.0);
        let z = t2.var_scalar(1.0);
        let g = x.exp().backward();
        let _ = g.wrt(z);
    }

    #[test]
    #[should_panic(expected = "another tape or recording")]
    fn gradients_refuse_tensor_recorded_after_clear() {
        let mut tape = Tape::<f64>::new();
        let g = {
            let x = tape.var_scalar(1.0);
            x.exp().backward()
        };
        tape.clear();
        let x = tape.var_scalar(1.0);
        let _ = g.wrt(x);
    }

    #[test]
    fn nodes_off_the_path_do_not_leak_nan() {
        // exp(800) = inf in an unused branch: running its rule with ∂ = 0 would add 0·inf = NaN
        // into x. The output y = 2x does not depend on it: ∂y/∂x = 2 (hand derivation).
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(800.0);
        let unused = x.exp();
        let y = x * 2.0;
        let g = y.backward();
        assert_eq!(g.wrt(x)[0], 2.0);
        assert_eq!(g.wrt(unused)[0], 0.0);
        // a / 0 = inf off the path; ∂(a + b)/∂a = ∂(a + b)/∂b = 1
        let (a, b) = (tape.var_scalar(1.0), tape.var_scalar(0.0));
        let _q = a / b;
        let g = (a + b).backward();
        assert_eq!((g.wrt(a)[0], g.wrt(b)[0]), (1.0, 1.0));
    }

    #[test]
    fn reused_gradients_never_show_stale_values() {
        // A reused `Gradients` keeps stale data (no zeroing pass): fill it with NaN first, then
        // differentiate other recordings through it, 300 times so the u8 stamp wraps.
        let mut grads = Gradients::new();
        let mut tape = Tape::<f64>::new();
        {
            let x = tape.var(Matrix2x3::repeat(0.0));
            (x / x).sum().backward_into(&mut grads); // 0/0: every gradient NaN
            assert!(grads.wrt(x)[0].is_nan());
        }
        for k in 0..300 {
            tape.clear();
            let c = tape.constant(Matrix2x3::repeat(3.0));
            let x = tape.var(Matrix2x3::repeat(k as f64));
            let unused = x.exp();
            let y = if k % 2 == 0 { x * c + x } else { c * x + x * x };
            y.sum().backward_into(&mut grads);
            // ∂Σ(3x + x)/∂x = 4; ∂Σ(3x + x²)/∂x = 3 + 2x (hand derivation)
            let want = if k % 2 == 0 {
                4.0
            } else {
                3.0 + 2.0 * k as f64
            };
            assert_eq!(grads.wrt(x), Matrix2x3::repeat(want), "step {k}");
            assert_eq!(grads.wrt(c), Matrix2x3::zeros());
            assert_eq!(grads.wrt(unused), Matrix2x3::zeros());
        }
    }

    #[test]
    fn empty_tensors_do_not_alias_their_neighbours() {
        // An empty tensor used to share its start offset with the next node, so marking it
        // reached marked that node too and ran its rule on stale data (exp(800)·0 = NaN).
        // ∂(3x + Σ z)/∂x = 3 (hand derivation).
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(800.0);
        let z = tape.var(nalgebra::SMatrix::<f64, 0, 1>::zeros());
        let _unused = x.exp();
        let y = x * 3.0 + z.sum();
        let g = y.backward();
        assert_eq!(g.wrt(x)[0], 3.0);
        assert_eq!(g.wrt(z).len(), 0);
        // an empty tensor recorded right after the output, and an empty output
        let later = tape.var(nalgebra::SMatrix::<f64, 2, 0>::zeros());
        assert!(g.slice(later).is_none());
        let empty_out = later * 2.0;
        let g2 = empty_out.backward_with(&nalgebra::SMatrix::<f64, 2, 0>::zeros());
        assert_eq!(g2.wrt(x)[0], 0.0);
    }

    #[test]
    fn reused_operand_gets_both_contributions_in_order() {
        // `x * x` writes ∂x once with both terms (`grad_ab`), in the order two separate
        // writes would add them, so the bits are those of: assign ∂y·x, then add ∂y·x.
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(0.1);
        let go = (0.1f64 * 0.1).exp(); // ∂/∂(x·x) of exp(x·x)
        let g = (x * x).exp().backward().wrt(x)[0];
        assert_eq!(g.to_bits(), (go * 0.1 + go * 0.1).to_bits());
        // already holding a contribution (from `x * 0.5`, recorded later, walked first):
        // (0.5 + ∂y·x) + ∂y·x
        let g = ((x * x).exp() + x * 0.5).backward().wrt(x)[0];
        assert_eq!(g.to_bits(), ((0.5 + go * 0.1) + go * 0.1).to_bits());
        // matrices take the same path: ∂Σ(m ⊙ m + m)/∂m = 2m + 1 (hand derivation, exact)
        let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let g = (m * m + m).sum().backward().wrt(m);
        assert_eq!(g, m.value() * 2.0 + Matrix2x3::repeat(1.0));
    }

    #[test]
    fn carried_gradient_is_dropped_after_a_rule() {
        // Walked in reverse: `x * 5` (inline partials) writes ∂x = 5 and carries it; `x / z`
        // (a rule through its pointer, on memory) adds 1/z; `x * 3` (inline) must add to
        // 5 + 1/z from memory, not to the stale carried 5. ∂/∂x (3x + x/z + 5x) = 8 + 1/z,
        // exactly 8.25 at z = 4 (hand derivation; each partial sum is exact in binary).
        let tape = Tape::<f64>::new();
        let (x, z) = (tape.var_scalar(1.5), tape.constant_scalar(4.0));
        let c = x * 3.0;
        let b = x / z;
        let a = x * 5.0;
        let g = (a + b + c).backward();
        assert_eq!(g.wrt(x)[0], 8.25);
        // the same through a matrix-shaped rule between the scalar ones: ∂/∂x of
        // 3x + Σ(x ⊙ [1, 1]) + 5x = 10 (the sum of a broadcast runs through rules)
        let ones = tape.constant(nalgebra::Vector2::new(1.0, 1.0));
        let c = x * 3.0;
        let m = (ones * x.broadcast::<2, 1>()).sum();
        let a = x * 5.0;
        assert_eq!((a + m + c).backward().wrt(x)[0], 10.0);
    }

    #[test]
    fn debug_names_the_node_found_by_offset() {
        // handles carry a value offset only; `Debug` finds the node index by binary search
        let mut tape = Tape::<f64>::new();
        let p = tape.param(Matrix1::new(1.0));
        let a = tape.var(Matrix2x3::repeat(2.0));
        let b = tape.get(p) * 3.0;
        let c = a.sum();
        assert!(format!("{:?}", tape.get(p)).starts_with("Tensor<1, 1>#0 "));
        assert!(format!("{a:?}").starts_with("Tensor<2, 3>#1 "));
        assert!(format!("{b:?}").starts_with("Tensor<1, 1>#2 [3.0]"));
        assert!(format!("{c:?}").starts_with("Tensor<1, 1>#3 [12.0]"));
        // a walk can start at any node, not only the last: ∂(3p)/∂p = 3
        assert_eq!(b.backward().wrt(tape.get(p))[0], 3.0);
    }

    #[test]
    fn node_is_24_bytes() {
        // The tape's per-op cost: a fn pointer and four u32 offsets/indices.
        assert_eq!(std::mem::size_of::<Node<f64>>(), 24);
    }

    #[test]
    #[should_panic(expected = "no backward has filled")]
    fn empty_gradients_say_so() {
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(1.0);
        let _ = Gradients::new().wrt(x);
    }

    #[test]
    fn tensor_recorded_after_backward_has_zero_gradient() {
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(1.0);
        let g = x.exp().backward();
        let later = x * 2.0;
        assert_eq!(g.wrt(later)[0], 0.0);
        assert!(g.slice(later).is_none());
    }
}
