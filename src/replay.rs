//! Record once, evaluate many: a [`Recording`] runs a recorded function again at new inputs
//! (CppAD's `ADFun`, ADOL-C's taping), without running the code that recorded it.
//!
//! `docs/replay.md` says when this pays and what it cannot see; `engine/replay.rs` how it
//! works. [`ReplayFn`](crate::ReplayFn) and [`ReplayVectorFn`](crate::ReplayVectorFn) wrap
//! it for a [`ScalarFn`](crate::ScalarFn) or a [`VectorFn`](crate::VectorFn).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use nalgebra::SMatrix;

use crate::engine::replay::{Forward, Inst, Plan, plan, program, run_program, walk};
use crate::engine::{Buffers, Node};
use crate::tape::Session;
use crate::{Scalar, Tape, Tensor};

/// Why a [`Recording`] could not be made or replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayError {
    /// The output's tape was not made by [`Tape::for_replay`], so it kept no forwards.
    NotReplayable,
    /// An op has no value at these inputs: a `cholesky` of a matrix that is no longer
    /// positive definite, a `try_inverse` or `solve` of a singular one (recording there,
    /// the function got `None` and took another path). The replay stops there.
    NoValue {
        /// The op's name.
        op: &'static str,
        /// Its node (index in creation order, leaves included).
        node: usize,
    },
    /// A checked evaluation recorded the function again at the new inputs and it ran other
    /// ops, or the same ops with other constants, from `node` on: the function's own code
    /// branches on values there, which no recording captures. Record it again there.
    Changed {
        /// The first node that differs (index in creation order).
        node: usize,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NotReplayable => write!(
                f,
                "shapegrad: this tape keeps no forwards to replay; record on Tape::for_replay()"
            ),
            ReplayError::NoValue { op, node } => write!(
                f,
                "shapegrad: replayed `{op}` (node {node}) has no value at these inputs; \
                 the recorded function would take another path here"
            ),
            ReplayError::Changed { node } => write!(
                f,
                "shapegrad: the function recorded at these inputs differs from the recording \
                 from node {node} on (its code branches on values); record it again here"
            ),
        }
    }
}

impl core::error::Error for ReplayError {}

impl<T: Scalar> Tape<T> {
    /// A tape that also keeps every op's forward, so that a [`Recording`] of it can run the
    /// ops again at new inputs. Recording on it costs a small allocation per op; it is
    /// otherwise an ordinary tape.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Recording, Tape};
    ///
    /// let tape = Tape::for_replay();
    /// let x = tape.var_scalar(2.0);
    /// let rec = Recording::new(x * x).unwrap();
    /// let input = rec.input(x);
    /// let mut ws = rec.workspace();
    /// rec.set(&mut ws, input, &nalgebra::Matrix1::new(3.0));
    /// assert_eq!(rec.forward(&mut ws).unwrap()[0], 9.0);
    /// ```
    pub fn for_replay() -> Self {
        let tape = Tape::new();
        tape.inner.borrow_mut().forwards = Some(Vec::new());
        tape
    }
}

/// A recorded function `R×C` output of leaf inputs, kept to run again at new input values:
/// the ops' forwards in creation order, then the reverse walk worked out once (which nodes
/// the output reaches, which gradient writes assign and which add). Values and gradients
/// are **bit-identical** to recording afresh at the new inputs, and an evaluation allocates
/// nothing.
///
/// Made from an output on a [`Tape::for_replay`] tape. Any leaf of that tape (a variable, a
/// constant, a parameter) can be declared an [`input`](Recording::input) and given new values
/// per evaluation: a constant declared an input is *data* (its values change, no gradient is
/// computed for it). Every other leaf keeps the value it had when recorded, and so does
/// everything the function's code computed outside the ops (a plain scalar `c` in `x * c`,
/// a branch on `x.item()`).
///
/// **What a recording cannot see.** Value-dependent behaviour *inside* an op (`relu`, `abs`,
/// `max`, `clamp`, the branches of the stable `sigmoid`) replays correctly. Control flow in
/// the function's own code (`if x.item() > 0.0 { … }`) does not: the recording runs the ops
/// the recorded inputs chose. A checked evaluation ([`ReplayFn::gradient_checked`](crate::ReplayFn::gradient_checked),
/// [`Recording::check`]) records again and returns [`ReplayError::Changed`] when the ops
/// differ.
///
/// `Send + Sync` and read-only: each thread evaluates into a [`Workspace`] of its own.
///
/// # Examples
///
/// `f(x, d) = Σ (x − d)²` with the data `d` an input: one recording, evaluated at new points
/// and new data.
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{Recording, Tape};
///
/// let tape = Tape::for_replay();
/// let x = tape.var(Vector2::new(1.0, 2.0));
/// let d = tape.constant(Vector2::new(0.0, 0.0));
/// let rec = Recording::new(((x - d) * (x - d)).sum()).unwrap();
/// let (xi, di) = (rec.input(x), rec.input(d));
///
/// let mut ws = rec.workspace();
/// rec.set(&mut ws, xi, &Vector2::new(3.0, -1.0));
/// rec.set(&mut ws, di, &Vector2::new(1.0, 1.0));
/// assert_eq!(rec.forward(&mut ws).unwrap()[0], 8.0); // 2² + (−2)²
/// rec.backward_one(&mut ws);
/// assert_eq!(rec.gradient(&ws, xi), Vector2::new(4.0, -4.0));
/// assert_eq!(rec.gradient(&ws, di), Vector2::zeros()); // data: no gradient
/// ```
pub struct Recording<const R: usize, const C: usize, T: Scalar = f64> {
    id: u64,
    session: Session,
    nodes: Vec<Node<T>>,
    forwards: Vec<Forward<T>>,
    /// The forwards as the interpreter runs them.
    program: Vec<Inst<T>>,
    /// The values when recorded: what every leaf not given new values keeps.
    values: Vec<T>,
    steps: Plan<T>,
    /// Per offset, 1 where the walk from the output reaches a region starting there.
    reached: Vec<u8>,
    output: u32,
}

/// A leaf of a [`Recording`] whose values an evaluation sets ([`Recording::set`]) and whose
/// gradient it reads ([`Recording::gradient`]). `Copy`; made by [`Recording::input`].
///
/// # Examples
///
/// ```
/// use shapegrad::{Recording, Tape};
///
/// let tape = Tape::for_replay();
/// let x = tape.var_scalar(1.0);
/// let rec = Recording::new(x.exp()).unwrap();
/// let input = rec.input(x);
/// let copy = input; // Copy
/// assert_eq!(input, copy);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input<const R: usize, const C: usize> {
    recording: u64,
    off: u32,
    reached: bool,
}

/// One thread's state for evaluating a [`Recording`]: its values and gradients. Made by
/// [`Recording::workspace`] (the only allocation); evaluations reuse it.
///
/// # Examples
///
/// ```
/// use shapegrad::{Recording, Tape};
///
/// let tape = Tape::for_replay();
/// let x = tape.var_scalar(1.0);
/// let rec = Recording::new(x * 2.0).unwrap();
/// let ws = rec.workspace();
/// assert_eq!(ws.scalars(), tape.scalars());
/// ```
#[derive(Clone, Debug)]
pub struct Workspace<T: Scalar = f64> {
    recording: u64,
    values: Vec<T>,
    grads: Vec<T>,
    state: State,
}

/// What a workspace holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Inputs set since the last forward (or none run yet).
    Stale,
    /// The values of a forward at the current inputs.
    Forwarded,
    /// Those, and the gradients of a walk from them.
    Walked,
}

impl<T: Scalar> Workspace<T> {
    /// Scalars it holds values for (as many gradients).
    ///
    /// # Examples
    ///
    /// See [`Workspace`].
    pub fn scalars(&self) -> usize {
        self.values.len()
    }
}

impl<const R: usize, const C: usize, T: Scalar> Recording<R, C, T> {
    /// The recording of `output` and of everything its tape recorded before it, or
    /// [`ReplayError::NotReplayable`] if the tape is not a [`Tape::for_replay`] one. Takes
    /// the tape's kept forwards: a second recording of the same tape is not replayable.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Recording, ReplayError, Tape};
    ///
    /// let tape = Tape::new(); // not for replay
    /// let x = tape.var_scalar(1.0);
    /// assert_eq!(Recording::new(x.sin()).err(), Some(ReplayError::NotReplayable));
    /// ```
    pub fn new(output: Tensor<'_, R, C, T>) -> Result<Self, ReplayError> {
        let tape = output.tape();
        let op = output.operand();
        let mut inner = tape.inner.borrow_mut();
        let last = inner.node_at(op.off);
        let Some(kept) = inner.forwards.as_mut() else {
            return Err(ReplayError::NotReplayable);
        };
        let forwards: Vec<Forward<T>> =
            kept.drain(..).filter(|f| f.node as usize <= last).collect();
        let nodes = inner.nodes[..=last].to_vec();
        // every op node has its forward, in order (leaves have none: their `a` is their own)
        let ops = nodes.iter().filter(|n| n.at.a != n.at.out).count();
        if ops != forwards.len() {
            return Err(ReplayError::NotReplayable);
        }
        let n = inner
            .nodes
            .get(last + 1)
            .map_or(inner.values.len(), |next| next.at.out as usize);
        let values = inner.values[..n].to_vec();
        drop(inner);
        let (steps, reached) = plan(&nodes, op, n);
        let program = program(&forwards);
        Ok(Recording {
            id: crate::tape::next_tape_id(),
            session: tape.session(),
            nodes,
            forwards,
            program,
            values,
            steps,
            reached,
            output: op.off,
        })
    }

    /// Declares the leaf `t` (a variable, constant or parameter of the recorded tape) an
    /// input: evaluations set its values and read its gradient.
    ///
    /// # Panics
    ///
    /// If `t` is not a leaf of this recording's tape (an op's output, another tape's
    /// tensor, or one recorded after the output or after the tape was cleared).
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    #[track_caller]
    pub fn input<const R1: usize, const C1: usize>(
        &self,
        t: Tensor<'_, R1, C1, T>,
    ) -> Input<R1, C1> {
        let off = t.operand().off;
        let k = self.nodes.partition_point(|n| n.at.out < off);
        let leaf = self
            .nodes
            .get(k)
            .is_some_and(|n| n.at.out == off && n.at.a == off && n.at.b as usize == R1 * C1);
        assert!(
            t.tape().session() == self.session && leaf,
            "shapegrad: Recording::input takes a leaf (var, constant, parameter) of the \
             recorded tape, recorded before the output"
        );
        Input {
            recording: self.id,
            off,
            reached: self.reached[off as usize] == 1,
        }
    }

    /// A workspace for evaluating this recording: its values as recorded, every input's
    /// included.
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    pub fn workspace(&self) -> Workspace<T> {
        Workspace {
            recording: self.id,
            values: self.values.clone(),
            grads: vec![T::zero(); self.values.len()],
            state: State::Stale,
        }
    }

    /// Gives `input` the values `value` in `ws`, for the next [`forward`](Recording::forward).
    ///
    /// # Panics
    ///
    /// If `input` or `ws` belongs to another recording.
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    #[track_caller]
    pub fn set<const R1: usize, const C1: usize>(
        &self,
        ws: &mut Workspace<T>,
        input: Input<R1, C1>,
        value: &SMatrix<T, R1, C1>,
    ) {
        self.owns(ws, input.recording, "set");
        ws.values[input.off as usize..][..R1 * C1].copy_from_slice(value.as_slice());
        ws.state = State::Stale;
    }

    /// Runs every recorded op again on `ws`'s values, in creation order; returns the output.
    /// [`ReplayError::NoValue`] if an op has no value at these inputs.
    ///
    /// # Panics
    ///
    /// If `ws` belongs to another recording.
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    #[track_caller]
    pub fn forward(&self, ws: &mut Workspace<T>) -> Result<SMatrix<T, R, C>, ReplayError> {
        self.owns(ws, self.id, "forward");
        ws.state = State::Stale;
        run_program(&self.program, &self.forwards, &mut ws.values).map_err(|(node, op)| {
            ReplayError::NoValue {
                op,
                node: node as usize,
            }
        })?;
        ws.state = State::Forwarded;
        Ok(self.output(ws))
    }

    /// The output's values in `ws` (as of its last forward).
    fn output(&self, ws: &Workspace<T>) -> SMatrix<T, R, C> {
        crate::gradients::matrix_from(&ws.values[self.output as usize..][..R * C])
    }

    /// The reverse walk from the output with the upstream gradient `seed`, on the values of
    /// `ws`'s last forward. Read the gradients with [`gradient`](Recording::gradient).
    ///
    /// # Panics
    ///
    /// If `ws` belongs to another recording, or holds no successful forward at its current
    /// inputs.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::{Recording, Tape};
    ///
    /// let tape = Tape::for_replay();
    /// let x = tape.var(Vector2::new(1.0, 2.0));
    /// let rec = Recording::new(x * 3.0).unwrap();
    /// let xi = rec.input(x);
    /// let mut ws = rec.workspace();
    /// rec.forward(&mut ws).unwrap();
    /// rec.backward(&mut ws, &Vector2::new(1.0, 10.0));
    /// assert_eq!(rec.gradient(&ws, xi), Vector2::new(3.0, 30.0));
    /// ```
    #[track_caller]
    pub fn backward(&self, ws: &mut Workspace<T>, seed: &SMatrix<T, R, C>) {
        self.owns(ws, self.id, "backward");
        assert!(
            ws.state != State::Stale,
            "shapegrad: Recording::backward needs a successful forward at the current inputs"
        );
        ws.grads[self.output as usize..][..R * C].copy_from_slice(seed.as_slice());
        walk(&self.steps, &ws.values, &mut ws.grads);
        ws.state = State::Walked;
    }

    /// `input`'s gradient from `ws`'s last walk (zeros where the output does not depend on
    /// it).
    ///
    /// # Panics
    ///
    /// If `ws` or `input` belongs to another recording, or `ws` holds no walk at its
    /// current inputs.
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    #[track_caller]
    pub fn gradient<const R1: usize, const C1: usize>(
        &self,
        ws: &Workspace<T>,
        input: Input<R1, C1>,
    ) -> SMatrix<T, R1, C1> {
        self.walked(ws, input, "gradient")
            .map_or_else(SMatrix::zeros, crate::gradients::matrix_from)
    }

    /// `input`'s gradient from `ws`'s last walk as a column-major slice of `ws` without
    /// copying, or `None` where [`gradient`](Recording::gradient) would return zeros (the
    /// output does not depend on `input`), as [`Gradients::slice`](crate::Gradients::slice).
    ///
    /// # Panics
    ///
    /// As [`gradient`](Recording::gradient).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::{Recording, Tape};
    ///
    /// let tape = Tape::for_replay();
    /// let a = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let unused = tape.var_scalar(5.0);
    /// let rec = Recording::new((a * a).sum()).unwrap();
    /// let (ai, ui) = (rec.input(a), rec.input(unused));
    /// let mut ws = rec.workspace();
    /// rec.set(&mut ws, ai, &Matrix2::new(1.0, -1.0, 0.5, 2.0));
    /// rec.forward(&mut ws).unwrap();
    /// rec.backward_one(&mut ws);
    /// // column-major: a = [1 −1; 0.5 2] is stored 1, 0.5, −1, 2
    /// assert_eq!(rec.gradient_slice(&ws, ai), Some(&[2.0, 1.0, -2.0, 4.0][..]));
    /// assert_eq!(rec.gradient_slice(&ws, ui), None);
    /// ```
    #[track_caller]
    pub fn gradient_slice<'w, const R1: usize, const C1: usize>(
        &self,
        ws: &'w Workspace<T>,
        input: Input<R1, C1>,
    ) -> Option<&'w [T]> {
        self.walked(ws, input, "gradient_slice")
    }

    /// `input`'s gradient region in `ws`, `None` where the walk does not reach it; panics,
    /// naming `call`, as [`gradient`](Recording::gradient).
    #[track_caller]
    fn walked<'w, const R1: usize, const C1: usize>(
        &self,
        ws: &'w Workspace<T>,
        input: Input<R1, C1>,
        call: &str,
    ) -> Option<&'w [T]> {
        self.owns(ws, input.recording, call);
        assert!(
            ws.state == State::Walked,
            "shapegrad: Recording::{call} needs a backward since the inputs were set"
        );
        input
            .reached
            .then(|| &ws.grads[input.off as usize..][..R1 * C1])
    }

    /// Panics, naming the call, unless `ws` and the input `of` belong to this recording.
    #[track_caller]
    fn owns(&self, ws: &Workspace<T>, of: u64, call: &str) {
        assert!(
            ws.recording == self.id && of == self.id,
            "shapegrad: Recording::{call} got a workspace or input of another recording"
        );
    }

    /// Whether `output`, recorded afresh on a [`Tape::for_replay`] tape at the inputs `ws`
    /// was last run at, ran the same ops with the same values as this recording:
    /// [`ReplayError::Changed`] at the first node that differs. For a checked evaluation:
    /// record the function at the new inputs, [`forward`](Recording::forward), then `check`.
    ///
    /// # Panics
    ///
    /// If `ws` belongs to another recording or holds no forward at its current inputs.
    ///
    /// # Examples
    ///
    /// A function whose code branches on a value: recorded at `x = 1`, it is another function
    /// at `x = −1`.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::{Recording, ReplayError, Tape, Tensor};
    ///
    /// fn f(x: Tensor<'_, 1, 1>) -> Tensor<'_, 1, 1> {
    ///     if x.item() > 0.0 { x * x } else { x * 3.0 }
    /// }
    /// let tape = Tape::for_replay();
    /// let x = tape.var_scalar(1.0);
    /// let rec = Recording::new(f(x)).unwrap();
    /// let xi = rec.input(x);
    /// let mut ws = rec.workspace();
    ///
    /// rec.set(&mut ws, xi, &Matrix1::new(-1.0));
    /// assert_eq!(rec.forward(&mut ws).unwrap()[0], 1.0); // the replayed x·x; f(−1) = −3
    /// let again = Tape::for_replay();
    /// let y = f(again.var_scalar(-1.0));
    /// assert_eq!(rec.check(&ws, y), Err(ReplayError::Changed { node: 1 }));
    /// ```
    #[track_caller]
    pub fn check(&self, ws: &Workspace<T>, output: Tensor<'_, R, C, T>) -> Result<(), ReplayError> {
        self.owns(ws, self.id, "check");
        assert!(
            ws.state != State::Stale,
            "shapegrad: Recording::check needs a forward at the current inputs"
        );
        let inner = output.tape().inner.borrow();
        let Some(forwards) = inner.forwards.as_ref() else {
            return Err(ReplayError::NotReplayable);
        };
        let last = inner.node_at(output.operand().off);
        first_difference(self, &ws.values, &inner, forwards, last)
            .map_or(Ok(()), |node| Err(ReplayError::Changed { node }))
    }
}

impl<T: Scalar> Recording<1, 1, T> {
    /// [`backward`](Recording::backward) from a 1×1 output with the seed 1: the gradients of
    /// the output itself.
    ///
    /// # Panics
    ///
    /// As [`backward`](Recording::backward).
    ///
    /// # Examples
    ///
    /// See [`Recording`].
    #[track_caller]
    pub fn backward_one(&self, ws: &mut Workspace<T>) {
        self.backward(ws, &SMatrix::from_element(T::one()));
    }
}

/// The first node at which a fresh recording (`inner`'s nodes up to `last`, with `forwards`)
/// differs from `rec` replayed to `values`: another node count, node layout, op kind or
/// value (of what each op writes: not an empty output's placeholder, nor the aux of an op of
/// constants only, which stay stale). Values agree when equal or both NaN.
fn first_difference<const R: usize, const C: usize, T: Scalar>(
    rec: &Recording<R, C, T>,
    values: &[T],
    inner: &Buffers<T>,
    forwards: &[Forward<T>],
    last: usize,
) -> Option<usize> {
    let fresh = &inner.nodes[..=last];
    #[allow(clippy::eq_op)] // NaN is the one value unequal to itself
    let same = |a: T, b: T| a == b || (a != a && b != b);
    let (mut theirs, mut ours) = (forwards.iter(), rec.forwards.iter());
    for (k, (a, b)) in rec.nodes.iter().zip(fresh).enumerate() {
        let (a, b) = (a.at, b.at);
        if (a.out, a.a, a.b, a.flags) != (b.out, b.a, b.b, b.flags) {
            return Some(k);
        }
        // an op node (a leaf's `a` is its own offset): the same op, by its forward's type;
        // its values from what the forward writes (an empty output's placeholder is stale)
        let (mut start, mut aux) = (a.out as usize, None);
        if a.a != a.out {
            let ours = ours.next();
            let same_op = matches!((theirs.next(), ours), (Some(t), Some(o)) if t.same_op(o));
            if !same_op {
                return Some(k);
            }
            start = ours.map_or(start, |f| f.start as usize);
            aux = ours.map(|f| f.aux as usize);
        }
        let mut end = rec
            .nodes
            .get(k + 1)
            .map_or(values.len(), |n| n.at.out as usize);
        if let Some(aux) = aux
            && a.flags == 0
        {
            end = aux; // an op of constants only: its aux is stale
        }
        let region = start..end;
        let Some(fresh_values) = inner.values.get(region.clone()) else {
            return Some(k);
        };
        if !values[region]
            .iter()
            .zip(fresh_values)
            .all(|(&x, &y)| same(x, y))
        {
            return Some(k);
        }
    }
    (fresh.len() != rec.nodes.len()).then_some(rec.nodes.len().min(fresh.len()))
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use nalgebra::Vector2;

    use crate::{Recording, Tape, Tensor};

    /// A dropped tape whose buffers (kept by the thread's pool) hold `v` everywhere.
    fn stale(v: f64) {
        let tape = Tape::<f64>::new();
        for _ in 0..64 {
            let _ = tape.var(Vector2::new(v, v)) * v;
        }
    }

    fn f(x: Tensor<'_, 2, 1>) -> Tensor<'_, 1, 1> {
        let d = x.tape().constant(Vector2::new(0.5, 0.25)).sin(); // constants only: aux stale
        let empty = x.fixed_rows::<0>(0).sum(); // an empty output's placeholder is stale
        (x * d).sum() + empty
    }

    #[test]
    fn check_ignores_what_ops_leave_stale() {
        // the recording and the check's fresh recording get buffers of different stale data
        stale(7.0);
        let tape = Tape::for_replay();
        let x = tape.var(Vector2::new(1.0, 2.0));
        let rec = Recording::new(f(x)).unwrap();
        let xi = rec.input(x);
        let mut ws = rec.workspace();
        rec.set(&mut ws, xi, &Vector2::new(3.0, 4.0));
        rec.forward(&mut ws).unwrap();
        drop(tape);
        stale(3.0);
        let again = Tape::for_replay();
        let y = f(again.var(Vector2::new(3.0, 4.0)));
        assert_eq!(rec.check(&ws, y), Ok(()));
    }
}
