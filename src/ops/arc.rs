//! Inverse trigonometric functions: `asin`, `acos`, `atan`.
//!
//! Values are the platform's (`f64::asin`, … through nalgebra's `RealField`). The derivatives
//! of `asin` and `acos` are computed as `1/√((1 − x)(1 + x))`, which keeps its accuracy next
//! to `±1`, where `1 − x²` cancels.

use crate::{Scalar, Tensor};

/// `1 / √((1 − x)(1 + x))`: `1/√(1 − x²)` without the cancellation of `1 − x²` near `±1`.
fn inv_sqrt_one_minus_sq<T: Scalar>(x: T) -> T {
    T::one() / ((T::one() - x) * (T::one() + x)).sqrt()
}

/// # Inverse trigonometry
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The arcsine `asin x` in `[−π/2, π/2]`, element-wise. Backward:
    /// `∂x += ∂y ⊙ 1/√(1 − x²)`.
    ///
    /// Domain `[−1, 1]`. At `x = ±1` the value is `±π/2` and the gradient `+inf`; outside the
    /// domain the value is NaN and so is the gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// use core::f64::consts::FRAC_PI_2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(0.0, 0.6, 1.0));
    /// let y = x.asin();
    /// assert_eq!(y.value()[2], FRAC_PI_2);
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g[0], 1.0);
    /// assert!((g[1] - 1.25).abs() < 1e-15); // 1/√(1 − 0.36) = 1/0.8
    /// assert_eq!(g[2], f64::INFINITY); // the domain's edge
    /// ```
    #[track_caller]
    pub fn asin(self) -> Self {
        // y = asin x; dy/dx = 1/√(1 − x²)
        self.map_fn(|x, want| (x.asin(), want.then(|| inv_sqrt_one_minus_sq(x))))
    }

    /// The arccosine `acos x` in `[0, π]`, element-wise. Backward: `∂x += ∂y ⊙ (−1/√(1 − x²))`.
    ///
    /// Domain `[−1, 1]`. At `x = 1` the value is `0`, at `x = −1` it is `π`, and the gradient
    /// is `−inf` at both; outside the domain the value is NaN and so is the gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// use core::f64::consts::PI;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(0.0, -1.0, 1.0));
    /// let y = x.acos();
    /// assert_eq!(y.value(), Vector3::new(0.0_f64.acos(), PI, 0.0));
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g, Vector3::new(-1.0, f64::NEG_INFINITY, f64::NEG_INFINITY));
    /// ```
    #[track_caller]
    pub fn acos(self) -> Self {
        // y = acos x; dy/dx = −1/√(1 − x²)
        self.map_fn(|x, want| (x.acos(), want.then(|| -inv_sqrt_one_minus_sq(x))))
    }

    /// The arctangent `atan x` in `(−π/2, π/2)`, element-wise. Backward:
    /// `∂x += ∂y ⊙ 1/(1 + x²)`.
    ///
    /// Defined everywhere: `atan(±inf) = ±π/2` with gradient `0`. For the angle of a point
    /// use [`atan2`](Tensor::atan2).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use core::f64::consts::FRAC_PI_4;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 3.0));
    /// let y = x.atan();
    /// assert_eq!(y.value()[0], FRAC_PI_4);
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(0.5, 0.1)); // 1/(1 + x²)
    /// ```
    #[track_caller]
    pub fn atan(self) -> Self {
        // y = atan x; dy/dx = 1/(1 + x²)
        self.map_fn(|x, want| (x.atan(), want.then(|| T::one() / (T::one() + x * x))))
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3, Vector3};

    fn inside() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -0.95, 0.5, 0.7, -0.25, 0.999)
    }

    #[test]
    fn gradcheck_asin_acos_atan() {
        check_unary(inside(), |x| x.asin());
        check_unary(inside(), |x| x.acos());
        check_unary(inside() * 7.0, |x| x.atan());
        check_unary(Matrix1::new(-0.6), |x| x.asin() * x.acos()); // reused
        check_unary(Vector3::new(0.2, -0.4, 0.9), |x| x.atan().asin());
    }

    #[test]
    fn edges_of_the_domain() {
        let tape = Tape::<f64>::new();
        // near ±1 the factored form keeps full accuracy: 1 − x² would cancel
        let x = tape.var_scalar(1.0 - 2f64.powi(-40));
        let g = x.asin().backward().wrt(x)[0];
        let want = 1.0 / (2f64.powi(-40) * (2.0 - 2f64.powi(-40))).sqrt();
        assert!(
            (g - want).abs() <= 4.0 * f64::EPSILON * want,
            "{g} vs {want}"
        );
        // outside [−1, 1]: NaN value and gradient
        let out = tape.var_scalar(1.5);
        assert!(out.asin().item().is_nan());
        assert!(out.acos().backward().wrt(out)[0].is_nan());
        // atan at ±inf: ±π/2 and gradient 0
        let inf = tape.var_scalar(f64::INFINITY);
        assert_eq!(inf.atan().item(), core::f64::consts::FRAC_PI_2);
        assert_eq!(inf.atan().backward().wrt(inf)[0], 0.0);
    }
}
