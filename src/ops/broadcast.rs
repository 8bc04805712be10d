//! Explicit, typed broadcasting: a 1×1 tensor to any shape, a column vector across columns,
//! a row vector across rows. Backward sums the upstream gradient over the repeated copies.

use super::Rule;
use crate::{Scalar, Tensor};

/// # Broadcasting
impl<'t, T: Scalar> Tensor<'t, 1, 1, T> {
    /// The 1×1 value repeated into an `R×C` tensor: `yᵢⱼ = x`. Backward: `∂x += Σᵢⱼ ∂yᵢⱼ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// use shapegrad::Tensor;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let s = tape.var_scalar(2.0);
    /// let m = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = (m * s.broadcast()).sum(); // Σ s·m
    /// let grads = y.backward();
    /// assert_eq!(grads.wrt(s)[0], 21.0);
    /// assert_eq!(grads.wrt(m), Matrix2x3::repeat(2.0));
    /// let b: Tensor<3, 1> = s.broadcast();
    /// assert_eq!(b.value(), nalgebra::Vector3::repeat(2.0));
    /// ```
    #[track_caller]
    pub fn broadcast<const R: usize, const C: usize>(self) -> Tensor<'t, R, C, T> {
        // yᵢⱼ = x
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += Σᵢⱼ ∂yᵢⱼ
            let r = r.unary(1, R * C);
            let total = r.grad_out.iter().fold(T::zero(), |acc, &go| acc + go);
            r.grad_x.add([total]);
        }
        self.record_unary(0, |x, out| out.fill(x[0]), backward::<T, R, C>)
    }
}

/// # Broadcasting
impl<'t, const R: usize, T: Scalar> Tensor<'t, R, 1, T> {
    /// The column vector repeated as each of `C` columns: `yᵢⱼ = xᵢ` (for `W x + b` on a
    /// batch of `C` columns). Backward: `∂xᵢ += Σⱼ ∂yᵢⱼ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let b = tape.var(Vector2::new(1.0, -1.0));
    /// let x = tape.constant(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x + b.broadcast_cols();
    /// assert_eq!(y.value(), Matrix2x3::new(2.0, 3.0, 4.0, 3.0, 4.0, 5.0));
    /// assert_eq!(y.exp().sum().backward().wrt(b)[0], (2.0f64.exp() + 3.0f64.exp() + 4.0f64.exp()));
    /// ```
    #[track_caller]
    pub fn broadcast_cols<const C: usize>(self) -> Tensor<'t, R, C, T> {
        // yᵢⱼ = xᵢ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂xᵢ += Σⱼ ∂yᵢⱼ (row i of ∂y: i, i + R, …; no columns when C = 0)
            let r = r.unary(R, R * C);
            let go = r.grad_out;
            let row_sums = (0..R).map(|i| (0..C).fold(T::zero(), |acc, j| acc + go[i + R * j]));
            r.grad_x.add(row_sums);
        }
        let forward = |x: &[T], out: &mut [T]| {
            if R > 0 {
                for column in out.chunks_exact_mut(R) {
                    column.copy_from_slice(x);
                }
            }
        };
        self.record_unary(0, forward, backward::<T, R, C>)
    }
}

/// # Broadcasting
impl<'t, const C: usize, T: Scalar> Tensor<'t, 1, C, T> {
    /// The row vector repeated as each of `R` rows: `yᵢⱼ = xⱼ`. Backward: `∂xⱼ += Σᵢ ∂yᵢⱼ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix3x2, RowVector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let r = tape.var(RowVector2::new(1.0, 2.0));
    /// let y = r.broadcast_rows::<3>();
    /// assert_eq!(y.value(), Matrix3x2::new(1.0, 2.0, 1.0, 2.0, 1.0, 2.0));
    /// assert_eq!(y.sum().backward().wrt(r), RowVector2::new(3.0, 3.0));
    /// ```
    #[track_caller]
    pub fn broadcast_rows<const R: usize>(self) -> Tensor<'t, R, C, T> {
        // yᵢⱼ = xⱼ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂xⱼ += Σᵢ ∂yᵢⱼ (column j of ∂y is contiguous; no rows when R = 0)
            let r = r.unary(C, R * C);
            let go = r.grad_out;
            let sums = (0..C).map(|j| go[j * R..][..R].iter().fold(T::zero(), |acc, &g| acc + g));
            r.grad_x.add(sums);
        }
        let forward = |x: &[T], out: &mut [T]| {
            if R > 0 {
                for (column, &v) in out.chunks_exact_mut(R).zip(x) {
                    column.fill(v);
                }
            }
        };
        self.record_unary(0, forward, backward::<T, R, C>)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, RowVector3, Vector2, Vector4};

    #[test]
    fn gradcheck_broadcast() {
        let m = Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1);
        check_unary(Matrix1::new(0.7), |x| x.broadcast::<2, 3>());
        check_unary(Matrix1::new(0.7), |x| x.broadcast::<1, 1>() * x);
        check_unary(Matrix1::new(0.7), |x| x.broadcast::<4, 1>());
        check_unary(Vector2::new(0.7, -0.2), |x| x.broadcast_cols::<3>());
        check_unary(Vector4::new(0.7, -0.2, 0.1, 0.5), |x| {
            x.broadcast_cols::<1>() + x
        });
        check_unary(RowVector3::new(0.7, -0.2, 0.4), |x| x.broadcast_rows::<2>());
        check_binary(m, Vector2::new(0.5, -0.5), |m, b| m * b.broadcast_cols());
        check_binary(m, RowVector3::new(0.5, -0.5, 2.0), |m, r| {
            m + r.broadcast_rows()
        });
        check_binary(m, Matrix1::new(1.5), |m, s: Tensor<'_, 1, 1>| {
            m / s.broadcast()
        });
    }
}
