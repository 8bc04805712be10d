//! Hessian-vector products and Hessians by forward-over-reverse (the tape on `Dual64`,
//! `--features dual`): against the exact `(A + Aᵀ)v` of a quadratic form, against central
//! differences of the gradient for the notebook's graph function, against a hand-derived
//! Hessian of that graph function, and the symmetry of full Hessians. (H·v of every op
//! against finite differences is checked through the registry in `checks.rs`.)

use approx::assert_relative_eq;
use nalgebra::{Matrix1, Matrix2x3, Matrix3, SMatrix, SVector, Vector3, Vector6};
use shapegrad::{Scalar, ScalarFn, Tape, Tensor, hessian, hvp};

// ---------------------------------------------------------------------------------------------
// helpers

/// `f(x)` and `∇f(x)` on an f64 tape.
fn value_and_gradient<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
) -> (f64, SMatrix<f64, R, C>) {
    let tape = Tape::new();
    let xt = tape.var(*x);
    let y = f.eval(xt);
    (y.item(), y.backward().wrt(xt))
}

/// Step of the central difference of the gradient: `H·v ≈ (∇f(x + hv) − ∇f(x − hv)) / 2h`.
/// Truncation is `h²·|∂³(∇f)|/6` and rounding `ε·|∇f|/h`; `h = 1e-5` balances them near
/// `1e-10` relative for the O(1)–O(10³) functions here.
const H_STEP: f64 = 1e-5;

fn fd_hvp<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    f: &F,
    x: &SMatrix<f64, R, C>,
    v: &SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    let up = value_and_gradient(f, &(x + v * H_STEP)).1;
    let down = value_and_gradient(f, &(x - v * H_STEP)).1;
    (up - down) / (2.0 * H_STEP)
}

/// `maxₖ |got − want| / max(1, |want|)`: relative for large entries, absolute for small ones.
fn scaled_error<const R: usize, const C: usize>(
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
) -> f64 {
    got.iter()
        .zip(want.iter())
        .map(|(g, w)| (g - w).abs() / w.abs().max(1.0))
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// xᵀAx: exact

/// `f(x) = xᵀ A x` with a non-symmetric `A`: `∇f = (A + Aᵀ)x`, `H = A + Aᵀ`.
struct Quadratic(Matrix3<f64>);

impl ScalarFn<3> for Quadratic {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
        let a = x.tape().constant(self.0.map(nalgebra::convert));
        x.dot(a.matmul(x))
    }
}

fn a() -> Matrix3<f64> {
    Matrix3::new(
        1.0, 2.0, -0.5, //
        -3.0, 0.25, 4.0, //
        0.75, 1.5, -2.0,
    )
}

#[test]
fn quadratic_form_hvp_is_a_plus_a_transpose_times_v() {
    // Reference: the calculus identity ∇²(xᵀAx) = A + Aᵀ; the products below are a few
    // f64 operations, so agreement is to rounding (relative 1e-15 on O(10) entries).
    let f = Quadratic(a());
    let sym = a() + a().transpose();
    for (x, v) in [
        (Vector3::new(0.5, -1.0, 2.0), Vector3::new(1.0, 0.0, 0.0)),
        (Vector3::new(0.3, 0.7, -1.1), Vector3::new(-0.5, 2.0, 0.25)),
        (Vector3::new(-2.0, 4.0, 1.0), Vector3::new(3.0, -1.0, 1.5)),
    ] {
        let (value, grad, hv) = hvp(&f, &x, &v);
        assert_relative_eq!(value, x.dot(&(a() * x)), max_relative = 1e-15);
        assert_relative_eq!(grad, sym * x, max_relative = 1e-15, epsilon = 1e-15);
        assert_relative_eq!(hv, sym * v, max_relative = 1e-15, epsilon = 1e-15);
        // and against central differences of the gradient (exact for a quadratic up to
        // rounding ε·|∇f|/h ≈ 1e-10; measured ≤ 8e-11)
        assert!(scaled_error(&hv, &fd_hvp(&f, &x, &v)) < 1e-9);
    }
    // the full Hessian is A + Aᵀ, whatever x
    assert_relative_eq!(
        hessian(&f, &Vector3::new(0.1, 0.2, 0.3)),
        sym,
        max_relative = 1e-15
    );
}

#[test]
fn hvp_is_linear_in_v_and_zero_for_v_zero() {
    /// `Σ exp(softmax(x) ⊙ x)`: the softmax rule on duals, a Hessian with no zero block.
    struct Softmax;
    impl ScalarFn<2, 3> for Softmax {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 3, T>) -> Tensor<'t, 1, 1, T> {
            (x.softmax() * x).exp().sum()
        }
    }
    let f = Softmax;
    let x = Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.55);
    let v1 = Matrix2x3::new(1.0, 0.5, -0.25, 0.0, 2.0, -1.0);
    let v2 = Matrix2x3::new(-0.5, 1.0, 0.75, 1.5, 0.0, 0.25);
    let (_, _, h1) = hvp(&f, &x, &v1);
    let (_, _, h2) = hvp(&f, &x, &v2);
    let (_, _, h12) = hvp(&f, &x, &(v1 * 2.0 - v2));
    assert_relative_eq!(h12, h1 * 2.0 - h2, max_relative = 1e-13, epsilon = 1e-13);
    let (_, _, h0) = hvp(&f, &x, &Matrix2x3::zeros());
    assert_eq!(h0, Matrix2x3::zeros());
}

#[test]
fn a_function_not_depending_on_x_has_zero_derivatives() {
    struct Constant;
    impl ScalarFn<2> for Constant {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
            x.tape().constant_scalar(T::one()).exp()
        }
    }
    let x = nalgebra::Vector2::new(1.0, 2.0);
    let (value, grad, hv) = hvp(&Constant, &x, &x);
    assert_eq!(value, 1.0_f64.exp());
    assert_eq!(
        (grad, hv),
        (nalgebra::Vector2::zeros(), nalgebra::Vector2::zeros())
    );
}

// ---------------------------------------------------------------------------------------------
// activations on duals

#[test]
fn activations_in_their_tails_keep_exact_second_derivatives() {
    // σ'' = σ'(1 − 2σ), tanh'' = −2 tanh·sech² (hand derivation), evaluated in f64 at
    // points where the rules switch formulas (σ: x ≥ 0 vs x < 0; tanh: |x| < ¾ vs beyond)
    struct Sig;
    impl ScalarFn<1> for Sig {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
            x.sigmoid()
        }
    }
    struct Tanh;
    impl ScalarFn<1> for Tanh {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
            x.tanh()
        }
    }
    for x0 in [-30.0_f64, -3.0, -0.5, 0.0, 0.5, 0.7, 0.8, 3.0, 30.0] {
        let x = Matrix1::new(x0);
        let one = Matrix1::new(1.0);
        // σ''(x) = ±e(e − 1)/(1 + e)³ with e = e^{−|x|}, + for x ≥ 0 (σ'' is odd): no
        // cancellation in the tails, unlike σ'(1 − 2σ)
        let e = (-x0.abs()).exp();
        let dds = e * (e - 1.0) / (1.0 + e).powi(3) * if x0 >= 0.0 { 1.0 } else { -1.0 };
        let (_, _, h) = hvp(&Sig, &x, &one);
        assert_relative_eq!(h[0], dds, max_relative = 1e-12, epsilon = 1e-300);
        let t = x0.tanh();
        let sech2 = 1.0 / x0.cosh().powi(2);
        let (_, _, h) = hvp(&Tanh, &x, &one);
        assert_relative_eq!(
            h[0],
            -2.0 * t * sech2,
            max_relative = 1e-12,
            epsilon = 1e-300
        );
    }
}

/// `tanh`'s value on duals past |x| ≈ 710. The rule (a derivative stored from `e^{−2|x|}`)
/// is right there, but the forward value is num-dual's `tanh`, computed as `sinh/cosh`, which
/// is `inf/inf = NaN` once `cosh` overflows (and can be 1 ulp off `f64::tanh` before that:
/// `0.9999999999999999` at 709). The NaN then spreads into everything downstream of the
/// value. Fixing it needs a change in `src/ops/activation.rs` (fall back to
/// `±(1 − e)/(1 + e)` when `x.tanh()` is not finite, which leaves `f64` bits unchanged).
#[test]
fn tanh_value_stays_finite_on_duals_far_out() {
    struct TanhExp;
    impl ScalarFn<1> for TanhExp {
        fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
            x.tanh().exp().sum()
        }
    }
    for x0 in [711.0, -800.0, 1e5] {
        // e^{tanh x} with tanh x = ±1 to f64 precision; tanh' = tanh'' = 0 there
        let (value, grad, hv) = hvp(&TanhExp, &Matrix1::new(x0), &Matrix1::new(1.0));
        assert_eq!(value, (1.0_f64.copysign(x0)).exp(), "x = {x0}");
        assert_eq!((grad[0], hv[0]), (0.0, 0.0), "x = {x0}");
    }
}

// ---------------------------------------------------------------------------------------------
// the notebook's graph function (TEST 8)

/// Element `i` of a vector as a 1×1 tensor: `xᵀeᵢ` (there is no indexing op).
fn component<'t, T: Scalar, const N: usize>(
    x: Tensor<'t, N, 1, T>,
    i: usize,
) -> Tensor<'t, 1, 1, T> {
    let e = SVector::<T, N>::from_fn(|k, _| if k == i { T::one() } else { T::zero() });
    x.dot(x.tape().constant(e))
}

/// The notebook's `graph_value` (TEST 8) of `[x1, x2, b1, b2, c1, c2]`, with shapegrad's
/// `sigmoid` and `tanh` (as `examples/notebook/answer.rs` writes it).
struct Graph;

impl ScalarFn<6> for Graph {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 6, 1, T>) -> Tensor<'t, 1, 1, T> {
        let [x1, x2, b1, b2, c1, c2] = std::array::from_fn(|i| component(v, i));
        let z0 = x1 + b1;
        let z1 = x2 + b2;
        let z2 = z0.sigmoid();
        let z3 = z1.sigmoid();
        let z4 = z3.tanh();
        let z5 = z4 * c2;
        let z6 = z0 * z2;
        let z7 = z6 * c1;
        let z8 = z2 * z5;
        z7 + z8
    }
}

/// The notebook's first `inputs1` entry (the one its TEST 8 trace prints): x = [-1, 4],
/// w = [-7, -6, 5, 0].
const ENTRY_0: [f64; 6] = [-1.0, 4.0, -7.0, -6.0, 5.0, 0.0];

/// More `inputs1` entries (examples/data/inputs1.json, entries 2, 6, 16), with c2 ≠ 0.
const MORE: [[f64; 6]; 3] = [
    [2.0, -2.0, 7.0, -5.0, -10.0, 9.0],
    [-6.0, 7.0, 3.0, 9.0, -9.0, 10.0],
    [-1.0, 1.0, 6.0, -4.0, 8.0, -3.0],
];

/// The Hessian of `y = c1·z0·σ(z0) + c2·σ(z0)·tanh(σ(z1))`, `z0 = x1 + b1`, `z1 = x2 + b2`,
/// by hand (order x1, x2, b1, b2, c1, c2): with `s = σ(z0)`, `s' = s(1 − s)`,
/// `s'' = s'(1 − 2s)`, `u = tanh(σ(z1))`, `u' = sech²(σ(z1))·σ'(z1)`,
/// `u'' = sech²(σ(z1))·(σ''(z1) − 2·tanh(σ(z1))·σ'(z1)²)`:
/// `∂²/∂z0² = c1(2s' + z0 s'') + c2 s'' u`, `∂²/∂z0∂z1 = c2 s' u'`, `∂²/∂z1² = c2 s u''`,
/// `∂²/∂z0∂c1 = s + z0 s'`, `∂²/∂z0∂c2 = s' u`, `∂²/∂z1∂c2 = s u'`, and 0 among c1, c2 and
/// for `∂²/∂z1∂c1`. x1 and b1 enter only through z0, x2 and b2 only through z1.
fn graph_hessian_by_hand(p: [f64; 6]) -> SMatrix<f64, 6, 6> {
    let [x1, x2, b1, b2, c1, c2] = p;
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let (z0, z1) = (x1 + b1, x2 + b2);
    let s = sig(z0);
    let ds = s * (1.0 - s);
    let dds = ds * (1.0 - 2.0 * s);
    let r = sig(z1);
    let dr = r * (1.0 - r);
    let ddr = dr * (1.0 - 2.0 * r);
    let (t, sech2) = (r.tanh(), 1.0 / r.cosh().powi(2));
    let u = t;
    let du = sech2 * dr;
    let ddu = sech2 * (ddr - 2.0 * t * dr * dr);
    let h00 = c1 * (2.0 * ds + z0 * dds) + c2 * dds * u;
    let h01 = c2 * ds * du;
    let h11 = c2 * s * ddu;
    let (h0c1, h0c2, h1c2) = (s + z0 * ds, ds * u, s * du);
    // variables → (which z, or c1/c2): 0 = z0, 1 = z1
    let block = |i: usize, j: usize| -> f64 {
        let kind = |k: usize| [0, 1, 0, 1, 4, 5][k];
        match (kind(i), kind(j)) {
            (0, 0) => h00,
            (0, 1) | (1, 0) => h01,
            (1, 1) => h11,
            (0, 4) | (4, 0) => h0c1,
            (0, 5) | (5, 0) => h0c2,
            (1, 5) | (5, 1) => h1c2,
            _ => 0.0,
        }
    };
    SMatrix::from_fn(block)
}

#[test]
fn graph_function_hessian_matches_hand_derivation_and_fd() {
    for p in std::iter::once(ENTRY_0).chain(MORE) {
        let x = Vector6::from(p);
        let h = hessian(&Graph, &x);
        let want = graph_hessian_by_hand(p);
        // hand formula vs tape: the same math in a different order; entries are O(0.01–10),
        // differences are rounding (measured ≤ 5.7e-15 scaled)
        assert!(
            scaled_error(&h, &want) < 1e-13,
            "p = {p:?}:\n{h}\nvs by hand\n{want}"
        );
        // symmetric to rounding: Hᵢⱼ and Hⱼᵢ come from different sweeps; the largest
        // asymmetry measured is 7e-18 (entries are ≤ 10, so ~ε·|H|/30); tolerance 1e-15
        let asym = (h - h.transpose()).abs().max();
        assert!(asym <= 1e-15, "asymmetry {asym:e}");
        // and each column against central differences of the gradient along eⱼ (measured
        // ≤ 5e-11 scaled; FD's own error at h = 1e-5 is ~1e-10)
        for j in 0..6 {
            let e = Vector6::from_fn(|i, _| if i == j { 1.0 } else { 0.0 });
            let fd = fd_hvp(&Graph, &x, &e);
            let col = h.column(j).into_owned();
            assert!(
                scaled_error(&col, &fd) < 1e-8,
                "column {j}: {col} vs fd {fd}"
            );
        }
        // the gradient (real part) equals the f64 tape's
        let (_, grad, _) = hvp(&Graph, &x, &Vector6::zeros());
        let (_, grad64) = value_and_gradient(&Graph, &x);
        assert!(scaled_error(&grad, &grad64) < 1e-15);
    }
}

#[test]
fn graph_function_hvp_along_a_general_direction() {
    // H·v for v with every component non-zero, at entry 0: against the hand Hessian times v
    // and against FD of the gradient
    let x = Vector6::from(ENTRY_0);
    let v = Vector6::new(1.0, -0.5, 0.25, 2.0, -1.0, 0.75);
    let (value, grad, hv) = hvp(&Graph, &x, &v);
    // the notebook's trace: y = z7 + z8 = -0.013414005218659125 + 0
    assert_relative_eq!(value, -0.013414005218659125, max_relative = 1e-15);
    // ∂y/∂c1 = z6, printed in the trace as -0.002682801043731825
    assert_relative_eq!(grad[4], -0.002682801043731825, max_relative = 1e-15);
    // measured: 3e-21 against the hand Hessian, 3.5e-14 against FD
    assert!(scaled_error(&hv, &(graph_hessian_by_hand(ENTRY_0) * v)) < 1e-14);
    assert!(scaled_error(&hv, &fd_hvp(&Graph, &x, &v)) < 1e-8);
}

/// The worked example of docs/higher-order.md: the graph function's Hessian at the notebook's
/// first entry, as its table prints it (7 significant digits, `−` for minus), against
/// `hessian` here; a failure prints the rows to paste.
#[test]
fn docs_worked_example_matches_the_hessian() {
    let x = Vector6::from(ENTRY_0);
    let h = hessian(&Graph, &x);
    let doc = include_str!("../../docs/higher-order.md");
    let rows: Vec<Vec<f64>> = doc
        .lines()
        .filter(|l| l.starts_with("| **"))
        .map(|l| {
            l.split('|')
                .skip(2)
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.trim().replace('−', "-").parse::<f64>().expect("a number"))
                .collect()
        })
        .collect();
    let printed: Vec<String> = (0..6)
        .map(|i| {
            let row: Vec<String> = (0..6)
                .map(|j| match h[(i, j)] {
                    0.0 => "0".into(),
                    v => format!("{v:.6e}").replace('-', "−"),
                })
                .collect();
            format!("| {} |", row.join(" | "))
        })
        .collect();
    let printed = printed.join("\n");
    assert_eq!(
        rows.len(),
        6,
        "the table in docs/higher-order.md; computed:\n{printed}"
    );
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 6);
        for (j, &want) in row.iter().enumerate() {
            // 7 significant digits: within half a unit of the 7th, 5e-7 relative; 0 is exact
            let got = h[(i, j)];
            let ok = if want == 0.0 {
                got == 0.0
            } else {
                (got - want).abs() <= 5e-7 * want.abs()
            };
            assert!(
                ok,
                "H[{i}, {j}] = {got:e}, docs say {want:e}; computed:\n{printed}"
            );
        }
    }
}
