//! Activations as primitive ops, stable for every finite input: `sigmoid`, `tanh`.
//!
//! Each stores its derivative next to its output during the forward pass (in the node's aux
//! region), computed from the input without cancellation, so the backward rule is one
//! multiply and stays accurate in the tails where `s·(1 − s)` or `1 − t²` would round to 0.

use crate::scalar::lit;
use crate::{Scalar, Tensor};

/// Sigmoid's value and derivative where `e⁻ˣ` overflows (`x < −709.78` in f64): both round
/// to `eˣ` (a subnormal, or 0 below `x ≈ −745.13`), as `σ(x) = eˣ/(1 + eˣ)` and
/// `σ'(x) = σ(x)(1 − σ(x))`. Cold and out of line on purpose: inlined, the compiler computes
/// this second `exp` for every element of a vectorised loop and selects (a call it may
/// speculate), which doubled the cost of a 32-element sigmoid.
#[cold]
#[inline(never)]
fn sigmoid_far_left<T: Scalar>(x: T, want: bool) -> (T, Option<T>) {
    let y = x.exp();
    (y, want.then_some(y))
}

/// # Activations
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`, element-wise. Backward:
    /// `∂x += ∂y ⊙ σ(x)·σ(−x)`.
    ///
    /// The value is computed exactly as `1 / (1 + e⁻ˣ)` (bit-identical to the notebook's
    /// composite definition wherever that is finite); the derivative is stored in the forward
    /// pass as `(e⁻ˣ·σ(x))·σ(x)`, which does not cancel for either sign: at `x = 40` the
    /// gradient is `4.25e-18`, not the `0` that `s·(1 − s)` gives.
    /// Where `e⁻ˣ` overflows (`x < −709.78` in f64, `x < −88.72` in f32) value and gradient
    /// are `eˣ`, their correctly rounded value (subnormal, then exactly `0` at `x = −800`);
    /// the composite `1 / (1 + (−x).exp())` built from tape ops gets a NaN gradient there
    /// (`inf · 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(-2.0);
    /// let s = x.sigmoid();
    /// assert_eq!(s.item(), 0.11920292202211755); // the notebook's TEST 8 trace
    /// assert_relative_eq!(s.backward().wrt(x)[0], 0.11920292202211755 * (1.0 - 0.11920292202211755), max_relative = 1e-15);
    /// let far = tape.var_scalar(-800.0_f64);
    /// assert_eq!(far.sigmoid().backward().wrt(far)[0], 0.0);
    /// ```
    #[inline]
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        // y = 1/(1 + e⁻ˣ); d = σ(x)·σ(−x) = σ'(x)
        self.map_fn(|x, want| {
            let e = (-x).exp(); // inf below x ≈ −709.78 (f64)
            if !e.is_finite() {
                return sigmoid_far_left(x, want);
            }
            let s = T::one() / (T::one() + e);
            // σ(−x) = e·σ(x) = e/(1 + e) in [0, 1): no cancellation for either sign, and
            // (e·σ)·σ rather than e·σ² so that σ² cannot underflow first
            (s, want.then(|| (e * s) * s))
        })
    }

    /// The hyperbolic tangent, element-wise. Backward: `∂x += ∂y ⊙ sech²(x)`.
    ///
    /// The value is the platform's `tanh`. The derivative is `1 − tanh²x` for `|x| < ¾`
    /// (`tanh²x < 0.41` there, so it does not cancel) and `4e/(1 + e)²` with `e = e^{−2|x|}`
    /// beyond, where `1 − tanh²x` would lose bits and round to 0 past `|x| ≈ 19` (f64). Value
    /// and gradient are finite and accurate to a few ulps for every finite input.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(0.5);
    /// let t = x.tanh();
    /// assert_eq!(t.item(), 0.5_f64.tanh());
    /// assert_relative_eq!(t.backward().wrt(x)[0], 1.0 - 0.5_f64.tanh().powi(2), max_relative = 1e-15);
    /// let far = tape.var_scalar(40.0);
    /// assert_relative_eq!(far.tanh().backward().wrt(far)[0], 4.0 * (-80.0_f64).exp(), max_relative = 1e-14);
    /// ```
    #[inline]
    #[track_caller]
    pub fn tanh(self) -> Self {
        // y = tanh x; d = sech² x
        let (small, two, four) = (lit::<T>(0.75), lit::<T>(2.0), lit::<T>(4.0));
        self.map(move |x, want| {
            let t = x.tanh();
            if x.abs() < small {
                return (t, want.then(|| T::one() - t * t));
            }
            if !want && t.is_finite() {
                return (t, None);
            }
            let e = (-two * x.abs()).exp();
            let one_plus_e = T::one() + e;
            let d = four * e / (one_plus_e * one_plus_e);
            if !t.is_finite() {
                // a scalar whose `tanh` overflows (num-dual's duals compute sinh/cosh: NaN
                // past |x| ≈ 710); never taken for f32/f64
                return (((T::one() - e) / one_plus_e).copysign(x), want.then_some(d));
            }
            (t, Some(d))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3, Vector4};

    #[test]
    fn gradcheck_activations() {
        let m = Matrix2x3::new(0.3, -1.2, 2.0, 0.7, -4.0, 0.1);
        check_unary(Matrix1::new(0.7), |x| x.sigmoid());
        check_unary(m, |x| x.sigmoid());
        check_unary(Vector4::new(0.3, -1.2, 3.0, 0.0), |x| x.sigmoid() * x);
        check_unary(Matrix1::new(-0.7), |x| x.tanh());
        check_unary(m, |x| x.tanh());
        check_unary(Vector4::new(0.3, -1.2, 3.0, 0.0), |x| x.tanh() + x.tanh());
    }

    #[test]
    fn tails_are_accurate() {
        // σ'(x) = e^{-|x|}/(1+e^{-|x|})² (hand derivation), tanh'(x) = 4e/(1+e)², e = e^{-2|x|}
        let tape = Tape::<f64>::new();
        for x0 in [40.0, -40.0] {
            let x = tape.var_scalar(x0);
            let g = x.sigmoid().backward().wrt(x)[0];
            let e = (-40.0f64).exp();
            approx::assert_relative_eq!(g, e / ((1.0 + e) * (1.0 + e)), max_relative = 1e-14);
            let g = x.tanh().backward().wrt(x)[0];
            let e = (-80.0f64).exp();
            approx::assert_relative_eq!(g, 4.0 * e / ((1.0 + e) * (1.0 + e)), max_relative = 1e-14);
        }
    }
}
