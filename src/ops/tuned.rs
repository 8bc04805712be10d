//! The core ops' fast paths: the only op code that sees the engine's 1×1 partials layout.
//!
//! `+ − ⊙ neg`, `x ± c`, `c − x`, `x·c` and `x / c`, `exp` and `square` carry the scalar
//! chains and the small nets the benchmarks time. On a matrix they compute their gradient
//! from values the tape holds anyway (`∂a += ∂y ⊙ b` reads `b`), so they store no derivative
//! there, unlike [`map`](Tensor::map)/[`zip`](Tensor::zip), which store `R·C` more scalars
//! per operand. On a 1×1 tensor they store `[y, d…]`, and the walk applies it inline.
//!
//! Each takes the op's [`Code`] (`code.rs`): its `eval` is the op's 1×1 math, on a
//! replayable tape also what a replay interprets, and each output element on a matrix.
//!
//! Invariant (tested for every op by the registry's 1×1-vs-matrix bit test): each op's
//! matrix rule computes exactly `go * d` with `d` computed by the same operations as its
//! code's `eval`, so both paths give the same bits. New ops use [`map`](Tensor::map),
//! [`zip`](Tensor::zip) or the recording helpers instead.

use crate::{Scalar, Tensor};

use super::{BackwardFn, Code, elementwise, elementwise2};

impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// An element-wise op of one operand with the rule `∂x += ∂y ⊙ d`, `code` giving
    /// `[y, d]`: a 1×1 output stores `[y, d]` for the inline partials rule; a larger one
    /// stores `y` only and runs `backward`, which recomputes `d` from the values.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn map_tuned(self, backward: BackwardFn<T>, code: Code<T>) -> Self {
        if R * C == 1 {
            let x = self.scalar();
            let [y, d, _] = code.eval(x, x, true);
            let op = self.unary(0, backward).with_partials();
            return self.tape().record_code(op, [y, d], code, true).retype();
        }
        let x = self.offset();
        self.tape()
            .record(self.unary(0, backward), move |values, out| {
                elementwise(&values[x..][..R * C], out, |v| code.eval(v, v, true)[0])
            })
    }

    /// [`map_tuned`](Tensor::map_tuned) for two operands of one shape: `code` gives
    /// `[y, da, db]`, the rule `∂a += ∂y ⊙ da`, `∂b += ∂y ⊙ db`.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn zip_tuned(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        code: Code<T>,
    ) -> Self {
        if R * C == 1 {
            let out = code.eval(self.scalar(), rhs.scalar(), true);
            let op = self.binary(rhs, name, 0, backward).with_partials();
            return self.tape().record_code(op, out, code, true).retype();
        }
        let (a, b) = (self.offset(), rhs.offset());
        let op = self.binary(rhs, name, 0, backward);
        self.tape().record(op, move |values, out| {
            elementwise2(&values[a..][..R * C], &values[b..][..R * C], out, |a, b| {
                code.eval(a, b, true)[0]
            })
        })
    }

    /// An element-wise op of the operand and a plain scalar `c` (`code`'s constant), kept in
    /// a one-scalar aux region for the rule: `code` gives `[y, c]`. With `c_is_derivative`
    /// (`x·c`, rule `∂x += ∂y·c`), a 1×1 output's `[y, c]` doubles as `[y, ∂y/∂x]` and takes
    /// the inline partials rule.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn scalar_tuned(
        self,
        c: T,
        c_is_derivative: bool,
        backward: BackwardFn<T>,
        code: Code<T>,
    ) -> Self {
        if R * C == 1 {
            let mut op = self.unary(1, backward);
            if c_is_derivative {
                op = op.with_partials();
            }
            let x = self.scalar();
            let [y, c, _] = code.eval(x, x, true);
            return self.tape().record_code(op, [y, c], code, true).retype();
        }
        let x = self.offset();
        self.tape()
            .record(self.unary(1, backward), move |values, out| {
                let (y, aux) = out.split_at_mut(R * C);
                elementwise(&values[x..][..R * C], y, |v| code.eval(v, v, true)[0]);
                aux[0] = c;
            })
    }

    /// An element-wise op of one operand with a rule of its own and no aux (`c / x`):
    /// `code` gives `[y]`.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn map_rule(self, backward: BackwardFn<T>, code: Code<T>) -> Self {
        if R * C == 1 {
            let x = self.scalar();
            let [y, ..] = code.eval(x, x, true);
            let op = self.unary(0, backward);
            return self.tape().record_code(op, [y], code, true).retype();
        }
        let x = self.offset();
        self.tape()
            .record(self.unary(0, backward), move |values, out| {
                elementwise(&values[x..][..R * C], out, |v| code.eval(v, v, true)[0])
            })
    }

    /// [`map_rule`](Tensor::map_rule) for two operands of one shape (`a / b`).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn zip_rule(
        self,
        rhs: Self,
        name: &'static str,
        backward: BackwardFn<T>,
        code: Code<T>,
    ) -> Self {
        if R * C == 1 {
            let [y, ..] = code.eval(self.scalar(), rhs.scalar(), true);
            let op = self.binary(rhs, name, 0, backward);
            return self.tape().record_code(op, [y], code, true).retype();
        }
        let (a, b) = (self.offset(), rhs.offset());
        let op = self.binary(rhs, name, 0, backward);
        self.tape().record(op, move |values, out| {
            elementwise2(&values[a..][..R * C], &values[b..][..R * C], out, |a, b| {
                code.eval(a, b, true)[0]
            })
        })
    }
}
