//! The LU factorisation `PA = LU` behind `determinant` (`N > 3`) and `solve`, kept packed on
//! the tape for their backward rules.
//!
//! Why not nalgebra's `LU`: its factors are reachable only through `l()` and `u()`, which copy
//! and fill them through generic strided loops (277 and 259 ns at `N = 12` on the Intel Xeon
//! of `docs/benchmarks.md`, against 603 ns for the factorisation itself), or through a
//! `#[doc(hidden)]` accessor outside its semver promise. So this is nalgebra's algorithm
//! (`LU::new`, `LU::solve_mut`, `LU::determinant` of nalgebra 0.35) written out operation for
//! operation, which keeps the values nalgebra's to the bit, a promise the tests below check on
//! random, tied-pivot, singular and NaN inputs against nalgebra itself.

use nalgebra::SMatrix;

use crate::Scalar;

/// `PA = LU` with partial pivoting: `L` (unit diagonal implied) below the diagonal of
/// `packed`, `U` on and above it; `perm[i]` is the row of `A` that is row `i` of `PA`.
pub(super) struct Lu<T, const N: usize> {
    packed: SMatrix<T, N, N>,
    perm: [usize; N],
    /// An odd number of row swaps (`det P = −1`).
    odd: bool,
}

impl<T: Scalar, const N: usize> Lu<T, N> {
    /// nalgebra's `LU::new`: for each column, the first entry of largest `|·|` on or below
    /// the diagonal is the pivot (a zero pivot skips the column); rows swapped; the column
    /// below scaled by `1/pivot`; the trailing block updated by `a − p·c` (nalgebra's
    /// `axpy(−p, c, 1)`, the same bits).
    pub(super) fn new(mut m: SMatrix<T, N, N>) -> Self {
        let mut perm: [usize; N] = core::array::from_fn(|i| i);
        let mut odd = false;
        for i in 0..N {
            let (mut piv, mut largest) = (i, m[(i, i)].norm1());
            for r in i + 1..N {
                let v = m[(r, i)].norm1();
                if v > largest {
                    (piv, largest) = (r, v);
                }
            }
            let diag = m[(piv, i)];
            if diag.is_zero() {
                continue;
            }
            if piv != i {
                m.swap_rows(i, piv);
                perm.swap(i, piv);
                odd = !odd;
            }
            let inv = T::one() / diag;
            // column-major: column i is the multipliers, columns after it the trailing block
            let (head, tail) = m.as_mut_slice().split_at_mut(N * (i + 1));
            let coeffs = &mut head[N * i + i + 1..];
            coeffs.iter_mut().for_each(|c| *c *= inv);
            for col in tail.chunks_exact_mut(N) {
                let p = col[i];
                for (a, &c) in col[i + 1..].iter_mut().zip(&*coeffs) {
                    *a -= p * c;
                }
            }
        }
        Lu {
            packed: m,
            perm,
            odd,
        }
    }

    /// nalgebra's `LU::determinant`: the product of `U`'s diagonal, times `det P = ±1`.
    pub(super) fn determinant(&self) -> T {
        let mut d = T::one();
        for i in 0..N {
            d *= self.packed[(i, i)];
        }
        if self.odd { d * -T::one() } else { d }
    }

    /// `A⁻¹ B`, as nalgebra's `LU::solve_mut`: rows permuted, `L` then `U` by column-wise
    /// substitution; `None` where `U` has a zero on its diagonal.
    pub(super) fn solve<const K: usize>(&self, b: &SMatrix<T, N, K>) -> Option<SMatrix<T, N, K>> {
        let mut x = SMatrix::<T, N, K>::from_fn(|i, j| b[(self.perm[i], j)]);
        let f = &self.packed;
        for mut col in x.column_iter_mut() {
            for i in 0..N.saturating_sub(1) {
                let c = col[i];
                for r in i + 1..N {
                    col[r] -= c * f[(r, i)];
                }
            }
        }
        for mut col in x.column_iter_mut() {
            for i in (0..N).rev() {
                let d = f[(i, i)];
                if d.is_zero() {
                    return None;
                }
                let c = col[i] / d;
                col[i] = c;
                for r in 0..i {
                    col[r] -= c * f[(r, i)];
                }
            }
        }
        Some(x)
    }

    /// The `N² + N` aux scalars [`transposed_solve`] reads: `packed`, then `perm`.
    pub(super) fn store(&self, aux: &mut [T]) {
        aux[..N * N].copy_from_slice(self.packed.as_slice());
        for (a, &p) in aux[N * N..][..N].iter_mut().zip(&self.perm) {
            *a = super::parts::to_t(p);
        }
    }
}

/// `X` with `Aᵀ X = B`, from the factors [`Lu::store`] kept: `Aᵀ = Uᵀ Lᵀ P`, so `Uᵀ Z = B`
/// (forward substitution), `Lᵀ W = Z` (back substitution, unit diagonal), `X = Pᵀ W` (row `i`
/// of `W` is row `perm[i]` of `X`): two triangular solves, `N²` multiply-adds a column, read
/// straight from the packed factors. The solves run on `Bᵀ`, a row of `Z` at a time, so the
/// inner loops are independent multiply-adds over the `K` columns (a column at a time, each
/// solve is one dependent chain of `N²/2` adds). With
/// `identity_rhs` (`B = I`), `Z` is lower triangular and the zeros are skipped (`N³/6`
/// instead of `N³/2` for `Z`; subtracting `u·0` changes no bits). NaN where `U` has a zero
/// on its diagonal (`A` singular).
pub(super) fn transposed_solve<T: Scalar, const N: usize, const K: usize>(
    aux: &[T],
    b: SMatrix<T, N, K>,
    identity_rhs: bool,
) -> SMatrix<T, N, K> {
    let (packed, perm) = aux.split_at(N * N);
    let f = |i: usize, j: usize| packed[i + N * j];
    if (0..N).any(|i| f(i, i).is_zero()) {
        return SMatrix::from_element(T::zero() / T::zero());
    }
    // column i of `zt` is row i of Z (then of W)
    let mut zt = b.transpose();
    let rows = zt.as_mut_slice();
    for i in 0..N {
        let (done, rest) = rows.split_at_mut(K * i);
        let zi = &mut rest[..K];
        for k in 0..i {
            let width = if identity_rhs { k + 1 } else { K };
            let u = f(k, i);
            for (z, &y) in zi[..width].iter_mut().zip(&done[K * k..][..width]) {
                *z -= u * y;
            }
        }
        let d = f(i, i);
        zi.iter_mut().for_each(|z| *z /= d);
    }
    for i in (0..N).rev() {
        let (head, tail) = rows.split_at_mut(K * (i + 1));
        let wi = &mut head[K * i..];
        for k in i + 1..N {
            let l = f(k, i);
            for (w, &y) in wi.iter_mut().zip(&tail[K * (k - i - 1)..][..K]) {
                *w -= l * y;
            }
        }
    }
    let mut x = SMatrix::<T, N, K>::zeros();
    let xs = x.as_mut_slice();
    for (i, &p) in perm[..N].iter().enumerate() {
        let p = super::parts::from_t::<T>(p);
        for (j, &w) in rows[K * i..][..K].iter().enumerate() {
            xs[p + N * j] = w;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::Lu;
    use nalgebra::{Const, DimMin, SMatrix};

    /// `f64`s from a fixed-seed generator (splitmix64), in [−1, 1), some rounded to small
    /// integers so that pivots tie.
    fn entries(seed: u64) -> impl FnMut() -> f64 {
        let mut s = seed;
        move || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let u = (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            if z.is_multiple_of(5) {
                (u * 3.0).round()
            } else {
                u
            }
        }
    }

    fn same_bits<const R: usize, const C: usize>(
        a: &SMatrix<f64, R, C>,
        b: &SMatrix<f64, R, C>,
    ) -> bool {
        a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    }

    fn agrees_with_nalgebra<const N: usize>(m: SMatrix<f64, N, N>, b: SMatrix<f64, N, 2>)
    where
        Const<N>: DimMin<Const<N>, Output = Const<N>>,
    {
        let ours = Lu::new(m);
        let theirs = m.lu();
        let (l, u) = (theirs.l(), theirs.u());
        let packed =
            SMatrix::<f64, N, N>::from_fn(|i, j| if i > j { l[(i, j)] } else { u[(i, j)] });
        assert!(same_bits(&ours.packed, &packed), "factors of {m}");
        let mut perm = SMatrix::<f64, N, 1>::from_fn(|i, _| i as f64);
        theirs.p().permute_rows(&mut perm);
        assert!(
            ours.perm
                .iter()
                .zip(perm.iter())
                .all(|(&a, &b)| a as f64 == b),
            "{m}"
        );
        let (d1, d2) = (ours.determinant(), theirs.determinant());
        assert!(
            d1.to_bits() == d2.to_bits() || (d1.is_nan() && d2.is_nan()),
            "det of {m}"
        );
        let mut y = b;
        let theirs_solved = theirs.solve_mut(&mut y).then_some(y); // `solve`, without `alloc`
        match (ours.solve(&b), theirs_solved) {
            (Some(x), Some(y)) => assert!(same_bits(&x, &y), "solve with {m}"),
            (None, None) => {}
            (x, y) => panic!("solve of {m}: {x:?} vs {y:?}"),
        }
    }

    fn random<const N: usize>(seed: u64)
    where
        Const<N>: DimMin<Const<N>, Output = Const<N>>,
    {
        let mut next = entries(seed);
        let m = SMatrix::<f64, N, N>::from_fn(|_, _| next());
        let b = SMatrix::<f64, N, 2>::from_fn(|_, _| next());
        agrees_with_nalgebra(m, b);
    }

    #[test]
    fn factors_determinant_and_solve_are_nalgebras_to_the_bit() {
        for seed in 0..200 {
            random::<1>(seed);
            random::<2>(seed);
            random::<4>(seed);
            random::<5>(seed);
            random::<8>(seed);
            random::<12>(seed);
        }
        let b = SMatrix::<f64, 4, 2>::from_fn(|i, j| (i + j) as f64);
        // singular: a zero column, a repeated row, all ones, all zeros
        agrees_with_nalgebra(
            SMatrix::<f64, 4, 4>::from_fn(|i, j| if j == 1 { 0.0 } else { (i * j + 1) as f64 }),
            b,
        );
        agrees_with_nalgebra(
            SMatrix::<f64, 4, 4>::from_fn(|i, j| {
                if i == 3 {
                    j as f64
                } else {
                    (i + j * j) as f64 % 3.0
                }
            }),
            b,
        );
        agrees_with_nalgebra(SMatrix::<f64, 4, 4>::from_element(1.0), b);
        agrees_with_nalgebra(SMatrix::<f64, 4, 4>::zeros(), b);
        // exact pivot ties in every column
        agrees_with_nalgebra(
            SMatrix::<f64, 4, 4>::from_fn(|i, j| if (i + j) % 2 == 0 { 1.0 } else { -1.0 }),
            b,
        );
        // NaN and infinity
        let mut m = SMatrix::<f64, 4, 4>::identity();
        m[(2, 1)] = f64::NAN;
        m[(0, 3)] = f64::INFINITY;
        let ours = Lu::new(m);
        let theirs = m.lu();
        assert_eq!(ours.determinant().is_nan(), theirs.determinant().is_nan());
    }
}
