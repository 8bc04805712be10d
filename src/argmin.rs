//! [argmin](https://docs.rs/argmin) (0.11) on shapegrad's exact derivatives (feature
//! `argmin`): [`Cost`] makes a [`ScalarFn`] argmin's `CostFunction + Gradient` (and
//! `Hessian` with the feature `dual`), for L-BFGS, Newton and the other gradient solvers;
//! [`Residuals`] makes a [`VectorFn`] its `Operator + Jacobian`, for Gauss–Newton.
//!
//! **Why nalgebra 0.34 types.** argmin-math 0.5's nalgebra backend is built on nalgebra
//! 0.34 (shapegrad: 0.35), so the parameters the solvers hold are that version's vectors,
//! re-exported as [`crate::nalgebra_034`]; [`to_034`] and [`from_034`] copy a start point
//! and a solution across (the same column-major array in both versions). argmin's `Vec<f64>`
//! backend would spare the user the second nalgebra, but it has no matrix inverse, so
//! Newton and Gauss–Newton do not run on it.
//! - [`Cost`] speaks **static** vectors (`SVector<f64, N>`, Hessian `SMatrix<f64, N, N>`):
//!   no allocation per evaluation, and the size is the function's.
//! - [`Residuals`] speaks **dynamic** ones (`DVector<f64>`, Jacobian `DMatrix<f64>`):
//!   argmin's Gauss–Newton takes the transpose of the Jacobian as a value of the Jacobian's
//!   own type, which a static `M×N` matrix is not. A parameter of another length than `N` is
//!   an error ([`EvalError::Length`]).
//!
//! **Tapes.** argmin's traits take `&self`. Each evaluation records on a fresh
//! [`Tape`], whose buffers the calling thread's [`pool`](crate::pool) keeps for the next
//! one, so after the first call an evaluation allocates nothing on the tape, and the adapters
//! hold no tape: they are `Send` and `Sync` whenever the function is.
//!
//! **Non-finite values are errors.** argmin's line searches and solvers do not check for
//! NaN, and some of them loop on one without end. A cost, gradient, Hessian, residual or
//! Jacobian that is not finite is returned as an [`EvalError::NonFinite`], and `Executor::run`
//! returns it: the run stops at the first such point, with the point in the message. A
//! function that may overflow at points a line search tries should be written to stay finite
//! there.
//!
//! `docs/least-squares.md` has the worked examples and the user code each adapter needs.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;

use ::argmin::core::{CostFunction, Error, Gradient, Jacobian, Operator};
use nalgebra::SVector;
use nalgebra_034 as na034;

pub use crate::bridge::{from_034, to_034};
use crate::{ScalarFn, Tape, VectorFn};

/// argmin's `core` and `solver` modules, re-exported so that a user's code names one version
/// of argmin (`Executor`, `State`, `solver::quasinewton::LBFGS`, …).
pub use ::argmin::{core, solver};

/// Why an adapter refused an evaluation; argmin's `Error` wraps it (recover it with
/// `error.downcast_ref::<EvalError>()`).
///
/// # Examples
///
/// ```
/// use shapegrad::argmin::EvalError;
///
/// let e = EvalError::Length { expected: 2, found: 3 };
/// assert_eq!(e.to_string(), "shapegrad::argmin: the parameter has 3 entries, the function takes 2");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EvalError {
    /// The function's `what` (`"cost"`, `"gradient"`, `"Hessian"`, `"residuals"`,
    /// `"Jacobian"`) has a NaN or infinite entry at the parameter `at`.
    NonFinite {
        /// Which value was not finite.
        what: &'static str,
        /// The parameter it was evaluated at.
        at: Vec<f64>,
    },
    /// A [`Residuals`] parameter of the wrong length.
    Length {
        /// `N`, the function's input size.
        expected: usize,
        /// The parameter's length.
        found: usize,
    },
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::NonFinite { what, at } => {
                write!(
                    f,
                    "shapegrad::argmin: the {what} is not finite at x = {at:?}"
                )
            }
            EvalError::Length { expected, found } => write!(
                f,
                "shapegrad::argmin: the parameter has {found} entries, the function takes {expected}"
            ),
        }
    }
}

impl std::error::Error for EvalError {}

/// `Ok` if all `entries` are finite, else [`EvalError::NonFinite`] naming `what` at `x`.
fn finite(entries: &[f64], what: &'static str, x: &[f64]) -> Result<(), Error> {
    if entries.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::new(EvalError::NonFinite {
            what,
            at: x.to_vec(),
        }))
    }
}

/// A [`ScalarFn`] of an `N`-vector as argmin's `CostFunction`, `Gradient` and, with the
/// feature `dual`, `Hessian`: exact derivatives for L-BFGS, Newton, BFGS, conjugate gradient
/// and steepest descent. `N` is the function's (inferred from its one `ScalarFn` impl).
///
/// - `cost`: one recording with `x` as a constant (no derivative work).
/// - `gradient`: one recording and one reverse walk.
/// - The adapter remembers its last point (behind a `Mutex`, locked only to look up and to
///   store): a cost or gradient asked for again at the same point is not recomputed, and a
///   cost after a gradient at that point comes free. L-BFGS with the More–Thuente line search
///   asks for each accepted point's gradient twice (measured on the 10-dimensional Rosenbrock
///   function: 79 of 180 gradient requests are repeats).
/// - `hessian` (feature `dual`): [`hessian`](crate::hessian), `N` forward-over-reverse sweeps.
///
/// Parameters are nalgebra 0.34 `SVector<f64, N>` (see the [module docs](self) for why and
/// for what a non-finite value does).
///
/// # Examples
///
/// L-BFGS on the Rosenbrock function from `(−1.2, 1)`, to its minimum `(1, 1)`:
///
/// ```
/// use shapegrad::argmin::core::{Executor, State};
/// use shapegrad::argmin::solver::{linesearch::MoreThuenteLineSearch, quasinewton::LBFGS};
/// use shapegrad::argmin::{Cost, from_034, to_034};
/// use shapegrad::{Scalar, ScalarFn, Tensor};
///
/// struct Rosenbrock; // (1 − x₀)² + 100 (x₁ − x₀²)²
/// impl ScalarFn<2> for Rosenbrock {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
///         let (a, b) = (-x.at(0) + T::one(), x.at(1) - x.at(0) * x.at(0));
///         a * a + b * b * nalgebra::convert::<f64, T>(100.0)
///     }
/// }
///
/// let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
/// let start = nalgebra::Vector2::new(-1.2, 1.0);
/// let result = Executor::new(Cost::new(Rosenbrock), solver)
///     .configure(|state| state.param(to_034(&start)).max_iters(100))
///     .run()
///     .unwrap();
/// let best = from_034(result.state().get_best_param().unwrap());
/// approx::assert_relative_eq!(best, nalgebra::Vector2::new(1.0, 1.0), epsilon = 1e-8);
/// ```
pub struct Cost<F, const N: usize> {
    f: F,
    /// The last point evaluated, its cost and (if asked for) its gradient.
    last: Mutex<Option<Last<N>>>,
}

/// One evaluation, kept because line searches ask for the same point twice (More–Thuente
/// asks for the gradient of the point it accepts again in L-BFGS's next step).
#[derive(Clone, Copy, Debug)]
struct Last<const N: usize> {
    x: na034::SVector<f64, N>,
    cost: f64,
    gradient: Option<na034::SVector<f64, N>>,
}

impl<const N: usize> Last<N> {
    /// Whether this is the evaluation at `x` (the same bits: `-0.0` is not `0.0` here, a NaN
    /// parameter is its own point).
    fn at(&self, x: &na034::SVector<f64, N>) -> bool {
        self.x
            .iter()
            .zip(x.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl<F: fmt::Debug, const N: usize> fmt::Debug for Cost<F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cost")
            .field("f", &self.f)
            .finish_non_exhaustive()
    }
}

/// A clone starts with no remembered evaluation.
impl<F: Clone, const N: usize> Clone for Cost<F, N> {
    fn clone(&self) -> Self {
        Cost {
            f: self.f.clone(),
            last: Mutex::new(None),
        }
    }
}

impl<F: ScalarFn<N>, const N: usize> Cost<F, N> {
    /// The cost function `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::{Cost, core::CostFunction, to_034};
    /// use shapegrad::{Scalar, ScalarFn, Tensor};
    ///
    /// struct SumOfSquares;
    /// impl ScalarFn<2> for SumOfSquares {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         (x * x).sum()
    ///     }
    /// }
    /// let cost = Cost::new(SumOfSquares);
    /// assert_eq!(cost.cost(&to_034(&nalgebra::Vector2::new(3.0, 4.0))).unwrap(), 25.0);
    /// ```
    pub fn new(f: F) -> Self {
        Cost {
            f,
            last: Mutex::new(None),
        }
    }

    /// The function.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::Cost;
    /// use shapegrad::{Scalar, ScalarFn, Tensor};
    ///
    /// struct Scaled(f64); // c·Σ xᵢ
    /// impl ScalarFn<2> for Scaled {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x.sum() * nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// assert_eq!(Cost::new(Scaled(2.5)).function().0, 2.5);
    /// ```
    pub fn function(&self) -> &F {
        &self.f
    }

    /// The function, giving up the adapter.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::Cost;
    /// use shapegrad::{Scalar, ScalarFn, Tensor};
    ///
    /// struct Scaled(f64); // c·Σ xᵢ
    /// impl ScalarFn<2> for Scaled {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x.sum() * nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// assert_eq!(Cost::new(Scaled(2.5)).into_inner().0, 2.5);
    /// ```
    pub fn into_inner(self) -> F {
        self.f
    }

    /// The remembered evaluation, if it is at `x`.
    fn remembered(&self, x: &na034::SVector<f64, N>) -> Option<Last<N>> {
        // a panic in the user's function never happens while the lock is held: no poisoning
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.filter(|l| l.at(x))
    }

    fn remember(&self, last: Last<N>) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(last);
    }
}

impl<F: ScalarFn<N>, const N: usize> CostFunction for Cost<F, N> {
    type Param = na034::SVector<f64, N>;
    type Output = f64;

    fn cost(&self, x: &Self::Param) -> Result<f64, Error> {
        let cost = match self.remembered(x) {
            Some(last) => last.cost,
            None => {
                let tape = Tape::new();
                let cost = self.f.eval(tape.constant(from_034(x))).item();
                self.remember(Last {
                    x: *x,
                    cost,
                    gradient: None,
                });
                cost
            }
        };
        finite(&[cost], "cost", x.as_slice())?;
        Ok(cost)
    }
}

impl<F: ScalarFn<N>, const N: usize> Gradient for Cost<F, N> {
    type Param = na034::SVector<f64, N>;
    type Gradient = na034::SVector<f64, N>;

    fn gradient(&self, x: &Self::Param) -> Result<Self::Gradient, Error> {
        let grad = match self.remembered(x).and_then(|last| last.gradient) {
            Some(grad) => grad,
            None => {
                let tape = Tape::new();
                let xt = tape.var(from_034(x));
                let y = self.f.eval(xt);
                let grad = to_034(&y.backward().wrt(xt));
                self.remember(Last {
                    x: *x,
                    cost: y.item(),
                    gradient: Some(grad),
                });
                grad
            }
        };
        finite(grad.as_slice(), "gradient", x.as_slice())?;
        Ok(grad)
    }
}

#[cfg(feature = "dual")]
impl<F: ScalarFn<N>, const N: usize> ::argmin::core::Hessian for Cost<F, N> {
    type Param = na034::SVector<f64, N>;
    type Hessian = na034::SMatrix<f64, N, N>;

    fn hessian(&self, x: &Self::Param) -> Result<Self::Hessian, Error> {
        let h = to_034(&crate::hessian(&self.f, &from_034(x)));
        finite(h.as_slice(), "Hessian", x.as_slice())?;
        Ok(h)
    }
}

/// A [`VectorFn`] of `M` residuals in `N` parameters as argmin's `Operator` (the residuals)
/// and `Jacobian`, for Gauss–Newton (`solver::gaussnewton`), which minimises `½‖r(x)‖²`.
///
/// - `apply`: one recording with `x` as a constant.
/// - `jacobian`: [`jacobian`](crate::jacobian), in the cheaper mode.
///
/// Parameters and residuals are nalgebra 0.34 `DVector<f64>`, the Jacobian a `DMatrix<f64>`
/// (see the [module docs](self) for why dynamic, and for what a non-finite value does); a
/// parameter whose length is not `N` is an [`EvalError::Length`].
///
/// # Examples
///
/// Gauss–Newton on `r(x) = (x₀ − 1, 10(x₁ − x₀²))`, whose zero is `(1, 1)`:
///
/// ```
/// use shapegrad::argmin::core::{Executor, State};
/// use shapegrad::argmin::{Residuals, solver::gaussnewton::GaussNewton};
/// use shapegrad::nalgebra_034::DVector;
/// use shapegrad::{Scalar, Tensor, VectorFn};
///
/// struct R;
/// impl VectorFn<2, 2> for R {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
///         let ten = nalgebra::convert::<f64, T>(10.0);
///         Tensor::from_scalars([x.at(0) - T::one(), (x.at(1) - x.at(0) * x.at(0)) * ten])
///     }
/// }
///
/// let result = Executor::new(Residuals::new(R), GaussNewton::<f64>::new())
///     .configure(|state| state.param(DVector::from_vec(vec![-1.2, 1.0])).max_iters(20))
///     .run()
///     .unwrap();
/// let best = result.state().get_best_param().unwrap();
/// approx::assert_relative_eq!(best, &DVector::from_vec(vec![1.0, 1.0]), epsilon = 1e-12);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Residuals<F, const N: usize, const M: usize> {
    f: F,
    /// `N` and `M`, which only the trait impls use.
    shape: PhantomData<[[f64; N]; M]>,
}

impl<F: VectorFn<N, M>, const N: usize, const M: usize> Residuals<F, N, M> {
    /// The residual function `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::{Residuals, core::Operator};
    /// use shapegrad::nalgebra_034::DVector;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Shift; // r(x) = x − 1
    /// impl VectorFn<2, 2> for Shift {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
    ///         x - T::one()
    ///     }
    /// }
    /// let r = Residuals::new(Shift).apply(&DVector::from_vec(vec![3.0, 1.0])).unwrap();
    /// assert_eq!(r, DVector::from_vec(vec![2.0, 0.0]));
    /// ```
    pub fn new(f: F) -> Self {
        Residuals {
            f,
            shape: PhantomData,
        }
    }

    /// The function.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::Residuals;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Offset(f64); // r(x) = x − c
    /// impl VectorFn<1, 1> for Offset {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x - nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// assert_eq!(Residuals::new(Offset(1.5)).function().0, 1.5);
    /// ```
    pub fn function(&self) -> &F {
        &self.f
    }

    /// The function, giving up the adapter.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::argmin::Residuals;
    /// use shapegrad::{Scalar, Tensor, VectorFn};
    ///
    /// struct Offset(f64); // r(x) = x − c
    /// impl VectorFn<1, 1> for Offset {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x - nalgebra::convert::<f64, T>(self.0)
    ///     }
    /// }
    /// assert_eq!(Residuals::new(Offset(1.5)).into_inner().0, 1.5);
    /// ```
    pub fn into_inner(self) -> F {
        self.f
    }

    /// `x` as a static vector, or [`EvalError::Length`].
    fn point(x: &na034::DVector<f64>) -> Result<SVector<f64, N>, Error> {
        if x.len() == N {
            Ok(SVector::from_column_slice(x.as_slice()))
        } else {
            Err(Error::new(EvalError::Length {
                expected: N,
                found: x.len(),
            }))
        }
    }
}

impl<F: VectorFn<N, M>, const N: usize, const M: usize> Operator for Residuals<F, N, M> {
    type Param = na034::DVector<f64>;
    type Output = na034::DVector<f64>;

    fn apply(&self, x: &Self::Param) -> Result<Self::Output, Error> {
        let tape = Tape::new();
        let r = self.f.eval(tape.constant(Self::point(x)?)).value();
        finite(r.as_slice(), "residuals", x.as_slice())?;
        Ok(na034::DVector::from_column_slice(r.as_slice()))
    }
}

impl<F: VectorFn<N, M>, const N: usize, const M: usize> Jacobian for Residuals<F, N, M> {
    type Param = na034::DVector<f64>;
    type Jacobian = na034::DMatrix<f64>;

    fn jacobian(&self, x: &Self::Param) -> Result<Self::Jacobian, Error> {
        let (_, j) = crate::jacobian(&self.f, &Self::point(x)?);
        finite(j.as_slice(), "Jacobian", x.as_slice())?;
        Ok(na034::DMatrix::from_column_slice(M, N, j.as_slice()))
    }
}
