//! The finite-difference checker shared by `tests/gradcheck.rs` and `tests/gradcheck_nn.rs`
//! (each integration test is its own crate; they include this with `mod common;`).
//!
//! Every function under test is written once, generic over `T: Scalar`, and each check runs
//! it in f64 on the tape against central finite differences in f64 (step `1e-6·max(1, |x|)`),
//! and in f32 on the tape against the f64 tape gradient (f32 finite differences would only
//! measure f32 rounding).

#![allow(dead_code, unused_macros)]

use std::ops::{Add, Div, Mul, Sub};

use nalgebra::SMatrix;
use shapegrad::{Scalar, Tape, Tensor};

/// An f64 constant as `T` (exact: every constant here is dyadic).
pub fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

/// A scalar that can stand on the left of an `R×C` tensor (`c + x`, `c - x`, `c * x`,
/// `c / x`): `f32` and `f64`.
pub trait Lhs<const R: usize, const C: usize>:
    Scalar
    + for<'t> Add<Tensor<'t, R, C, Self>, Output = Tensor<'t, R, C, Self>>
    + for<'t> Sub<Tensor<'t, R, C, Self>, Output = Tensor<'t, R, C, Self>>
    + for<'t> Mul<Tensor<'t, R, C, Self>, Output = Tensor<'t, R, C, Self>>
    + for<'t> Div<Tensor<'t, R, C, Self>, Output = Tensor<'t, R, C, Self>>
{
}

impl<T, const R: usize, const C: usize> Lhs<R, C> for T where
    T: Scalar
        + for<'t> Add<Tensor<'t, R, C, T>, Output = Tensor<'t, R, C, T>>
        + for<'t> Sub<Tensor<'t, R, C, T>, Output = Tensor<'t, R, C, T>>
        + for<'t> Mul<Tensor<'t, R, C, T>, Output = Tensor<'t, R, C, T>>
        + for<'t> Div<Tensor<'t, R, C, T>, Output = Tensor<'t, R, C, T>>
{
}

/// FD vs tape tolerance, relative-or-absolute: `|tape − fd| ≤ 1e-6·max(1, |fd|)`.
///
/// With step h = 1e-6·max(1, |x|) the central difference has truncation error
/// h²·|L'''|/6 ≲ 1e-11 and rounding error ≈ ε·|L|/h ≈ 1e-16·|L|/1e-6, a few 1e-8 for our
/// losses (|L| ≤ ~100: a sum of at most 12 exps of values below 7); the largest error
/// measured over all the cases below is 3.7e-8. A wrong derivative (a missing path, a wrong
/// sign, a transposed index) is off by O(1). 1e-6 sits between the two, ~25× above the
/// noise and orders of magnitude below a real error.
pub const FD_TOL: f64 = 1e-6;

/// f32 vs f64 tape tolerance, relative-or-absolute: `|g32 − g64| ≤ 1e-5·max(1, |g64|)`.
///
/// A gradient here is a handful of f32 ops deep (exp, a product, a short sum), each
/// contributing ≲ ε₃₂ = 1.2e-7 relative error; the largest difference measured over all the
/// cases below is 4.3e-7, so 1e-5 (~80 ε₃₂) leaves a margin of ~25, while a rule that is
/// wrong only in f32 (a precision-dependent constant, a mixed-up accumulation) is off by O(1).
pub const F32_TOL: f64 = 1e-5;

#[track_caller]
pub fn assert_close<const R: usize, const C: usize>(
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
    what: &str,
) {
    for i in 0..R * C {
        let err = (got[i] - want[i]).abs();
        assert!(
            err <= tol * want[i].abs().max(1.0),
            "{what}: element {i}: got {}, want {} (error {err:e})\n got  {got}\n want {want}",
            got[i],
            want[i]
        );
    }
}

/// Central finite differences of `loss` at `x`, step `1e-6·max(1, |xᵢ|)`.
pub fn fd<const R: usize, const C: usize>(
    x: SMatrix<f64, R, C>,
    loss: impl Fn(SMatrix<f64, R, C>) -> f64,
) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|i, j| {
        let h = 1e-6 * x[(i, j)].abs().max(1.0);
        let (mut up, mut down) = (x, x);
        up[(i, j)] += h;
        down[(i, j)] -= h;
        (loss(up) - loss(down)) / (up[(i, j)] - down[(i, j)])
    })
}

/// The input in f32, asserting it is exact (so both precisions differentiate at one point).
pub fn to_f32<const R: usize, const C: usize>(x: SMatrix<f64, R, C>) -> SMatrix<f32, R, C> {
    let x32 = x.map(|v| v as f32);
    assert_eq!(x32.map(f64::from), x, "inputs must be exact in f32");
    x32
}

/// Checks `L(x) = Σ exp(f(x))`: the f64 tape gradient against finite differences, and the
/// f32 tape gradient against the f64 one. `f64_fn` and `f32_fn` are one generic function.
pub fn check_unary<const R: usize, const C: usize, const R2: usize, const C2: usize>(
    what: &str,
    x0: SMatrix<f64, R, C>,
    f64_fn: for<'t> fn(Tensor<'t, R, C, f64>) -> Tensor<'t, R2, C2, f64>,
    f32_fn: for<'t> fn(Tensor<'t, R, C, f32>) -> Tensor<'t, R2, C2, f32>,
) {
    let loss = |x| {
        let tape = Tape::new();
        f64_fn(tape.var(x)).exp().sum().item()
    };
    let tape = Tape::new();
    let x = tape.var(x0);
    let g64 = f64_fn(x).exp().sum().backward().wrt(x);
    assert_close(&g64, &fd(x0, loss), FD_TOL, &format!("{what}: ∂x vs fd"));

    let tape = Tape::new();
    let x = tape.var(to_f32(x0));
    let g32 = f32_fn(x).exp().sum().backward().wrt(x).map(f64::from);
    assert_close(&g32, &g64, F32_TOL, &format!("{what}: ∂x f32 vs f64"));
}

/// As [`check_unary`] for a function of two tensors.
#[allow(clippy::type_complexity)]
pub fn check_binary<
    const R: usize,
    const C: usize,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>(
    what: &str,
    a0: SMatrix<f64, R, C>,
    b0: SMatrix<f64, R1, C1>,
    f64_fn: for<'t> fn(Tensor<'t, R, C, f64>, Tensor<'t, R1, C1, f64>) -> Tensor<'t, R2, C2, f64>,
    f32_fn: for<'t> fn(Tensor<'t, R, C, f32>, Tensor<'t, R1, C1, f32>) -> Tensor<'t, R2, C2, f32>,
) {
    let loss = |a, b| {
        let tape = Tape::new();
        f64_fn(tape.var(a), tape.var(b)).exp().sum().item()
    };
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    let grads = f64_fn(a, b).exp().sum().backward();
    let (ga, gb) = (grads.wrt(a), grads.wrt(b));
    assert_close(
        &ga,
        &fd(a0, |a| loss(a, b0)),
        FD_TOL,
        &format!("{what}: ∂a vs fd"),
    );
    assert_close(
        &gb,
        &fd(b0, |b| loss(a0, b)),
        FD_TOL,
        &format!("{what}: ∂b vs fd"),
    );

    let tape = Tape::new();
    let (a, b) = (tape.var(to_f32(a0)), tape.var(to_f32(b0)));
    let grads = f32_fn(a, b).exp().sum().backward();
    let ga32 = grads.wrt(a).map(f64::from);
    let gb32 = grads.wrt(b).map(f64::from);
    assert_close(&ga32, &ga, F32_TOL, &format!("{what}: ∂a f32 vs f64"));
    assert_close(&gb32, &gb, F32_TOL, &format!("{what}: ∂b f32 vs f64"));
}

/// `unary!(f, x0)`: checks the generic fn item `f` at `x0` in f64 (vs FD) and f32 (vs f64).
macro_rules! unary {
    ($f:ident, $x0:expr) => {
        check_unary(
            concat!(stringify!($f), " at ", stringify!($x0)),
            $x0,
            $f,
            $f,
        )
    };
}

/// `binary!(f, a0, b0)`: as [`unary!`] for a function of two tensors.
macro_rules! binary {
    ($f:ident, $a0:expr, $b0:expr) => {
        check_binary(
            concat!(
                stringify!($f),
                " at ",
                stringify!($a0),
                ", ",
                stringify!($b0)
            ),
            $a0,
            $b0,
            $f,
            $f,
        )
    };
}
