//! The core ops' fast paths: the only op code that sees the engine's 1×1 partials layout.
//!
//! `+ − ⊙ neg`, `x ± c`, `c − x`, `x·c` and `x / c`, `exp` and `square` carry the scalar
//! chains and the small nets the benchmarks time. On a matrix they compute their gradient
//! from values the tape holds anyway (`∂a += ∂y ⊙ b` reads `b`), so they store no derivative
//! there, unlike [`map`](Tensor::map)/[`zip`](Tensor::zip), which store `R·C` more scalars
//! per operand. On a 1×1 tensor they store `[y, d…]`, and the walk applies it inline.
//!
//! Invariant (tested for every op by the registry's 1×1-vs-matrix bit test): each op's
//! matrix rule computes exactly `go * d` with `d` computed by the same operations as in its
//! closure, so both paths give the same bits. New ops use [`map`](Tensor::map),
//! [`zip`](Tensor::zip) or the recording helpers instead.

use crate::{Scalar, Tensor};

use super::{BackwardFn, elementwise, elementwise2};

impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// An element-wise op of one operand with the rule `∂x += ∂y ⊙ d`, `f(x) = (y, d)`: a 1×1
    /// output stores `[y, d]` for the inline partials rule; a larger one stores `y` only and
    /// runs `backward`, which recomputes `d` from the values.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn map_tuned(
        self,
        backward: BackwardFn<T>,
        f: impl Fn(T) -> (T, T) + Send + Sync + 'static,
    ) -> Self {
        let x = self.offset();
        if R * C == 1 {
            let scalars = move |x: T| {
                let (y, d) = f(x);
                [y, d]
            };
            let op = self.unary(0, backward).with_partials();
            let out = scalars(self.scalar());
            let replay = move |v: &[T]| scalars(v[x]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        self.tape()
            .record(self.unary(0, backward), move |values, out| {
                elementwise(&values[x..][..R * C], out, |v| f(v).0)
            })
    }

    /// [`map_tuned`](Tensor::map_tuned) for two operands of one shape:
    /// `f(a, b) = (y, [da, db])`, the rule `∂a += ∂y ⊙ da`, `∂b += ∂y ⊙ db`.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn zip_tuned(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> (T, [T; 2]) + Send + Sync + 'static,
    ) -> Self {
        let (a, b) = (self.offset(), rhs.offset());
        if R * C == 1 {
            let scalars = move |a: T, b: T| {
                let (y, [da, db]) = f(a, b);
                [y, da, db]
            };
            let op = self.binary(rhs, name, 0, backward).with_partials();
            let out = scalars(self.scalar(), rhs.scalar());
            let replay = move |v: &[T]| scalars(v[a], v[b]);
            return self.tape().record_scalar(op, out, replay).retype();
        }
        let op = self.binary(rhs, name, 0, backward);
        self.tape().record(op, move |values, out| {
            elementwise2(&values[a..][..R * C], &values[b..][..R * C], out, |a, b| {
                f(a, b).0
            })
        })
    }

    /// An element-wise op of the operand and a plain scalar `c`, kept in a one-scalar aux
    /// region for the rule. With `c_is_derivative` (`x·c`, rule `∂x += ∂y·c`), a 1×1
    /// output's `[y, c]` doubles as `[y, ∂y/∂x]` and takes the inline partials rule.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn scalar_tuned(
        self,
        c: T,
        c_is_derivative: bool,
        backward: BackwardFn<T>,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
    ) -> Self {
        let x = self.offset();
        if R * C == 1 {
            let mut op = self.unary(1, backward);
            if c_is_derivative {
                op = op.with_partials();
            }
            let out = [f(self.scalar(), c), c];
            let replay = move |v: &[T]| [f(v[x], c), c];
            return self.tape().record_scalar(op, out, replay).retype();
        }
        self.tape()
            .record(self.unary(1, backward), move |values, out| {
                let (y, aux) = out.split_at_mut(R * C);
                for (o, &v) in y.iter_mut().zip(&values[x..][..R * C]) {
                    *o = f(v, c);
                }
                aux[0] = c;
            })
    }
}
