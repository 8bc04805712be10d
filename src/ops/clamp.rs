//! Clamping to an interval: `clamp`.

use crate::{Scalar, Tensor};

/// # Clamping
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// Each element limited to `[lo, hi]`, as [`f64::clamp`]. Backward:
    /// `∂x += ∂y ⊙ [lo ≤ x ≤ hi]`: the gradient passes where `x` is inside the interval, its
    /// ends included (as PyTorch's `clamp`), and is `0` where `x` was clamped. A NaN element
    /// stays NaN, value and gradient.
    ///
    /// # Panics
    ///
    /// If `lo > hi` or either is NaN (as `f64::clamp`), naming the op.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector4;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector4::new(-2.0, -1.0, 0.5, 3.0));
    /// let y = x.clamp(-1.0, 1.0);
    /// assert_eq!(y.value(), Vector4::new(-1.0, -1.0, 0.5, 1.0));
    /// // clamped: 0; inside, ends included: 1
    /// assert_eq!(y.sum().backward().wrt(x), Vector4::new(0.0, 1.0, 1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn clamp(self, lo: T, hi: T) -> Self {
        assert!(
            lo <= hi,
            "shapegrad: `clamp` needs lo <= hi, neither NaN (got lo = {lo}, hi = {hi})"
        );
        // y = min(max(x, lo), hi); dy/dx = [lo ≤ x ≤ hi]
        self.map(move |x, want| {
            let (y, d) = if x < lo {
                (lo, T::zero())
            } else if x > hi {
                (hi, T::zero())
            } else if x <= hi {
                (x, T::one())
            } else {
                (x, x) // NaN
            };
            (y, want.then_some(d))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3};

    #[test]
    fn gradcheck_clamp_away_from_its_ends() {
        let x = Matrix2x3::new(0.3, -1.2, 2.5, 0.7, -3.0, 1.1);
        check_unary(x, |x| x.clamp(-1.0, 1.0));
        check_unary(Matrix1::new(0.25), |x| x.clamp(-0.5, 0.5) * x); // reused
    }

    #[test]
    fn nan_and_bad_bounds() {
        let tape = Tape::<f64>::new();
        let nan = tape.var_scalar(f64::NAN);
        let y = nan.clamp(-1.0, 1.0);
        assert!(y.item().is_nan() && y.backward().wrt(nan)[0].is_nan());
        let x = tape.var_scalar(0.0);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| x.clamp(1.0, -1.0)));
        let msg = caught.expect_err("lo > hi panics");
        let msg = msg.downcast_ref::<String>().expect("a formatted message");
        assert!(msg.contains("`clamp`"), "{msg}");
        let nan_bound = std::panic::catch_unwind(|| {
            let tape = Tape::<f64>::new();
            let _ = tape.var_scalar(0.0).clamp(f64::NAN, 1.0);
        });
        assert!(nan_bound.is_err());
    }
}
