//! Finite-difference checks for every op, on shapes 1×1, 2×3 and 4×1 (matmul on
//! (1×1)(1×1), (2×3)(3×1), (4×1)(1×3) and (4×3)(3×2)), each through a non-constant upstream
//! gradient (`f(x).exp().sum()`), plus a reused-input case per op.
//!
//! Every function under test is written once, generic over `T: Scalar` (plain scalars on the
//! left of a tensor need the [`Lhs`] bound, which `f32` and `f64` meet). Each check runs it:
//! - in f64 on the tape, against central finite differences in f64 (step `1e-6·max(1, |x|)`);
//! - in f32 on the tape, against the f64 tape gradient (f32 finite differences would only
//!   measure f32 rounding).
//!
//! Inputs are dyadic (multiples of 1/8), hence exact in f32 too, so the f32 and f64 runs
//! differentiate the same function at the same point. They avoid kinks and poles: every
//! divisor is at least 0.375 away from 0, and values stay small enough that `exp` of any
//! intermediate is below e⁷.

use nalgebra::{
    Matrix1, Matrix2x3, Matrix3, Matrix3x2, Matrix4x3, RowVector3, SMatrix, Vector2, Vector3,
    Vector4,
};
use shapegrad::{Scalar, Tape, Tensor};

#[macro_use]
mod common;

use common::*;

// ---------------------------------------------------------------------------------------------
// inputs (dyadic, away from 0 where they divide)

fn s1() -> Matrix1<f64> {
    Matrix1::new(0.625)
}

fn m23() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, -1.25, 0.5, 0.75, -0.5, 1.125)
}

fn v4() -> Vector4<f64> {
    Vector4::new(0.875, -0.625, 1.5, -1.0)
}

/// Second operands, distinct from the first so a swapped `a`/`b` rule is caught.
fn s1b() -> Matrix1<f64> {
    Matrix1::new(-0.75)
}

fn m23b() -> Matrix2x3<f64> {
    Matrix2x3::new(1.5, 0.625, -0.875, -1.375, 0.5, 1.25)
}

fn v4b() -> Vector4<f64> {
    Vector4::new(1.25, -0.5, 0.75, -1.5)
}

/// Distinct constant weights `0.25 + 0.5·i − 0.375·j`, so each broadcast copy gets its own
/// upstream gradient and a mis-indexed reduction shows.
fn weights<T: Scalar, const R: usize, const C: usize>(tape: &Tape<T>) -> Tensor<'_, R, C, T> {
    tape.constant(SMatrix::from_fn(|i, j| {
        k(0.25 + 0.5 * i as f64 - 0.375 * j as f64)
    }))
}

// ---------------------------------------------------------------------------------------------
// the functions under test, each written once for f32 and f64

fn neg<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    -x
}

fn x_plus_c<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x + k::<T>(0.75)
}

fn c_plus_x<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    k::<T>(-1.25) + x
}

fn x_minus_c<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x - k::<T>(0.5)
}

fn c_minus_x<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    k::<T>(1.5) - x
}

fn x_times_c<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x * k::<T>(-1.25)
}

fn c_times_x<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    k::<T>(0.75) * x
}

fn x_over_c<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x / k::<T>(1.25)
}

fn c_over_x<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    k::<T>(1.5) / x
}

fn exp<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.exp()
}

fn sum<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, 1, 1, T> {
    x.sum()
}

fn sigmoid<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sigmoid()
}

fn tanh<T: Scalar, const R: usize, const C: usize>(x: Tensor<'_, R, C, T>) -> Tensor<'_, R, C, T> {
    x.tanh()
}

fn add<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a + b
}

fn sub<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a - b
}

fn mul<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a * b
}

fn div<'t, T: Scalar, const R: usize, const C: usize>(
    a: Tensor<'t, R, C, T>,
    b: Tensor<'t, R, C, T>,
) -> Tensor<'t, R, C, T> {
    a / b
}

fn matmul<'t, T: Scalar, const R: usize, const K: usize, const C: usize>(
    a: Tensor<'t, R, K, T>,
    b: Tensor<'t, K, C, T>,
) -> Tensor<'t, R, C, T> {
    a.matmul(b)
}

/// `broadcast` 1×1 → R×C, weighted per copy.
fn broadcast<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, 1, 1, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast::<R, C>() * weights(x.tape())
}

/// `broadcast_cols` R×1 → R×C, weighted per copy.
fn broadcast_cols<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, 1, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast_cols::<C>() * weights(x.tape())
}

/// `broadcast_rows` 1×C → R×C, weighted per copy.
fn broadcast_rows<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, 1, C, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast_rows::<R>() * weights(x.tape())
}

// reused inputs: the same tensor reaches the output along two paths

fn neg_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    -x * x
}

fn add_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x + x
}

fn sub_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x - x * x
}

#[allow(clippy::eq_op)] // the point: one tensor on both sides
fn sub_self<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x - x // identically 0: the two paths cancel exactly
}

fn mul_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x * x
}

#[allow(clippy::eq_op)] // the point: one tensor on both sides
fn div_self<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x / x // identically 1
}

fn div_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x / (x * x + k::<T>(1.0))
}

fn x_plus_c_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (x + k::<T>(0.75)) * x
}

fn c_plus_x_reused<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (k::<T>(-1.25) + x) * x
}

fn x_minus_c_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (x - k::<T>(0.5)) * x
}

fn c_minus_x_reused<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (k::<T>(1.5) - x) * x
}

fn x_times_c_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x * k::<T>(-1.25) + x
}

fn c_times_x_reused<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (k::<T>(0.75) * x) * x
}

fn x_over_c_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    (x / k::<T>(1.25)) * x
}

fn c_over_x_reused<T: Lhs<R, C>, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    k::<T>(1.5) / x + x
}

fn exp_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.exp() * x
}

fn sum_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sum().broadcast::<R, C>() * x
}

fn sigmoid_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.sigmoid() * x
}

fn tanh_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, C, T>,
) -> Tensor<'_, R, C, T> {
    x.tanh() * x
}

fn matmul_reused<T: Scalar, const N: usize>(x: Tensor<'_, N, N, T>) -> Tensor<'_, N, N, T> {
    x.matmul(x)
}

fn broadcast_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, 1, 1, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast::<R, C>() * x.broadcast::<R, C>() * weights(x.tape())
}

fn broadcast_cols_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, R, 1, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast_cols::<C>() * x.broadcast_cols::<C>() * weights(x.tape())
}

fn broadcast_rows_reused<T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'_, 1, C, T>,
) -> Tensor<'_, R, C, T> {
    x.broadcast_rows::<R>() * x.broadcast_rows::<R>() * weights(x.tape())
}

/// `x.broadcast_cols::<1>()` is the identity: used with `x` itself.
fn broadcast_cols_identity_reused<T: Scalar, const R: usize>(
    x: Tensor<'_, R, 1, T>,
) -> Tensor<'_, R, 1, T> {
    x.broadcast_cols::<1>() * x
}

/// `x.broadcast_rows::<1>()` is the identity: used with `x` itself.
fn broadcast_rows_identity_reused<T: Scalar, const C: usize>(
    x: Tensor<'_, 1, C, T>,
) -> Tensor<'_, 1, C, T> {
    x.broadcast_rows::<1>() * x
}

fn matmul_operand_reused<'t, T: Scalar>(
    a: Tensor<'t, 2, 3, T>,
    b: Tensor<'t, 3, 1, T>,
) -> Tensor<'t, 2, 1, T> {
    // A·(b ⊙ b) + A·b: both operands reach the output twice
    a.matmul(b * b) + a.matmul(b)
}

// ---------------------------------------------------------------------------------------------
// the checks

#[test]
fn neg_and_scalar_forms() {
    unary!(neg, s1());
    unary!(neg, m23());
    unary!(neg, v4());
    unary!(x_plus_c, s1());
    unary!(x_plus_c, m23());
    unary!(x_plus_c, v4());
    unary!(c_plus_x, s1());
    unary!(c_plus_x, m23());
    unary!(c_plus_x, v4());
    unary!(x_minus_c, s1());
    unary!(x_minus_c, m23());
    unary!(x_minus_c, v4());
    unary!(c_minus_x, s1());
    unary!(c_minus_x, m23());
    unary!(c_minus_x, v4());
    unary!(x_times_c, s1());
    unary!(x_times_c, m23());
    unary!(x_times_c, v4());
    unary!(c_times_x, s1());
    unary!(c_times_x, m23());
    unary!(c_times_x, v4());
    unary!(x_over_c, s1());
    unary!(x_over_c, m23());
    unary!(x_over_c, v4());
    unary!(c_over_x, s1());
    unary!(c_over_x, m23());
    unary!(c_over_x, v4());
}

#[test]
fn neg_and_scalar_forms_reused() {
    unary!(neg_reused, s1());
    unary!(neg_reused, m23());
    unary!(neg_reused, v4());
    unary!(x_plus_c_reused, s1());
    unary!(x_plus_c_reused, m23());
    unary!(x_plus_c_reused, v4());
    unary!(c_plus_x_reused, s1());
    unary!(c_plus_x_reused, m23());
    unary!(c_plus_x_reused, v4());
    unary!(x_minus_c_reused, s1());
    unary!(x_minus_c_reused, m23());
    unary!(x_minus_c_reused, v4());
    unary!(c_minus_x_reused, s1());
    unary!(c_minus_x_reused, m23());
    unary!(c_minus_x_reused, v4());
    unary!(x_times_c_reused, s1());
    unary!(x_times_c_reused, m23());
    unary!(x_times_c_reused, v4());
    unary!(c_times_x_reused, s1());
    unary!(c_times_x_reused, m23());
    unary!(c_times_x_reused, v4());
    unary!(x_over_c_reused, s1());
    unary!(x_over_c_reused, m23());
    unary!(x_over_c_reused, v4());
    unary!(c_over_x_reused, s1());
    unary!(c_over_x_reused, m23());
    unary!(c_over_x_reused, v4());
}

#[test]
fn add_sub_mul_div() {
    binary!(add, s1(), s1b());
    binary!(add, m23(), m23b());
    binary!(add, v4(), v4b());
    binary!(sub, s1(), s1b());
    binary!(sub, m23(), m23b());
    binary!(sub, v4(), v4b());
    binary!(mul, s1(), s1b());
    binary!(mul, m23(), m23b());
    binary!(mul, v4(), v4b());
    // divisors: m23b, v4b and s1b are all at least 0.5 away from 0
    binary!(div, s1(), s1b());
    binary!(div, m23(), m23b());
    binary!(div, v4(), v4b());
}

#[test]
fn add_sub_mul_div_reused() {
    unary!(add_reused, s1());
    unary!(add_reused, m23());
    unary!(add_reused, v4());
    unary!(sub_reused, s1());
    unary!(sub_reused, m23());
    unary!(sub_reused, v4());
    unary!(sub_self, s1());
    unary!(sub_self, m23());
    unary!(sub_self, v4());
    unary!(mul_reused, s1());
    unary!(mul_reused, m23());
    unary!(mul_reused, v4());
    unary!(div_self, s1());
    unary!(div_self, m23());
    unary!(div_self, v4());
    unary!(div_reused, s1());
    unary!(div_reused, m23());
    unary!(div_reused, v4());
}

#[test]
fn exp_sum_sigmoid_tanh() {
    unary!(exp, s1());
    unary!(exp, m23());
    unary!(exp, v4());
    unary!(sum, s1());
    unary!(sum, m23());
    unary!(sum, v4());
    unary!(sigmoid, s1());
    unary!(sigmoid, m23());
    unary!(sigmoid, v4());
    unary!(tanh, s1());
    unary!(tanh, m23());
    unary!(tanh, v4());
}

#[test]
fn exp_sum_sigmoid_tanh_reused() {
    unary!(exp_reused, s1());
    unary!(exp_reused, m23());
    unary!(exp_reused, v4());
    unary!(sum_reused, s1());
    unary!(sum_reused, m23());
    unary!(sum_reused, v4());
    unary!(sigmoid_reused, s1());
    unary!(sigmoid_reused, m23());
    unary!(sigmoid_reused, v4());
    unary!(tanh_reused, s1());
    unary!(tanh_reused, m23());
    unary!(tanh_reused, v4());
}

#[test]
fn matmul_shapes() {
    // (1×1)(1×1)
    binary!(matmul, s1(), s1b());
    // (2×3)(3×1)
    binary!(matmul, m23(), Vector3::new(0.5, -1.125, 0.25));
    // (4×1)(1×3): an outer product
    binary!(matmul, v4(), RowVector3::new(-0.5, 0.875, 0.25));
    // (4×3)(3×2): tall
    #[rustfmt::skip]
    let a = Matrix4x3::new(
        0.125, 0.25, -0.375,
        0.5, -0.625, 0.75,
        0.875, 0.125, -0.25,
        0.375, 0.25, -0.125,
    );
    let b = Matrix3x2::new(0.5, -0.125, 0.25, 0.875, -0.75, 0.375);
    binary!(matmul, a, b);
}

#[test]
fn matmul_reused_inputs() {
    // x·x for square x: 1×1 and 3×3
    unary!(matmul_reused, s1());
    #[rustfmt::skip]
    let m = Matrix3::new(
        0.25, -0.5, 0.375,
        0.75, 0.125, -0.625,
        -0.25, 0.5, 0.875,
    );
    unary!(matmul_reused, m);
    binary!(
        matmul_operand_reused,
        m23(),
        Vector3::new(0.5, -1.125, 0.25)
    );
}

#[test]
fn broadcasts() {
    // broadcast: 1×1 to 1×1, 2×3, 4×1
    check_unary("broadcast to 1×1", s1(), broadcast::<f64, 1, 1>, broadcast);
    check_unary("broadcast to 2×3", s1(), broadcast::<f64, 2, 3>, broadcast);
    check_unary("broadcast to 4×1", s1(), broadcast::<f64, 4, 1>, broadcast);
    // broadcast_cols: 1×1 to 1×1, 2×1 to 2×3, 4×1 to 4×1
    check_unary(
        "broadcast_cols 1×1 to 1×1",
        s1(),
        broadcast_cols::<f64, 1, 1>,
        broadcast_cols,
    );
    check_unary(
        "broadcast_cols 2×1 to 2×3",
        Vector2::new(0.375, -1.25),
        broadcast_cols::<f64, 2, 3>,
        broadcast_cols,
    );
    check_unary(
        "broadcast_cols 4×1 to 4×1",
        v4(),
        broadcast_cols::<f64, 4, 1>,
        broadcast_cols,
    );
    // broadcast_rows: 1×1 to 1×1, 1×3 to 2×3, 1×1 to 4×1
    check_unary(
        "broadcast_rows 1×1 to 1×1",
        s1(),
        broadcast_rows::<f64, 1, 1>,
        broadcast_rows,
    );
    check_unary(
        "broadcast_rows 1×3 to 2×3",
        RowVector3::new(0.375, -1.25, 0.5),
        broadcast_rows::<f64, 2, 3>,
        broadcast_rows,
    );
    check_unary(
        "broadcast_rows 1×1 to 4×1",
        s1(),
        broadcast_rows::<f64, 4, 1>,
        broadcast_rows,
    );
}

#[test]
fn broadcasts_reused() {
    check_unary(
        "broadcast reused, 1×1",
        s1(),
        broadcast_reused::<f64, 1, 1>,
        broadcast_reused,
    );
    check_unary(
        "broadcast reused, 2×3",
        s1(),
        broadcast_reused::<f64, 2, 3>,
        broadcast_reused,
    );
    check_unary(
        "broadcast reused, 4×1",
        s1(),
        broadcast_reused::<f64, 4, 1>,
        broadcast_reused,
    );
    check_unary(
        "broadcast_cols reused, 2×3",
        Vector2::new(0.375, -1.25),
        broadcast_cols_reused::<f64, 2, 3>,
        broadcast_cols_reused,
    );
    check_unary(
        "broadcast_rows reused, 2×3",
        RowVector3::new(0.375, -1.25, 0.5),
        broadcast_rows_reused::<f64, 2, 3>,
        broadcast_rows_reused,
    );
    unary!(broadcast_cols_identity_reused, s1());
    unary!(broadcast_cols_identity_reused, v4());
    unary!(broadcast_rows_identity_reused, s1());
    unary!(
        broadcast_rows_identity_reused,
        RowVector3::new(0.375, -1.25, 0.5)
    );
}

// ---------------------------------------------------------------------------------------------
// forward values (finite differences only see the forward through the backward rule)

#[test]
fn forward_values_match_nalgebra() {
    let tape = Tape::<f64>::new();
    let (a0, b0) = (m23(), m23b());
    let (a, b) = (tape.var(a0), tape.var(b0));
    // Element-wise ops are the same IEEE operation per element: bit-exact.
    assert_eq!((-a).value(), -a0);
    assert_eq!((a + b).value(), a0 + b0);
    assert_eq!((a - b).value(), a0 - b0);
    assert_eq!((a * b).value(), a0.component_mul(&b0));
    assert_eq!((a / b).value(), a0.component_div(&b0));
    assert_eq!((a + 0.75).value(), a0.add_scalar(0.75));
    assert_eq!((0.75 + a).value(), a0.add_scalar(0.75));
    assert_eq!((a - 0.5).value(), a0.map(|v| v - 0.5));
    assert_eq!((1.5 - a).value(), a0.map(|v| 1.5 - v));
    assert_eq!((a * -1.25).value(), a0 * -1.25);
    assert_eq!((-1.25 * a).value(), a0 * -1.25);
    assert_eq!((a / 1.25).value(), a0 / 1.25);
    assert_eq!((1.5 / a).value(), a0.map(|v| 1.5 / v));
    assert_eq!(a.exp().value(), a0.map(f64::exp));
    assert_eq!(a.tanh().value(), a0.map(f64::tanh));
    assert_eq!(a.sigmoid().value(), a0.map(|v| 1.0 / (1.0 + (-v).exp())));
    assert_eq!(a.sum().item(), a0.sum());
    // Broadcasts copy values.
    let s = tape.var(s1());
    assert_eq!(s.broadcast::<2, 3>().value(), Matrix2x3::repeat(0.625));
    let col = tape.var(Vector2::new(0.375, -1.25));
    assert_eq!(
        col.broadcast_cols::<3>().value(),
        Matrix2x3::new(0.375, 0.375, 0.375, -1.25, -1.25, -1.25)
    );
    let row = tape.var(RowVector3::new(0.375, -1.25, 0.5));
    assert_eq!(
        row.broadcast_rows::<2>().value(),
        Matrix2x3::new(0.375, -1.25, 0.5, 0.375, -1.25, 0.5)
    );
    // Matmul: dyadic inputs with few significant bits, so every product and partial sum is
    // exact and the order of accumulation cannot matter.
    let x0 = Vector3::new(0.5, -1.125, 0.25);
    assert_eq!(a.matmul(tape.var(x0)).value(), a0 * x0);
    let w0 = Matrix3x2::new(0.5, -0.125, 0.25, 0.875, -0.75, 0.375);
    assert_eq!(a.matmul(tape.var(w0)).value(), a0 * w0);
}
