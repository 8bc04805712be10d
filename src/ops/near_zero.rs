//! Functions accurate near zero: `ln_1p` (`ln(1 + x)`) and `exp_m1` (`eˣ − 1`).
//!
//! Both are the platform's stable forms (`f64::ln_1p`, `f64::exp_m1`), which keep full
//! relative accuracy for tiny `x`, where `(1 + x).ln()` and `x.exp() - 1` lose every digit of
//! `x` below the rounding of `1 + x` (at `x = 1e-17` both give exactly 0).

use super::nan_if_nan;
use crate::{Scalar, Tensor};

/// # Accurate near zero
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// `ln(1 + x)`, element-wise, accurate for tiny `x`. Backward: `∂x += ∂y ⊙ 1/(1 + x)`.
    ///
    /// Domain `[−1, inf)`. At `x = −1` the value is `−inf` and the gradient `+inf`; below it
    /// the value is NaN and so is the gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(1e-17, 1.0, -1.0));
    /// let y = x.ln_1p();
    /// assert_eq!(y.value()[0], 1e-17); // (1.0 + 1e-17).ln() is 0
    /// assert_eq!(y.value()[2], f64::NEG_INFINITY);
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g, Vector3::new(1.0, 0.5, f64::INFINITY));
    /// ```
    #[track_caller]
    pub fn ln_1p(self) -> Self {
        // y = ln(1 + x); dy/dx = 1/(1 + x)
        self.map_fn(|x, want| {
            let y = x.ln_1p();
            // below −1 the formula is finite
            (y, want.then(|| nan_if_nan(y, T::one() / (T::one() + x))))
        })
    }

    /// `eˣ − 1`, element-wise, accurate for tiny `x`. Backward: `∂x += ∂y ⊙ eˣ`.
    ///
    /// The derivative is computed as `eˣ`, not as `y + 1`, which is `0` for `x` below about
    /// `−37` in f64 where `eˣ` is still a normal number. `exp_m1(−inf) = −1` with gradient
    /// `0`; past `x ≈ 709.8` (f64) value and gradient overflow to `+inf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1e-17, -40.0));
    /// let y = x.exp_m1();
    /// assert_eq!(y.value()[0], 1e-17); // 1e-17_f64.exp() - 1.0 is 0
    /// let g = y.sum().backward().wrt(x);
    /// assert_eq!(g, Vector2::new(1.0, (-40.0_f64).exp())); // y + 1 would give 0 here
    /// ```
    #[track_caller]
    pub fn exp_m1(self) -> Self {
        // y = eˣ − 1; dy/dx = eˣ
        self.map_fn(|x, want| (x.exp_m1(), want.then(|| x.exp())))
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3};

    #[test]
    fn gradcheck_ln_1p_exp_m1() {
        let x = Matrix2x3::new(0.3, -0.9, 2.5, 1e-3, -0.25, 1.5);
        check_unary(x, |x| x.ln_1p());
        check_unary(x / 2.0, |x| x.exp_m1()); // (Σ exp(exp_m1 x) stays small for the FD)
        check_unary(Matrix1::new(0.4), |x| x.ln_1p() * x.exp_m1()); // reused
        check_unary(Matrix1::new(-0.3), |x| x.exp_m1().ln_1p()); // = x
    }

    #[test]
    fn edges_of_the_domain() {
        let tape = Tape::<f64>::new();
        let below = tape.var_scalar(-1.5);
        assert!(below.ln_1p().item().is_nan());
        assert!(below.ln_1p().backward().wrt(below)[0].is_nan());
        let minf = tape.var_scalar(f64::NEG_INFINITY);
        assert_eq!(minf.exp_m1().item(), -1.0);
        assert_eq!(minf.exp_m1().backward().wrt(minf)[0], 0.0);
        // exp_m1 then ln_1p is the identity, gradient 1, where the naive forms give 0
        let tiny = tape.var_scalar(1e-300);
        let y = tiny.exp_m1().ln_1p();
        assert_eq!(y.item(), 1e-300);
        assert_eq!(y.backward().wrt(tiny)[0], 1.0);
    }
}
