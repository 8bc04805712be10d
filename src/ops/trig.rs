//! Trigonometric functions: `sin`, `cos`, `tan`, and the two-argument arctangent `atan2`.
//!
//! Angles are in radians. Values are the platform's (`f64::sin`, …, through nalgebra's
//! `RealField`), so they agree with plain Rust code bit for bit.

use crate::{Scalar, Tensor};

/// # Trigonometry
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The sine `sin x`, element-wise. Backward: `∂x += ∂y ⊙ cos x`.
    ///
    /// `sin(±inf) = NaN`, and so is its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use core::f64::consts::FRAC_PI_2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, FRAC_PI_2));
    /// let y = x.sin();
    /// assert_eq!(y.value(), Vector2::new(0.0, 1.0));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(1.0, FRAC_PI_2.cos())); // cos x
    /// ```
    #[track_caller]
    pub fn sin(self) -> Self {
        // y = sin x; dy/dx = cos x
        self.map_fn(|x, want| (x.sin(), want.then(|| x.cos())))
    }

    /// The cosine `cos x`, element-wise. Backward: `∂x += ∂y ⊙ (−sin x)`.
    ///
    /// `cos(±inf) = NaN`, and so is its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use core::f64::consts::FRAC_PI_2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, FRAC_PI_2));
    /// let y = x.cos();
    /// assert_eq!(y.value(), Vector2::new(1.0, FRAC_PI_2.cos()));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(-0.0, -1.0)); // −sin x
    /// ```
    #[track_caller]
    pub fn cos(self) -> Self {
        // y = cos x; dy/dx = −sin x
        self.map_fn(|x, want| (x.cos(), want.then(|| -x.sin())))
    }

    /// The tangent `tan x`, element-wise. Backward: `∂x += ∂y ⊙ (1 + tan² x)`.
    ///
    /// Near the poles `x = π/2 + kπ` the value and the gradient grow without bound (in
    /// floating point `π/2` is not exactly a pole: `tan(π/2)` is about `1.6e16` in f64, and
    /// its gradient about `2.7e32`); `tan(±inf) = NaN`, and so is its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use core::f64::consts::FRAC_PI_4;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, FRAC_PI_4));
    /// let y = x.tan();
    /// assert_eq!(y.value(), Vector2::new(0.0, FRAC_PI_4.tan()));
    /// let t = FRAC_PI_4.tan();
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(1.0, 1.0 + t * t)); // 1 + tan² x
    /// ```
    #[track_caller]
    pub fn tan(self) -> Self {
        // y = tan x; dy/dx = 1 + y²
        self.map_fn(|x, want| {
            let y = x.tan();
            (y, want.then(|| T::one() + y * y))
        })
    }

    /// The four-quadrant arctangent of `self / x`, element-wise, in `[−π, π]`, as
    /// [`f64::atan2`]: `y.atan2(x)` is the angle of the point `(x, y)`. Backward, with
    /// `r = hypot(x, y)`: `∂y += ∂out ⊙ x/r²`, `∂x += ∂out ⊙ (−y/r²)`.
    ///
    /// The partials are computed as `(x/r)/r` and `−(y/r)/r`, which neither overflow nor
    /// underflow where the result is representable (`x² + y²` would overflow past `|x|, |y|`
    /// of about `1.3e154` in f64). At the origin `(0, 0)`, where the angle jumps, the value
    /// is `atan2`'s (`0`, or `±π` for negative zeros) and the gradient is NaN (`0/0`), as in
    /// PyTorch: no finite gradient is right there.
    ///
    /// # Panics
    ///
    /// If `self` and `x` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    /// use core::f64::consts::FRAC_PI_4;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let y = tape.var(Vector2::new(1.0, 3.0));
    /// let x = tape.var(Vector2::new(1.0, -4.0));
    /// let angle = y.atan2(x);
    /// assert_eq!(angle.value()[0], FRAC_PI_4);
    /// let grads = angle.sum().backward();
    /// // ∂/∂y = x/r², ∂/∂x = −y/r²; at (x, y) = (−4, 3), r² = 25
    /// assert_relative_eq!(grads.wrt(y), Vector2::new(0.5, -4.0 / 25.0), max_relative = 1e-15);
    /// assert_relative_eq!(grads.wrt(x), Vector2::new(-0.5, -3.0 / 25.0), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn atan2(self, x: Self) -> Self {
        // out = atan2(y, x); ∂out/∂y = x/r², ∂out/∂x = −y/r² with r = hypot(x, y)
        self.zip_fn(x, "atan2", |y, x, want| {
            let d = || {
                let r = y.hypot(x);
                [(x / r) / r, -((y / r) / r)]
            };
            (y.atan2(x), want.then(d))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Vector2, Vector4};

    fn mixed() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 2.5, 0.7, -3.0, 1.1)
    }

    #[test]
    fn gradcheck_sin_cos() {
        check_unary(Matrix1::new(0.7), |x| x.sin());
        check_unary(mixed(), |x| x.sin());
        check_unary(mixed(), |x| x.cos());
        check_unary(mixed(), |x| x.tan());
        check_unary(Matrix1::new(-1.4), |x| x.tan()); // near the pole at −π/2
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sin() * x.cos()); // reused
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sin().cos() * x);
    }

    #[test]
    fn gradcheck_atan2() {
        // all four quadrants, away from the origin
        let y = Matrix2x3::new(0.5, -1.5, 0.25, 0.8, -0.9, 1.3);
        check_binary(y, mixed(), |y, x| y.atan2(x));
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), |y, x| y.atan2(x));
        // reused input: atan2(x, x) = ±π/4 or ±3π/4, constant, gradient 0; atan2(x², x)
        check_unary(mixed(), |x| x.atan2(x));
        check_unary(mixed(), |x| (x * x).atan2(x));
    }

    #[test]
    fn hand_derived() {
        // sin/cos at 0: (0, 1) with derivatives (1, −0); sin² + cos² = 1 has gradient 0
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(0.0);
        assert_eq!((x.sin().item(), x.cos().item()), (0.0, 1.0));
        assert_eq!(x.sin().backward().wrt(x)[0], 1.0);
        assert_eq!(x.cos().backward().wrt(x)[0], 0.0);
        let t = tape.var_scalar(0.83);
        let one = t.sin() * t.sin() + t.cos() * t.cos();
        approx::assert_relative_eq!(one.item(), 1.0, max_relative = 1e-15);
        assert!(one.backward().wrt(t)[0].abs() < 1e-15);
        // atan2(3, 4): angle of (4, 3); ∂/∂y = 4/25, ∂/∂x = −3/25 (hand derivation)
        let (y, x) = (tape.var_scalar(3.0), tape.var_scalar(4.0));
        let g = y.atan2(x).backward();
        assert_eq!(y.atan2(x).item(), 3.0_f64.atan2(4.0));
        assert_eq!((g.wrt(y)[0], g.wrt(x)[0]), (0.16, -0.12));
    }

    #[test]
    fn atan2_extremes() {
        let tape = Tape::<f64>::new();
        // huge and tiny magnitudes: x² + y² would overflow / underflow, (x/r)/r does not.
        // At (x, y) = (s, s): ∂/∂y = 1/(2s), ∂/∂x = −1/(2s) (hand derivation).
        for s in [1e200, 1e-200] {
            let (y, x) = (tape.var_scalar(s), tape.var_scalar(s));
            let g = y.atan2(x).backward();
            approx::assert_relative_eq!(g.wrt(y)[0], 0.5 / s, max_relative = 1e-15);
            approx::assert_relative_eq!(g.wrt(x)[0], -0.5 / s, max_relative = 1e-15);
        }
        // the origin: atan2's value, NaN gradient (documented)
        let (y, x) = (tape.var_scalar(0.0), tape.var_scalar(0.0));
        let out = y.atan2(x);
        assert_eq!(out.item(), 0.0);
        let g = out.backward();
        assert!(g.wrt(y)[0].is_nan() && g.wrt(x)[0].is_nan());
        // on the negative x axis the value jumps from π to −π; the gradient is finite there:
        // at (x, y) = (−2, ±0): ∂/∂y = −1/2, ∂/∂x = 0
        let (y, x) = (
            tape.var(Vector2::new(0.0, -0.0)),
            tape.var(Vector2::new(-2.0, -2.0)),
        );
        let out = y.atan2(x);
        assert_eq!(
            out.value(),
            Vector2::new(core::f64::consts::PI, -core::f64::consts::PI)
        );
        let g = out.sum().backward();
        assert_eq!(g.wrt(y), Vector2::new(-0.5, -0.5));
        assert_eq!(g.wrt(x), Vector2::new(-0.0, 0.0));
    }
}
