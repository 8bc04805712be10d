//! The ops, one file per family, and the interface op authors write against.
//!
//! An op is its forward value and its derivative side by side, through one of three helpers:
//!
//! - element-wise, one operand: [`map`](Tensor::map),
//!   `self.map(|x, want| (y, want.then(|| dy_dx)))`;
//! - element-wise, two operands of one shape: [`zip`](Tensor::zip),
//!   `self.zip(rhs, "name", |a, b, want| (y, want.then(|| [dy_da, dy_db])))`;
//! - anything else: [`record_unary`](Tensor::record_unary) or
//!   [`record_binary`](Tensor::record_binary), a forward closure that writes the output
//!   (and any aux scalars the rule needs) plus a backward rule, a plain generic `fn` taking
//!   the typed [`Rule`] view, which says what the rule may read and writes each operand's
//!   gradient once (`grad_x.add(terms)` is `∂x += terms`).
//!
//! Forward closures are `Fn + Send + Sync + 'static` (capture by value, with `move`) and pure
//! functions of the operands' values and what they captured: a replayable tape keeps them to
//! run again. An op whose forward uses a result computed before recording (a factorisation
//! that may fail) uses `record_unary_fallible`/`record_binary_fallible`.
//!
//! `map` and `zip` need no rule: the derivative is stored in the forward pass and one shared
//! rule multiplies it by the upstream gradient, on a 1×1 tensor and on a matrix alike, so the
//! two agree bit for bit by construction. The engine's fast paths (the 1×1 recording path,
//! the walk's inline partials and carried gradient) sit behind these helpers; `tuned.rs` holds
//! the only op code that sees them, for the core arithmetic ops.

pub(crate) use crate::engine::{BackwardFn, Rule, Write};
use crate::engine::{Op, Operand};
use crate::tape::same_tape;
use crate::{Scalar, Tensor};
pub(crate) use code::{Code, MapFn, ZipFn};
pub use custom::{CustomOp, CustomOp2};
pub use parts::ElementIndex;

mod activation;
mod arc;
mod arith;
mod assemble;
mod broadcast;
mod cholesky;
mod clamp;
mod code;
mod custom;
mod exp_log;
mod geometry;
mod hyperbolic;
mod kinks;
mod linalg;
mod lu;
mod matmul;
mod near_zero;
mod parts;
mod pow;
mod reduce;
mod scalar_arith;
mod shape;
pub(crate) mod softmax;
mod trig;
mod tuned;

// The op-author interface (crate-internal).
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// Records an element-wise op of one operand: `f(x, want) = (y, ∂y/∂x)`, the derivative
    /// `Some` when `want` and `None` otherwise. The derivatives are stored after the outputs
    /// and the backward rule is `∂x += ∂y ⊙ ∂y/∂x`. `want` is false for a constant operand:
    /// the op is then a constant, never walked, and skips the derivative's work (every op of
    /// a forward-mode Jacobian is one); its aux region is left as it was.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn map(self, f: impl Fn(T, bool) -> (T, Option<T>) + Send + Sync + 'static) -> Self {
        self.map_coded(f, None)
    }

    /// [`map`](Tensor::map) for a plain function (a closure capturing nothing): a replay
    /// runs its 1×1 form as an interpreted instruction calling `f` (`ops/code.rs`), not as a
    /// boxed closure.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn map_fn(self, f: MapFn<T>) -> Self {
        self.map_coded(f, Some(Code::Map(f)))
    }

    /// [`map`](Tensor::map), with `f`'s code if it has one (it is then `Code::Map(f)`).
    #[inline(always)]
    #[track_caller]
    fn map_coded(
        self,
        f: impl Fn(T, bool) -> (T, Option<T>) + Send + Sync + 'static,
        code: Option<Code<T>>,
    ) -> Self {
        let want = self.operand().needs_grad;
        let x = self.offset();
        if R * C == 1 {
            let op = self.unary(0, map_backward::<T, R, C>).with_partials();
            if let Some(code) = code {
                let v = self.scalar();
                let [y, d, _] = code.eval(v, v, want);
                return self.tape().record_code(op, [y, d], code, want).retype();
            }
            let scalars = move |x: T| {
                let (y, d) = f(x, want);
                [y, d.unwrap_or(y)]
            };
            let out = scalars(self.scalar());
            let replay = move |v: &[T]| scalars(v[x]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        let op = self.unary(R * C, map_backward::<T, R, C>);
        self.tape().record(op, move |values, out| {
            let (y, d) = out.split_at_mut(R * C);
            let x = &values[x..][..R * C];
            if want {
                for ((y, d), &x) in y.iter_mut().zip(d).zip(x) {
                    let (v, dv) = f(x, true);
                    (*y, *d) = (v, dv.unwrap_or(v));
                }
            } else {
                // a constant is never walked: its aux region is left as it was
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = f(x, false).0;
                }
            }
        })
    }

    /// Records an element-wise op of two operands of one shape:
    /// `f(a, b, want) = (y, [∂y/∂a, ∂y/∂b])`, the partials `Some` when `want` (an operand
    /// needs a gradient), as in [`map`](Tensor::map). The partial derivatives are stored after
    /// the outputs and the backward rule is `∂a += ∂y ⊙ ∂y/∂a`, `∂b += ∂y ⊙ ∂y/∂b`.
    ///
    /// Panics, naming the op (`name`), if the operands are on different tapes.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn zip(
        self,
        rhs: Self,
        name: &'static str,
        f: impl Fn(T, T, bool) -> (T, Option<[T; 2]>) + Send + Sync + 'static,
    ) -> Self {
        self.zip_coded(rhs, name, f, None)
    }

    /// [`zip`](Tensor::zip) for a plain function, as [`map_fn`](Tensor::map_fn).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn zip_fn(self, rhs: Self, name: &'static str, f: ZipFn<T>) -> Self {
        self.zip_coded(rhs, name, f, Some(Code::Zip(f)))
    }

    /// [`zip`](Tensor::zip), with `f`'s code if it has one (it is then `Code::Zip(f)`).
    #[inline(always)]
    #[track_caller]
    fn zip_coded(
        self,
        rhs: Self,
        name: &'static str,
        f: impl Fn(T, T, bool) -> (T, Option<[T; 2]>) + Send + Sync + 'static,
        code: Option<Code<T>>,
    ) -> Self {
        let want = self.operand().needs_grad || rhs.operand().needs_grad;
        let (a, b) = (self.offset(), rhs.offset());
        if R * C == 1 {
            let op = self
                .binary(rhs, name, 0, zip_backward::<T, R, C>)
                .with_partials();
            if let Some(code) = code {
                let out = code.eval(self.scalar(), rhs.scalar(), want);
                return self.tape().record_code(op, out, code, want).retype();
            }
            let scalars = move |a: T, b: T| {
                let (y, d) = f(a, b, want);
                let [da, db] = d.unwrap_or([y, y]);
                [y, da, db]
            };
            let out = scalars(self.scalar(), rhs.scalar());
            let replay = move |v: &[T]| scalars(v[a], v[b]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        let op = self.binary(rhs, name, 2 * R * C, zip_backward::<T, R, C>);
        self.tape().record(op, move |values, out| {
            let (y, d) = out.split_at_mut(R * C);
            let (da, db) = d.split_at_mut(R * C);
            let ab = values[a..][..R * C].iter().zip(&values[b..][..R * C]);
            if want {
                for (((y, da), db), (&a, &b)) in y.iter_mut().zip(da).zip(db).zip(ab) {
                    let (v, dv) = f(a, b, true);
                    (*y, [*da, *db]) = (v, dv.unwrap_or([v, v]));
                }
            } else {
                // a constant, as in `map`
                for (y, (&a, &b)) in y.iter_mut().zip(ab) {
                    *y = f(a, b, false).0;
                }
            }
        })
    }

    /// Records an op of one operand with an `R2×C2` output and `aux` scalars after it.
    /// `forward(x, out)` gets the operand's values and must write every scalar of `out`
    /// (`R2·C2` outputs, then `aux`: the region holds stale data, not zeros); `backward` is
    /// the rule, which sees the aux scalars as [`Unary::aux`](crate::engine::Unary::aux).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_unary<const R2: usize, const C2: usize>(
        self,
        aux: usize,
        forward: impl Fn(&[T], &mut [T]) + Send + Sync + 'static,
        backward: BackwardFn<T>,
    ) -> Tensor<'t, R2, C2, T> {
        let op = self.unary(aux, backward);
        let x = self.offset();
        if R * C == 1 && R2 * C2 == 1 && aux == 0 {
            let scalars = move |x: T| {
                let mut out = [T::zero()];
                forward(&[x], &mut out);
                out
            };
            let out = scalars(self.scalar());
            let replay = move |v: &[T]| scalars(v[x]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        self.tape()
            .record(op, move |values, out| forward(&values[x..][..R * C], out))
    }

    /// An element-wise op `y = f(x)` with the rule `backward` (which reads the values) and
    /// no aux: [`record_unary`](Tensor::record_unary) for a plain function, which a replay
    /// runs as an interpreted instruction on 1×1 (`ops/code.rs`), not as a boxed closure.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn elementwise_fn(self, f: fn(T) -> T, backward: BackwardFn<T>) -> Self {
        if R * C == 1 {
            let op = self.unary(0, backward);
            let [y, ..] = Code::Fn1(f).eval(self.scalar(), self.scalar(), false);
            return self
                .tape()
                .record_code(op, [y], Code::Fn1(f), false)
                .retype();
        }
        self.record_unary(0, move |x, out| elementwise(x, out, f), backward)
    }

    /// [`elementwise_fn`](Tensor::elementwise_fn) of two operands of one shape,
    /// `y = f(a, b)`.
    ///
    /// Panics, naming the op (`name`), if the operands are on different tapes.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn elementwise2_fn(
        self,
        rhs: Self,
        name: &'static str,
        f: fn(T, T) -> T,
        backward: BackwardFn<T>,
    ) -> Self {
        if R * C == 1 {
            let op = self.binary(rhs, name, 0, backward);
            let [y, ..] = Code::Fn2(f).eval(self.scalar(), rhs.scalar(), false);
            return self
                .tape()
                .record_code(op, [y], Code::Fn2(f), false)
                .retype();
        }
        self.record_binary(
            rhs,
            name,
            0,
            move |a, b, out| elementwise2(a, b, out, f),
            backward,
        )
    }

    /// [`record_unary`](Tensor::record_unary) for an op that may have no value (a
    /// factorisation that fails), computed before recording: `forward` writes `out` from
    /// that result; `replay(x, out)` is the forward a replay runs at new values, computing
    /// the same scalars from the operand's values, or returning `Err(op name)` (after filling
    /// `out` with NaN) where the op has no value there.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_unary_fallible<const R2: usize, const C2: usize>(
        self,
        aux: usize,
        forward: impl FnOnce(&mut [T]),
        replay: impl Fn(&[T], &mut [T]) -> Result<(), &'static str> + Send + Sync + 'static,
        backward: BackwardFn<T>,
    ) -> Tensor<'t, R2, C2, T> {
        let x = self.offset();
        self.tape().record_fallible(
            self.unary(aux, backward),
            |_, out| forward(out),
            move |values, out| replay(&values[x..][..R * C], out),
        )
    }

    /// Records an op of two operands of one tape, of any shapes, with an `R2×C2` output and
    /// `aux` scalars after it: as [`record_unary`](Tensor::record_unary), with
    /// `forward(lhs, rhs, out)`.
    ///
    /// Panics, naming the op (`name`), if the operands are on different tapes.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_binary<
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
    >(
        self,
        rhs: Tensor<'t, R1, C1, T>,
        name: &'static str,
        aux: usize,
        forward: impl Fn(&[T], &[T], &mut [T]) + Send + Sync + 'static,
        backward: BackwardFn<T>,
    ) -> Tensor<'t, R2, C2, T> {
        let op = self.binary(rhs, name, aux, backward);
        let (a, b) = (self.offset(), rhs.offset());
        if R * C == 1 && R1 * C1 == 1 && R2 * C2 == 1 && aux == 0 {
            let scalars = move |a: T, b: T| {
                let mut out = [T::zero()];
                forward(&[a], &[b], &mut out);
                out
            };
            let out = scalars(self.scalar(), rhs.scalar());
            let replay = move |v: &[T]| scalars(v[a], v[b]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        self.tape().record(op, move |values, out| {
            forward(&values[a..][..R * C], &values[b..][..R1 * C1], out)
        })
    }

    /// [`record_binary`](Tensor::record_binary) for an op that may have no value, as
    /// [`record_unary_fallible`](Tensor::record_unary_fallible): `replay(lhs, rhs, out)`.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_binary_fallible<
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
    >(
        self,
        rhs: Tensor<'t, R1, C1, T>,
        name: &'static str,
        aux: usize,
        forward: impl FnOnce(&mut [T]),
        replay: impl Fn(&[T], &[T], &mut [T]) -> Result<(), &'static str> + Send + Sync + 'static,
        backward: BackwardFn<T>,
    ) -> Tensor<'t, R2, C2, T> {
        let (a, b) = (self.offset(), rhs.offset());
        self.tape().record_fallible(
            self.binary(rhs, name, aux, backward),
            |_, out| forward(out),
            move |values, out| replay(&values[a..][..R * C], &values[b..][..R1 * C1], out),
        )
    }

    /// What a one-operand op records besides its output.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn unary(self, aux: usize, backward: BackwardFn<T>) -> Op<T> {
        Op {
            inputs: [Some(self.operand()), None],
            aux,
            backward,
            partials: false,
        }
    }

    /// What a two-operand op records besides its output; panics, naming the op, if the
    /// operands are on different tapes.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn binary<const R1: usize, const C1: usize>(
        self,
        rhs: Tensor<'t, R1, C1, T>,
        name: &'static str,
        aux: usize,
        backward: BackwardFn<T>,
    ) -> Op<T> {
        same_tape(name, self.tape(), rhs.tape());
        let inputs: [Option<Operand>; 2] = [Some(self.operand()), Some(rhs.operand())];
        Op {
            inputs,
            aux,
            backward,
            partials: false,
        }
    }
}

/// What a fallible op's replay forward returns where the op has no value: `out` filled with
/// NaN, and the op's name.
pub(crate) fn no_value<T: Scalar>(out: &mut [T], op: &'static str) -> Result<(), &'static str> {
    out.fill(T::zero() / T::zero());
    Err(op)
}

/// `out[i] = f(x[i])`: the forward of an element-wise op with a rule of its own
/// ([`record_unary`](Tensor::record_unary)).
#[inline(always)]
pub(crate) fn elementwise<T: Scalar>(x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = f(x);
    }
}

/// `out[i] = f(a[i], b[i])`: the two-operand form of [`elementwise`].
#[inline(always)]
pub(crate) fn elementwise2<T: Scalar>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = f(a, b);
    }
}

/// `d`, or NaN where the value `y` is NaN: for a derivative formula that stays finite
/// outside its function's domain (`1/(1 + x)` of `ln_1p` below −1), so that a NaN value never
/// comes with a finite gradient.
#[inline(always)]
pub(crate) fn nan_if_nan<T: Scalar>(y: T, d: T) -> T {
    #[allow(clippy::eq_op)] // NaN is the one value unequal to itself
    if y == y { d } else { y }
}

/// The rule of [`map`](Tensor::map): `∂x += ∂y ⊙ d`, with `d` stored after the outputs.
fn map_backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
    let r = r.unary(R * C, R * C);
    let d = &r.aux[..R * C];
    r.grad_x
        .add(r.grad_out.iter().zip(d).map(|(&go, &d)| go * d));
}

/// The rule of [`zip`](Tensor::zip): `∂a += ∂y ⊙ da`, `∂b += ∂y ⊙ db`, with `da` and `db`
/// stored after the outputs.
fn zip_backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
    let r = r.binary(R * C, R * C, R * C);
    let (da, db) = r.aux[..2 * R * C].split_at(R * C);
    r.grads.add(
        r.grad_out.iter().zip(da).map(|(&go, &d)| go * d),
        r.grad_out.iter().zip(db).map(|(&go, &d)| go * d),
    );
}
