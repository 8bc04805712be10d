//! `examples/curve_fit.rs`'s fitting step and its measure of agreement, `#[path]`-included
//! there and in `tests/least_squares/`, so the tests assert on what the example prints.

#![allow(dead_code)] // each includer uses part of it

use nalgebra::SVector;
use shapegrad::VectorFn;
use shapegrad::levenberg_marquardt::{LeastSquares, LevenbergMarquardt, TerminationReason};
use shapegrad::nalgebra_034 as na;

/// What one Levenberg–Marquardt run ended with.
pub struct Fit<const N: usize> {
    /// The parameters it stopped at.
    pub x: SVector<f64, N>,
    /// The residual sum of squares there.
    pub rss: f64,
    /// Why it stopped (the solver's own reason).
    pub termination: TerminationReason,
    /// Residual evaluations (each with its Jacobian: one `jacobian` call per `set_params`).
    pub evaluations: usize,
}

impl<const N: usize> Fit<N> {
    /// Whether the solver reported success (converged, orthogonal or zero residuals).
    pub fn converged(&self) -> bool {
        self.termination.was_successful()
    }
}

/// Fits `f`'s residuals from `start` with levenberg-marquardt's defaults (`ftol`, `xtol`,
/// `gtol` all 30 machine epsilons; 100·(N + 1) evaluations at most) on shapegrad's Jacobian.
///
/// The `where` clause is levenberg-marquardt's own bound for `minimize` (its QR step needs
/// `max(M, N)` as a type), written out because `N` and `M` are generic here; code with
/// concrete sizes does not need it.
pub fn fit<F: VectorFn<N, M>, const N: usize, const M: usize>(f: F, start: [f64; N]) -> Fit<N>
where
    na::Const<M>: na::DimMin<na::Const<N>> + na::DimMax<na::Const<N>>,
    na::DefaultAllocator: na::allocator::Reallocator<
            f64,
            na::Const<M>,
            na::Const<N>,
            na::DimMaximum<na::Const<M>, na::Const<N>>,
            na::Const<N>,
        >,
{
    let (problem, report) = LevenbergMarquardt::new().minimize(LeastSquares::new(f, start.into()));
    Fit {
        x: problem.x(),
        rss: problem.residual_sum_of_squares(),
        termination: report.termination,
        evaluations: report.number_of_evaluations,
    }
}

/// NIST's measure of agreement, the log relative error `−log₁₀(|v − c| / |c|)`: about the
/// number of leading significant digits `v` shares with the certified `c`. Capped at 11, the
/// digits NIST certifies; 0 for a value that shares none (or is not finite).
pub fn agreeing_digits(v: f64, c: f64) -> f64 {
    if v == c {
        return 11.0;
    }
    let lre = -((v - c).abs() / c.abs()).log10();
    if lre.is_nan() {
        0.0
    } else {
        lre.clamp(0.0, 11.0)
    }
}
