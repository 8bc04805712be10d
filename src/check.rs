//! A public gradient checker: shapegrad's gradient against central finite differences, with
//! `torch.autograd.gradcheck`'s default step and tolerances.

use core::fmt;

use nalgebra::SMatrix;

use crate::{ScalarFn, Tape};

/// Settings of a gradient check: the finite-difference step and the tolerances.
///
/// The defaults are `torch.autograd.gradcheck`'s: `eps = 1e-6`, `atol = 1e-5`,
/// `rtol = 1e-3`. An element passes when `|analytic − numeric| ≤ atol + rtol·|numeric|`
/// (PyTorch's `allclose(analytic, numeric)`), where `numeric` is the central difference
/// `(f(x + eps·eₖ) − f(x − eps·eₖ)) / (2·eps)` with the same absolute step for every element.
///
/// Change the settings with the builder methods; the one-call forms are [`check_gradient`]
/// and [`check_gradient_with`].
///
/// # Choosing the settings
///
/// The central difference is off by about `eps²·|f'''|/6` (truncation) plus `ε·|f|/eps`
/// (rounding, `ε = 2.2e-16`): with the default step, about `1e-12·|f'''|` and `2e-10·|f|`,
/// far below the default `atol` unless `f` is large (over ~10⁴) or strongly curved at the
/// scale of `eps`. For inputs of large magnitude use a larger `eps`; to catch small errors,
/// lower `rtol` and `atol` towards the noise level above. Keep inputs away from kinks (`relu`
/// and `abs` at 0, `max` at ties), where finite differences see both sides.
///
/// **The default `atol` hides errors in small gradients.** With `atol = 1e-5`, a gradient
/// whose entries are about `1e-6` passes even when it is off by a factor of 2: the error,
/// `1e-6`, is below `atol` whatever `rtol` says. This is PyTorch's default too, and it is
/// kept so that reports match `gradcheck`'s; for functions with small gradients, scale the
/// function up or lower `atol` to the finite-difference noise:
///
/// ```
/// use nalgebra::Vector1;
/// use shapegrad::GradCheck;
///
/// // f(x) = 1e-6·x², so ∇f = 2e-6·x; claim twice that
/// let value = |x: &Vector1<f64>| 1e-6 * x[0] * x[0];
/// let wrong = |x: &Vector1<f64>| Vector1::new(4e-6 * x[0]);
/// let x = Vector1::new(0.5);
/// assert!(GradCheck::new().check_with(value, wrong, &x).passed()); // the default misses it
/// assert!(!GradCheck::new().atol(1e-12).check_with(value, wrong, &x).passed()); // caught
/// ```
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{GradCheck, Scalar, ScalarFn, Tensor};
///
/// struct SoftPlusSum;
/// impl ScalarFn<2> for SoftPlusSum {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
///         (x.exp() + T::one()).ln().sum() // Σ ln(1 + eˣ)
///     }
/// }
///
/// let strict = GradCheck::new().eps(1e-5).atol(1e-9).rtol(1e-7);
/// let report = strict.check(&SoftPlusSum, &Vector2::new(0.5, -2.0));
/// assert!(report.passed(), "{report}");
/// assert!(report.max_abs_error < 1e-9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    eps: f64,
    atol: f64,
    rtol: f64,
}

impl Default for GradCheck {
    /// `torch.autograd.gradcheck`'s defaults: `eps = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`.
    fn default() -> Self {
        GradCheck {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

impl GradCheck {
    /// The default settings (`eps = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(shapegrad::GradCheck::new(), shapegrad::GradCheck::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the finite-difference step (absolute, the same for every element).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    ///
    /// let check = shapegrad::GradCheck::new().eps(1e-4);
    /// let report = check.check_with(|x: &Vector1<f64>| x[0].exp(), |x| x.map(f64::exp), &Vector1::new(1.0));
    /// assert_eq!(report.eps, 1e-4);
    /// assert!(report.passed(), "{report}");
    /// ```
    pub fn eps(self, eps: f64) -> Self {
        GradCheck { eps, ..self }
    }

    /// Sets the absolute tolerance.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    ///
    /// let check = shapegrad::GradCheck::new().atol(1e-8);
    /// let report = check.check_with(|x: &Vector1<f64>| x[0].exp(), |x| x.map(f64::exp), &Vector1::new(1.0));
    /// assert_eq!(report.atol, 1e-8);
    /// assert!(report.passed(), "{report}");
    /// ```
    pub fn atol(self, atol: f64) -> Self {
        GradCheck { atol, ..self }
    }

    /// Sets the relative tolerance (relative to the finite-difference value).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    ///
    /// let check = shapegrad::GradCheck::new().rtol(1e-6);
    /// let report = check.check_with(|x: &Vector1<f64>| x[0].exp(), |x| x.map(f64::exp), &Vector1::new(1.0));
    /// assert_eq!(report.rtol, 1e-6);
    /// assert!(report.passed(), "{report}");
    /// ```
    pub fn rtol(self, rtol: f64) -> Self {
        GradCheck { rtol, ..self }
    }

    /// Checks the gradient shapegrad computes for `f` at `x` (recorded and differentiated
    /// in `f64`) against central finite differences of `f`'s value (also recorded in `f64`;
    /// one tape, cleared between the `2·R·C + 1` evaluations).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::{GradCheck, Scalar, ScalarFn, Tensor};
    ///
    /// /// Σ softmax(M)ᵢⱼ · Mᵢⱼ, column-wise softmax
    /// struct Expected;
    /// impl ScalarFn<2, 2> for Expected {
    ///     fn eval<'t, T: Scalar>(&self, m: Tensor<'t, 2, 2, T>) -> Tensor<'t, 1, 1, T> {
    ///         (m.softmax() * m).sum()
    ///     }
    /// }
    ///
    /// let report = GradCheck::new().check(&Expected, &Matrix2::new(0.5, -1.0, 2.0, 0.25));
    /// assert!(report.passed(), "{report}");
    /// ```
    pub fn check<F: ScalarFn<R, C>, const R: usize, const C: usize>(
        &self,
        f: &F,
        x: &SMatrix<f64, R, C>,
    ) -> GradCheckReport {
        let mut tape = Tape::<f64>::new();
        let analytic = {
            let xt = tape.var_from_slice::<R, C>(x.as_slice());
            f.eval(xt).backward().wrt(xt)
        };
        let value = |x: &SMatrix<f64, R, C>| {
            tape.clear();
            f.eval(tape.var_from_slice::<R, C>(x.as_slice())).item()
        };
        let numeric = central_differences(value, x, self.eps);
        self.compare(&analytic, &numeric)
    }

    /// Checks a gradient function `grad` against central finite differences of a value
    /// function `value`, at `x`: the lower-level form of [`check`](GradCheck::check), for a
    /// gradient that does not come from a [`ScalarFn`] (a hand-written one, or one read off a
    /// tape in a way of your own).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::GradCheck;
    ///
    /// // f(x) = x₀²·x₁ with a hand-written gradient, and a wrong one (the 2 forgotten)
    /// let value = |x: &Vector2<f64>| x[0] * x[0] * x[1];
    /// let x = Vector2::new(1.5, -2.0);
    /// let right = GradCheck::new().check_with(value, |x| Vector2::new(2.0 * x[0] * x[1], x[0] * x[0]), &x);
    /// assert!(right.passed(), "{right}");
    /// let wrong = GradCheck::new().check_with(value, |x| Vector2::new(x[0] * x[1], x[0] * x[0]), &x);
    /// assert!(!wrong.passed());
    /// assert_eq!(wrong.worst, (0, 0));
    /// ```
    pub fn check_with<const R: usize, const C: usize>(
        &self,
        value: impl FnMut(&SMatrix<f64, R, C>) -> f64,
        mut grad: impl FnMut(&SMatrix<f64, R, C>) -> SMatrix<f64, R, C>,
        x: &SMatrix<f64, R, C>,
    ) -> GradCheckReport {
        let analytic = grad(x);
        let numeric = central_differences(value, x, self.eps);
        self.compare(&analytic, &numeric)
    }

    /// Compares element by element and summarises.
    fn compare<const R: usize, const C: usize>(
        &self,
        analytic: &SMatrix<f64, R, C>,
        numeric: &SMatrix<f64, R, C>,
    ) -> GradCheckReport {
        let mut report = GradCheckReport {
            passed: true,
            max_abs_error: 0.0,
            max_rel_error: 0.0,
            worst: (0, 0),
            analytic: analytic.get(0).copied().unwrap_or(0.0),
            numeric: numeric.get(0).copied().unwrap_or(0.0),
            elements: R * C,
            eps: self.eps,
            atol: self.atol,
            rtol: self.rtol,
        };
        let mut worst_ratio = -1.0;
        for k in 0..R * C {
            let (a, n) = (analytic[k], numeric[k]);
            let err = (a - n).abs();
            let allowed = self.atol + self.rtol * n.abs();
            let ok = err <= allowed; // false for NaN
            report.passed &= ok;
            report.max_abs_error = nan_max(report.max_abs_error, err);
            report.max_rel_error = nan_max(report.max_rel_error, relative(err, n));
            // how far past its allowance the element is: NaN and "any error with no
            // allowance" rank highest
            let ratio = if err.is_nan() || (!ok && allowed <= 0.0) {
                f64::INFINITY
            } else if err == 0.0 {
                0.0
            } else {
                err / allowed
            };
            if ratio > worst_ratio {
                worst_ratio = ratio;
                report.worst = (k % R, k / R);
                report.analytic = a;
                report.numeric = n;
            }
        }
        report
    }
}

/// `|a − n| / |n|`, with `0/0 = 0` and `x/0 = inf`.
fn relative(err: f64, numeric: f64) -> f64 {
    if err == 0.0 { 0.0 } else { err / numeric.abs() }
}

/// `max` that keeps a NaN (`f64::max` drops it).
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// `(f(x + eps·eₖ) − f(x − eps·eₖ)) / (2·eps)` for every element `k`.
fn central_differences<const R: usize, const C: usize>(
    mut value: impl FnMut(&SMatrix<f64, R, C>) -> f64,
    x: &SMatrix<f64, R, C>,
    eps: f64,
) -> SMatrix<f64, R, C> {
    let mut numeric = SMatrix::<f64, R, C>::zeros();
    let mut probe = *x;
    for k in 0..R * C {
        probe[k] = x[k] + eps;
        let up = value(&probe);
        probe[k] = x[k] - eps;
        let down = value(&probe);
        probe[k] = x[k];
        numeric[k] = (up - down) / (2.0 * eps);
    }
    numeric
}

/// The outcome of a gradient check: the worst errors, and the element that decides it.
///
/// `Display` prints a one-paragraph summary, so `assert!(report.passed(), "{report}")`
/// explains a failure.
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::check_gradient_with;
///
/// // f(x) = Σ eˣ, with a gradient that is 1.1× too large
/// let report = check_gradient_with(
///     |x: &Vector2<f64>| x.map(f64::exp).sum(),
///     |x| x.map(f64::exp) * 1.1,
///     &Vector2::new(0.0, 1.0),
/// );
/// assert!(!report.passed());
/// assert_eq!(report.worst, (1, 0)); // e¹·0.1 is the larger error
/// approx::assert_relative_eq!(report.max_rel_error, 0.1, max_relative = 1e-6);
/// println!("{report}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct GradCheckReport {
    /// Whether every element is within `atol + rtol·|numeric|` (false if any is NaN).
    passed: bool,
    /// `maxₖ |analyticₖ − numericₖ|` (NaN if any element is NaN).
    pub max_abs_error: f64,
    /// `maxₖ |analyticₖ − numericₖ| / |numericₖ|`, with `0/0` counted as 0 and `x/0` as inf
    /// (NaN if any element is NaN).
    pub max_rel_error: f64,
    /// `(row, column)` of the worst element: the one furthest past its allowance
    /// `atol + rtol·|numeric|` (relative to it), which decides [`passed`](Self::passed).
    pub worst: (usize, usize),
    /// shapegrad's gradient at [`worst`](Self::worst).
    pub analytic: f64,
    /// The finite-difference gradient at [`worst`](Self::worst).
    pub numeric: f64,
    /// Number of elements checked.
    pub elements: usize,
    /// The finite-difference step used.
    pub eps: f64,
    /// The absolute tolerance used.
    pub atol: f64,
    /// The relative tolerance used.
    pub rtol: f64,
}

impl GradCheckReport {
    /// Whether every element passed: `|analytic − numeric| ≤ atol + rtol·|numeric|`, with no
    /// NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    /// let report = shapegrad::check_gradient_with(|x: &Vector1<f64>| x[0] * x[0], |x| x * 2.0, &Vector1::new(3.0));
    /// assert!(report.passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.passed
    }
}

impl fmt::Display for GradCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "passed" } else { "FAILED" };
        write!(
            f,
            "gradient check {verdict} over {} elements (eps {:e}, atol {:e}, rtol {:e}): ",
            self.elements, self.eps, self.atol, self.rtol
        )?;
        if self.elements == 0 {
            return write!(f, "nothing to check");
        }
        let (row, col) = self.worst;
        write!(
            f,
            "worst element ({row}, {col}): analytic {}, numeric {}, |difference| {:e} \
             (allowed {:e}); max abs error {:e}, max rel error {:e}",
            self.analytic,
            self.numeric,
            (self.analytic - self.numeric).abs(),
            self.atol + self.rtol * self.numeric.abs(),
            self.max_abs_error,
            self.max_rel_error
        )
    }
}

/// Checks shapegrad's gradient of `f` at `x` against central finite differences with
/// `torch.autograd.gradcheck`'s defaults (`eps = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`); see
/// [`GradCheck`] for the criterion and for other settings. The default `atol` lets a
/// factor-2 error through in gradients of size `1e-6`: for small gradients, tighten it
/// with `GradCheck::new().atol(…)` ([`GradCheck`] shows how).
///
/// Use it to test a function built from shapegrad's ops, or a new op while you write it: a
/// wrong backward rule (a missing factor, a wrong sign, a transposed index) shows as an
/// error of the size of the gradient, far above the tolerances, while a correct one stays
/// at finite-difference noise (typically `1e-9` or below). Check through a non-constant
/// upstream gradient (`op(x).exp().sum()` rather than `op(x).sum()`), at a few points away
/// from kinks, and with a reused input (`op(x) * x`).
///
/// # Examples
///
/// ```
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::{Scalar, ScalarFn, Tensor, check_gradient};
///
/// /// Σ exp(tanh(W x)): a layer, checked through a non-constant upstream gradient
/// struct Layer(Matrix2x3<f64>);
/// impl ScalarFn<3> for Layer {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         let w = x.tape().constant(self.0.map(nalgebra::convert));
///         w.matmul(x).tanh().exp().sum()
///     }
/// }
///
/// let f = Layer(Matrix2x3::new(0.5, -1.0, 0.25, 2.0, 0.1, -0.3));
/// let report = check_gradient(&f, &Vector3::new(0.3, -0.7, 1.1));
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_gradient<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
) -> GradCheckReport {
    GradCheck::default().check(f, x)
}

/// Checks a gradient function `grad` against central finite differences of `value` at `x`,
/// with the default settings: [`GradCheck::check_with`] in one call.
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::check_gradient_with;
///
/// // f(x) = x₀·x₁: ∇f = (x₁, x₀)
/// let report = check_gradient_with(
///     |x: &Vector2<f64>| x[0] * x[1],
///     |x| Vector2::new(x[1], x[0]),
///     &Vector2::new(2.0, 3.0),
/// );
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_gradient_with<const R: usize, const C: usize>(
    value: impl FnMut(&SMatrix<f64, R, C>) -> f64,
    grad: impl FnMut(&SMatrix<f64, R, C>) -> SMatrix<f64, R, C>,
    x: &SMatrix<f64, R, C>,
) -> GradCheckReport {
    GradCheck::default().check_with(value, grad, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    #[test]
    fn nan_fails_and_is_reported_as_worst() {
        let report = check_gradient_with(
            |x: &Vector2<f64>| x.sum(),
            |_| Vector2::new(1.0, f64::NAN),
            &Vector2::new(1.0, 2.0),
        );
        assert!(!report.passed());
        assert_eq!(report.worst, (1, 0));
        assert!(report.analytic.is_nan());
        assert!(report.max_abs_error.is_nan());
    }

    #[test]
    fn zero_tolerance_flags_any_difference() {
        // f(x) = 3x: the central difference is 3 up to rounding; 3 + 1e-3 is off
        let check = GradCheck::new().atol(0.0).rtol(0.0);
        let report = check.check_with(
            |x: &nalgebra::Vector1<f64>| 3.0 * x[0],
            |_| nalgebra::Vector1::new(3.001),
            &nalgebra::Vector1::new(0.5),
        );
        assert!(!report.passed());
        assert!(report.to_string().contains("FAILED"));
    }

    #[test]
    fn empty_input_passes() {
        let x = nalgebra::SMatrix::<f64, 0, 1>::zeros();
        let report = check_gradient_with(|_| 1.0, |x| *x, &x);
        assert!(report.passed());
        assert_eq!(report.elements, 0);
        assert!(report.to_string().contains("nothing to check"));
    }
}
