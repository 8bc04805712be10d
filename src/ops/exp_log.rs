//! Exponentials, logarithms and powers: `exp`, `ln`, `sqrt`, `powi`, `square`.
//!
//! **inf and NaN** follow IEEE 754, as everywhere in the crate: `exp(800) = inf` with
//! gradient `inf`; `ln(0) = −inf` with gradient `+inf`, `ln(x < 0) = NaN`; `sqrt(0) = 0` with
//! gradient `+inf`, `sqrt(x < 0) = NaN`.

use super::{Code, Rule};
use crate::scalar::lit;
use crate::{Scalar, Tensor};

/// # Exponentials, logarithms and powers
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// `eˣ`, element-wise. Backward: `∂x += ∂y ⊙ y`.
    ///
    /// Overflows to `+inf` above `x ≈ 709.78` (f64) or `88.72` (f32), as IEEE `exp` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
    /// let z = (x + y).exp(); // the notebook's TEST 7 cell
    /// let grads = z.backward();
    /// assert_eq!(grads.wrt(x)[0], 3.0_f64.exp()); // printed: [20.08553692]
    /// assert_eq!(grads.wrt(y)[0], 3.0_f64.exp());
    /// ```
    #[track_caller]
    pub fn exp(self) -> Self {
        // y = eˣ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊙ y
            let r = r.unary(R * C, R * C);
            r.grad_x
                .add(r.grad_out.iter().zip(r.y).map(|(&go, &y)| go * y));
        }
        self.map_tuned(backward::<T, R, C>, Code::Exp)
    }

    /// The natural logarithm `ln x`, element-wise. Backward: `∂x += ∂y ⊘ x`.
    ///
    /// `ln 0 = −inf` with gradient `+inf` (from `∂y = 1`); `ln x = NaN` for `x < 0`, where
    /// the gradient `∂y/x` is still computed (finite), as PyTorch does.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 4.0));
    /// let y = x.ln();
    /// assert_eq!(y.value(), Vector2::new(0.0, 4.0_f64.ln()));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(1.0, 0.25)); // 1/x
    /// ```
    #[track_caller]
    pub fn ln(self) -> Self {
        // y = ln x
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊘ x
            let r = r.unary(R * C, R * C);
            r.grad_x
                .add(r.grad_out.iter().zip(r.x).map(|(&go, &x)| go / x));
        }
        self.elementwise_fn(T::ln, backward::<T, R, C>)
    }

    /// The square root `√x`, element-wise. Backward: `∂x += ∂y ⊘ 2y`.
    ///
    /// `√0 = 0` with gradient `+inf` (from `∂y > 0`; `0/0 = NaN` if `∂y = 0`); `√x = NaN`
    /// for `x < 0`, and so is its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(4.0, 0.25));
    /// let y = x.sqrt();
    /// assert_eq!(y.value(), Vector2::new(2.0, 0.5));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(0.25, 1.0)); // 1/(2√x)
    /// ```
    #[track_caller]
    pub fn sqrt(self) -> Self {
        // y = √x
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊘ 2y
            let r = r.unary(R * C, R * C);
            r.grad_x
                .add(r.grad_out.iter().zip(r.y).map(|(&go, &y)| go / (y + y)));
        }
        self.elementwise_fn(T::sqrt, backward::<T, R, C>)
    }

    /// The integer power `xⁿ`, element-wise. Backward: `∂x += ∂y ⊙ n·xⁿ⁻¹`.
    ///
    /// The derivative `n·xⁿ⁻¹` is computed in the forward pass (stored in the node's aux
    /// region, `R·C` scalars), so it is exact at `x = 0` (`0` for `n ≥ 2`, `1` for `n = 1`)
    /// instead of the `0/0` of `n·y/x`; for `n = 0` the gradient is `0` everywhere (also at
    /// `x = 0`, where `0·x⁻¹` would be NaN). Value and gradient overflow to `±inf` as IEEE
    /// `powi` does (`0⁻¹ = inf`).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(2.0, -0.5));
    /// let y = x.powi(3);
    /// assert_eq!(y.value(), Vector2::new(8.0, -0.125));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(12.0, 0.75)); // 3x²
    /// let inv = x.powi(-1);
    /// assert_eq!(inv.sum().backward().wrt(x), Vector2::new(-0.25, -4.0)); // −x⁻²
    /// ```
    #[track_caller]
    pub fn powi(self, n: i32) -> Self {
        // y = xⁿ; d = n·xⁿ⁻¹
        let n_t = lit::<T>(f64::from(n));
        self.map(move |x, want| {
            let y = x.powi(n);
            let d = || match n {
                0 => T::zero(),            // also at x = 0, where 0·x⁻¹ is NaN
                i32::MIN => n_t * (y / x), // n − 1 overflows i32: xⁿ⁻¹ = xⁿ/x
                _ => n_t * x.powi(n - 1),
            };
            (y, want.then(d))
        })
    }

    /// `x²`, element-wise. Backward: `∂x += ∂y ⊙ 2x`.
    ///
    /// Overflows to `+inf` for `|x|` above `√MAX` (about `1.34e154` in f64, `1.84e19` in
    /// f32), as IEEE multiplication does; the gradient `2x` stays finite there.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(3.0, -0.5));
    /// let y = x.square();
    /// assert_eq!(y.value(), Vector2::new(9.0, 0.25));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(6.0, -1.0)); // 2x
    /// ```
    #[track_caller]
    pub fn square(self) -> Self {
        // y = x²
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊙ 2x
            let r = r.unary(R * C, R * C);
            r.grad_x
                .add(r.grad_out.iter().zip(r.x).map(|(&go, &x)| go * (x + x)));
        }
        self.map_tuned(backward::<T, R, C>, Code::Square)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3, Vector4};

    /// Positive inputs (for ln, sqrt, negative powers), away from 0.
    fn pos() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, 1.2, 2.0, 0.7, 0.4, 1.1)
    }

    /// Mixed signs, away from the kinks at 0.
    fn mixed() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1)
    }

    #[test]
    fn gradcheck_unary() {
        let v = Vector4::new(0.3, -1.2, 1.0, 0.7);
        let vp = Vector4::new(0.3, 1.2, 1.0, 0.7);
        check_unary(Matrix1::new(0.7), |x| x.ln());
        check_unary(pos(), |x| x.ln());
        check_unary(vp, |x| x.ln() * x); // reused input
        check_unary(Matrix1::new(0.7), |x| x.sqrt());
        check_unary(pos(), |x| x.sqrt());
        check_unary(vp, |x| x.sqrt() * x);
        check_unary(Matrix1::new(0.7), |x| x.powi(3));
        check_unary(pos().map(|v| v + 0.5), |x| x.powi(-2));
        check_unary(pos().map(|v| v + 0.5), |x| x.powi(-1));
        check_unary(mixed(), |x| x.powi(3));
        check_unary(mixed(), |x| x.powi(0));
        check_unary(mixed(), |x| x.powi(1));
        check_unary(v, |x| x.powi(2) * x);
        check_unary(Matrix1::new(-0.7), |x| x.square());
        check_unary(mixed(), |x| x.square());
    }

    #[test]
    fn gradcheck_exp() {
        check_unary(Matrix1::new(0.7), |x| x.exp());
        check_unary(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1), |x| x.exp());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| (x * x).exp());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.exp() * x.exp());
    }

    #[test]
    fn overflow_is_ieee() {
        // exp(800) overflows f64: value and gradient are +inf, not NaN.
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(800.0);
        let y = x.exp();
        assert_eq!(y.item(), f64::INFINITY);
        assert_eq!(y.backward().wrt(x)[0], f64::INFINITY);
    }

    #[test]
    fn hand_derived() {
        // Σ (ln x + √x + x³) at x = (1, 4): ∂ = 1/x + 1/(2√x) + 3x² = (1 + ½ + 3, ¼ + ¼ + 48)
        let tape = Tape::<f64>::new();
        let x = tape.var(nalgebra::Vector2::new(1.0, 4.0));
        let g = (x.ln() + x.sqrt() + x.powi(3)).sum().backward().wrt(x);
        assert_eq!(g, nalgebra::Vector2::new(4.5, 48.5));
    }

    #[test]
    fn ieee_policy() {
        let tape = Tape::<f64>::new();
        let z = tape.var_scalar(0.0);
        // ln 0 = −inf, ∂ = 1/0 = +inf; √0 = 0, ∂ = 1/(2·0) = +inf; 0⁻¹ = inf, ∂ = −1·0⁻² = −inf
        assert_eq!(z.ln().item(), f64::NEG_INFINITY);
        assert_eq!(z.ln().backward().wrt(z)[0], f64::INFINITY);
        assert_eq!(z.sqrt().item(), 0.0);
        assert_eq!(z.sqrt().backward().wrt(z)[0], f64::INFINITY);
        assert_eq!(z.powi(-1).backward().wrt(z)[0], f64::NEG_INFINITY);
        // powi at 0: d(x²)/dx = 0, d(x¹)/dx = 1, d(x⁰)/dx = 0 (not 0·0⁻¹ = NaN)
        assert_eq!(z.powi(2).backward().wrt(z)[0], 0.0);
        assert_eq!(z.powi(1).backward().wrt(z)[0], 1.0);
        assert_eq!(z.powi(0).backward().wrt(z)[0], 0.0);
        assert_eq!(z.powi(0).item(), 1.0);
    }
}
