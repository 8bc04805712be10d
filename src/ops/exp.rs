//! The exponential family: `exp`.

use crate::tape::{Slots, split_grads};
use crate::{Scalar, Tensor};

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
    pub fn exp(self) -> Self {
        // y = eˣ
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊙ y
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let y = &v[s.out()..][..n];
            s.grad_a(before, n, grad_out.iter().zip(y).map(|(&go, &y)| go * y));
        }
        self.map_op_d(backward::<T, R, C>, |x| {
            let y = x.exp();
            (y, y)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3, Vector4};

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
}
