//! The Cholesky factor of a symmetric positive-definite matrix, and the log-determinant
//! through it, on nalgebra's `cholesky` (so values and `None` cases are nalgebra's).
//!
//! The backward rule is I. Murray, "Differentiation of the Cholesky decomposition" (2016):
//! his unblocked reverse sweep, about `N³/3` multiply-adds like the factorisation itself.

use nalgebra::{Const, DimMin, SMatrix};

use super::{Rule, no_value};
use crate::gradients::matrix_from;
use crate::{Scalar, Tensor};

/// # Linear algebra
impl<'t, const N: usize, T: Scalar> Tensor<'t, N, N, T>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    /// The lower-triangular Cholesky factor `L` with `A = L Lᵀ`, as nalgebra's
    /// `cholesky().l()`, or `None` (nothing recorded) where `A` is not symmetric positive
    /// definite by nalgebra's test. Like nalgebra's, it reads only the lower triangle of `A`.
    ///
    /// Backward (Murray 2016): with `P = Φ(Lᵀ∂L)` (the lower triangle, diagonal halved) and
    /// `G = L⁻ᵀ P L⁻¹`, `∂Aᵢⱼ += Gᵢⱼ + Gⱼᵢ` below the diagonal, `∂Aᵢᵢ += Gᵢᵢ`, and `0` above
    /// it (the entries nalgebra does not read). Computed by Murray's unblocked reverse sweep
    /// over the factorisation's columns (his `chol_unblocked_rev`, §4), about `N³/3`
    /// multiply-adds like the factorisation itself, instead of the product and two
    /// triangular solves of the formula (about `2N³`). For a symmetric `A` built as `M + Mᵀ`
    /// or `B Bᵀ`, the gradient flows through that construction.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Matrix2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(4.0, 2.0, 2.0, 5.0));
    /// let l = a.cholesky().expect("SPD");
    /// assert_eq!(l.value(), Matrix2::new(2.0, 0.0, 1.0, 2.0));
    /// // L₀₀ = √A₀₀: ∂L₀₀/∂A₀₀ = 1/(2·2)
    /// let g = l.at((0, 0)).backward().wrt(a);
    /// assert_relative_eq!(g, Matrix2::new(0.25, 0.0, 0.0, 0.0));
    /// assert!(tape.var(Matrix2::new(1.0, 2.0, 2.0, 1.0)).cholesky().is_none()); // indefinite
    /// ```
    #[track_caller]
    pub fn cholesky(self) -> Option<Self> {
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>) {
            let r = r.unary(N * N, N * N);
            let l = matrix_from::<T, N, N>(r.y);
            let ga = cholesky_reverse(&l, matrix_from(r.grad_out));
            r.grad_x.add(ga.as_slice().iter().copied());
        }
        let l = self.value().cholesky()?.l();
        Some(self.record_unary_fallible::<N, N>(
            0,
            move |out| out.copy_from_slice(l.as_slice()),
            |x, out| match matrix_from::<T, N, N>(x).cholesky() {
                Some(c) => {
                    out.copy_from_slice(c.l().as_slice());
                    Ok(())
                }
                None => no_value(out, "cholesky"),
            },
            backward::<T, N>,
        ))
    }

    /// `ln det A` of a symmetric positive-definite `A` (1×1), as `2 Σᵢ ln Lᵢᵢ` with `L` its
    /// [`cholesky`](Tensor::cholesky) factor, or `None` (nothing recorded) where `A` is not
    /// SPD. Finite where `det A` itself would overflow or underflow. Backward through the
    /// recorded `cholesky`, `diagonal`, `ln` and `sum`: `∂A = A⁻¹` on the lower triangle
    /// (doubled below the diagonal, as `cholesky` reads only that triangle).
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Matrix2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(4.0, 2.0, 2.0, 5.0));
    /// let y = a.ln_determinant_spd().expect("SPD");
    /// assert_relative_eq!(y.item(), 16f64.ln(), max_relative = 1e-15);
    /// // A⁻¹ = [[5, −2], [−2, 4]] / 16: diagonal, and the two off-diagonal terms below it
    /// let g = y.backward().wrt(a);
    /// assert_relative_eq!(g, Matrix2::new(5.0, 0.0, -4.0, 4.0) / 16.0, max_relative = 1e-14);
    /// ```
    #[track_caller]
    pub fn ln_determinant_spd(self) -> Option<Tensor<'t, 1, 1, T>> {
        let l = self.cholesky()?;
        Some(l.diagonal().ln().sum() * crate::scalar::lit::<T>(2.0))
    }
}

/// `∂A` (its lower triangle, zeros above) from `L` and `∂L`: Murray's (2016) unblocked
/// reverse sweep, `chol_unblocked_rev` in his §4, the Cholesky–Crout loop run backwards.
/// For column `j` from the last, with `d = Lⱼⱼ`, `c = L[j+1.., j]`, `r = L[j, ..j]`,
/// `B = L[j+1.., ..j]` and the same blocks of the sweep's matrix `Ā` (first `tril(∂L)`):
/// `d̄ ← (d̄ − c̄·c/d)/d`, `c̄ ← c̄/d` (as products with `1/d`), `r̄ ← r̄ − d̄ r − Bᵀc̄`, `B̄ ← B̄ − c̄ rᵀ`, `d̄ ← d̄/2`.
/// It equals `Φ`-formula's `G + Gᵀ` below the diagonal and `G` on it (checked against that
/// formula in the tests).
fn cholesky_reverse<T: Scalar, const N: usize>(
    l: &SMatrix<T, N, N>,
    mut grad_l: SMatrix<T, N, N>,
) -> SMatrix<T, N, N> {
    // column-major slices: column j of `L` and of `Ā` start at `N·j` (nalgebra's indexing
    // and `lower_triangle` cost more than the sweep's arithmetic at N = 3). Every loop runs
    // over all of `0..N` with the triangle as a test inside, so that its trip count is the
    // constant `N` and small sizes unroll completely: at N = 3 the rule went from ~510
    // instructions to ~45 (callgrind), at N = 12 it measured the same as loops over the
    // triangle's ranges.
    let l = l.as_slice();
    let ab = grad_l.as_mut_slice();
    for j in 1..N {
        ab[N * j..][..j].fill(T::zero()); // tril(∂L): the entries above the diagonal
    }
    let half: T = crate::scalar::lit(0.5);
    // the reciprocals up front, independent of each other: the sweep's divisions were one
    // dependent chain (two a column, ~14 cycles each), a third of the rule's time at N = 3
    let inv: [T; N] = core::array::from_fn(|j| T::one() / l[N * j + j]);
    for jj in 0..N {
        let j = N - 1 - jj;
        let mut cc = T::zero();
        for i in 0..N {
            if i > j {
                cc += ab[N * j + i] * l[N * j + i];
            }
        }
        let dd = (ab[N * j + j] - cc * inv[j]) * inv[j];
        ab[N * j + j] = dd;
        for i in 0..N {
            if i > j {
                ab[N * j + i] *= inv[j];
            }
        }
        for k in 0..N {
            if k >= j {
                continue;
            }
            let ljk = l[N * k + j];
            let mut rk = ab[N * k + j] - dd * ljk;
            for i in 0..N {
                if i > j {
                    rk -= l[N * k + i] * ab[N * j + i];
                }
            }
            ab[N * k + j] = rk;
            for i in 0..N {
                if i > j {
                    let t = ab[N * j + i] * ljk;
                    ab[N * k + i] -= t;
                }
            }
        }
        ab[N * j + j] = dd * half;
    }
    grad_l
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use nalgebra::SMatrix;

    /// The Cholesky rule as Murray's (2016) formula writes it, eq. 10: `P = Φ(Lᵀ∂L)`,
    /// `G = L⁻ᵀ P L⁻¹`, `∂A = G + Gᵀ` below the diagonal, `G` on it (the rule shipped until the
    /// sweep replaced it, and checked against finite differences then).
    fn cholesky_formula<const N: usize>(
        l: &SMatrix<f64, N, N>,
        gl: &SMatrix<f64, N, N>,
    ) -> SMatrix<f64, N, N> {
        let m = l.transpose() * gl;
        let p = SMatrix::<f64, N, N>::from_fn(|i, j| match i.cmp(&j) {
            core::cmp::Ordering::Greater => m[(i, j)],
            core::cmp::Ordering::Equal => m[(i, j)] * 0.5,
            core::cmp::Ordering::Less => 0.0,
        });
        let x = l.tr_solve_lower_triangular(&p).expect("L invertible");
        let g = l
            .tr_solve_lower_triangular(&x.transpose())
            .expect("L invertible")
            .transpose();
        SMatrix::from_fn(|i, j| match i.cmp(&j) {
            core::cmp::Ordering::Greater => g[(i, j)] + g[(j, i)],
            core::cmp::Ordering::Equal => g[(i, j)],
            core::cmp::Ordering::Less => 0.0,
        })
    }

    #[test]
    fn cholesky_sweep_agrees_with_murrays_formula() {
        fn case<const N: usize>(cond_boost: f64)
        where
            nalgebra::Const<N>: nalgebra::DimMin<nalgebra::Const<N>, Output = nalgebra::Const<N>>,
        {
            let m = SMatrix::<f64, N, N>::from_fn(|i, j| ((i * 5 + j * 3) as f64).sin());
            let a = m * m.transpose() + SMatrix::identity() * cond_boost;
            let l = a.cholesky().expect("SPD").l();
            // a full ∂L: the entries above the diagonal (structural zeros of L) must not count
            let gl = SMatrix::<f64, N, N>::from_fn(|i, j| ((i * 11 + j * 7) as f64).cos());
            let want = cholesky_formula(&l, &gl);
            let got = super::cholesky_reverse(&l, gl);
            let scale = want.amax();
            for (g, w) in got.iter().zip(want.iter()) {
                assert!((g - w).abs() <= 1e-12 * scale, "N = {N}: {got} vs {want}");
            }
            let tape = Tape::<f64>::new();
            let at = tape.var(a);
            let gt = tape.constant(gl);
            let y = (at.cholesky().expect("SPD") * gt).sum();
            assert_eq!(y.backward().wrt(at), got, "the op runs the sweep");
        }
        case::<1>(1.0);
        case::<2>(1.0);
        case::<3>(1.0);
        case::<5>(1.0);
        case::<12>(1.0);
        case::<12>(1e-6); // ill-conditioned: cond(A) ≈ 1e7
    }
}
