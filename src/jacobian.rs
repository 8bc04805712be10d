//! [`jacobian`]: the full Jacobian of a recorded vector function, one reverse sweep per output.

use nalgebra::SMatrix;

use crate::tape::same_tape;
use crate::{Gradients, Scalar, Tensor};

/// The Jacobian `J = ∂y/∂x` (`M×N`, `Jᵢⱼ = ∂yᵢ/∂xⱼ`) of an output `y` (`M×1`) recorded on
/// the same tape as the input `x` (`N×1`).
///
/// Row `i` is the gradient of `yᵢ`: one reverse sweep seeded with the unit vector `eᵢ`
/// (the vector-Jacobian product `eᵢᵀ·∂y/∂x`, as [`Tensor::backward_with`] computes it), so the
/// cost is `M` backward walks over one recording, with one gradient buffer reused across the
/// sweeps. Nothing is recorded: the tape can be used further afterwards. Rows are zero for
/// outputs that do not depend on `x`, and the whole matrix is zero if `x` is a
/// [constant](crate::Tape::constant).
///
/// For a wide Jacobian (`M` much larger than `N`) the `M` sweeps cost more than `N` forward
/// passes would; shapegrad has reverse mode only.
///
/// # Panics
///
/// If `y` and `x` are on different tapes.
///
/// # Examples
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::{Tape, jacobian};
///
/// // y = exp(W x): ∂y/∂x = diag(exp(W x))·W
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, -1.0, 0.5, 0.25);
/// let tape = Tape::new();
/// let x = tape.var(Vector3::new(0.1, -0.2, 0.3));
/// let y = tape.constant(w).matmul(x).exp();
/// let j = jacobian(y, x);
/// let e = y.value();
/// assert_relative_eq!(j, Matrix2x3::from_fn(|i, k| e[i] * w[(i, k)]), max_relative = 1e-15);
/// ```
pub fn jacobian<'t, const M: usize, const N: usize, T: Scalar>(
    y: Tensor<'t, M, 1, T>,
    x: Tensor<'t, N, 1, T>,
) -> SMatrix<T, M, N> {
    same_tape("jacobian", y.tape(), x.tape());
    let mut j = SMatrix::<T, M, N>::zeros();
    let mut grads = Gradients::new();
    let mut seed = vec![T::zero(); M];
    for i in 0..M {
        // row i = eᵢᵀ·∂y/∂x
        seed[i] = T::one();
        y.tape().backward_from(y.operand(), &seed, &mut grads);
        seed[i] = T::zero();
        if let Some(g) = grads.slice(x) {
            for (k, &gk) in g.iter().enumerate() {
                j[(i, k)] = gk;
            }
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::jacobian;
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
        assert_eq!(jacobian(y, x), Matrix2::new(5.0, 2.0, 0.0, 0.0));
        // x a constant: no gradient anywhere
        let c = tape.constant(Vector2::new(2.0, 5.0));
        assert_eq!(jacobian(c * c, c), Matrix2::zeros());
    }

    #[test]
    #[should_panic(expected = "`jacobian` combines tensors from two different tapes")]
    fn refuses_two_tapes() {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let x = t1.var(Vector2::new(1.0, 2.0));
        let z = t2.var(Vector2::new(1.0, 2.0));
        let _ = jacobian(x.exp(), z);
    }
}
