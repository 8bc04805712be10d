//! Finite-difference checks for the neural-network ops and losses (`ln`, `sqrt`, `powi`,
//! `square`, `abs`, `relu`, `max`, `min`, `transpose`, `dot`, the typed reductions, `softmax`,
//! `log_softmax`, and `shapegrad::loss`), on shapes 1×1, 2×3 and 4×1 (softmax and the
//! cross-entropies also on a 3×4 batch), each through a non-constant upstream gradient
//! (`f(x).exp().sum()`), plus a reused-input case per op.
//!
//! The pattern is `tests/gradcheck.rs`'s: every function under test is written once, generic
//! over `T: Scalar`, and each check runs it
//! - in f64 on the tape, against central finite differences in f64 (step `1e-6·max(1, |x|)`);
//! - in f32 on the tape, against the f64 tape gradient.
//!
//! Inputs are dyadic (exact in f32). They avoid the kinks (no zeros for `abs`/`relu`, no ties
//! for `max`/`min` except where the same tensor is on both sides, which is smooth), keep `ln`,
//! `sqrt` and negative powers on positive inputs at least 0.375 from 0, and keep every
//! intermediate small enough that `exp` of it is below e⁷ or so.

use approx::assert_relative_eq;
use nalgebra::{Matrix1, Matrix2x3, Matrix3x4, Vector2, Vector4};
use shapegrad::{Scalar, Tape, Tensor, loss};

#[macro_use]
mod common;

use common::*;

// ---------------------------------------------------------------------------------------------
// inputs (dyadic)

/// Mixed signs, no zeros, no two entries equal.
fn s1() -> Matrix1<f64> {
    Matrix1::new(0.625)
}

fn m23() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, -1.25, 0.5, 0.75, -0.5, 1.125)
}

fn v4() -> Vector4<f64> {
    Vector4::new(0.875, -0.625, 1.5, -1.125)
}

/// Second operands, distinct from the first everywhere (no ties for max/min) and from its
/// negation, so a swapped `a`/`b` rule is caught.
fn s1b() -> Matrix1<f64> {
    Matrix1::new(-0.75)
}

fn m23b() -> Matrix2x3<f64> {
    Matrix2x3::new(1.5, 0.625, -0.875, -1.375, 0.25, 1.25)
}

fn v4b() -> Vector4<f64> {
    Vector4::new(1.25, -0.5, 0.75, -1.5)
}

/// Positive inputs, at least 0.375 from 0 (for ln, sqrt, negative powers).
fn s1p() -> Matrix1<f64> {
    Matrix1::new(0.625)
}

fn m23p() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, 1.25, 0.5, 0.75, 1.5, 1.125)
}

fn v4p() -> Vector4<f64> {
    Vector4::new(0.875, 0.625, 1.5, 1.875)
}

/// A batch of 4 examples (columns) over 3 classes.
fn b34() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.375, -1.25, 1.0, 0.75, //
        -0.5, 0.125, 2.0, 0.625, //
        1.5, 0.875, -1.75, 0.25,
    )
}

/// Target distributions for [`b34`]: one-hot columns for classes (2, 0, 1, 1)...
fn b34_one_hot() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.0, 1.0, 0.0, 0.0, //
        0.0, 0.0, 1.0, 1.0, //
        1.0, 0.0, 0.0, 0.0,
    )
}

/// ...and soft labels (each column sums to 1).
fn b34_soft() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.25, 0.5, 0.125, 0.0, //
        0.25, 0.25, 0.75, 1.0, //
        0.5, 0.25, 0.125, 0.0,
    )
}

/// Binary targets in [0, 1] for bce, shaped like the inputs.
fn s1t() -> Matrix1<f64> {
    Matrix1::new(1.0)
}

fn m23t() -> Matrix2x3<f64> {
    Matrix2x3::new(0.0, 1.0, 0.25, 1.0, 0.0, 0.5)
}

fn v4t() -> Vector4<f64> {
    Vector4::new(1.0, 0.0, 0.0, 0.75)
}

// ---------------------------------------------------------------------------------------------
// the functions under test, each written once for f32 and f64

fn ln<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.ln()
}

fn sqrt<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.sqrt()
}

fn powi_3<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.powi(3)
}

fn powi_m2<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.powi(-2)
}

fn powi_0<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.powi(0) * x // powi(0) alone has zero gradient: multiply so the check sees a value
}

fn square<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.square()
}

fn abs<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.abs()
}

fn relu<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.relu()
}

fn max<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a.max(b)
}

fn min<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a.min(b)
}

fn transpose<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, C, R, T> {
    x.transpose()
}

fn dot<'t, T: Scalar, const N: usize>(
    a: Tensor<'t, N, 1, T>,
    b: Tensor<'t, N, 1, T>,
) -> Tensor<'t, 1, 1, T> {
    a.dot(b)
}

fn mean<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, 1, 1, T> {
    x.mean()
}

fn sum_rows<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, 1, C, T> {
    x.sum_rows()
}

fn sum_cols<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, 1, T> {
    x.sum_cols()
}

fn mean_rows<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, 1, C, T> {
    x.mean_rows()
}

fn mean_cols<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, 1, T> {
    x.mean_cols()
}

fn softmax<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.softmax()
}

fn log_softmax<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.log_softmax()
}

fn mse<'t, T: Scalar, const R: usize, const C: usize>(
    p: Tensor<'t, R, C, T>,
    t: Tensor<'t, R, C, T>,
) -> Tensor<'t, 1, 1, T> {
    loss::mse(p, t)
}

fn bce<'t, T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'t, R, C, T>,
    t: Tensor<'t, R, C, T>,
) -> Tensor<'t, 1, 1, T> {
    loss::bce_with_logits(x, t)
}

fn ce_one_hot<'t, T: Scalar, const K: usize, const B: usize>(
    x: Tensor<'t, K, B, T>,
    t: Tensor<'t, K, B, T>,
) -> Tensor<'t, 1, 1, T> {
    loss::cross_entropy_one_hot(x, t)
}

// cross_entropy's class array has the batch's length: one function per shape

fn ce_11<T: Scalar>(x: Tensor<'_, 1, 1, T>) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy(x, &[0])
}

fn ce_23<T: Scalar>(x: Tensor<'_, 2, 3, T>) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy(x, &[1, 0, 1])
}

fn ce_41<T: Scalar>(x: Tensor<'_, 4, 1, T>) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy(x, &[2])
}

fn ce_34<T: Scalar>(x: Tensor<'_, 3, 4, T>) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy(x, &[2, 0, 1, 1])
}

// reused inputs: the same tensor reaches the output along two paths

fn ln_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.ln() * x
}

fn sqrt_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sqrt() * x
}

fn powi_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.powi(2) * x.powi(-1) // = x
}

fn square_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.square() * x
}

fn abs_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.abs() * x
}

fn relu_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.relu() * x
}

/// `max(x, x) = x`: a tie everywhere, smooth; the halves must add up to 1.
fn max_self<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.max(x)
}

fn min_self<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.min(x)
}

fn max_min_reused<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a.max(b) * a.min(b) + a.max(b * b) // = a·b + …: both operands on several paths
}

fn transpose_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.transpose().transpose() * x
}

fn transpose_matmul<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, C, C, T> {
    x.transpose().matmul(x) // xᵀx
}

fn dot_self<T: Scalar, const N: usize>(x: Tensor<'_, N, 1, T>) -> Tensor<'_, 1, 1, T> {
    x.dot(x)
}

fn mean_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.mean().broadcast::<R, C>() * x
}

fn sum_rows_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sum_rows().broadcast_rows::<R>() * x
}

fn sum_cols_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sum_cols().broadcast_cols::<C>() * x
}

fn mean_rows_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.mean_rows().broadcast_rows::<R>() * x
}

fn mean_cols_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.mean_cols().broadcast_cols::<C>() * x
}

fn softmax_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.softmax() * x
}

fn log_softmax_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.log_softmax() * x * k::<T>(0.5)
}

fn mse_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, 1, 1, T> {
    loss::mse(x, x * x)
}

fn bce_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, 1, 1, T> {
    loss::bce_with_logits(x, x.sigmoid())
}

fn ce_one_hot_reused<T: Scalar, const K: usize, const B: usize>(
    x: Tensor<'_, K, B, T>,
) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy_one_hot(x, x.softmax()) // the entropy of softmax(x)
}

fn ce_34_reused<T: Scalar>(x: Tensor<'_, 3, 4, T>) -> Tensor<'_, 1, 1, T> {
    loss::cross_entropy(x, &[2, 0, 1, 1]) * x.mean()
}

// ---------------------------------------------------------------------------------------------
// the checks

#[test]
fn ln_sqrt_powi_square() {
    unary!(ln, s1p());
    unary!(ln, m23p());
    unary!(ln, v4p());
    unary!(sqrt, s1p());
    unary!(sqrt, m23p());
    unary!(sqrt, v4p());
    unary!(powi_3, s1());
    unary!(powi_3, m23());
    unary!(powi_3, v4());
    unary!(powi_m2, s1p());
    unary!(powi_m2, m23p());
    unary!(powi_m2, v4p());
    unary!(powi_0, s1());
    unary!(powi_0, m23());
    unary!(powi_0, v4());
    unary!(square, s1());
    unary!(square, m23());
    unary!(square, v4());
}

#[test]
fn ln_sqrt_powi_square_reused() {
    unary!(ln_reused, s1p());
    unary!(ln_reused, m23p());
    unary!(ln_reused, v4p());
    unary!(sqrt_reused, s1p());
    unary!(sqrt_reused, m23p());
    unary!(sqrt_reused, v4p());
    unary!(powi_reused, s1());
    unary!(powi_reused, m23());
    unary!(powi_reused, v4());
    unary!(square_reused, s1());
    unary!(square_reused, m23());
    unary!(square_reused, v4());
}

#[test]
fn abs_relu_max_min() {
    unary!(abs, s1());
    unary!(abs, s1b());
    unary!(abs, m23());
    unary!(abs, v4());
    unary!(relu, s1());
    unary!(relu, s1b());
    unary!(relu, m23());
    unary!(relu, v4());
    binary!(max, s1(), s1b());
    binary!(max, m23(), m23b());
    binary!(max, v4(), v4b());
    binary!(min, s1(), s1b());
    binary!(min, m23(), m23b());
    binary!(min, v4(), v4b());
}

#[test]
fn abs_relu_max_min_reused() {
    unary!(abs_reused, m23());
    unary!(abs_reused, v4());
    unary!(relu_reused, m23());
    unary!(relu_reused, v4());
    unary!(max_self, s1());
    unary!(max_self, m23());
    unary!(max_self, v4());
    unary!(min_self, s1());
    unary!(min_self, m23());
    unary!(min_self, v4());
    binary!(max_min_reused, s1(), s1b());
    binary!(max_min_reused, m23(), m23b());
    binary!(max_min_reused, v4(), v4b());
}

#[test]
fn transpose_dot() {
    unary!(transpose, s1());
    unary!(transpose, m23());
    unary!(transpose, v4());
    binary!(dot, s1(), s1b());
    binary!(dot, Vector2::new(0.375, -1.25), Vector2::new(1.5, 0.625));
    binary!(dot, v4(), v4b());
    // reused
    unary!(transpose_reused, s1());
    unary!(transpose_reused, m23());
    unary!(transpose_reused, v4());
    unary!(transpose_matmul, m23());
    unary!(transpose_matmul, v4());
    unary!(dot_self, s1());
    unary!(dot_self, v4());
}

#[test]
fn reductions() {
    unary!(mean, s1());
    unary!(mean, m23());
    unary!(mean, v4());
    unary!(sum_rows, s1());
    unary!(sum_rows, m23());
    unary!(sum_rows, v4());
    unary!(sum_cols, s1());
    unary!(sum_cols, m23());
    unary!(sum_cols, v4());
    unary!(mean_rows, s1());
    unary!(mean_rows, m23());
    unary!(mean_rows, v4());
    unary!(mean_cols, s1());
    unary!(mean_cols, m23());
    unary!(mean_cols, v4());
    unary!(sum_rows, b34());
    unary!(sum_cols, b34());
}

#[test]
fn reductions_reused() {
    unary!(mean_reused, s1());
    unary!(mean_reused, m23());
    unary!(mean_reused, v4());
    unary!(sum_rows_reused, m23());
    unary!(sum_rows_reused, v4());
    unary!(sum_cols_reused, m23());
    unary!(sum_cols_reused, v4());
    unary!(mean_rows_reused, m23());
    unary!(mean_cols_reused, m23());
    unary!(mean_cols_reused, b34());
}

#[test]
fn softmax_log_softmax() {
    unary!(softmax, s1());
    unary!(softmax, m23());
    unary!(softmax, v4());
    unary!(softmax, b34());
    unary!(log_softmax, s1());
    unary!(log_softmax, m23());
    unary!(log_softmax, v4());
    unary!(log_softmax, b34());
    // reused
    unary!(softmax_reused, s1());
    unary!(softmax_reused, m23());
    unary!(softmax_reused, v4());
    unary!(softmax_reused, b34());
    unary!(log_softmax_reused, m23());
    unary!(log_softmax_reused, v4());
    unary!(log_softmax_reused, b34());
}

#[test]
fn losses() {
    binary!(mse, s1(), s1b());
    binary!(mse, m23(), m23b());
    binary!(mse, v4(), v4b());
    binary!(bce, s1(), s1t());
    binary!(bce, m23(), m23t());
    binary!(bce, v4(), v4t());
    unary!(ce_11, s1());
    unary!(ce_23, m23());
    unary!(ce_41, v4());
    unary!(ce_34, b34());
    binary!(ce_one_hot, s1(), Matrix1::new(1.0));
    binary!(
        ce_one_hot,
        m23(),
        Matrix2x3::new(0.0, 1.0, 0.0, 1.0, 0.0, 1.0)
    );
    binary!(ce_one_hot, v4(), Vector4::new(0.0, 0.0, 1.0, 0.0));
    binary!(ce_one_hot, b34(), b34_one_hot());
    binary!(ce_one_hot, b34(), b34_soft());
}

#[test]
fn losses_reused() {
    unary!(mse_reused, s1());
    unary!(mse_reused, m23());
    unary!(mse_reused, v4());
    unary!(bce_reused, s1());
    unary!(bce_reused, m23());
    unary!(bce_reused, v4());
    unary!(ce_one_hot_reused, m23());
    unary!(ce_one_hot_reused, v4());
    unary!(ce_one_hot_reused, b34());
    unary!(ce_34_reused, b34());
}

// ---------------------------------------------------------------------------------------------
// forward values (finite differences only see the forward through the backward rule)

#[test]
fn forward_values_match_nalgebra() {
    let tape = Tape::<f64>::new();
    let (a0, b0, p0) = (m23(), m23b(), m23p());
    let (a, b, p) = (tape.var(a0), tape.var(b0), tape.var(p0));
    // Element-wise ops are the same IEEE operation per element as f64's: bit-exact.
    assert_eq!(p.ln().value(), p0.map(f64::ln));
    assert_eq!(p.sqrt().value(), p0.map(f64::sqrt));
    assert_eq!(a.powi(3).value(), a0.map(|v| v.powi(3)));
    assert_eq!(p.powi(-2).value(), p0.map(|v| v.powi(-2)));
    assert_eq!(a.square().value(), a0.component_mul(&a0));
    assert_eq!(a.abs().value(), a0.abs());
    assert_eq!(a.relu().value(), a0.map(|v| v.max(0.0)));
    assert_eq!(a.max(b).value(), a0.zip_map(&b0, f64::max));
    assert_eq!(a.min(b).value(), a0.zip_map(&b0, f64::min));
    // Shape ops against nalgebra's own (dyadic inputs with few bits: sums are exact).
    assert_eq!(a.transpose().value(), a0.transpose());
    assert_eq!(a.sum_rows().value(), a0.row_sum());
    assert_eq!(a.sum_cols().value(), a0.column_sum());
    assert_eq!(a.mean().item(), a0.mean());
    assert_eq!(a.mean_rows().value(), a0.row_mean());
    // (nalgebra's `column_mean` multiplies by the rounded 1/3; we divide by 3, exactly
    // rounded: −0.375/3 = −0.125, where nalgebra gives −0.12499999999999997)
    assert_eq!(a.mean_cols().value(), a0.column_sum() / 3.0);
    let (v, w) = (tape.var(v4()), tape.var(v4b()));
    assert_eq!(v.dot(w).item(), v4().dot(&v4b()));
    // Softmax against the textbook formula eˣ/Σeˣ per column (no overflow at these inputs):
    // equal to a few ulps, not bit-exact (the op subtracts the column max first).
    let x0 = b34();
    let x = tape.var(x0);
    let mut want = x0.map(f64::exp);
    for mut col in want.column_iter_mut() {
        col /= col.sum();
    }
    assert_relative_eq!(x.softmax().value(), want, max_relative = 1e-15);
    assert_relative_eq!(
        x.log_softmax().value(),
        want.map(f64::ln),
        max_relative = 1e-15
    );
}

#[test]
fn losses_match_their_definitions() {
    // Each loss against its textbook formula, evaluated in plain f64 here.
    let tape = Tape::<f64>::new();
    let (p0, t0) = (m23(), m23b());
    let l = loss::mse(tape.var(p0), tape.constant(t0));
    assert_relative_eq!(
        l.item(),
        (p0 - t0).norm_squared() / 6.0,
        max_relative = 1e-15
    );

    // bce: −[t ln σ(x) + (1 − t) ln(1 − σ(x))], mean over 6 elements
    let (x0, y0) = (m23(), m23t());
    let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
    let want = x0
        .zip_map(&y0, |x, t| {
            -(t * sigma(x).ln() + (1.0 - t) * (1.0 - sigma(x)).ln())
        })
        .mean();
    let l = loss::bce_with_logits(tape.var(x0), tape.constant(y0));
    assert_relative_eq!(l.item(), want, max_relative = 1e-14);

    // cross-entropy: mean over columns of −ln softmax(x)_class
    let x0 = b34();
    let classes = [2, 0, 1, 1];
    let want = (0..4)
        .map(|b| {
            let col = x0.column(b);
            -(col[classes[b]].exp() / col.map(f64::exp).sum()).ln()
        })
        .sum::<f64>()
        / 4.0;
    let x = tape.var(x0);
    assert_relative_eq!(
        loss::cross_entropy(x, &classes).item(),
        want,
        max_relative = 1e-14
    );
    let one_hot = tape.constant(b34_one_hot());
    assert_relative_eq!(
        loss::cross_entropy_one_hot(x, one_hot).item(),
        want,
        max_relative = 1e-14
    );
}
