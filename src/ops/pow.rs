//! Powers and magnitudes: `recip`, `powf` (a plain exponent), `powf_tensor` (a 1×1 tensor
//! exponent, differentiated too) and `hypot`. Integer powers are `powi`, in `exp_log.rs`.

use crate::{Scalar, Tensor};

/// `c·xᶜ⁻¹`, the derivative of `xᶜ`, with `0` for `c = 0` (not `0·0⁻¹ = NaN` at `x = 0`).
fn powf_derivative<T: Scalar>(x: T, c: T) -> T {
    if c == T::zero() {
        T::zero()
    } else {
        c * x.powf(c - T::one())
    }
}

/// # Powers and magnitudes
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The reciprocal `1/x`, element-wise. Backward: `∂x += ∂y ⊙ (−y²)`.
    ///
    /// `recip(±0) = ±inf` with gradient `−inf`; `recip(±inf) = ±0` with gradient `−0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(2.0, -0.5));
    /// let y = x.recip();
    /// assert_eq!(y.value(), Vector2::new(0.5, -2.0));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(-0.25, -4.0)); // −1/x²
    /// ```
    #[track_caller]
    pub fn recip(self) -> Self {
        // y = 1/x; dy/dx = −1/x² = −y²
        self.map_fn(|x, want| {
            let y = T::one() / x;
            (y, want.then(|| -(y * y)))
        })
    }

    /// The power `xᶜ` with a plain exponent `c`, element-wise, as [`f64::powf`]. Backward:
    /// `∂x += ∂y ⊙ c·xᶜ⁻¹` (exactly `0` for `c = 0`). For a differentiated exponent use
    /// [`powf_tensor`](Tensor::powf_tensor); for an integer one, [`powi`](Tensor::powi).
    ///
    /// At `x = 0`: value `0` for `c > 0` with gradient `0` for `c > 1`, `1` for `c = 1` and
    /// `+inf` for `0 < c < 1`; `+inf` for `c < 0`. A negative `x` with a non-integer `c`
    /// gives NaN, value and gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(4.0, 9.0));
    /// let y = x.powf(1.5);
    /// assert_eq!(y.value(), Vector2::new(8.0, 27.0));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(3.0, 4.5)); // 1.5·√x
    /// ```
    #[track_caller]
    pub fn powf(self, c: T) -> Self {
        // y = xᶜ; dy/dx = c·xᶜ⁻¹
        self.map(move |x, want| (x.powf(c), want.then(|| powf_derivative(x, c))))
    }

    /// The power `xᵖ` with a 1×1 tensor exponent `p`, element-wise, differentiated with
    /// respect to both. Backward: `∂x += ∂y ⊙ p·xᵖ⁻¹` (exactly `0` for `p = 0`) and
    /// `∂p += Σ ∂y ⊙ xᵖ ln x`, the term taken as `0` where `xᵖ = 0` (its limit at `x = 0`
    /// for `p > 0`).
    ///
    /// For `x < 0`, `ln x` is NaN, so `∂p` is NaN (a real `xᵖ` has no derivative in `p`
    /// there); for a non-integer `p` the value is NaN as well.
    ///
    /// # Panics
    ///
    /// If `self` and `p` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(2.0, 4.0));
    /// let p = tape.var_scalar(3.0);
    /// let y = x.powf_tensor(p);
    /// assert_eq!(y.value(), Vector2::new(8.0, 64.0));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(x), Vector2::new(12.0, 48.0)); // 3x²
    /// // Σ xᵖ ln x = 8 ln 2 + 64 ln 4
    /// assert_relative_eq!(grads.wrt(p)[0], 8.0 * 2f64.ln() + 64.0 * 4f64.ln(), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn powf_tensor(self, p: Tensor<'t, 1, 1, T>) -> Self {
        // y = xᵖ; ∂y/∂x = p·xᵖ⁻¹, ∂y/∂p = xᵖ ln x (0 where xᵖ = 0)
        self.zip_fn(p.broadcast::<R, C>(), "powf_tensor", |x, p, want| {
            let y = x.powf(p);
            let dp = || {
                if y == T::zero() {
                    T::zero()
                } else {
                    y * x.ln()
                }
            };
            (y, want.then(|| [powf_derivative(x, p), dp()]))
        })
    }

    /// `√(a² + b²)`, element-wise, without overflow or underflow in between, as
    /// [`f64::hypot`]. Backward: `∂a += ∂y ⊙ a/r`, `∂b += ∂y ⊙ b/r` with `r = hypot(a, b)`.
    ///
    /// At the origin `(0, 0)`, where `r` has a cone point, the value is `0` and both partials
    /// are NaN (`0/0`), as `atan2`'s there; with an infinite operand the value is `+inf` and
    /// that operand's partial NaN (`inf/inf`).
    ///
    /// # Panics
    ///
    /// If `self` and `b` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector2::new(3.0, 3e200));
    /// let b = tape.var(Vector2::new(4.0, 4e200));
    /// let r = a.hypot(b);
    /// // a² alone would overflow (3e200 and 4e200 are not exact, hence the relative check)
    /// assert_relative_eq!(r.value(), Vector2::new(5.0, 5e200), max_relative = 1e-15);
    /// let grads = r.sum().backward();
    /// assert_relative_eq!(grads.wrt(a), Vector2::new(0.6, 0.6), max_relative = 1e-15);
    /// assert_relative_eq!(grads.wrt(b), Vector2::new(0.8, 0.8), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn hypot(self, b: Self) -> Self {
        // y = √(a² + b²); ∂y/∂a = a/y, ∂y/∂b = b/y
        self.zip_fn(b, "hypot", |a, b, want| {
            let r = a.hypot(b);
            (r, want.then(|| [a / r, b / r]))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3};

    fn positive() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, 1.2, 2.5, 0.7, 3.0, 1.1)
    }

    #[test]
    fn gradcheck_powers() {
        check_unary(positive().add_scalar(-1.5), |x| x.recip());
        check_unary(positive(), |x| x.powf(1.5));
        check_unary(positive(), |x| x.powf(-0.75));
        check_unary(Matrix1::new(0.8), |x| x.powf(2.5) * x); // reused
        let y = Matrix2x3::new(0.5, -1.5, 0.25, 0.8, -0.9, 1.3);
        check_binary(y, positive().add_scalar(-1.0), |a, b| a.hypot(b));
        check_unary(positive(), |x| x.hypot(x)); // reused: √2·|x|
        // the exponent's gradient: x^p for a 1×1 p, and p used again
        check_binary(positive(), Matrix1::new(1.75), |x, p| x.powf_tensor(p));
        check_binary(positive(), Matrix1::new(-0.5), |x, p| {
            x.powf_tensor(p) * p.broadcast()
        });
    }

    #[test]
    fn edges() {
        let tape = Tape::<f64>::new();
        let z = tape.var_scalar(0.0);
        for (c, value, grad) in [
            (0.0, 1.0, 0.0),
            (1.0, 0.0, 1.0),
            (2.5, 0.0, 0.0),
            (0.5, 0.0, f64::INFINITY),
            (-1.0, f64::INFINITY, f64::NEG_INFINITY),
        ] {
            let y = z.powf(c);
            assert_eq!(y.item(), value, "0^{c}");
            assert_eq!(y.backward().wrt(z)[0], grad, "d/dx x^{c} at 0");
        }
        // the exponent's gradient at x = 0 is the limit 0, not 0·ln 0 = NaN
        let p = tape.var_scalar(2.0);
        let g = z.powf_tensor(p).backward();
        assert_eq!((g.wrt(z)[0], g.wrt(p)[0]), (0.0, 0.0));
        // a negative base: real value for an integer exponent, but no derivative in p
        let m = tape.var_scalar(-2.0);
        let y = m.powf_tensor(p);
        assert_eq!(y.item(), 4.0);
        let g = y.backward();
        assert_eq!(g.wrt(m)[0], -4.0);
        assert!(g.wrt(p)[0].is_nan());
        // hypot at the origin: 0, NaN partials
        let (a, b) = (tape.var_scalar(0.0), tape.var_scalar(0.0));
        let r = a.hypot(b);
        assert_eq!(r.item(), 0.0);
        let g = r.backward();
        assert!(g.wrt(a)[0].is_nan() && g.wrt(b)[0].is_nan());
        // recip at ±0 and ±inf
        let nz = tape.var_scalar(-0.0);
        assert_eq!(nz.recip().item(), f64::NEG_INFINITY);
        assert_eq!(nz.recip().backward().wrt(nz)[0], f64::NEG_INFINITY);
        let inf = tape.var_scalar(f64::INFINITY);
        assert_eq!(inf.recip().backward().wrt(inf)[0], -0.0);
    }
}
