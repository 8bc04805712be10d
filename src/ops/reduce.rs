//! Reductions: `sum` and `mean` (all elements), `dot`, `sum_rows`/`mean_rows` (the rows added together: `R×C → 1×C`) and
//! `sum_cols`/`mean_cols` (the columns added together: `R×C → R×1`).
//!
//! The reduction names say what is added up, like nalgebra's `row_sum`/`column_sum`, and
//! match the broadcasts they undo: `sum_rows` is the adjoint of
//! [`broadcast_rows`](Tensor::broadcast_rows) (a row repeated as rows), `sum_cols` of
//! [`broadcast_cols`](Tensor::broadcast_cols) (a column repeated as columns). For a batch with
//! one example per column, `sum_cols` adds over the batch, `sum_rows` within each example.
//!
//! ```text
//! x = [1 2 3]    x.sum_rows() = [5 7 9]    x.sum_cols() = [ 6]
//!     [4 5 6]                                              [15]
//! ```
use super::Rule;
use crate::scalar::lit;
use crate::{Scalar, Tensor};

/// # Reductions
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
    #[track_caller]
    pub fn sum(self) -> Tensor<'t, 1, 1, T> {
        // y = Σ x
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y
            let r = r.unary(R * C, 1);
            r.grad_x.add(core::iter::repeat(r.grad_out[0]));
        }
        let forward = |x: &[T], out: &mut [T]| out[0] = x.iter().fold(T::zero(), |acc, &v| acc + v);
        self.record_unary(0, forward, backward::<T, R, C>)
    }

    /// The mean of all elements, `(1/(R·C))·Σᵢⱼ xᵢⱼ`, as a 1×1 tensor. Backward:
    /// `∂x += ∂y / (R·C)` in every element.
    ///
    /// Composed: [`sum`](Tensor::sum), then `/ (R·C)` (two nodes).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let m = x.mean();
    /// assert_eq!(m.item(), 3.5);
    /// assert_eq!(m.backward().wrt(x), Matrix2x3::repeat(1.0 / 6.0));
    /// ```
    #[track_caller]
    pub fn mean(self) -> Tensor<'t, 1, 1, T> {
        self.sum() / lit::<T>((R * C) as f64)
    }

    /// The sum of the `R` rows, a `1×C` row: `yⱼ = Σᵢ xᵢⱼ` (each column added up; nalgebra's
    /// `row_sum`, NumPy's `x.sum(axis=0)`). Backward: `∂xᵢⱼ += ∂yⱼ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, RowVector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x.sum_rows();
    /// assert_eq!(y.value(), RowVector3::new(5.0, 7.0, 9.0));
    /// let w = tape.constant(RowVector3::new(1.0, 2.0, 3.0));
    /// assert_eq!((y * w).sum().backward().wrt(x), Matrix2x3::new(1.0, 2.0, 3.0, 1.0, 2.0, 3.0));
    /// ```
    #[track_caller]
    pub fn sum_rows(self) -> Tensor<'t, 1, C, T> {
        // yⱼ = Σᵢ xᵢⱼ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂xᵢⱼ += ∂yⱼ  (x(i, j) is at i + R·j)
            let r = r.unary(R * C, C);
            let go = r.grad_out;
            r.grad_x.add((0..R * C).map(|k| go[k / R]));
        }
        let forward = |x: &[T], out: &mut [T]| {
            // column j of x is contiguous (and empty when R = 0: the sum is 0)
            for (j, o) in out.iter_mut().enumerate() {
                *o = x[j * R..][..R].iter().fold(T::zero(), |acc, &v| acc + v);
            }
        };
        self.record_unary(0, forward, backward::<T, R, C>)
    }

    /// The sum of the `C` columns, an `R×1` column: `yᵢ = Σⱼ xᵢⱼ` (each row added up;
    /// nalgebra's `column_sum`, NumPy's `x.sum(axis=1)`). Backward: `∂xᵢⱼ += ∂yᵢ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x.sum_cols();
    /// assert_eq!(y.value(), Vector2::new(6.0, 15.0));
    /// let w = tape.constant(Vector2::new(1.0, 2.0));
    /// assert_eq!((y * w).sum().backward().wrt(x), Matrix2x3::new(1.0, 1.0, 1.0, 2.0, 2.0, 2.0));
    /// ```
    #[track_caller]
    pub fn sum_cols(self) -> Tensor<'t, R, 1, T> {
        // yᵢ = Σⱼ xᵢⱼ
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂xᵢⱼ += ∂yᵢ  (x(i, j) is at i + R·j)
            let r = r.unary(R * C, R);
            let go = r.grad_out;
            r.grad_x.add((0..R * C).map(|k| go[k % R]));
        }
        let forward = |x: &[T], out: &mut [T]| {
            out.fill(T::zero());
            for j in 0..C {
                for (o, &v) in out.iter_mut().zip(&x[j * R..][..R]) {
                    *o += v;
                }
            }
        };
        self.record_unary(0, forward, backward::<T, R, C>)
    }

    /// The mean of the `R` rows, a `1×C` row: `yⱼ = (1/R)·Σᵢ xᵢⱼ`. Backward:
    /// `∂xᵢⱼ += ∂yⱼ / R`.
    ///
    /// Composed: [`sum_rows`](Tensor::sum_rows), then `/ R` (two nodes).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, RowVector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x.mean_rows();
    /// assert_eq!(y.value(), RowVector3::new(2.5, 3.5, 4.5));
    /// assert_eq!(y.sum().backward().wrt(x), Matrix2x3::repeat(0.5));
    /// ```
    #[track_caller]
    pub fn mean_rows(self) -> Tensor<'t, 1, C, T> {
        self.sum_rows() / lit::<T>(R as f64)
    }

    /// The mean of the `C` columns, an `R×1` column: `yᵢ = (1/C)·Σⱼ xᵢⱼ` (for a batch with
    /// one example per column, the mean over the batch). Backward: `∂xᵢⱼ += ∂yᵢ / C`.
    ///
    /// Composed: [`sum_cols`](Tensor::sum_cols), then `/ C` (two nodes).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let y = x.mean_cols();
    /// assert_eq!(y.value(), Vector2::new(2.0, 5.0));
    /// assert_eq!(y.sum().backward().wrt(x), Matrix2x3::repeat(1.0 / 3.0));
    /// ```
    #[track_caller]
    pub fn mean_cols(self) -> Tensor<'t, R, 1, T> {
        self.sum_cols() / lit::<T>(C as f64)
    }
}

/// # Reductions of column vectors
impl<'t, const N: usize, T: Scalar> Tensor<'t, N, 1, T> {
    /// The dot product of two column vectors, `aᵀb = Σᵢ aᵢbᵢ`, as a 1×1 tensor. Backward:
    /// `∂a += ∂y·b`, `∂b += ∂y·a`.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector3::new(1.0, 2.0, 3.0));
    /// let b = tape.var(Vector3::new(4.0, -5.0, 6.0));
    /// let y = a.dot(b);
    /// assert_eq!(y.item(), 12.0); // 4 − 10 + 18
    /// let grads = y.backward();
    /// assert_eq!(grads.wrt(a), Vector3::new(4.0, -5.0, 6.0)); // b
    /// assert_eq!(grads.wrt(b), Vector3::new(1.0, 2.0, 3.0)); // a
    /// ```
    #[track_caller]
    pub fn dot(self, rhs: Self) -> Tensor<'t, 1, 1, T> {
        // y = Σᵢ aᵢbᵢ
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>) {
            // ∂a += ∂y·b,  ∂b += ∂y·a
            let r = r.binary(N, N, 1);
            let go = r.grad_out[0];
            r.grads
                .add(r.rhs.iter().map(|&b| go * b), r.lhs.iter().map(|&a| go * a));
        }
        let forward = |a: &[T], b: &[T], out: &mut [T]| {
            out[0] = a.iter().zip(b).fold(T::zero(), |acc, (&a, &b)| acc + a * b);
        };
        self.record_binary(rhs, "dot", 0, forward, backward::<T, N>)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, RowVector3, Vector2, Vector4};

    fn m() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1)
    }

    #[test]
    fn gradcheck_reductions() {
        check_unary(Matrix1::new(0.7), |x| x.mean());
        check_unary(m(), |x| x.mean());
        check_unary(m(), |x| x.sum_rows());
        check_unary(m(), |x| x.sum_cols());
        check_unary(m(), |x| x.mean_rows());
        check_unary(m(), |x| x.mean_cols());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sum_rows());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sum_cols());
        check_unary(RowVector3::new(0.3, -1.2, 1.0), |x| x.sum_rows());
        check_unary(RowVector3::new(0.3, -1.2, 1.0), |x| x.mean_cols());
        // reused: x ⊙ broadcast(reduction(x))
        check_unary(m(), |x| x.sum_rows().broadcast_rows() * x);
        check_unary(m(), |x| x.sum_cols().broadcast_cols() * x);
        check_unary(m(), |x| x.mean().broadcast() * x);
    }

    #[test]
    fn gradcheck_dot() {
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), |a, b| a.dot(b));
        check_binary(
            Vector4::new(0.3, -1.2, 1.0, 0.7),
            Vector4::new(0.5, 0.25, -0.8, 1.1),
            |a, b| a.dot(b),
        );
        check_unary(Vector2::new(0.3, -1.2), |x| x.dot(x)); // ∂ = 2x
        check_unary(Vector2::new(0.3, -1.2), |x| x.dot(x * x));
    }

    #[test]
    fn hand_derived() {
        // x = [[1, 2, 3], [4, 5, 6]]: sum_rows = [5, 7, 9], sum_cols = [6, 15], mean = 3.5,
        // mean_rows = [2.5, 3.5, 4.5], mean_cols = [2, 5]; Σ(sum_rows ⊙ [1, 2, 3]) has
        // ∂xᵢⱼ = wⱼ; x·x has ∂ = 2x.
        let tape = Tape::<f64>::new();
        let x0 = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        let x = tape.var(x0);
        assert_eq!(x.sum_rows().value(), RowVector3::new(5.0, 7.0, 9.0));
        assert_eq!(x.sum_cols().value(), Vector2::new(6.0, 15.0));
        assert_eq!(x.mean_rows().value(), RowVector3::new(2.5, 3.5, 4.5));
        assert_eq!(x.mean_cols().value(), Vector2::new(2.0, 5.0));
        assert_eq!(x.mean().item(), 3.5);
        assert_eq!(x.transpose().value(), x0.transpose());
        let v = tape.var(Vector2::new(3.0, -4.0));
        let d = v.dot(v);
        assert_eq!(d.item(), 25.0);
        assert_eq!(d.backward().wrt(v), Vector2::new(6.0, -8.0));
    }

    #[test]
    fn gradcheck_sum() {
        check_unary(Matrix1::new(0.7), |x| x.sum());
        check_unary(Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1), |x| x.sum());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| (x * x).sum());
        check_unary(Vector4::new(0.3, -1.2, 1.0, 0.7), |x| x.sum() * x.sum());
    }
}
