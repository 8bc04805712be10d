//! The matrix product.

use nalgebra::{SMatrixView, SMatrixViewMut};

use super::{Rule, Write};
use crate::{Scalar, Tensor};

/// # Matrix product
impl<'t, const R: usize, const K: usize, T: Scalar> Tensor<'t, R, K, T> {
    /// The matrix product `A·B` of an `R×K` and a `K×C` tensor; a mismatched `K` does not
    /// compile. Backward: `∂A += ∂C·Bᵀ`, `∂B += Aᵀ·∂C`.
    ///
    /// Computed in place in the tape's buffers on views: the product with nalgebra's `gemv`
    /// (vector `B`) or `gemm`; `∂A` with `ger` (vector `B`) or an `axpy` per column;
    /// `∂B` with a dot product per column of `A` (vector `B`) or `gemm_tr`. No matrix is
    /// copied, transposed or built on the stack, and a gradient's first contribution is
    /// written directly (`β = 0`) rather than added to zeros.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let w = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let x = tape.var(Vector3::new(1.0, 0.0, -1.0));
    /// let y = w.matmul(x);
    /// assert_eq!(y.value(), nalgebra::Vector2::new(-2.0, -2.0));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(w), Matrix2x3::new(1.0, 0.0, -1.0, 1.0, 0.0, -1.0)); // 1·xᵀ
    /// assert_eq!(grads.wrt(x), Vector3::new(5.0, 7.0, 9.0)); // Wᵀ·1
    /// ```
    #[track_caller]
    pub fn matmul<const C: usize>(self, rhs: Tensor<'t, K, C, T>) -> Tensor<'t, R, C, T> {
        // C = A·B
        fn backward<T: Scalar, const R: usize, const K: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂A += ∂C·Bᵀ,  ∂B += Aᵀ·∂C
            let r = r.binary(R * K, K * C, R * C);
            let (a, b, grad_out) = (r.lhs, r.rhs, r.grad_out);
            let grad_rhs = r.grads.lhs_with(|grad_a, mode| {
                if C == 1 {
                    // a rank-1 update, as a hand-written gradient would do it
                    let mut grad_a = SMatrixViewMut::<T, R, K>::from_slice(grad_a);
                    let grad_out = SMatrixView::<T, R, 1>::from_slice(grad_out);
                    let b = SMatrixView::<T, K, 1>::from_slice(b);
                    grad_a.ger(T::one(), &grad_out, &b, mode.beta());
                } else {
                    mul_nt(grad_a, grad_out, b, R, K, mode == Write::Add);
                }
            });
            grad_rhs.add_with(|grad_b, mode| {
                if C == 1 {
                    // a matrix-vector product: one dot product per column of A (what
                    // `gemv_tr` does, whose unrolled `dot` compiled to shuffles here)
                    for (j, gb) in grad_b.iter_mut().enumerate() {
                        mode.put(gb, dot(&a[j * R..][..R], grad_out));
                    }
                } else {
                    let a = SMatrixView::<T, R, K>::from_slice(a);
                    let mut grad_b = SMatrixViewMut::<T, K, C>::from_slice(grad_b);
                    let grad_out = SMatrixView::<T, R, C>::from_slice(grad_out);
                    grad_b.gemm_tr(T::one(), &a, &grad_out, mode.beta());
                }
            });
        }
        let forward = |a: &[T], b: &[T], out: &mut [T]| forward::<T, R, K, C>(out, a, b);
        self.record_binary(rhs, "matmul", 0, forward, backward::<T, R, K, C>)
    }
}

/// `out = A·B`. Kept out of line: inlined into a caller's recording code, the unrolled
/// kernel competes for registers and spills (measured 1.5× slower at 128×64 in f32).
#[inline(never)]
fn forward<T: Scalar, const R: usize, const K: usize, const C: usize>(
    out: &mut [T],
    a: &[T],
    b: &[T],
) {
    if !is_machine_float::<T>() {
        // dual numbers (hvp, forward-mode Jacobians): nalgebra's `gemv`/`gemm` ran ~10×
        // slower than this plain loop on them (its generic kernels multiply by α and test β
        // on every element, each a dual operation); one accumulator per output
        for j in 0..C {
            for (i, o) in out[j * R..][..R].iter_mut().enumerate() {
                let mut acc = T::zero();
                for k in 0..K {
                    acc += a[i + k * R] * b[k + j * K];
                }
                *o = acc;
            }
        }
        return;
    }
    let a = SMatrixView::<T, R, K>::from_slice(a);
    if C == 1 {
        // matrix-vector: `gemv` directly (`gemm` adds per-call overhead, ~35 ns at 10×128)
        let b = SMatrixView::<T, K, 1>::from_slice(b);
        let mut out = SMatrixViewMut::<T, R, 1>::from_slice(out);
        out.gemv(T::one(), &a, &b, T::zero());
    } else {
        let b = SMatrixView::<T, K, C>::from_slice(b);
        let mut out = SMatrixViewMut::<T, R, C>::from_slice(out);
        out.gemm(T::one(), &a, &b, T::zero());
    }
}

/// `Σᵢ a[i]·x[i]` over `a.len()` elements (`x` at least as long), in four interleaved
/// partial sums: the compiler keeps them in vector registers, and the additions form four
/// short dependency chains instead of one long one.
/// Whether `T` is `f32` or `f64`, for which nalgebra's BLAS-like kernels are the fast ones
/// (a constant after monomorphisation).
fn is_machine_float<T: Scalar>() -> bool {
    use core::any::TypeId;
    TypeId::of::<T>() == TypeId::of::<f64>() || TypeId::of::<T>() == TypeId::of::<f32>()
}

#[inline(always)]
fn dot<T: Scalar>(a: &[T], x: &[T]) -> T {
    let (n, x) = (a.len(), &x[..a.len()]);
    let body = n - n % 4;
    let mut p = [T::zero(); 4];
    for (a, x) in a[..body].chunks_exact(4).zip(x[..body].chunks_exact(4)) {
        for k in 0..4 {
            p[k] += a[k] * x[k];
        }
    }
    let mut sum = (p[0] + p[2]) + (p[1] + p[3]);
    for (&a, &x) in a[body..].iter().zip(&x[body..]) {
        sum += a * x;
    }
    sum
}

/// `y (=|+=) α·x`, assigning when `add` is false.
#[inline(always)]
fn axpy<T: Scalar>(y: &mut [T], alpha: T, x: &[T], add: bool) {
    if add {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y += alpha * x);
    } else {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = alpha * x);
    }
}

/// `out (=|+=) G·Bᵀ` for `G` (`r×c`), `B` (`k×c`), `out` (`r×k`): column `p` of `out` is
/// `Σⱼ G[:, j]·B[p, j]` (matmul uses `ger` instead when `c = 1`).
fn mul_nt<T: Scalar>(out: &mut [T], g: &[T], b: &[T], r: usize, k: usize, add: bool) {
    if r == 0 || k == 0 {
        return; // `out` is empty
    }
    if b.is_empty() {
        // c = 0: an empty sum
        if !add {
            out.fill(T::zero());
        }
        return;
    }
    for (p, out_p) in out.chunks_exact_mut(r).enumerate() {
        let b_row = b[p..].iter().step_by(k);
        for (j, (g_j, &b_pj)) in g.chunks_exact(r).zip(b_row).enumerate() {
            axpy(out_p, b_pj, g_j, add || j > 0);
        }
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
    fn empty_inner_dimension_gives_zeros() {
        // A (2×0)·B (0×3) is the empty sum: a 2×3 zero matrix, with empty gradients.
        let tape = Tape::<f64>::new();
        let a = tape.var(nalgebra::SMatrix::<f64, 2, 0>::zeros());
        let b = tape.var(nalgebra::SMatrix::<f64, 0, 3>::zeros());
        let c = a.matmul(b) + 1.0;
        assert_eq!(c.value(), Matrix2x3::repeat(1.0));
        let g = c.sum().backward();
        assert_eq!(g.wrt(a).len() + g.wrt(b).len(), 0);
    }

    #[test]
    fn empty_columns_give_empty_products() {
        // A (2×3)·B (3×0) is 2×0; A's gradient through it is the empty sum, 0, plus the
        // other path: ∂(Σ A·B + Σ A)/∂A = 1 (hand derivation).
        let tape = Tape::<f64>::new();
        let a = tape.var(Matrix2x3::repeat(1.5));
        let b = tape.var(nalgebra::SMatrix::<f64, 3, 0>::zeros());
        let g = (a.matmul(b).sum() + a.sum()).backward();
        assert_eq!(g.wrt(a), Matrix2x3::repeat(1.0));
    }

    #[test]
    fn kernels_match_nalgebra_on_odd_sizes() {
        // odd sizes, a matrix B (so ∂A goes through `mul_nt`); reference: nalgebra.
        let a = nalgebra::SMatrix::<f64, 9, 13>::from_fn(|i, j| ((i * 13 + j) as f64 * 0.37).sin());
        let b = nalgebra::SMatrix::<f64, 13, 5>::from_fn(|i, j| ((i * 5 + j) as f64 * 0.71).cos());
        let w = nalgebra::SMatrix::<f64, 9, 5>::from_fn(|i, j| (i as f64 - j as f64) * 0.1);
        let tape = Tape::<f64>::new();
        let (ta, tb) = (tape.var(a), tape.var(b));
        let c = ta.matmul(tb);
        approx::assert_relative_eq!(c.value(), a * b, max_relative = 1e-14);
        let grads = (c * tape.constant(w)).sum().backward();
        approx::assert_relative_eq!(grads.wrt(ta), w * b.transpose(), max_relative = 1e-13);
        approx::assert_relative_eq!(grads.wrt(tb), a.transpose() * w, max_relative = 1e-13);
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
