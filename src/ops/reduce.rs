//! Reductions: `sum`.

use crate::tape::{Slots, split_grads};
use crate::{Scalar, Tensor};

impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// `Σᵢⱼ xᵢⱼ`, the sum of all elements, as a 1×1 tensor. Backward: `∂x += ∂y` in every
    /// element.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let s = x.sum();
    /// assert_eq!(s.item(), 21.0);
    /// assert_eq!(s.backward().wrt(x), Matrix2x3::repeat(1.0));
    /// ```
    #[inline]
    pub fn sum(self) -> Tensor<'t, 1, 1, T> {
        // y = Σ x
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, _: &[T], g: &mut [T]) {
            // ∂x += ∂y
            let (before, grad_out) = split_grads(g, s.out(), 1);
            let go = grad_out[0];
            s.grad_a(before, R * C, std::iter::repeat(go));
        }
        self.unary_op(0, backward::<T, R, C>, |x, out| {
            out[0] = x.iter().fold(T::zero(), |acc, &v| acc + v);
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::check_unary;
    use nalgebra::{Matrix1, Matrix2x3, Vector4};

    #[test]
    fn gradcheck_sum() {
        check_unary(Matrix1::new(0.7), |x| x.sum());
        check_unary(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1), |x| x.sum());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| (x * x).sum());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sum() * x.sum());
    }
}
