//! Linear algebra on square `N×N` tensors: `determinant`, `try_inverse` and `solve`
//! (`cholesky` and `ln_determinant_spd` are in `cholesky.rs`), with nalgebra's values: its
//! closed forms for `N ≤ 3`, its LU (op for op in `lu.rs`), so values and `None` cases are
//! exactly nalgebra's.
//!
//! The backward rules are the standard reverse-mode results, M. B. Giles, "An extended
//! collection of matrix derivative results for forward and reverse mode algorithmic
//! differentiation" (Oxford, 2008), §2.2–2.3. Each costs `O(N³)` and uses no explicit inverse
//! where a solve serves: `solve` and `determinant` (for `N > 3`) keep their LU factors for
//! the backward transposed solves, and `try_inverse` reuses the inverse it returned. The
//! tests here check all five ops, the Cholesky ones included.
//!
//! The methods need `Const<N>: DimMin<Const<N>, Output = Const<N>>`, nalgebra's bound for its
//! factorisations of fixed-size matrices (true for every `N` up to 127).

use nalgebra::{Const, DimMin, SMatrix};

use super::lu::{Lu, transposed_solve};
use super::{Rule, no_value};
use crate::gradients::matrix_from;
use crate::{Scalar, Tensor};

/// `det(A)·A⁻ᵀ`, the cofactor matrix, in closed form for `N ≤ 3` (exact at singular
/// matrices too). Larger `N` go through the LU factors (`determinant`'s rule).
fn cofactor<T: Scalar, const N: usize>(a: &SMatrix<T, N, N>) -> SMatrix<T, N, N> {
    let at = |i: usize, j: usize| a[(i, j)];
    match N {
        1 => SMatrix::from_element(T::one()),
        2 => SMatrix::from_fn(|i, j| {
            let s = if (i + j) % 2 == 0 {
                T::one()
            } else {
                -T::one()
            };
            s * at(1 - i, 1 - j)
        }),
        3 => SMatrix::from_fn(|i, j| {
            // (−1)^{i+j} times the minor without row i and column j, by cyclic indices
            let (r0, r1, c0, c1) = ((i + 1) % 3, (i + 2) % 3, (j + 1) % 3, (j + 2) % 3);
            at(r0, c0) * at(r1, c1) - at(r0, c1) * at(r1, c0)
        }),
        _ => unreachable!("shapegrad: closed-form cofactors are for N ≤ 3"),
    }
}

/// # Linear algebra
impl<'t, const N: usize, T: Scalar> Tensor<'t, N, N, T>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    /// The determinant `det A` (1×1), as nalgebra's `determinant`. Backward (Giles §2.2.4):
    /// `∂A += ∂y·det(A)·A⁻ᵀ`, the cofactor matrix.
    ///
    /// For `N ≤ 3` the cofactors are computed in closed form, so the gradient stays exact at
    /// a singular matrix (where it is the adjugate's transpose, not zero); for `N > 3` the
    /// forward keeps its LU factors (`N² + N` aux scalars) and the rule gets `A⁻ᵀ` from them
    /// by two triangular solves (no second factorisation), so the gradient at a matrix with
    /// an exactly zero pivot is NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let d = a.determinant();
    /// assert_eq!(d.item(), -2.0);
    /// assert_eq!(d.backward().wrt(a), Matrix2::new(4.0, -3.0, -2.0, 1.0)); // cofactors
    /// let s = tape.var(Matrix2::new(1.0, 2.0, 2.0, 4.0)); // singular
    /// assert_eq!(s.determinant().backward().wrt(s), Matrix2::new(4.0, -2.0, -2.0, 1.0));
    /// ```
    #[track_caller]
    pub fn determinant(self) -> Tensor<'t, 1, 1, T> {
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>)
        where
            Const<N>: DimMin<Const<N>, Output = Const<N>>,
        {
            let r = r.unary(N * N, 1);
            let g = r.grad_out[0];
            if N <= 3 {
                let cof = cofactor::<T, N>(&matrix_from(r.x));
                r.grad_x.add(cof.as_slice().iter().map(|&c| g * c));
            } else {
                // det(A)·A⁻ᵀ, A⁻ᵀ from the forward's LU factors (no second factorisation)
                let scale = g * r.y[0];
                let inv_t = transposed_solve(r.aux, SMatrix::<T, N, N>::identity(), true);
                r.grad_x.add(inv_t.as_slice().iter().map(|&c| scale * c));
            }
        }
        let forward = |x: &[T], out: &mut [T]| {
            let a = matrix_from::<T, N, N>(x);
            if N <= 3 {
                out[0] = a.determinant(); // nalgebra's closed forms
            } else {
                let lu = Lu::new(a); // nalgebra's `determinant` for N > 3, to the bit
                out[0] = lu.determinant();
                lu.store(&mut out[1..]);
            }
        };
        let aux = if N <= 3 { 0 } else { N * N + N };
        self.record_unary::<1, 1>(aux, forward, backward::<T, N>)
    }

    /// The inverse `A⁻¹`, or `None` (nothing recorded) where nalgebra's `try_inverse` finds
    /// `A` singular. Backward (Giles §2.2.3), with `C = A⁻¹` the recorded output:
    /// `∂A += −Cᵀ ∂C Cᵀ`.
    ///
    /// Prefer [`solve`](Tensor::solve) for `A⁻¹B`: it is cheaper and more accurate.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(2.0, 0.0, 0.0, 4.0));
    /// let inv = a.try_inverse().expect("invertible");
    /// assert_eq!(inv.value(), Matrix2::new(0.5, 0.0, 0.0, 0.25));
    /// // d(A⁻¹)₀₀/dA = −(A⁻ᵀ e₀)(e₀ᵀ A⁻ᵀ): −0.25 at (0, 0)
    /// assert_eq!(inv.at((0, 0)).backward().wrt(a), Matrix2::new(-0.25, 0.0, 0.0, 0.0));
    /// assert!(tape.var(Matrix2::new(1.0, 2.0, 2.0, 4.0)).try_inverse().is_none());
    /// ```
    #[track_caller]
    pub fn try_inverse(self) -> Option<Self> {
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>) {
            let r = r.unary(N * N, N * N);
            let (c, gc) = (matrix_from::<T, N, N>(r.y), matrix_from(r.grad_out));
            let ct = c.transpose();
            let ga = -(ct * gc * ct);
            r.grad_x.add(ga.as_slice().iter().copied());
        }
        let inv = self.value().try_inverse()?;
        Some(self.record_unary_fallible::<N, N>(
            0,
            move |out| out.copy_from_slice(inv.as_slice()),
            |x, out| match matrix_from::<T, N, N>(x).try_inverse() {
                Some(inv) => {
                    out.copy_from_slice(inv.as_slice());
                    Ok(())
                }
                None => no_value(out, "try_inverse"),
            },
            backward::<T, N>,
        ))
    }

    /// The solution `X` of `A X = B` for `B: N×K`, by nalgebra's LU with partial pivoting
    /// (the values of `self.value().lu().solve(&b)` to the bit), or `None` (nothing recorded) where that finds `A`
    /// singular. Backward (Giles §2.3.1), with the forward's LU factors kept in the aux
    /// region and one transposed solve: `∂B += A⁻ᵀ ∂X`, `∂A += −(A⁻ᵀ ∂X) Xᵀ`.
    ///
    /// # Panics
    ///
    /// If `self` and `b` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::{Matrix2, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Matrix2::new(3.0, 1.0, 1.0, 2.0));
    /// let b = tape.var(Vector2::new(9.0, 8.0));
    /// let x = a.solve(b).expect("invertible");
    /// assert_relative_eq!(x.value(), Vector2::new(2.0, 3.0), max_relative = 1e-15);
    /// let grads = x.sum().backward();
    /// // ∂B = A⁻ᵀ 1 = (0.2, 0.4); ∂A = −∂B Xᵀ
    /// assert_relative_eq!(grads.wrt(b), Vector2::new(0.2, 0.4), max_relative = 1e-15);
    /// assert_relative_eq!(grads.wrt(a), -Vector2::new(0.2, 0.4) * Vector2::new(2.0, 3.0).transpose(), max_relative = 1e-14);
    /// ```
    #[track_caller]
    pub fn solve<const K: usize>(self, b: Tensor<'t, N, K, T>) -> Option<Tensor<'t, N, K, T>> {
        crate::tape::same_tape("solve", self.tape(), b.tape());
        // nalgebra's `lu().solve(b)`, to the bit (`ops/lu.rs`)
        let lu = Lu::new(self.value());
        let x = lu.solve(&b.value())?;
        Some(self.record_binary_fallible::<N, K, N, K>(
            b,
            "solve",
            N * N + N,
            move |out| {
                let (y, aux) = out.split_at_mut(N * K);
                y.copy_from_slice(x.as_slice());
                lu.store(aux);
            },
            |a, b, out| {
                let lu = Lu::new(matrix_from::<T, N, N>(a));
                let Some(x) = lu.solve(&matrix_from::<T, N, K>(b)) else {
                    return no_value(out, "solve");
                };
                let (y, aux) = out.split_at_mut(N * K);
                y.copy_from_slice(x.as_slice());
                lu.store(aux);
                Ok(())
            },
            solve_backward::<T, N, K>,
        ))
    }
}

/// The rule of `solve`: `∂B += A⁻ᵀ∂X` through the kept LU factors, then `∂A += −∂B Xᵀ`.
fn solve_backward<T: Scalar, const N: usize, const K: usize>(r: Rule<'_, T>) {
    let r = r.binary(N * N, N * K, N * K);
    let gx = matrix_from::<T, N, K>(r.grad_out);
    let x = matrix_from::<T, N, K>(r.y);
    let gb = transposed_solve(r.aux, gx, false);
    let ga = -(gb * x.transpose());
    r.grads
        .lhs(ga.as_slice().iter().copied())
        .add(gb.as_slice().iter().copied());
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix2, Matrix3, Matrix4, SMatrix, Vector3};

    fn a3() -> Matrix3<f64> {
        Matrix3::new(2.0, -1.0, 0.5, 0.3, 1.5, -0.7, -0.4, 0.2, 1.8)
    }

    #[test]
    fn gradcheck_linear_algebra() {
        check_unary(a3(), |a| a.determinant());
        check_unary(a3(), |a| a.try_inverse().expect("invertible") * a); // reused
        check_binary(a3(), Vector3::new(0.5, -1.0, 2.0), |a, b| {
            a.solve(b).expect("invertible")
        });
        let spd = |a: Matrix3<f64>| a * a.transpose() + Matrix3::identity();
        // nalgebra reads the lower triangle only: the finite differences see that too
        check_unary(spd(a3()), |a| a.cholesky().expect("SPD"));
        check_unary(spd(a3()), |a| a.ln_determinant_spd().expect("SPD"));
        // N = 4: determinant through the LU inverse
        let a4 = Matrix4::from_fn(|i, j| {
            if i == j {
                2.0
            } else {
                0.1 * (i as f64 - j as f64)
            }
        });
        check_unary(a4, |a| a.determinant());
        // the kept-LU rules at a size with real pivoting: determinant, solve with K = 2
        let a6 = SMatrix::<f64, 6, 6>::from_fn(|i, j| {
            ((i * i * 7 + j * j * 3 + i * j + 1) as f64).sin()
        });
        check_unary(a6, |a| a.determinant());
        let b62 = SMatrix::<f64, 6, 2>::from_fn(|i, j| ((i + 4 * j) as f64).cos());
        check_binary(a6, b62, |a, b| a.solve(b).expect("invertible"));
        // against nalgebra's inverse: det(A)·A⁻ᵀ at N = 12
        let a12 = SMatrix::<f64, 12, 12>::from_fn(|i, j| {
            ((i * i * 5 + j * j * 11 + i * j + 2) as f64).cos()
        });
        let tape = Tape::<f64>::new();
        let at = tape.var(a12);
        let got = at.determinant().backward().wrt(at);
        let want = a12.try_inverse().expect("invertible").transpose() * a12.determinant();
        assert!(
            (got - want).amax() <= 1e-12 * want.amax(),
            "{got} vs {want}"
        );
    }

    #[test]
    fn near_singular_and_ill_conditioned() {
        // det = 1e-8 (cond ≈ 2.5e9): finite differences cannot resolve this (a step of 1e-6
        // moves det by 100×), so the reference is the closed form, computed independently
        let near = Matrix2::new(1.0, 2.0, 1.0, 2.0 + 1e-8);
        let tape = Tape::<f64>::new();
        let a = tape.var(near);
        // determinant: the cofactors [[d, −c], [−b, a]], exactly
        let g = a.determinant().backward().wrt(a);
        assert_eq!(g, Matrix2::new(2.0 + 1e-8, -1.0, -2.0, 1.0));
        // solve, L = Σ x: ∂b = A⁻ᵀ 1 and ∂A = −∂b xᵀ, here by nalgebra's LU of Aᵀ; the two
        // differ by rounding amplified by cond(A) ≈ 2.5e9, so within 1e-6 of the largest entry
        let b0 = SMatrix::<f64, 2, 1>::new(1.0, -1.0);
        let b = tape.var(b0);
        let x = a.solve(b).expect("not singular");
        let grads = x.sum().backward();
        let gb = near
            .transpose()
            .lu()
            .solve(&SMatrix::<f64, 2, 1>::repeat(1.0))
            .unwrap();
        let ga = -(gb * x.value().transpose());
        let close = |got: &[f64], want: &[f64]| {
            let scale = want.iter().fold(0.0_f64, |m, w| m.max(w.abs()));
            got.iter()
                .zip(want)
                .all(|(g, w)| (g - w).abs() <= 1e-6 * scale)
        };
        assert!(
            close(grads.wrt(b).as_slice(), gb.as_slice()),
            "{} vs {gb}",
            grads.wrt(b)
        );
        assert!(
            close(grads.wrt(a).as_slice(), ga.as_slice()),
            "{} vs {ga}",
            grads.wrt(a)
        );
        // Hilbert 3×3 (cond ≈ 524), against finite differences: inverse, solve, Cholesky
        let hilbert = Matrix3::from_fn(|i, j| 1.0 / (i + j + 1) as f64);
        check_unary(hilbert, |a| a.try_inverse().expect("invertible") * 1e-2);
        check_unary(hilbert, |a| a.cholesky().expect("SPD"));
        check_binary(hilbert, Vector3::new(1.0, 0.0, -1.0), |a, b| {
            a.solve(b).expect("invertible") * 1e-2
        });
    }

    #[test]
    fn none_exactly_where_nalgebra_says_so() {
        let tape = Tape::<f64>::new();
        let cases = [
            Matrix2::new(1.0, 2.0, 2.0, 4.0), // singular
            Matrix2::new(0.0, 0.0, 0.0, 0.0),
            Matrix2::new(1.0, 2.0, 2.0, 1.0), // symmetric, indefinite
            Matrix2::new(4.0, 2.0, 2.0, 5.0), // SPD
            Matrix2::new(1e-300, 0.0, 0.0, 1e-300),
        ];
        for m in cases {
            let a = tape.var(m);
            let b = tape.var(SMatrix::<f64, 2, 1>::new(1.0, 1.0));
            assert_eq!(a.try_inverse().is_some(), m.try_inverse().is_some(), "{m}");
            assert_eq!(
                a.solve(b).is_some(),
                m.lu().solve(&b.value()).is_some(),
                "{m}"
            );
            assert_eq!(a.cholesky().is_some(), m.cholesky().is_some(), "{m}");
        }
        // a failed op records nothing
        let s = tape.var(Matrix2::new(1.0, 2.0, 2.0, 4.0));
        let before = tape.len();
        assert!(s.try_inverse().is_none() && s.cholesky().is_none());
        assert_eq!(tape.len(), before);
    }

    #[test]
    fn determinant_at_a_singular_matrix() {
        let tape = Tape::<f64>::new();
        // N = 3: the cofactors, exact (rank 2: the adjugate is non-zero)
        let s3 = Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0);
        let a = tape.var(s3);
        let g = a.determinant().backward().wrt(a);
        // cofactor (0, 0) = 5·9 − 6·8 = −3, (1, 1) = 1·9 − 3·7 = −12, (2, 2) = 1·5 − 2·4 = −3
        assert_eq!((g[(0, 0)], g[(1, 1)], g[(2, 2)]), (-3.0, -12.0, -3.0));
        // N = 4: through the LU inverse, NaN at an exactly singular matrix (documented)
        let a = tape.var(Matrix4::<f64>::from_element(1.0));
        assert_eq!(a.determinant().item(), 0.0);
        assert!(a.determinant().backward().wrt(a).iter().all(|g| g.is_nan()));
    }
}
