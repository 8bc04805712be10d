//! The public gradient checker's own behaviour: it locates a single wrong element, uses
//! PyTorch's defaults, applies `atol + rtol·|numeric|`, and its step and tolerances can be
//! changed. (That every op passes it, with its defaults and with tight tolerances, and that
//! a gradient 10 % off is flagged for every op, is checked through the registry in
//! `checks.rs`.)

use nalgebra::{Matrix1, Matrix2x3, SMatrix, Vector2};
use shapegrad::{GradCheck, Scalar, ScalarFn, Tape, Tensor, check_gradient, check_gradient_with};

/// A point with elements of both signs and moderate size.
fn point() -> Matrix2x3<f64> {
    Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.55)
}

/// The tape's f64 gradient of `f` at `x`.
fn tape_gradient<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    let tape = Tape::new();
    let xt = tape.var(*x);
    f.eval(xt).backward().wrt(xt)
}

/// The f64 value of `f` at `x`.
fn value<F: ScalarFn<R, C>, const R: usize, const C: usize>(f: &F, x: &SMatrix<f64, R, C>) -> f64 {
    let tape = Tape::new();
    f.eval(tape.var(*x)).item()
}

/// `Σ σ(x) ⊙ x`.
struct Layer;

impl ScalarFn<2, 3> for Layer {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 3, T>) -> Tensor<'t, 1, 1, T> {
        (x.sigmoid() * x).sum()
    }
}

#[test]
fn a_single_wrong_element_is_located() {
    let x = point();
    // element (1, 2) gets 1 - its true value: a typical transposed-index / wrong-term bug
    let report = check_gradient_with(
        |x| value(&Layer, x),
        |x| {
            let mut g = tape_gradient(&Layer, x);
            g[(1, 2)] = 1.0 - g[(1, 2)];
            g
        },
        &x,
    );
    assert!(!report.passed());
    assert_eq!(report.worst, (1, 2));
    // the two values there: the wrong one, and finite differences close to the right one
    let right = tape_gradient(&Layer, &x)[(1, 2)];
    assert_eq!(report.analytic, 1.0 - right);
    approx::assert_relative_eq!(report.numeric, right, max_relative = 1e-8);
    assert_eq!(report.elements, 6);
    let text = report.to_string();
    assert!(
        text.starts_with("gradient check FAILED over 6 elements"),
        "{text}"
    );
    assert!(text.contains("worst element (1, 2)"), "{text}");
}

#[test]
fn defaults_are_pytorch_gradcheck_defaults() {
    // torch.autograd.gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, ...)
    // (PyTorch documentation of torch.autograd.gradcheck.gradcheck)
    let report = check_gradient(&Layer, &point());
    assert_eq!((report.eps, report.atol, report.rtol), (1e-6, 1e-5, 1e-3));
    assert!(report.passed(), "{report}");
    assert!(
        report
            .to_string()
            .starts_with("gradient check passed over 6 elements")
    );
}

#[test]
fn criterion_is_atol_plus_rtol_times_numeric() {
    // f(x) = 1000·x: numeric ≈ 1000, allowance 1e-5 + 1e-3·1000 ≈ 1.00001
    let f = |x: &Vector2<f64>| 1000.0 * x.sum();
    let x = Vector2::new(0.5, 0.25);
    let within = check_gradient_with(f, |_| Vector2::repeat(1000.99), &x);
    assert!(within.passed(), "{within}");
    let beyond = check_gradient_with(f, |_| Vector2::repeat(1001.01), &x);
    assert!(!beyond.passed(), "{beyond}");
    // a zero gradient: only atol applies
    let flat = |_: &Vector2<f64>| 1.0;
    assert!(check_gradient_with(flat, |_| Vector2::repeat(0.9e-5), &x).passed());
    assert!(!check_gradient_with(flat, |_| Vector2::repeat(1.1e-5), &x).passed());
}

#[test]
fn step_and_tolerances_can_be_changed() {
    // f(x) = x³ at x = 1 with eps = 0.1: the central difference is 3x² + eps² = 3.01, so a
    // correct gradient 3 fails a tight check and passes with rtol 1e-2
    struct Cube;
    impl ScalarFn<1> for Cube {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
            x.powi(3).sum()
        }
    }
    let x = Matrix1::new(1.0);
    let coarse = GradCheck::new().eps(0.1);
    let report = coarse.check(&Cube, &x);
    assert!(!report.passed(), "{report}");
    approx::assert_relative_eq!(report.numeric, 3.01, max_relative = 1e-12);
    assert!(coarse.rtol(1e-2).check(&Cube, &x).passed());
}
