//! levenberg-marquardt 0.15 on shapegrad Jacobians (`shapegrad::levenberg_marquardt`): the
//! NIST StRD problems from both of NIST's starts, against NIST's certified values, and a
//! start where the residuals are not finite.

use nalgebra::Vector2;
use shapegrad::levenberg_marquardt::{LeastSquares, LevenbergMarquardt, TerminationReason};

use crate::fit::{agreeing_digits, fit};
use crate::nist::{MISRA1A, Misra1a, Problem, RAT43, Rat43};

/// Every parameter and the residual sum of squares agree with NIST's certified values to at
/// least `digits` significant digits (NIST's log relative error).
fn agrees<const N: usize, const M: usize>(
    p: &Problem<N, M>,
    x: &nalgebra::SVector<f64, N>,
    rss: f64,
    digits: f64,
) {
    for i in 0..N {
        let d = agreeing_digits(x[i], p.certified[i]);
        assert!(
            d >= digits,
            "{} b{}: {} against {} ({d:.1} digits)",
            p.name,
            i + 1,
            x[i],
            p.certified_str[i]
        );
    }
    let d = agreeing_digits(rss, p.certified_rss);
    assert!(d >= digits, "{}: RSS {rss} ({d:.1} digits)", p.name);
}

#[test]
fn misra1a_from_both_starts_agrees_with_nist_to_six_digits() {
    // Start 2 is the requirement; start 1 (far) converges too with the solver's
    // defaults (observed: 10 digits after 28 evaluations), so it is held to the same bar.
    for start in MISRA1A.starts {
        let r = fit(Misra1a, start);
        assert!(r.converged(), "Misra1a from {start:?}: {:?}", r.termination);
        agrees(&MISRA1A, &r.x, r.rss, 6.0);
    }
}

#[test]
fn rat43_from_both_starts_agrees_with_nist_to_six_digits() {
    // Rat43 (NIST: higher difficulty) converges from both starts with the solver's defaults
    // (observed: 7.7 to 9.3 digits; the solver stops on ftol at 30 machine epsilons of the
    // objective, where the flat valley leaves the parameters ~8 digits).
    for start in RAT43.starts {
        let r = fit(Rat43, start);
        assert!(r.converged(), "Rat43 from {start:?}: {:?}", r.termination);
        agrees(&RAT43, &r.x, r.rss, 6.0);
    }
}

#[test]
fn a_start_with_non_finite_residuals_ends_with_the_solvers_error() {
    // b₂ = −1: e^{−b₂x} = e^{x} overflows for Misra1a's x (77.6 to 760), the residuals are
    // −∞; a NaN parameter makes them NaN. The solver stops with its own reason; no panic.
    for start in [Vector2::new(250.0, -1.0), Vector2::new(f64::NAN, 5e-4)] {
        let problem = LeastSquares::new(Misra1a, start);
        assert!(!problem.residual_sum_of_squares().is_finite());
        let (_, report) = LevenbergMarquardt::new().minimize(problem);
        assert_eq!(
            report.termination,
            TerminationReason::Numerical("residuals norm"),
            "{start:?}"
        );
    }
}
