//! The [levenberg-marquardt](https://docs.rs/levenberg-marquardt) solver (0.15) on shapegrad
//! Jacobians (feature `levenberg-marquardt`): [`LeastSquares`] is its
//! `LeastSquaresProblem` for a [`VectorFn`] of residuals.
//!
//! **Why nalgebra 0.34 vectors.** levenberg-marquardt 0.15 is built on nalgebra 0.34, and
//! its trait's parameters, residuals and Jacobian are that version's matrices; shapegrad is on
//! nalgebra 0.35. [`LeastSquares`] takes the start and gives the solution as shapegrad's
//! (0.35) `SVector` ([`LeastSquares::new`], [`LeastSquares::x`]), so a user's code names
//! one nalgebra; the solver sees its own through `shapegrad::nalgebra_034`. Both versions
//! store a static matrix as the same column-major array, so the bridge is a copy of `N` or
//! `M·N` numbers.
//!
//! **One evaluation per `set_params`.** The solver sets a trial point, then reads the
//! residuals and, for an accepted point, the Jacobian; [`LeastSquares`] computes both in one
//! [`jacobian`](crate::jacobian) call in `set_params` (forward mode for a tall problem with the
//! feature `dual`: one pass gives both) and hands out copies.
//!
//! **Non-finite residuals** (a start where the model overflows, a parameter that makes a
//! power undefined) are handed to the solver as they are: it stops with its own
//! `TerminationReason::Numerical` and returns, so nothing here panics on values.

use ::levenberg_marquardt::LeastSquaresProblem;
use nalgebra::SVector;
use nalgebra_034 as na034;

use crate::VectorFn;
use crate::bridge::{from_034, to_034};

/// The solver and its report, re-exported so that a user's code names one version of it.
pub use ::levenberg_marquardt::{LevenbergMarquardt, MinimizationReport, TerminationReason};

/// A [`VectorFn`] of `M` residuals in `N` parameters as levenberg-marquardt's
/// `LeastSquaresProblem`: the solver minimises `½‖r(x)‖²` with shapegrad's exact Jacobian.
///
/// Holds the function, the current point and the residuals and Jacobian there (computed
/// once per `set_params`). `Send` and `Sync` when `F` is: no tape is kept (each evaluation
/// records on a fresh tape, whose buffers the thread's pool recycles).
///
/// # Examples
///
/// Fit `y = b₁(1 − e^{−b₂x})` (NIST's Misra1a model) to four points made from
/// `b = (200, 10⁻³)`, from the start `(250, 5·10⁻⁴)`:
///
/// ```
/// use nalgebra::{Vector2, Vector4};
/// use shapegrad::levenberg_marquardt::{LeastSquares, LevenbergMarquardt};
/// use shapegrad::{Scalar, Tensor, VectorFn};
///
/// struct Misra {
///     x: Vector4<f64>,
///     y: Vector4<f64>,
/// }
///
/// impl VectorFn<2, 4> for Misra {
///     fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 2, 1, T>) -> Tensor<'t, 4, 1, T> {
///         let x = b.tape().constant(self.x.map(nalgebra::convert));
///         let y = b.tape().constant(self.y.map(nalgebra::convert));
///         let (b1, b2) = (b.at(0).broadcast(), b.at(1).broadcast());
///         b1 - (-(x * b2)).exp() * b1 - y
///     }
/// }
///
/// let x = Vector4::new(100.0, 300.0, 500.0, 700.0);
/// let y = x.map(|x: f64| 200.0 * (1.0 - (-1e-3 * x).exp()));
/// let problem = LeastSquares::new(Misra { x, y }, Vector2::new(250.0, 5e-4));
/// let (fitted, report) = LevenbergMarquardt::new().minimize(problem);
/// assert!(report.termination.was_successful());
/// approx::assert_relative_eq!(fitted.x(), Vector2::new(200.0, 1e-3), max_relative = 1e-9);
/// ```
pub struct LeastSquares<F, const N: usize, const M: usize> {
    f: F,
    x: na034::SVector<f64, N>,
    residuals: na034::SVector<f64, M>,
    jacobian: na034::SMatrix<f64, M, N>,
}

impl<F: VectorFn<N, M>, const N: usize, const M: usize> LeastSquares<F, N, M> {
    /// The problem of `f`'s residuals, with residuals and Jacobian evaluated at `start`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::levenberg_marquardt::LeastSquares;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// // r(x) = (x₀ − 1, x₀x₁)
    /// struct R;
    /// impl VectorFn<2, 2> for R {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
    ///         Tensor::from_scalars([x.at(0) - T::one(), x.at(0) * x.at(1)])
    ///     }
    /// }
    /// let p = LeastSquares::new(R, Vector2::new(3.0, 2.0));
    /// assert_eq!(p.x(), Vector2::new(3.0, 2.0));
    /// assert_eq!(p.residual_sum_of_squares(), 4.0 + 36.0);
    /// ```
    pub fn new(f: F, start: SVector<f64, N>) -> Self {
        let mut problem = LeastSquares {
            f,
            x: to_034(&start),
            residuals: na034::SVector::zeros(),
            jacobian: na034::SMatrix::zeros(),
        };
        problem.evaluate(to_034(&start));
        problem
    }

    /// The current point (after `minimize`, the solution) as shapegrad's nalgebra vector.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    /// use shapegrad::levenberg_marquardt::LeastSquares;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Shift; // r(x) = x − 2
    /// impl VectorFn<1, 1> for Shift {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x - nalgebra::convert::<f64, T>(2.0)
    ///     }
    /// }
    /// let (p, _) = shapegrad::levenberg_marquardt::LevenbergMarquardt::new()
    ///     .minimize(LeastSquares::new(Shift, Vector1::new(5.0)));
    /// assert_eq!(p.x(), Vector1::new(2.0));
    /// ```
    pub fn x(&self) -> SVector<f64, N> {
        from_034(&self.x)
    }

    /// `Σᵢ rᵢ²` at the current point (twice the solver's `objective_function`).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::levenberg_marquardt::LeastSquares;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Identity; // r(x) = x
    /// impl VectorFn<2, 2> for Identity {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
    ///         x
    ///     }
    /// }
    /// assert_eq!(LeastSquares::new(Identity, Vector2::new(3.0, 4.0)).residual_sum_of_squares(), 25.0);
    /// ```
    pub fn residual_sum_of_squares(&self) -> f64 {
        self.residuals.norm_squared()
    }

    /// The residual function.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    /// use shapegrad::levenberg_marquardt::LeastSquares;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Offset(f64); // r(x) = x − c
    /// impl VectorFn<1, 1> for Offset {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x - nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// let p = LeastSquares::new(Offset(1.5), Vector1::new(0.0));
    /// assert_eq!(p.function().0, 1.5);
    /// ```
    pub fn function(&self) -> &F {
        &self.f
    }

    /// The residual function, giving up the problem.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    /// use shapegrad::levenberg_marquardt::LeastSquares;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Offset(f64); // r(x) = x − c
    /// impl VectorFn<1, 1> for Offset {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x - nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// let f = LeastSquares::new(Offset(1.5), Vector1::new(0.0)).into_inner();
    /// assert_eq!(f.0, 1.5);
    /// ```
    pub fn into_inner(self) -> F {
        self.f
    }

    /// Residuals and Jacobian at `x`, in one call.
    fn evaluate(&mut self, x: na034::SVector<f64, N>) {
        let (r, j) = crate::jacobian(&self.f, &from_034(&x));
        self.x = x;
        self.residuals = to_034(&r);
        self.jacobian = to_034(&j);
    }
}

impl<F: VectorFn<N, M>, const N: usize, const M: usize>
    LeastSquaresProblem<f64, na034::Const<M>, na034::Const<N>> for LeastSquares<F, N, M>
{
    type ResidualStorage = na034::ArrayStorage<f64, M, 1>;
    type JacobianStorage = na034::ArrayStorage<f64, M, N>;
    type ParameterStorage = na034::ArrayStorage<f64, N, 1>;

    fn set_params(&mut self, x: &na034::SVector<f64, N>) {
        self.evaluate(*x);
    }

    fn params(&self) -> na034::SVector<f64, N> {
        self.x
    }

    fn residuals(&self) -> Option<na034::SVector<f64, M>> {
        Some(self.residuals)
    }

    fn jacobian(&self) -> Option<na034::SMatrix<f64, M, N>> {
        Some(self.jacobian)
    }
}
