//! `softmax` and `log_softmax` down each column of a `K×B` batch: `K` classes (rows), `B`
//! examples (columns), the layout `W·X + b.broadcast_cols()` produces.
//!
//! Both subtract the column maximum before exponentiating, so they are finite and accurate for
//! every finite logit (`softmax([1000, 0]) = [1, 0]`, `log_softmax([1000, 0]) = [0, −1000]`).
//! A `−inf` logit gets probability 0 (log-probability `−inf`) while its column has a finite
//! logit; a `+inf` or NaN logit, or a column of only `−inf`, makes the whole column NaN, value
//! and gradient.

use super::Rule;
use crate::{Scalar, Tensor};

/// What [`softmax_column`] learns about a column besides the softmax.
pub(crate) struct ColumnStats<T> {
    /// `m = maxₖ xₖ`.
    pub(crate) max: T,
    /// The index of the first maximum, whose term `e^{xₖ − m}` is exactly `1`.
    pub(crate) argmax: usize,
    /// `Σ_{k ≠ argmax} e^{xₖ − m}`, so the column's `Σₖ e^{xₖ − m} = 1 + rest` and
    /// `ln Σₖ e^{xₖ − m} = ln_1p(rest)`, accurate also when `rest` is tiny.
    pub(crate) rest: T,
}

/// For one column `x`: writes `pₖ = e^{xₖ − m} / Σⱼ e^{xⱼ − m}` into `p`, with `m = maxₖ xₖ`
/// (every exponent ≤ 0, the largest exactly 0, so the sum is in `[1, K]`: no overflow).
pub(crate) fn softmax_column<T: Scalar>(x: &[T], p: &mut [T]) -> ColumnStats<T> {
    let (argmax, max) = x.iter().enumerate().fold(
        (0, x[0]),
        |(i, m), (k, &v)| {
            if v > m { (k, v) } else { (i, m) }
        },
    );
    let mut rest = T::zero();
    for (k, (p, &v)) in p.iter_mut().zip(x).enumerate() {
        *p = (v - max).exp();
        // the maximum's term is exactly e⁰ = 1 and adds exactly 0 here, unless the maximum
        // is +inf (e^{inf − inf} = NaN): then the whole column becomes NaN
        rest += if k == argmax { *p - T::one() } else { *p };
    }
    let total = T::one() + rest;
    for p in p.iter_mut() {
        *p /= total;
    }
    ColumnStats { max, argmax, rest }
}

/// The columns of a `K×B` slice (none when `K = 0`: the slice is empty then).
#[inline(always)]
pub(crate) fn columns<T, const K: usize>(v: &[T]) -> core::slice::ChunksExact<'_, T> {
    v.chunks_exact(K.max(1))
}

/// # Softmax (per column)
impl<'t, const K: usize, const B: usize, T: Scalar> Tensor<'t, K, B, T> {
    /// The softmax of each column, `yₖ = e^{xₖ} / Σⱼ e^{xⱼ}`, computed as
    /// `e^{xₖ − m} / Σⱼ e^{xⱼ − m}` with `m` the column maximum. Backward, per column:
    /// `∂x += y ⊙ (∂y − Σₖ ∂yₖ yₖ)`.
    ///
    /// Finite for every finite input, value and gradient (see the module docs for ±inf).
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::{Matrix2, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// // two examples (columns): logits (0, ln 3) and (1000, 0)
    /// let x = tape.var(Matrix2::new(0.0, 1000.0, 3.0_f64.ln(), 0.0));
    /// let y = x.softmax();
    /// assert_relative_eq!(y.value(), Matrix2::new(0.25, 1.0, 0.75, 0.0), max_relative = 1e-15);
    /// // ∂y₀/∂x of column 0: y₀(e₀ − y) = 0.25·(0.75, −0.75)
    /// let w = tape.constant(Matrix2::new(1.0, 0.0, 0.0, 0.0));
    /// let g = (y * w).sum().backward().wrt(x);
    /// assert_relative_eq!(g.column(0).into_owned(), Vector2::new(0.1875, -0.1875), max_relative = 1e-15);
    /// assert_eq!(g.column(1).into_owned(), Vector2::zeros());
    /// ```
    #[track_caller]
    pub fn softmax(self) -> Self {
        // yₖ = e^{xₖ − m} / Σⱼ e^{xⱼ − m} per column
        fn backward<T: Scalar, const K: usize, const B: usize>(r: Rule<'_, T>) {
            // ∂x += y ⊙ (∂y − Σₖ ∂yₖ yₖ) per column
            let r = r.unary(K * B, K * B);
            let columns = columns::<T, K>(r.grad_out).zip(columns::<T, K>(r.y));
            let terms = columns.flat_map(|(go, y)| {
                let dot = go
                    .iter()
                    .zip(y)
                    .fold(T::zero(), |acc, (&go, &y)| acc + go * y);
                go.iter().zip(y).map(move |(&go, &y)| y * (go - dot))
            });
            r.grad_x.add(terms);
        }
        let forward = |x: &[T], out: &mut [T]| {
            for (x, y) in columns::<T, K>(x).zip(out.chunks_exact_mut(K.max(1))) {
                softmax_column(x, y);
            }
        };
        self.record_unary(0, forward, backward::<T, K, B>)
    }

    /// The log of the softmax of each column, `yₖ = xₖ − ln Σⱼ e^{xⱼ}`, computed as
    /// `(xₖ − m) − ln_1p(Σ_{j≠argmax} e^{xⱼ − m})` with `m` the column maximum. Backward, per
    /// column: `∂x += ∂y − softmax(x)·Σₖ ∂yₖ`.
    ///
    /// The softmax is stored in the node's aux region (`K·B` scalars) during the forward
    /// pass for the backward rule. Finite for every finite input, value and gradient:
    /// `log_softmax([1000, 0]) = [0, −1000]` where the composite `x.softmax().ln()` gives
    /// `[0, −inf]`. `ln_1p` keeps a dominant class accurate: `log_softmax([40, 0])` is
    /// `[−4.25e-18, −40]`, not `[0, −40]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1000.0, 0.0));
    /// let y = x.log_softmax();
    /// assert_eq!(y.value(), Vector2::new(0.0, -1000.0));
    /// // ∂(y₀ + y₁)/∂x = 1 − 2·softmax(x) = (−1, 1)
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(-1.0, 1.0));
    /// let z = tape.var(Vector2::new(0.0, 3.0_f64.ln()));
    /// assert_relative_eq!(z.log_softmax().value(), Vector2::new(0.25_f64.ln(), 0.75_f64.ln()), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn log_softmax(self) -> Self {
        // yₖ = (xₖ − m) − ln Σⱼ e^{xⱼ − m} per column; aux p = softmax(x)
        fn backward<T: Scalar, const K: usize, const B: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y − p·Σₖ ∂yₖ per column
            let r = r.unary(K * B, K * B);
            let p = &r.aux[..K * B];
            let columns = columns::<T, K>(r.grad_out).zip(columns::<T, K>(p));
            let terms = columns.flat_map(|(go, p)| {
                let total = go.iter().fold(T::zero(), |acc, &go| acc + go);
                go.iter().zip(p).map(move |(&go, &p)| go - p * total)
            });
            r.grad_x.add(terms);
        }
        let forward = |x: &[T], out: &mut [T]| {
            let (y, p) = out.split_at_mut(K * B);
            let columns = columns::<T, K>(x).zip(y.chunks_exact_mut(K.max(1)));
            for ((x, y), p) in columns.zip(p.chunks_exact_mut(K.max(1))) {
                let c = softmax_column(x, p);
                let ln_total = c.rest.ln_1p();
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = (x - c.max) - ln_total;
                }
            }
        };
        self.record_unary(K * B, forward, backward::<T, K, B>)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Matrix3x4, Vector4};

    fn batch() -> Matrix3x4<f64> {
        Matrix3x4::new(
            0.3, -1.2, 1.0, 0.7, //
            -0.4, 0.1, 2.0, 0.7, //
            1.5, 0.8, -2.2, 0.2,
        )
    }

    #[test]
    fn gradcheck_softmax() {
        check_unary(Matrix1::new(0.7), |x| x.softmax());
        check_unary(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1), |x| {
            x.softmax()
        });
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.softmax());
        check_unary(batch(), |x| x.softmax());
        check_unary(batch(), |x| x.softmax() * x); // reused input
        check_binary(batch(), batch().map(|v| 0.5 - v), |a, b| (a * b).softmax());
    }

    #[test]
    fn gradcheck_log_softmax() {
        check_unary(Matrix1::new(0.7), |x| x.log_softmax());
        check_unary(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1), |x| {
            x.log_softmax()
        });
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.log_softmax());
        check_unary(batch(), |x| x.log_softmax());
        check_unary(batch() * 0.5, |x| x.log_softmax() * x); // reused input
        check_unary(batch(), |x| x.log_softmax() + x.softmax());
    }

    #[test]
    fn hand_derived() {
        // Column (0, ln 3): e^x = (1, 3), Σ = 4, softmax = (¼, ¾), log_softmax = (ln ¼, ln ¾).
        // A 1-row batch is a softmax over one class: 1 everywhere, log 0, gradient 0.
        let tape = Tape::<f64>::new();
        let x = tape.var(nalgebra::Vector2::new(0.0, 3.0_f64.ln()));
        let p = x.softmax().value();
        approx::assert_relative_eq!(p, nalgebra::Vector2::new(0.25, 0.75), max_relative = 1e-15);
        let one_class = tape.var(nalgebra::RowVector3::new(-5.0, 0.0, 7.0));
        assert_eq!(
            one_class.softmax().value(),
            nalgebra::RowVector3::repeat(1.0)
        );
        assert_eq!(
            one_class.log_softmax().value(),
            nalgebra::RowVector3::zeros()
        );
        let g = one_class
            .log_softmax()
            .exp()
            .sum()
            .backward()
            .wrt(one_class);
        assert_eq!(g, nalgebra::RowVector3::zeros());
    }

    #[test]
    fn large_logits_are_finite() {
        // softmax(1000, 0) = (1, e^{−1000}) = (1, 0) in f64; log_softmax = (0, −1000).
        let tape = Tape::<f64>::new();
        let x = tape.var(nalgebra::Vector2::new(1000.0, 0.0));
        assert_eq!(x.softmax().value(), nalgebra::Vector2::new(1.0, 0.0));
        assert_eq!(
            x.log_softmax().value(),
            nalgebra::Vector2::new(0.0, -1000.0)
        );
        // x.softmax().ln() is −inf there: the reason log_softmax is a primitive
        assert_eq!(x.softmax().ln().value()[1], f64::NEG_INFINITY);
        // log_softmax(40, 0)₀ = −ln(1 + e^{−40}) ≈ −e^{−40} = −4.248354255291589e-18 (the
        // value in tests/extreme.rs), which ln(1 + e^{−40}) = ln(1) would round to 0
        let y = tape
            .var(nalgebra::Vector2::new(40.0, 0.0))
            .log_softmax()
            .value();
        approx::assert_relative_eq!(y[0], -4.248354255291589e-18, max_relative = 1e-15);
    }
}
