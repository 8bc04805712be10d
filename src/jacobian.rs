//! Jacobians: of a recorded output ([`Tensor::jacobian`], reverse sweeps), and of a
//! [`VectorFn`] in the cheaper mode ([`jacobian`]) or in a chosen one ([`jacobian_reverse`],
//! [`jacobian_forward`] with the feature `dual`).
//!
//! Reverse mode records `f` once and walks it back once per output (`M` walks); forward mode
//! runs `f` once on dual numbers carrying `N` derivative lanes (num-dual's `DualSVec64<N>`),
//! so every value on the tape is `a + Σⱼ ȧⱼ εⱼ` and the outputs' lanes are the Jacobian's
//! columns. Residual problems are tall (`M ≫ N`), where forward mode is the cheaper.

use nalgebra::{SMatrix, SVector};

use crate::tape::same_tape;
use crate::{Gradients, Scalar, Tape, Tensor, VectorFn};

/// Forward mode's widest input in [`jacobian`]'s choice. Past it, num-dual's lanes stop
/// being cheap: on `exp(sin(Ax) ⊙ Ax)` with `N = M` (`docs/least-squares.md`), forward mode
/// ran at 0.6–0.9× reverse mode's time up to `N = 10` and 2.4× at `N = 12`, 6× at `N = 16`
/// (each value on the tape and in every 1×1 handle carries the `N` lanes).
#[cfg_attr(not(feature = "dual"), allow(dead_code))]
const FORWARD_MAX_LANES: usize = 8;

/// `f(x)` and its Jacobian `J = ∂f/∂x` (`M×N`, `Jᵢⱼ = ∂fᵢ/∂xⱼ`), in the cheaper mode.
///
/// The rule, decided from the types alone: with the feature `dual`, **forward mode**
/// ([`jacobian_forward`]: one pass on `N`-lane dual numbers) when `N ≤ M` and `N ≤ 8`;
/// otherwise **reverse mode** ([`jacobian_reverse`]: one recording, `M` reverse walks).
/// Without the feature, always reverse mode. Both modes compute the same derivatives by the
/// same rules and agree to rounding (the registry test checks every op); they need not agree
/// bit for bit, since forward mode sums a chain rule's terms in the other order.
/// `docs/least-squares.md` measures both.
///
/// `f` is written once, generic over the scalar: see [`VectorFn`].
///
/// # Examples
///
/// `f(x) = (x₀x₁, sin x₀, x₁²)`:
///
/// ```
/// use nalgebra::{Matrix3x2, Vector2, Vector3};
/// use shapegrad::{Scalar, Tensor, VectorFn, jacobian};
///
/// struct F;
/// impl VectorFn<2, 3> for F {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 3, 1, T> {
///         let (x0, x1) = (x.at(0), x.at(1));
///         Tensor::from_scalars([x0 * x1, x0.sin(), x1 * x1])
///     }
/// }
///
/// let (y, j) = jacobian(&F, &Vector2::new(0.5, 2.0));
/// assert_eq!(y, Vector3::new(1.0, 0.5f64.sin(), 4.0));
/// assert_eq!(j, Matrix3x2::new(2.0, 0.5, 0.5f64.cos(), 0.0, 0.0, 4.0));
/// ```
pub fn jacobian<F: VectorFn<N, M>, const N: usize, const M: usize>(
    f: &F,
    x: &SVector<f64, N>,
) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
    #[cfg(feature = "dual")]
    if N <= M && N <= FORWARD_MAX_LANES {
        return jacobian_forward(f, x);
    }
    jacobian_reverse(f, x)
}

/// `f(x)` and its Jacobian in reverse mode: `f` recorded once on an `f64` tape, then `M`
/// reverse walks, walk `i` seeded with the unit vector `eᵢ` (row `i` is `∇fᵢ`).
///
/// The cost is one recording and `M` walks: the mode for wide Jacobians (`M < N`), and for
/// any shape without the feature `dual`. See [`jacobian`] for the choice between modes.
///
/// # Examples
///
/// `f(x) = Σᵢ xᵢ²` as a 1-vector: the Jacobian is the gradient `2xᵀ`, by one walk.
///
/// ```
/// use nalgebra::{RowVector3, Vector1, Vector3};
/// use shapegrad::{Scalar, Tensor, VectorFn, jacobian_reverse};
///
/// struct SumOfSquares;
/// impl VectorFn<3, 1> for SumOfSquares {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         (x * x).sum()
///     }
/// }
///
/// let (y, j) = jacobian_reverse(&SumOfSquares, &Vector3::new(1.0, -2.0, 0.5));
/// assert_eq!(y, Vector1::new(5.25));
/// assert_eq!(j, RowVector3::new(2.0, -4.0, 1.0));
/// ```
pub fn jacobian_reverse<F: VectorFn<N, M>, const N: usize, const M: usize>(
    f: &F,
    x: &SVector<f64, N>,
) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
    let tape = Tape::new();
    let xt = tape.var(*x);
    let y = f.eval(xt);
    (y.value(), y.jacobian(xt))
}

/// `f(x)` and its Jacobian in forward mode: `f` run once on num-dual's `DualSVec64<N>`, the
/// input's lane `j` seeded with `eⱼ`, so each output's `N` lanes are its row of the
/// Jacobian. Feature `dual`.
///
/// The cost is one pass with every scalar operation on `N + 1` `f64`s: the mode for tall
/// Jacobians (`M ≥ N`: residuals of a least-squares fit). Nothing is walked back, so `x` is
/// recorded as a constant and no op keeps gradient flags. See [`jacobian`] for the choice.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix3x2, Vector2, Vector3};
/// use shapegrad::{Scalar, Tensor, VectorFn, jacobian_forward};
///
/// // f(x) = exp(A x) for a 3×2 data matrix A: J = diag(exp(A x))·A
/// struct ExpLinear(Matrix3x2<f64>);
/// impl VectorFn<2, 3> for ExpLinear {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 3, 1, T> {
///         x.tape().constant(self.0.map(nalgebra::convert)).matmul(x).exp()
///     }
/// }
///
/// let a = Matrix3x2::new(1.0, 2.0, -1.0, 0.5, 0.25, 0.0);
/// let x = Vector2::new(0.3, -0.1);
/// let (y, j) = jacobian_forward(&ExpLinear(a), &x);
/// let e: Vector3<f64> = (a * x).map(f64::exp);
/// assert_relative_eq!(y, e, max_relative = 1e-15);
/// assert_relative_eq!(j, Matrix3x2::from_fn(|i, k| e[i] * a[(i, k)]), max_relative = 1e-15);
/// ```
#[cfg(feature = "dual")]
pub fn jacobian_forward<F: VectorFn<N, M>, const N: usize, const M: usize>(
    f: &F,
    x: &SVector<f64, N>,
) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
    use num_dual::{Derivative, DualSVec64};
    let tape = Tape::<DualSVec64<N>>::new();
    let seeded = SVector::<DualSVec64<N>, N>::from_fn(|j, _| {
        DualSVec64::new(
            x[j],
            Derivative::some(SVector::from_fn(|k, _| f64::from(k == j))),
        )
    });
    let y = f.eval(tape.constant(seeded));
    let mut value = SVector::<f64, M>::zeros();
    let mut j = SMatrix::<f64, M, N>::zeros();
    y.with_slice(|y| {
        for (i, yi) in y.iter().enumerate() {
            value[i] = yi.re;
            // an output whose lanes are `None` does not depend on x: its row stays zero
            if let Some(lanes) = &yi.eps.0 {
                j.set_row(i, &lanes.transpose());
            }
        }
    });
    (value, j)
}

/// # Jacobians
impl<'t, const M: usize, T: Scalar> Tensor<'t, M, 1, T> {
    /// The Jacobian `J = ∂self/∂x` (`M×N`, `Jᵢⱼ = ∂selfᵢ/∂xⱼ`) of this recorded `M`-vector
    /// with respect to the `N`-vector `x` on the same tape.
    ///
    /// Row `i` is the gradient of `selfᵢ`: one reverse walk seeded with the unit vector `eᵢ`
    /// (the vector-Jacobian product `eᵢᵀ·∂self/∂x`, as [`Tensor::backward_with`] computes
    /// it), so the cost is `M` walks over one recording, with one gradient buffer reused
    /// across them. Nothing is recorded: the tape can be used further afterwards. Rows are
    /// zero for outputs that do not depend on `x`, and the whole matrix is zero if `x` is a
    /// [constant](crate::Tape::constant). For a function written as a [`VectorFn`],
    /// [`jacobian`] picks between this and forward mode.
    ///
    /// # Panics
    ///
    /// If `self` and `x` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::{Matrix2x3, Vector3};
    /// use shapegrad::Tape;
    ///
    /// // y = exp(W x): ∂y/∂x = diag(exp(W x))·W
    /// let w = Matrix2x3::new(1.0, 2.0, 3.0, -1.0, 0.5, 0.25);
    /// let tape = Tape::new();
    /// let x = tape.var(Vector3::new(0.1, -0.2, 0.3));
    /// let y = tape.constant(w).matmul(x).exp();
    /// let j = y.jacobian(x);
    /// let e = y.value();
    /// assert_relative_eq!(j, Matrix2x3::from_fn(|i, k| e[i] * w[(i, k)]), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn jacobian<const N: usize>(self, x: Tensor<'t, N, 1, T>) -> SMatrix<T, M, N> {
        same_tape("jacobian", self.tape(), x.tape());
        let mut j = SMatrix::<T, M, N>::zeros();
        let mut grads = Gradients::new();
        let mut seed = SVector::<T, M>::zeros();
        for i in 0..M {
            // row i = eᵢᵀ·∂y/∂x
            seed[i] = T::one();
            self.tape()
                .backward_from(self.operand(), seed.as_slice(), &mut grads);
            seed[i] = T::zero();
            if let Some(g) = grads.slice(x) {
                for (k, &gk) in g.iter().enumerate() {
                    j[(i, k)] = gk;
                }
            }
        }
        j
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use nalgebra::{Matrix2, Vector2};

    #[test]
    fn rows_of_outputs_without_x_are_zero() {
        // y = (x₀x₁, 3) as x ⊙ (P x) ⊙ (1, 0) + (0, 3) with P the swap:
        // ∂y₀/∂x = (x₁, x₀), ∂y₁/∂x = 0 (hand derivation)
        let tape = Tape::<f64>::new();
        let x = tape.var(Vector2::new(2.0, 5.0));
        let swap = tape.constant(Matrix2::new(0.0, 1.0, 1.0, 0.0));
        let mask = tape.constant(Vector2::new(1.0, 0.0));
        let y = x * swap.matmul(x) * mask + tape.constant(Vector2::new(0.0, 3.0));
        assert_eq!(y.jacobian(x), Matrix2::new(5.0, 2.0, 0.0, 0.0));
        // x a constant: no gradient anywhere
        let c = tape.constant(Vector2::new(2.0, 5.0));
        assert_eq!((c * c).jacobian(c), Matrix2::zeros());
    }

    #[test]
    #[should_panic(expected = "`jacobian` combines tensors from two different tapes")]
    fn refuses_two_tapes() {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let x = t1.var(Vector2::new(1.0, 2.0));
        let z = t2.var(Vector2::new(1.0, 2.0));
        let _ = x.exp().jacobian(z);
    }
}
