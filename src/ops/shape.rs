//! Ops that change the shape: `transpose`.

use super::Rule;
use crate::{Scalar, Tensor};

/// # Shape
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The transpose `xᵀ`, an `R×C` tensor becoming `C×R`: `yⱼᵢ = xᵢⱼ`. Backward:
    /// `∂x += (∂y)ᵀ`.
    ///
    /// Copies the values (the tape stores every result column-major).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Matrix3x2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x.transpose();
    /// assert_eq!(y.value(), Matrix3x2::new(1.0, 4.0, 2.0, 5.0, 3.0, 6.0));
    /// let w = tape.constant(Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// assert_eq!((y * w).sum().backward().wrt(x), Matrix2x3::new(1.0, 3.0, 5.0, 2.0, 4.0, 6.0)); // wᵀ
    /// ```
    #[track_caller]
    pub fn transpose(self) -> Tensor<'t, C, R, T> {
        // yⱼᵢ = xᵢⱼ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂xᵢⱼ += ∂yⱼᵢ  (x(i, j) is at i + R·j, y(j, i) at j + C·i)
            let r = r.unary(R * C, R * C);
            let go = r.grad_out;
            r.grad_x.add((0..R * C).map(|k| go[k / R + C * (k % R)]));
        }
        let forward = |x: &[T], out: &mut [T]| {
            for (k, &v) in x.iter().enumerate() {
                out[k / R + C * (k % R)] = v;
            }
        };
        self.record_unary(0, forward, backward::<T, R, C>)
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Matrix3x2, Vector4};

    fn m() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1)
    }

    #[test]
    fn gradcheck_transpose() {
        check_unary(Matrix1::new(0.7), |x| x.transpose());
        check_unary(m(), |x| x.transpose());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.transpose());
        // reused: xᵀ·x (3×3) and x ⊙ (xᵀ)ᵀ
        check_unary(m(), |x| x.transpose().matmul(x));
        check_unary(m(), |x| x.transpose().transpose() * x);
        check_binary(
            m(),
            Matrix3x2::new(0.5, -0.1, 0.2, 0.9, -0.7, 0.3),
            |a, b| a.transpose() * b,
        );
    }
}
