//! The matrix product.

use nalgebra::{Const, MatrixView, SMatrixView, SMatrixViewMut};

use crate::tape::{Slots, split_grads};
use crate::{Scalar, Tensor};

impl<'t, const R: usize, const K: usize, T: Scalar> Tensor<'t, R, K, T> {
    /// The matrix product `A·B` of an `R×K` and a `K×C` tensor; a mismatched `K` does not
    /// compile. Backward: `∂A += ∂C·Bᵀ`, `∂B += Aᵀ·∂C`.
    ///
    /// Computed in place in the tape's buffers with nalgebra's `gemm` on views: no matrix is
    /// copied or built on the stack.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Matrix2x3, Vector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let w = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let x = tape.var(Vector3::new(1.0, 0.0, -1.0));
    /// let y = w.matmul(x);
    /// assert_eq!(y.value(), nalgebra::Vector2::new(-2.0, -2.0));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(w), Matrix2x3::new(1.0, 0.0, -1.0, 1.0, 0.0, -1.0)); // 1·xᵀ
    /// assert_eq!(grads.wrt(x), Vector3::new(5.0, 7.0, 9.0)); // Wᵀ·1
    /// # let _ = Matrix2::<f64>::zeros();
    /// ```
    pub fn matmul<const C: usize>(self, rhs: Tensor<'t, K, C, T>) -> Tensor<'t, R, C, T> {
        // C = A·B
        fn backward<T: Scalar, const R: usize, const K: usize, const C: usize>(
            s: Slots,
            v: &[T],
            g: &mut [T],
        ) {
            // ∂A += ∂C·Bᵀ,  ∂B += Aᵀ·∂C
            let (before, grad_out) = split_grads(g, s.out(), R * C);
            let grad_out = SMatrixView::<T, R, C>::from_slice(grad_out);
            let a = SMatrixView::<T, R, K>::from_slice(&v[s.a()..][..R * K]);
            // Bᵀ as a strided view of B's storage: no copy.
            let b_t = MatrixView::from_slice_with_strides_generic(
                &v[s.b()..][..K * C],
                Const::<C>,
                Const::<K>,
                Const::<K>,
                Const::<1>,
            );
            if let Some(beta) = s.beta(0) {
                let mut grad_a =
                    SMatrixViewMut::<T, R, K>::from_slice(&mut before[s.a()..][..R * K]);
                grad_a.gemm(T::one(), &grad_out, &b_t, beta);
            }
            if let Some(beta) = s.beta(1) {
                let mut grad_b =
                    SMatrixViewMut::<T, K, C>::from_slice(&mut before[s.b()..][..K * C]);
                grad_b.gemm_tr(T::one(), &a, &grad_out, beta);
            }
        }
        self.binary_op(rhs, "matmul", backward::<T, R, K, C>, |a, b, out| {
            let a = SMatrixView::<T, R, K>::from_slice(a);
            let b = SMatrixView::<T, K, C>::from_slice(b);
            let mut out = SMatrixViewMut::<T, R, C>::from_slice(&mut out[..R * C]);
            out.gemm(T::one(), &a, &b, T::zero());
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2, Matrix2x3, Matrix3x2, Matrix4x3, Vector3, Vector4};

    #[test]
    fn gradcheck_matmul() {
        let a = Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1);
        let b = Matrix3x2::new(0.5, -0.1, 0.2, 0.9, -0.7, 0.3);
        check_binary(a, b, |a, b| a.matmul(b));
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), |a, b| a.matmul(b));
        let w = Matrix4x3::new(
            0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, 0.1, -0.2, 0.3, 0.2, -0.1,
        );
        check_binary(w, Vector3::new(0.5, -1.0, 0.25), |w, x| w.matmul(x)); // tall output
        check_binary(Vector4::new(0.5, -1.0, 0.25, 0.1), a, |x, m| {
            x.matmul(m.sum().broadcast::<1, 3>())
        });
        // reused input: A·A (square) and Aᵀ-free A·B·A shapes
        check_unary(Matrix2::new(0.3, -0.5, 0.8, 0.2), |m| m.matmul(m));
        check_unary(a, |a| a.matmul(a.sum().broadcast::<3, 2>()));
    }

    #[test]
    fn hand_derived() {
        // C = A·B with A = [[1, 2], [3, 4]], B = I: ∂Σ(C⊙C)/∂A = 2C·Bᵀ = 2A
        let tape = Tape::<f64>::new();
        let a = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
        let b = tape.var(Matrix2::identity());
        let c = a.matmul(b);
        let grads = (c * c).sum().backward();
        assert_eq!(grads.wrt(a), Matrix2::new(2.0, 4.0, 6.0, 8.0));
        // ∂B = Aᵀ·2C = 2AᵀA
        assert_eq!(
            grads.wrt(b),
            2.0 * Matrix2::new(1.0, 2.0, 3.0, 4.0).transpose() * Matrix2::new(1.0, 2.0, 3.0, 4.0)
        );
    }
}
