//! [`ScalarFn`]: a scalar-valued function written once, generic over the scalar, for the tools
//! that run it in more than one scalar type ([`check_gradient`](crate::check_gradient) runs it
//! in `f64`, `hvp` and `hessian` on dual numbers).

use crate::{Scalar, Tensor};

/// A function `f: ℝ^{R×C} → ℝ` recorded on a tape, written once for every [`Scalar`].
///
/// A closure cannot be generic over its scalar type, so the function is a method of a type
/// (usually a unit struct, or a struct holding the function's data in `f64`). `C` defaults to
/// 1: `ScalarFn<N>` is a function of an `N`-vector.
///
/// Writing the body generically needs two habits, because `T` may be a dual number rather
/// than `f32`/`f64`:
/// - **Scalars on the right.** `x * c`, `x + c`, `x - c`, `x / c` exist for every `T`; the
///   left-scalar forms `2.0 * x`, `1.0 - x`, `1.0 / x` exist only for `f32` and `f64`. Write
///   `-x + c` for `c - x` and `x.powi(-1) * c` for `c / x`.
/// - **Constants as `T`.** `T::one()`, `T::zero()`, `nalgebra::convert::<f64, T>(0.5)` for a
///   literal (the turbofish is needed where `x * c` could also be a tensor product), and
///   `x.tape().constant(m.map(nalgebra::convert))` for an `f64` matrix `m` of data.
///
/// # Examples
///
/// `f(x) = ln Σᵢ e^{(Ax)ᵢ}` with a data matrix `A`, then its gradient `Aᵀ softmax(Ax)`
/// checked against finite differences:
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix2x3, Vector2, Vector3};
/// use shapegrad::{Scalar, ScalarFn, Tensor, check_gradient};
///
/// struct LogSumExp {
///     a: Matrix2x3<f64>,
/// }
///
/// impl ScalarFn<3> for LogSumExp {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         let a = x.tape().constant(self.a.map(nalgebra::convert));
///         a.matmul(x).exp().sum().ln()
///     }
/// }
///
/// let f = LogSumExp { a: Matrix2x3::new(1.0, 2.0, 0.0, -1.0, 0.5, 1.0) };
/// let x = Vector3::new(0.1, -0.2, 0.3);
///
/// // Run it on a tape like any other function:
/// let tape = shapegrad::Tape::new();
/// let xt = tape.var(x);
/// let grad = f.eval(xt).backward().wrt(xt);
/// let z: Vector2<f64> = f.a * x;
/// let p = z.map(f64::exp) / z.map(f64::exp).sum();
/// assert_relative_eq!(grad, f.a.transpose() * p, max_relative = 1e-14);
///
/// // and check it against central finite differences:
/// let report = check_gradient(&f, &x);
/// assert!(report.passed(), "{report}");
/// ```
///
/// A plain float on the left of a tensor does not compile in generic code (it is implemented
/// for `f32` and `f64` tensors only):
///
/// ```compile_fail
/// use shapegrad::{Scalar, ScalarFn, Tensor};
///
/// struct Bad;
/// impl ScalarFn<2> for Bad {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
///         (2.0 * x).sum() // write `x * nalgebra::convert::<f64, T>(2.0)`
///     }
/// }
/// ```
pub trait ScalarFn<const R: usize, const C: usize = 1> {
    /// Records `f(x)` on `x`'s tape and returns the 1×1 result.
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T>;
}
