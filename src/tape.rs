//! The public [`Tape`]: creating, clearing and sizing a recording. How recording and the
//! walk work is in `engine/`.

use core::cell::RefCell;
use core::fmt;
use core::sync::atomic::Ordering;

use crate::engine::Buffers;
use crate::{Gradients, OnFull, Scalar};

// Tape ids need an atomic counter: 64-bit where the target has 64-bit atomics; else 32-bit,
// and the ids wrap after 2³² tapes. Targets without atomic read-modify-write (Cortex-M0,
// `thumbv6m`) are not supported.
#[cfg(not(any(target_has_atomic = "64", target_has_atomic = "32")))]
compile_error!(
    "shapegrad needs atomic compare-and-swap (32 or 64 bits) for tape ids; this target has none"
);
#[cfg(target_has_atomic = "64")]
type IdCounter = core::sync::atomic::AtomicU64;
#[cfg(all(not(target_has_atomic = "64"), target_has_atomic = "32"))]
type IdCounter = core::sync::atomic::AtomicU32;

/// Tape ids: handed out in blocks of [`ID_BLOCK`] to each thread with the feature `std`, one
/// at a time without it (0 is never handed out).
static NEXT_TAPE_ID: IdCounter = IdCounter::new(1);

/// `n` ids from [`NEXT_TAPE_ID`]: returns the first.
#[inline]
#[allow(clippy::useless_conversion)] // `u32 -> u64` where the counter is 32 bits
fn take_ids(n: u32) -> u64 {
    NEXT_TAPE_ID.fetch_add(n.into(), Ordering::Relaxed).into()
}

/// Ids a thread takes from [`NEXT_TAPE_ID`] at a time: one atomic operation per block.
#[cfg(feature = "std")]
const ID_BLOCK: u32 = 1 << 16;

#[cfg(feature = "std")]
std::thread_local! {
    /// The calling thread's block of ids: next and end.
    static TAPE_IDS: core::cell::Cell<(u64, u64)> = const { core::cell::Cell::new((0, 0)) };
}

/// A tape id never handed out before, on any thread.
#[cfg(feature = "std")]
pub(crate) fn next_tape_id() -> u64 {
    TAPE_IDS
        .try_with(|ids| {
            let (mut next, mut end) = ids.get();
            if next == end {
                next = take_ids(ID_BLOCK);
                end = next + u64::from(ID_BLOCK);
            }
            ids.set((next + 1, end));
            next
        })
        // during the thread's teardown: one id of its own
        .unwrap_or_else(|_| take_ids(1))
}

/// A tape id never handed out before.
#[cfg(not(feature = "std"))]
pub(crate) fn next_tape_id() -> u64 {
    take_ids(1)
}

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
/// with the ops on [`Tensor`](crate::Tensor), and call [`backward`](crate::Tensor::backward) on a 1×1 result. Values
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
    pub(crate) inner: RefCell<Buffers<T>>,
    session: Session,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Returns the tape's buffers to the thread's pool, for the next [`Tape::new`].
impl<T: Scalar> Drop for Tape<T> {
    fn drop(&mut self) {
        self.inner.get_mut().recycle();
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
    /// Making a tape per evaluation is as fast as reusing one: a dropped tape's buffers go
    /// to a per-thread pool (bounded; see [`pool`](crate::pool)), and the next tape on the
    /// thread records into them, without allocating or zero-filling them again.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f32>::new();
    /// assert!(tape.is_empty());
    /// ```
    #[inline]
    pub fn new() -> Self {
        // the id first: with the call between them, the empty buffers were built on the
        // stack before it and copied after it, in 16-byte loads spanning two earlier stores
        // (a store-forwarding stall perf found on every README-idiom call)
        let tape = next_tape_id();
        Tape {
            inner: RefCell::new(Buffers::new()),
            session: Session {
                tape,
                generation: 0,
            },
        }
    }

    /// An empty tape with room for `nodes` recorded ops holding `scalars` values in total,
    /// so that recording up to that size does not allocate. The room (24 bytes a node, one
    /// `T` a scalar) is taken from the thread's [`pool`](crate::pool) where it keeps a
    /// buffer set, grown to this size if needed, and initialised here, so the memory is
    /// committed up front rather than on first use.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::<f64>::with_capacity(1000, 4000);
    /// assert!(tape.capacity().0 >= 1000);
    /// ```
    pub fn with_capacity(nodes: usize, scalars: usize) -> Self {
        let mut tape = Self::new();
        tape.inner.get_mut().reserve(nodes, scalars);
        tape
    }

    /// A tape that never allocates after it is built, for a control loop with a hard
    /// real-time budget: room for exactly `nodes` recorded ops holding `scalars` values (a
    /// node is 24 bytes, a scalar one `T`), allocated here and never grown. An op that does
    /// not fit panics or stops the recording, as `on_full` says (see [`OnFull`]); with
    /// [`OnFull::Error`] the tape also allocates `scalars` NaNs here, the values of what is
    /// recorded past the room. [`clear`](Tape::clear) makes the room reusable; pair the tape
    /// with [`Gradients::with_capacity`] and [`backward_into`](crate::Tensor::backward_into)
    /// so that the walk does not allocate either.
    ///
    /// To size it, record one step on an ordinary tape and read [`len`](Tape::len) and
    /// [`scalars`](Tape::scalars).
    ///
    /// # Panics
    ///
    /// With [`OnFull::Panic`], the op that does not fit, at the caller's line, with the
    /// [`CapacityError`](crate::CapacityError) message (the capacity, what the op needed).
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Gradients, OnFull, Tape};
    ///
    /// let mut tape = Tape::<f64>::fixed(3, 6, OnFull::Panic);
    /// let mut grads = Gradients::with_capacity(6);
    /// for step in 0..3 {
    ///     tape.clear();
    ///     let x = tape.var_scalar(f64::from(step));
    ///     let y = (x * x).exp(); // 3 nodes; 1 + 3 + 2 scalars (1×1 ops keep their partials)
    ///     y.backward_into(&mut grads);
    ///     assert_eq!(grads.slice(x).unwrap()[0], 2.0 * f64::from(step) * y.item());
    /// }
    /// ```
    pub fn fixed(nodes: usize, scalars: usize, on_full: OnFull) -> Self {
        Tape {
            inner: RefCell::new(Buffers::fixed(nodes, scalars, on_full)),
            session: Session {
                tape: next_tape_id(),
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
        if let Some(fixed) = &mut inner.fixed {
            fixed.overflow = None;
        }
        if let Some(forwards) = &mut inner.forwards {
            forwards.clear(); // parameters have none
        }
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

/// # Crate-internal
impl<T: Scalar> Tape<T> {
    /// The id of the current recording.
    pub(crate) fn session(&self) -> Session {
        self.session
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
        let known = inner.param_nodes.min(grads.params());
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
}

/// Panics unless `a` and `b` are the same tape, naming the op.
#[inline(always)]
#[track_caller]
pub(crate) fn same_tape<T: Scalar>(op: &str, a: &Tape<T>, b: &Tape<T>) {
    if !core::ptr::eq(a, b) {
        two_tapes(op)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn two_tapes(op: &str) -> ! {
    panic!("shapegrad: `{op}` combines tensors from two different tapes")
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
