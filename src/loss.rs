//! Loss functions: each takes predictions (or logits) and targets of one tape and returns a
//! 1×1 tensor to call [`backward`](Tensor::backward) on.
//!
//! **Means, not sums.** Every loss averages: [`mse`] and [`bce_with_logits`] over all `R·C`
//! elements (PyTorch's default `reduction="mean"`), the cross-entropies over the `B`
//! examples of a `K×B` batch (a sum over the `K` classes of each column, then the mean over
//! the columns). So the loss and the gradients' scale do not grow with the batch size.
//!
//! **Logits in.** [`bce_with_logits`], [`cross_entropy`] and [`cross_entropy_one_hot`] take
//! raw scores (logits), never probabilities: the sigmoid or softmax is part of the loss, so
//! it can be computed stably. All three are finite, value and gradient, for every finite
//! logit (at ±1000 too).
//!
//! **Primitive or composed.** [`mse`] and [`cross_entropy_one_hot`] are composed from tape
//! ops (their backward is the ops' rules, each stable). [`bce_with_logits`] and
//! [`cross_entropy`] are primitive ops with their own rule: the composite of `bce_with_logits`
//! from `relu`/`abs` gets the gradient wrong at logit 0 (both kinks have subgradient 0, so it
//! gives `−t` instead of `σ(0) − t = ½ − t`; pytorch/pytorch#2195), and class-index targets
//! would need a gather op or a `K×B` one-hot constant.
//!
//! # Examples
//!
//! ```
//! use approx::assert_relative_eq;
//! use nalgebra::{Matrix3x2, Vector3};
//! use shapegrad::{Tape, loss};
//!
//! // 3 classes, a batch of 2 examples (columns), W·x + b
//! let tape = Tape::new();
//! let w = tape.var(Matrix3x2::<f64>::zeros());
//! let b = tape.var(Vector3::new(0.0, 0.0, 0.0));
//! let x = tape.constant(nalgebra::Matrix2::new(1.0, 0.0, 0.0, 1.0));
//! let logits = w.matmul(x) + b.broadcast_cols();
//! let l = loss::cross_entropy(logits, &[2, 0]);
//! assert_relative_eq!(l.item(), 3.0_f64.ln(), max_relative = 1e-15); // uniform over 3 classes
//! let grads = l.backward();
//! // ∂b = mean over the batch of (softmax − one_hot) = ((⅓ − 1) + ⅓, ⅓ + ⅓, ⅓ + (⅓ − 1)) / 2
//! assert_relative_eq!(grads.wrt(b), Vector3::new(-1.0 / 6.0, 1.0 / 3.0, -1.0 / 6.0), max_relative = 1e-15);
//! ```

use crate::ops::Rule;
use crate::ops::softmax::{columns, softmax_column};
use crate::scalar::lit;
use crate::{Scalar, Tensor};

/// The mean squared error `(1/(R·C))·Σᵢⱼ (predᵢⱼ − targetᵢⱼ)²`. Backward:
/// `∂pred += ∂y·2(pred − target)/(R·C)`, `∂target += −∂y·2(pred − target)/(R·C)`.
///
/// Composed: `(pred − target).square().mean()` (four nodes). `target` is usually a
/// [constant](crate::Tape::constant); a variable target gets its gradient too.
///
/// # Panics
///
/// If `pred` and `target` are on different tapes.
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{Tape, loss};
///
/// let tape = Tape::new();
/// let pred = tape.var(Vector2::new(1.0, 4.0));
/// let target = tape.constant(Vector2::new(0.0, 2.0));
/// let l = loss::mse(pred, target);
/// assert_eq!(l.item(), 2.5); // (1² + 2²) / 2
/// assert_eq!(l.backward().wrt(pred), Vector2::new(1.0, 2.0)); // 2(pred − target)/2
/// ```
#[track_caller]
pub fn mse<'t, const R: usize, const C: usize, T: Scalar>(
    pred: Tensor<'t, R, C, T>,
    target: Tensor<'t, R, C, T>,
) -> Tensor<'t, 1, 1, T> {
    (pred - target).square().mean()
}

/// Binary cross-entropy from logits, averaged over all `R·C` elements:
/// `(1/(R·C))·Σ −[t·ln σ(x) + (1 − t)·ln(1 − σ(x))]`, computed stably as
/// `max(x, 0) − x·t + ln(1 + e^{−|x|})`. Backward: `∂x += ∂y·(σ(x) − t)/(R·C)`,
/// `∂t += −∂y·x/(R·C)`.
///
/// A primitive op (see the module docs for why not composed): `ln(1 + e^{−|x|})` is
/// `ln_1p`, and `σ(x)` in the rule is computed without overflow. Value and gradient are
/// finite for every finite `x` (at `x = −1000`, `t = 1`: loss `1000`, gradient `−1`); at
/// `x = 0` the gradient is `½ − t`. Targets are usually constants in `[0, 1]` (labels or
/// soft labels); a variable target gets its gradient too.
///
/// # Panics
///
/// If `logits` and `targets` are on different tapes.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::Vector2;
/// use shapegrad::{Tape, loss};
///
/// let tape = Tape::new();
/// let x = tape.var(Vector2::new(0.0, -1000.0));
/// let t = tape.constant(Vector2::new(0.0, 1.0));
/// let l = loss::bce_with_logits(x, t);
/// // (ln 2 + 1000) / 2: −ln(1 − σ(0)) = ln 2, −ln σ(−1000) = 1000 + ln(1 + e^{−1000})
/// assert_relative_eq!(l.item(), (2.0_f64.ln() + 1000.0) / 2.0, max_relative = 1e-15);
/// // (σ(x) − t)/2 = ((½ − 0)/2, (0 − 1)/2)
/// assert_eq!(l.backward().wrt(x), Vector2::new(0.25, -0.5));
/// ```
#[track_caller]
pub fn bce_with_logits<'t, const R: usize, const C: usize, T: Scalar>(
    logits: Tensor<'t, R, C, T>,
    targets: Tensor<'t, R, C, T>,
) -> Tensor<'t, 1, 1, T> {
    // y = (1/n)·Σ max(x, 0) − x·t + ln(1 + e^{−|x|})
    fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
        // ∂x += ∂y·(σ(x) − t)/n,  ∂t += −∂y·x/n
        let r = r.binary(R * C, R * C, 1);
        let scale = r.grad_out[0] / lit::<T>((R * C) as f64);
        let (x, t) = (r.lhs, r.rhs);
        r.grads.add(
            x.iter().zip(t).map(|(&x, &t)| scale * (sigmoid(x) - t)),
            x.iter().map(|&x| -(scale * x)),
        );
    }
    let forward = |x: &[T], t: &[T], out: &mut [T]| {
        let total = x.iter().zip(t).fold(T::zero(), |acc, (&x, &t)| {
            let relu = if x > T::zero() { x } else { T::zero() };
            acc + (relu - x * t + (-x.abs()).exp().ln_1p())
        });
        out[0] = total / lit::<T>((R * C) as f64);
    };
    logits.record_binary(targets, "bce_with_logits", 0, forward, backward::<T, R, C>)
}

/// `σ(x) = 1/(1 + e^{−x})` without overflow: `e^{−|x|}` is in `[0, 1]`.
fn sigmoid<T: Scalar>(x: T) -> T {
    let e = (-x.abs()).exp();
    if x >= T::zero() {
        T::one() / (T::one() + e)
    } else {
        e / (T::one() + e)
    }
}

/// Softmax cross-entropy from logits with one class index per example, averaged over the
/// batch: for `K` classes and `B` examples (columns),
/// `(1/B)·Σ_b −ln softmax(x_{·b})_{c_b} = (1/B)·Σ_b (ln Σₖ e^{x_{kb}} − x_{c_b b})`.
/// Backward: `∂x_{·b} += ∂y·(softmax(x_{·b}) − one_hot(c_b))/B`.
///
/// A primitive op: one node, with the gradient `(softmax − one_hot)/B` computed in the
/// forward pass and stored in the aux region (`K·B` scalars). Finite for every finite logit:
/// `ln Σ e^{x}` is computed as `m + ln_1p(Σ_{k≠argmax} e^{xₖ − m})` with `m` the column
/// maximum, and at the target class `softmax − 1` is computed as `−Σ_{k≠c} softmaxₖ` where
/// `softmax_c > ½`, so neither cancels (a confident correct column, logits `(40, 0)` with
/// class 0, has loss and gradient `≈ ±4.2e-18`, not `0`). A `−inf` logit (a masked class)
/// other than the target gets probability 0 and gradient 0, where [`cross_entropy_one_hot`]
/// gives NaN (`0·(−inf)`); otherwise the two agree on one-hot targets.
///
/// # Panics
///
/// If a class index is not below `K`.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Tape, loss};
///
/// let tape = Tape::new();
/// // 2 classes, 2 examples: logits (0, ln 3) with class 1, (1000, −1000) with class 1
/// let x = tape.var(Matrix2::new(0.0, 1000.0, 3.0_f64.ln(), -1000.0));
/// let l = loss::cross_entropy(x, &[1, 1]);
/// // (−ln ¾ + 2000) / 2
/// assert_relative_eq!(l.item(), (-(0.75_f64.ln()) + 2000.0) / 2.0, max_relative = 1e-15);
/// let g = l.backward().wrt(x);
/// // column 0: (softmax − e₁)/2 = (¼, −¼)/2; column 1: ((1, 0) − (0, 1))/2
/// assert_relative_eq!(g, Matrix2::new(0.125, 0.5, -0.125, -0.5), max_relative = 1e-15);
/// # let _ = Vector2::<f64>::zeros();
/// ```
#[track_caller]
pub fn cross_entropy<'t, const K: usize, const B: usize, T: Scalar>(
    logits: Tensor<'t, K, B, T>,
    classes: &[usize; B],
) -> Tensor<'t, 1, 1, T> {
    // y = (1/B)·Σ_b (m_b − x_{c_b b}) + ln_1p(rest_b); aux d = (softmax(x) − one_hot(c))/B
    fn backward<T: Scalar, const K: usize, const B: usize>(r: Rule<'_, T>) {
        // ∂x += ∂y·d
        let r = r.unary(K * B, 1);
        let go = r.grad_out[0];
        r.grad_x.add(r.aux[..K * B].iter().map(|&d| go * d));
    }
    for (b, &c) in classes.iter().enumerate() {
        assert!(
            c < K,
            "shapegrad: `cross_entropy` got class {c} for example {b}, but there are {K} classes"
        );
    }
    let classes = *classes; // owned: a replayable tape keeps the forward
    let forward = move |x: &[T], out: &mut [T]| {
        let (y, d) = out.split_at_mut(1);
        let batch = lit::<T>(B as f64);
        let mut total = T::zero();
        let columns = columns::<T, K>(x).zip(d.chunks_exact_mut(K.max(1)));
        for ((x, d), &c) in columns.zip(&classes) {
            let stats = softmax_column(x, d); // d = softmax for now
            total += (stats.max - x[c]) + stats.rest.ln_1p();
            // softmax_c − 1 = −Σ_{k≠c} softmaxₖ: for c = argmax that is rest/(1 + rest), else
            // softmax_c ≤ ½ and the subtraction does not cancel
            d[c] = if c == stats.argmax {
                -(stats.rest / (T::one() + stats.rest))
            } else {
                d[c] - T::one()
            };
            for d in d.iter_mut() {
                *d /= batch;
            }
        }
        y[0] = total / batch;
    };
    logits.record_unary::<1, 1>(K * B, forward, backward::<T, K, B>)
}

/// Softmax cross-entropy from logits with target distributions (usually one-hot), averaged
/// over the batch: for `K` classes and `B` examples (columns),
/// `(1/B)·Σ_b Σₖ −t_{kb}·log_softmax(x_{·b})ₖ`. Backward:
/// `∂x_{·b} += ∂y·(softmax(x_{·b})·Σₖ t_{kb} − t_{·b})/B` (that is `(softmax − t)/B` when
/// each column of `t` sums to 1), `∂t += −∂y·log_softmax(x)/B`.
///
/// Composed: `−(targets ⊙ logits.log_softmax()).sum() / B` (four nodes); stable because
/// [`log_softmax`](Tensor::log_softmax) is. Soft labels (any columns summing to 1) work the
/// same way. Finite for every finite logit; a `−inf` logit with target 0 gives NaN
/// (`0·(−inf)`). At the target class of a very confident column the gradient
/// `softmax − 1` is computed by subtraction (absolute error ~1e-16, where
/// [`cross_entropy`] is accurate).
///
/// # Panics
///
/// If `logits` and `targets` are on different tapes.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::Vector2;
/// use shapegrad::{Tape, loss};
///
/// let tape = Tape::new();
/// let x = tape.var(Vector2::new(0.0, 3.0_f64.ln())); // softmax (¼, ¾)
/// let t = tape.constant(Vector2::new(1.0, 0.0));
/// let l = loss::cross_entropy_one_hot(x, t);
/// assert_relative_eq!(l.item(), 4.0_f64.ln(), max_relative = 1e-15); // −ln ¼
/// assert_relative_eq!(l.backward().wrt(x), Vector2::new(-0.75, 0.75), max_relative = 1e-15);
/// ```
#[track_caller]
pub fn cross_entropy_one_hot<'t, const K: usize, const B: usize, T: Scalar>(
    logits: Tensor<'t, K, B, T>,
    targets: Tensor<'t, K, B, T>,
) -> Tensor<'t, 1, 1, T> {
    // −Σ t ⊙ log_softmax(x) / B, the sign folded into the divisor
    (targets * logits.log_softmax()).sum() / lit::<T>(-(B as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Matrix3x4, Vector4};

    fn logits() -> Matrix3x4<f64> {
        Matrix3x4::new(
            0.3, -1.2, 1.0, 0.7, //
            -0.4, 0.1, 2.0, 0.7, //
            1.5, 0.8, -2.2, 0.2,
        )
    }

    /// One-hot columns for classes (2, 0, 1, 1).
    fn one_hot() -> Matrix3x4<f64> {
        Matrix3x4::new(
            0.0, 1.0, 0.0, 0.0, //
            0.0, 0.0, 1.0, 1.0, //
            1.0, 0.0, 0.0, 0.0,
        )
    }

    #[test]
    fn gradcheck_losses() {
        let m = Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.0);
        let t = Matrix2x3::new(0.0, 1.0, 0.25, 1.0, 0.0, 0.5);
        check_binary(m, t, mse);
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), mse);
        check_binary(m, t, bce_with_logits); // includes x = 0
        check_binary(
            Vector4::new(0.3, -1.2, 0.0, 4.0),
            Vector4::new(1.0, 0.0, 1.0, 0.5),
            bce_with_logits,
        );
        check_unary(logits(), |x| cross_entropy(x, &[2, 0, 1, 1]));
        check_unary(Vector4::new(0.3, -1.2, 0.0, 4.0), |x| {
            cross_entropy(x, &[3])
        });
        check_unary(Matrix1::new(0.4), |x| cross_entropy(x, &[0]));
        check_binary(logits(), one_hot(), cross_entropy_one_hot);
        check_binary(logits(), logits().map(|v| v * 0.25), |x, t| {
            cross_entropy_one_hot(x, t) // any targets: the rule does not assume Σt = 1
        });
        // reused inputs
        check_unary(m, |x| mse(x, x * x));
        check_unary(m, |x| bce_with_logits(x, x.sigmoid()));
        check_unary(logits(), |x| cross_entropy(x * x, &[0, 1, 2, 0]) * x.sum());
        check_unary(logits(), |x| cross_entropy_one_hot(x, x.softmax()));
    }

    #[test]
    fn index_and_one_hot_agree() {
        let tape = Tape::<f64>::new();
        let x = tape.var(logits());
        let a = cross_entropy(x, &[2, 0, 1, 1]);
        let b = cross_entropy_one_hot(x, tape.constant(one_hot()));
        approx::assert_relative_eq!(a.item(), b.item(), max_relative = 1e-15);
        let (ga, gb) = (a.backward().wrt(x), b.backward().wrt(x));
        approx::assert_relative_eq!(ga, gb, epsilon = 1e-16);
    }

    #[test]
    fn hand_derived() {
        // bce at x = 0, t = 1: ln 2, gradient σ(0) − 1 = −½ (the composite from relu/abs
        // would give −1). mse of (3) vs (1): 4, gradient 2·2 = 4.
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(0.0);
        let l = bce_with_logits(x, tape.constant_scalar(1.0));
        assert_eq!(l.item(), 2.0_f64.ln());
        assert_eq!(l.backward().wrt(x)[0], -0.5);
        let p = tape.var_scalar(3.0);
        let l = mse(p, tape.constant_scalar(1.0));
        assert_eq!((l.item(), l.backward().wrt(p)[0]), (4.0, 4.0));
        // cross_entropy on (40, 0) with class 0: ln(1 + e^{−40}) ≈ e^{−40} = 4.248354255291589e-18
        // (the value used in tests/extreme.rs); ∂x₀ = softmax₀ − 1 = −e^{−40}/(1 + e^{−40})
        let z = tape.var(nalgebra::Vector2::new(40.0, 0.0));
        let l = cross_entropy(z, &[0]);
        approx::assert_relative_eq!(l.item(), 4.248354255291589e-18, max_relative = 1e-15);
        let g = l.backward().wrt(z);
        approx::assert_relative_eq!(g[0], -4.248354255291589e-18, max_relative = 1e-15);
        approx::assert_relative_eq!(g[1], 4.248354255291589e-18, max_relative = 1e-15);
    }

    #[test]
    #[should_panic(expected = "got class 3 for example 1, but there are 3 classes")]
    fn class_out_of_range_panics() {
        let tape = Tape::<f64>::new();
        let _ = cross_entropy(tape.var(nalgebra::Matrix3::zeros()), &[0, 3, 1]);
    }
}
