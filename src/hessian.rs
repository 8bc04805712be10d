//! Second derivatives by forward-over-reverse: the tape run on dual numbers (feature
//! `hessian`).
//!
//! Record `f` on a `Tape<Dual64>` with the input `x + ε·v` (`ε² = 0`) and run the ordinary
//! reverse walk. Every value on the tape is then `a + ε·ȧ` with `ȧ` the directional derivative
//! along `v`, and so is every gradient: the walk computes `∇f(x + ε·v) = ∇f(x) + ε·H(x)·v`.
//! The real parts are the value and the gradient, the `ε` parts the Hessian-vector product,
//! exact up to rounding. The backward rules are generic over [`Scalar`](crate::Scalar), so they
//! run unchanged on duals: their comparisons (`x >= 0`, `is_finite`) look at the real part only
//! and pick the same branch as in `f64`.

use nalgebra::{SMatrix, SVector};
use num_dual::Dual64;

use crate::{Gradients, ScalarFn, Tape};

/// The value, gradient and Hessian-vector product of `f` at `x` along `v`:
/// `(f(x), ∇f(x), H(x)·v)`, by one forward pass and one reverse walk on dual numbers
/// (forward-over-reverse). Feature `hessian`.
///
/// The cost is one gradient's, with every scalar operation on a dual number (2 `f64`s)
/// instead of an `f64`: a small constant factor (`docs/higher-order.md` has measurements).
/// `f` is written once, generic over the scalar: see [`ScalarFn`] for how (scalars on the
/// right of tensors, constants as `T`). At a kink of a piecewise op (`relu` or `abs` at 0,
/// `max` at a tie) the rule's choice of one-sided derivative carries over: the second
/// derivative there is that side's.
///
/// # Examples
///
/// Log-sum-exp `f(x) = ln Σᵢ e^{xᵢ}`: `∇f = p = softmax(x)`, `H = diag(p) − p·pᵀ`, so
/// `H·v = p ⊙ v − p·(pᵀv)`.
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::Vector3;
/// use shapegrad::{Scalar, ScalarFn, Tensor, hvp};
///
/// struct LogSumExp;
/// impl ScalarFn<3> for LogSumExp {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         x.exp().sum().ln()
///     }
/// }
///
/// let x = Vector3::new(0.5, -1.0, 2.0);
/// let v = Vector3::new(1.0, 2.0, -1.0);
/// let (value, grad, hv) = hvp(&LogSumExp, &x, &v);
///
/// let e = x.map(f64::exp);
/// let p = e / e.sum();
/// assert_relative_eq!(value, e.sum().ln(), max_relative = 1e-15);
/// assert_relative_eq!(grad, p, max_relative = 1e-15);
/// assert_relative_eq!(hv, p.component_mul(&v) - p * p.dot(&v), max_relative = 1e-14);
/// ```
pub fn hvp<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
    v: &SMatrix<f64, R, C>,
) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, R, C>) {
    let tape = Tape::<Dual64>::new();
    let mut grads = Gradients::new();
    let (mut grad, mut hv) = (SMatrix::zeros(), SMatrix::zeros());
    let value = sweep(&tape, &mut grads, f, x, v, &mut grad, &mut hv);
    (value, grad, hv)
}

/// The Hessian `H(x)` of `f: ℝᴺ → ℝ`, `Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ`, column by column: column `j` is
/// the Hessian-vector product `H·eⱼ` ([`hvp`]), so the cost is `N` of those, on one tape
/// cleared between them. Feature `hessian`.
///
/// Each column is exact up to rounding; the matrix is symmetric up to rounding (not
/// symmetrised: `Hᵢⱼ` and `Hⱼᵢ` come from different sweeps, so their difference measures the
/// rounding).
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix3, Vector3};
/// use shapegrad::{Scalar, ScalarFn, Tensor, hessian};
///
/// struct LogSumExp;
/// impl ScalarFn<3> for LogSumExp {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         x.exp().sum().ln()
///     }
/// }
///
/// let x = Vector3::new(0.5, -1.0, 2.0);
/// let h = hessian(&LogSumExp, &x);
/// let p = x.map(f64::exp) / x.map(f64::exp).sum();
/// // H = diag(p) − p·pᵀ
/// let want = Matrix3::from_diagonal(&p) - p * p.transpose();
/// assert_relative_eq!(h, want, max_relative = 1e-14, epsilon = 1e-16);
/// ```
pub fn hessian<F: ScalarFn<N>, const N: usize>(f: &F, x: &SVector<f64, N>) -> SMatrix<f64, N, N> {
    let mut tape = Tape::<Dual64>::new();
    let mut grads = Gradients::new();
    let mut h = SMatrix::<f64, N, N>::zeros();
    let (mut e, mut grad, mut column) = (SVector::zeros(), SVector::zeros(), SVector::zeros());
    for j in 0..N {
        tape.clear();
        e[j] = 1.0;
        sweep(&tape, &mut grads, f, x, &e, &mut grad, &mut column);
        e[j] = 0.0;
        h.set_column(j, &column);
    }
    h
}

/// Records `f(x + ε·v)` on `tape`, walks it back, and writes `∇f(x)` into `grad` and
/// `H(x)·v` into `hv`; returns `f(x)`.
fn sweep<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    tape: &Tape<Dual64>,
    grads: &mut Gradients<Dual64>,
    f: &F,
    x: &SMatrix<f64, R, C>,
    v: &SMatrix<f64, R, C>,
    grad: &mut SMatrix<f64, R, C>,
    hv: &mut SMatrix<f64, R, C>,
) -> f64 {
    let xt = tape.var_from_fn::<R, C>(|i, j| Dual64::new(x[(i, j)], v[(i, j)]));
    let y = f.eval(xt);
    y.backward_into(grads);
    match grads.slice(xt) {
        Some(d) => {
            for (k, d) in d.iter().enumerate() {
                grad[k] = d.re;
                hv[k] = d.eps;
            }
        }
        None => {
            // f does not depend on x
            grad.fill(0.0);
            hv.fill(0.0);
        }
    }
    y.item().re
}
