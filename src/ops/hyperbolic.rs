//! Hyperbolic functions and their inverses: `sinh`, `cosh`, `asinh`, `acosh`, `atanh`
//! (`tanh` is an activation, in `activation.rs`).
//!
//! Values are the platform's (`f64::sinh`, … through nalgebra's `RealField`). The inverse
//! functions' derivatives are computed in forms that neither overflow nor cancel:
//! `1/hypot(x, 1)` for `asinh` (`x² + 1` would overflow past `|x| ≈ 1.3e154`),
//! `1/√((x − 1)(x + 1))` for `acosh` and `1/((1 − x)(1 + x))` for `atanh` (`x² − 1` and
//! `1 − x²` cancel next to `±1`).

use super::nan_if_nan;
use crate::{Scalar, Tensor};

/// # Hyperbolic functions
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The hyperbolic sine `sinh x`, element-wise. Backward: `∂x += ∂y ⊙ cosh x`.
    ///
    /// Overflows to `±inf` past `|x| ≈ 710` in f64 (`89` in f32), and so does its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, 1.0));
    /// let y = x.sinh();
    /// assert_eq!(y.value(), Vector2::new(0.0, 1.0_f64.sinh()));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(1.0, 1.0_f64.cosh()));
    /// ```
    #[track_caller]
    pub fn sinh(self) -> Self {
        // y = sinh x; dy/dx = cosh x
        self.map_fn(|x, want| (x.sinh(), want.then(|| x.cosh())))
    }

    /// The hyperbolic cosine `cosh x`, element-wise. Backward: `∂x += ∂y ⊙ sinh x`.
    ///
    /// Overflows to `+inf` past `|x| ≈ 710` in f64 (`89` in f32); the gradient to `±inf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, -1.0));
    /// let y = x.cosh();
    /// assert_eq!(y.value(), Vector2::new(1.0, 1.0_f64.cosh()));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(0.0, (-1.0_f64).sinh()));
    /// ```
    #[track_caller]
    pub fn cosh(self) -> Self {
        // y = cosh x; dy/dx = sinh x
        self.map_fn(|x, want| (x.cosh(), want.then(|| x.sinh())))
    }

    /// The inverse hyperbolic sine `asinh x`, element-wise. Backward:
    /// `∂x += ∂y ⊙ 1/√(x² + 1)`, computed as `1/hypot(x, 1)`, so it stays finite and accurate
    /// for every finite `x` (about `1/|x|` for large `x`); `0` at `±inf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, 1e200));
    /// let y = x.asinh();
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g[0], 1.0);
    /// assert_eq!(g[1], 1e-200); // 1/√(x² + 1) = 1/x here; x² alone would overflow
    /// ```
    #[track_caller]
    pub fn asinh(self) -> Self {
        // y = asinh x; dy/dx = 1/√(x² + 1) = 1/hypot(x, 1)
        self.map_fn(|x, want| (x.asinh(), want.then(|| T::one() / x.hypot(T::one()))))
    }

    /// The inverse hyperbolic cosine `acosh x` in `[0, inf)`, element-wise. Backward:
    /// `∂x += ∂y ⊙ 1/√(x² − 1)`, computed as `1/√((x − 1)(x + 1))`.
    ///
    /// Domain `[1, inf)`. At `x = 1` the value is `0` and the gradient `+inf`; below it the
    /// value is NaN and so is the gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 1.25));
    /// let y = x.acosh();
    /// assert_eq!(y.value()[0], 0.0);
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g[0], f64::INFINITY); // the domain's edge
    /// assert!((g[1] - 4.0 / 3.0).abs() < 1e-15); // 1/√(1.5625 − 1) = 1/0.75
    /// ```
    #[track_caller]
    pub fn acosh(self) -> Self {
        // y = acosh x; dy/dx = 1/√((x − 1)(x + 1))
        self.map_fn(|x, want| {
            let y = x.acosh();
            let d = || T::one() / ((x - T::one()) * (x + T::one())).sqrt();
            (y, want.then(|| nan_if_nan(y, d()))) // below −1 the product is positive
        })
    }

    /// The inverse hyperbolic tangent `atanh x`, element-wise. Backward:
    /// `∂x += ∂y ⊙ 1/(1 − x²)`, computed as `1/((1 − x)(1 + x))`.
    ///
    /// Domain `[−1, 1]`. At `x = ±1` the value is `±inf` and the gradient `+inf`; outside
    /// the domain the value is NaN and so is the gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(0.0, 0.5, -1.0));
    /// let y = x.atanh();
    /// assert_eq!(y.value()[2], f64::NEG_INFINITY);
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g[0], 1.0);
    /// assert!((g[1] - 4.0 / 3.0).abs() < 1e-15); // 1/(1 − 0.25)
    /// assert_eq!(g[2], f64::INFINITY);
    /// ```
    #[track_caller]
    pub fn atanh(self) -> Self {
        // y = atanh x; dy/dx = 1/((1 − x)(1 + x))
        self.map_fn(|x, want| {
            let y = x.atanh();
            let d = || T::one() / ((T::one() - x) * (T::one() + x));
            (y, want.then(|| nan_if_nan(y, d()))) // outside [−1, 1] the formula is finite
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3};

    fn mixed() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 2.5, 0.7, -3.0, 1.1)
    }

    #[test]
    fn gradcheck_hyperbolic() {
        check_unary(mixed() / 2.0, |x| x.sinh());
        check_unary(mixed() / 2.0, |x| x.cosh());
        check_unary(mixed(), |x| x.asinh());
        check_unary(mixed().map(|v| 1.0 + v.abs()), |x| x.acosh());
        check_unary(mixed() / 3.5, |x| x.atanh());
        check_unary(Matrix1::new(0.4), |x| x.sinh() * x.cosh()); // reused
    }

    #[test]
    fn edges_of_the_domain() {
        let tape = Tape::<f64>::new();
        // next to 1, the factored forms keep full accuracy (x² − 1 would lose 40 bits)
        let e = 2f64.powi(-40);
        let x = tape.var_scalar(1.0 + e);
        let g = x.acosh().backward().wrt(x)[0];
        let want = 1.0 / (e * (2.0 + e)).sqrt();
        assert!(
            (g - want).abs() <= 4.0 * f64::EPSILON * want,
            "{g} vs {want}"
        );
        let x = tape.var_scalar(1.0 - e);
        let g = x.atanh().backward().wrt(x)[0];
        let want = 1.0 / (e * (2.0 - e));
        assert!(
            (g - want).abs() <= 4.0 * f64::EPSILON * want,
            "{g} vs {want}"
        );
        // outside the domains: NaN value and gradient
        for v in [0.5, -2.0] {
            let below = tape.var_scalar(v);
            assert!(below.acosh().item().is_nan());
            assert!(
                below.acosh().backward().wrt(below)[0].is_nan(),
                "acosh at {v}"
            );
        }
        let beyond = tape.var_scalar(1.5);
        assert!(beyond.atanh().backward().wrt(beyond)[0].is_nan());
        // asinh at ±inf: ±inf, gradient 0
        let inf = tape.var_scalar(f64::NEG_INFINITY);
        assert_eq!(inf.asinh().item(), f64::NEG_INFINITY);
        assert_eq!(inf.asinh().backward().wrt(inf)[0], 0.0);
    }
}
