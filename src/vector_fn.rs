//! [`VectorFn`]: a vector-valued function written once, generic over the scalar, for the
//! Jacobian entry points ([`jacobian`](crate::jacobian) runs it on `f64` in reverse mode and,
//! with the feature `dual`, on multi-lane dual numbers in forward mode) and the solver
//! adapters.

use crate::{Scalar, Tensor};

/// A function `f: ℝᴺ → ℝᴹ` recorded on a tape, written once for every [`Scalar`]: parameters
/// `Tensor<N, 1>` in, residuals (or any outputs) `Tensor<M, 1>` out.
///
/// The vector-valued sibling of [`ScalarFn`](crate::ScalarFn), with the same two habits for
/// generic bodies (scalars on the right of tensors, constants as `T`), and the same way of
/// holding data: in `f64` fields of the implementing type, converted with
/// `x.tape().constant(m.map(nalgebra::convert))` where the body needs them. The same body then
/// runs on `f64` (reverse mode), on `f32`, and on dual numbers (forward mode).
///
/// # Examples
///
/// A least-squares residual `rᵢ = b₁(1 − e^{−b₂ xᵢ}) − yᵢ` (NIST's Misra1a model) on three data
/// points, and its Jacobian checked against the closed form
/// `∂rᵢ/∂b₁ = 1 − e^{−b₂xᵢ}`, `∂rᵢ/∂b₂ = b₁ xᵢ e^{−b₂xᵢ}`:
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix3x2, Vector2, Vector3};
/// use shapegrad::{Scalar, Tensor, VectorFn, jacobian};
///
/// struct Misra {
///     x: Vector3<f64>,
///     y: Vector3<f64>,
/// }
///
/// impl VectorFn<2, 3> for Misra {
///     fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 2, 1, T>) -> Tensor<'t, 3, 1, T> {
///         let x = b.tape().constant(self.x.map(nalgebra::convert));
///         let y = b.tape().constant(self.y.map(nalgebra::convert));
///         // b₁ − b₁ e^{−b₂x} − y, the parameters taken out and broadcast over the data
///         let (b1, b2) = (b.at(0).broadcast(), b.at(1).broadcast());
///         let e = (-(x * b2)).exp();
///         b1 - e * b1 - y
///     }
/// }
///
/// let f = Misra { x: Vector3::new(77.6, 114.9, 141.1), y: Vector3::new(10.07, 14.73, 17.94) };
/// let b = Vector2::new(250.0, 5e-4);
/// let (r, j) = jacobian(&f, &b);
/// let e = f.x.map(|x| (-b[1] * x).exp());
/// assert_relative_eq!(r, (e.map(|e| 1.0 - e) * b[0]) - f.y, max_relative = 1e-13);
/// let want = Matrix3x2::from_fn(|i, k| if k == 0 { 1.0 - e[i] } else { b[0] * f.x[i] * e[i] });
/// assert_relative_eq!(j, want, max_relative = 1e-13);
/// ```
pub trait VectorFn<const N: usize, const M: usize> {
    /// Records `f(x)` on `x`'s tape and returns the `M`-vector result.
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, N, 1, T>) -> Tensor<'t, M, 1, T>;
}
