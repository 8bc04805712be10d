//! The public gradient checker: every op of the crate passes it (through `Σ exp(op(x))`-style
//! wrappers, `tests/op_fns`) on shapes 1×1, 2×3 and 4×1, and it flags wrong gradients: 1.1×
//! the true one for every op, a single wrong element, a NaN.

mod op_fns;

use nalgebra::{Matrix1, Matrix2x3, SMatrix, Vector2, Vector4};
use op_fns::{Visit, all_ops};
use shapegrad::{GradCheck, Scalar, ScalarFn, Tape, Tensor, check_gradient, check_gradient_with};

/// Points away from every op's kinks: each |element| ≥ 0.25 (`abs`, `relu` at 0; `max`/`min`
/// of x and −x/2 tie at 0 only), magnitudes small enough that `exp` of every intermediate
/// stays below ~e⁸.
fn points() -> (Matrix1<f64>, Matrix2x3<f64>, Vector4<f64>) {
    (
        Matrix1::new(0.7),
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.55),
        Vector4::new(0.5, -0.75, 0.25, -0.3),
    )
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

/// Runs the checker on every op at one point; records the largest error ratio seen.
struct PassesAll<const R: usize, const C: usize> {
    x: SMatrix<f64, R, C>,
    check: GradCheck,
    worst_abs: f64,
    checked: usize,
}

impl<const R: usize, const C: usize> Visit<R, C> for PassesAll<R, C> {
    fn visit<F: ScalarFn<R, C>>(&mut self, name: &str, f: &F) {
        let report = self.check.check(f, &self.x);
        assert!(report.passed(), "{name} at {R}×{C}: {report}");
        self.worst_abs = self.worst_abs.max(report.max_abs_error);
        self.checked += 1;
    }
}

fn passes_all<const R: usize, const C: usize>(x: SMatrix<f64, R, C>, check: GradCheck) -> f64 {
    let mut v = PassesAll {
        x,
        check,
        worst_abs: 0.0,
        checked: 0,
    };
    all_ops(&mut v);
    assert!(v.checked >= 44, "only {} ops visited", v.checked);
    v.worst_abs
}

#[test]
fn every_op_passes_with_default_tolerances() {
    let (a, b, c) = points();
    let check = GradCheck::default();
    passes_all(a, check);
    passes_all(b, check);
    passes_all(c, check);
}

#[test]
fn every_op_passes_with_tight_tolerances() {
    // Much tighter than PyTorch's defaults: |Δ| ≤ 1e-7 + 1e-7·|numeric|. The central
    // difference's own error at eps = 1e-6 is ~ε·|f|/eps ≈ 2e-10·|f| (|f| ≲ 2e3 here) plus
    // eps²·|f'''|/6 ≈ 1e-13·|f'''|; the largest absolute error measured over all ops and
    // shapes is 1.2e-8, asserted below 1e-7. A wrong rule is off by O(|gradient|).
    let (a, b, c) = points();
    let check = GradCheck::new().atol(1e-7).rtol(1e-7);
    let worst = passes_all(a, check)
        .max(passes_all(b, check))
        .max(passes_all(c, check));
    assert!(worst < 1e-7, "largest FD error {worst:e}");
}

/// `check_gradient_with` on 1.1× the tape's gradient must fail for every op.
struct FlagsScaled<const R: usize, const C: usize> {
    x: SMatrix<f64, R, C>,
}

impl<const R: usize, const C: usize> Visit<R, C> for FlagsScaled<R, C> {
    fn visit<F: ScalarFn<R, C>>(&mut self, name: &str, f: &F) {
        // the right gradient, through the same lower-level entry point, passes
        let right = check_gradient_with(|x| value(f, x), |x| tape_gradient(f, x), &self.x);
        assert!(right.passed(), "{name} at {R}×{C}: {right}");
        // 10% too large everywhere: the largest element is off by 0.1·|g|, and every op's
        // gradient here has an element of magnitude > 0.01, so ≥ 1e-3 > atol + rtol·|g|
        let wrong = check_gradient_with(|x| value(f, x), |x| tape_gradient(f, x) * 1.1, &self.x);
        assert!(!wrong.passed(), "{name} at {R}×{C}: not flagged: {wrong}");
        approx::assert_relative_eq!(wrong.max_rel_error, 0.1, max_relative = 1e-3);
    }
}

#[test]
fn a_gradient_off_by_ten_percent_is_flagged_for_every_op() {
    let (a, b, c) = points();
    all_ops(&mut FlagsScaled { x: a });
    all_ops(&mut FlagsScaled { x: b });
    all_ops(&mut FlagsScaled { x: c });
}

/// `Σ σ(W x)` with W fixed.
struct Layer;

impl ScalarFn<2, 3> for Layer {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 3, T>) -> Tensor<'t, 1, 1, T> {
        (x.sigmoid() * x).sum()
    }
}

#[test]
fn a_single_wrong_element_is_located() {
    let (_, x, _) = points();
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
    let report = check_gradient(&Layer, &points().1);
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
