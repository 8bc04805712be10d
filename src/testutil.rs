//! Finite-difference checks shared by the op files' unit tests.

use nalgebra::SMatrix;

use crate::{Tape, Tensor};

/// Central finite differences of `f` at `x`, step `1e-6·max(1, |x_k|)`.
pub(crate) fn fd_gradient<const R: usize, const C: usize>(
    f: impl Fn(SMatrix<f64, R, C>) -> f64,
    x: SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    let mut g = SMatrix::<f64, R, C>::zeros();
    for k in 0..R * C {
        let h = 1e-6 * x[k].abs().max(1.0);
        let (mut xp, mut xm) = (x, x);
        xp[k] += h;
        xm[k] -= h;
        g[k] = (f(xp) - f(xm)) / (xp[k] - xm[k]);
    }
    g
}

/// Asserts `|got - want| <= tol·max(1, |want|)` element-wise, naming the element.
pub(crate) fn assert_close<const R: usize, const C: usize>(
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
    what: &str,
) {
    for k in 0..R * C {
        let err = (got[k] - want[k]).abs();
        assert!(
            err <= tol * want[k].abs().max(1.0),
            "{what}: element {k}: got {}, want {} (error {err:e})\n got  {got}\n want {want}",
            got[k],
            want[k]
        );
    }
}

/// Gradient of `L(x) = Σ exp(f(x))` (a non-constant upstream gradient) by the tape, against
/// central finite differences.
pub(crate) fn check_unary<const R: usize, const C: usize, const R2: usize, const C2: usize>(
    x0: SMatrix<f64, R, C>,
    f: for<'t> fn(Tensor<'t, R, C>) -> Tensor<'t, R2, C2>,
) {
    let loss = |x: SMatrix<f64, R, C>| {
        let tape = Tape::new();
        f(tape.var(x)).exp().sum().item()
    };
    let tape = Tape::new();
    let x = tape.var(x0);
    let got = f(x).exp().sum().backward().wrt(x);
    assert_close(&got, &fd_gradient(loss, x0), 1e-6, "∂x");
}

/// As [`check_unary`] for a function of two tensors.
pub(crate) fn check_binary<
    const R: usize,
    const C: usize,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>(
    a0: SMatrix<f64, R, C>,
    b0: SMatrix<f64, R1, C1>,
    f: for<'t> fn(Tensor<'t, R, C>, Tensor<'t, R1, C1>) -> Tensor<'t, R2, C2>,
) {
    let loss = |a: SMatrix<f64, R, C>, b: SMatrix<f64, R1, C1>| {
        let tape = Tape::new();
        f(tape.var(a), tape.var(b)).exp().sum().item()
    };
    let tape = Tape::new();
    let (a, b) = (tape.var(a0), tape.var(b0));
    let grads = f(a, b).exp().sum().backward();
    let fd_a = fd_gradient(|a| loss(a, b0), a0);
    let fd_b = fd_gradient(|b| loss(a0, b), b0);
    assert_close(&grads.wrt(a), &fd_a, 1e-6, "∂a");
    assert_close(&grads.wrt(b), &fd_b, 1e-6, "∂b");
}
