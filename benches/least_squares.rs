//! Residuals and Jacobian of NIST's Rat43 (15 residuals, 4 parameters, NIST's data), as a
//! least-squares solver asks for them at every step, interleaved as in `idioms.rs`:
//!
//! - `auto`: `shapegrad::jacobian` (forward mode here: 15 ≥ 4);
//! - `forward`: `shapegrad::jacobian_forward` (one pass on `DualSVec64<4>`);
//! - `reverse`: `shapegrad::jacobian_reverse` (one recording, 15 walks);
//! - `num_dual`: num-dual's own `jacobian` on the same model, written on nalgebra vectors of
//!   its dual numbers (no tape);
//! - `by_hand`: the analytic Jacobian, written as an engineer optimises it (one `exp`, one
//!   `powf` and one `ln` per observation, shared subexpressions).
//!
//! - `replay_reverse`: [`ReplayVectorFn`] on `f64`, recorded once at NIST's first start
//!   (one replayed forward, 15 replayed walks per evaluation);
//! - `replay_forward`: [`ReplayVectorFn`] on `DualSVec64<4>`, recorded once (one replayed
//!   forward on the seeded dual vectors, no walk): `jacobian_forward` without re-recording.
//!
//! `rat43_hessian`: the Hessian of the sum of squares `½‖r‖²` (a [`ScalarFn`]), as argmin's
//! Newton asks for it at each iterate, and `graph_hessian`, of the notebook's graph function
//! of its six inputs (16 scalar ops, where Rat43 has a few 15-vectors): `hessian` (N
//! forward-over-reverse sweeps, each a recording on `Dual64`) against `replay` (one
//! `for_replay` recording per call at `x + ε·e₀`, then N replayed sweeps seeded `eⱼ`) and
//! `replay_kept` (the recording made once, N replayed sweeps per call), checked bit for bit
//! against `hessian` first.
//!
//! Then `mode_N_M`: forward against reverse mode on `f(x) = exp(sin(Ax) ⊙ Ax)` with a fixed
//! `M×N` data matrix `A`, for the shapes that set `jacobian`'s rule (forward when `N ≤ M` and
//! `N ≤ 8`).
//!
//! The shapegrad rows run the residual function `examples/common/nist.rs` defines, which
//! `examples/curve_fit.rs` fits; every row is evaluated at NIST's second start. Before timing,
//! `main` checks every row's residuals and Jacobian against `by_hand` (to 1e-13 relative to
//! each column's largest entry). Run: `cargo bench --features dual --bench least_squares`.

mod interleave;
#[path = "../examples/common/nist.rs"]
mod nist;

use std::hint::black_box;

use nalgebra::{SMatrix, SVector};
use num_dual::DualNum;
use shapegrad::num_dual::{Derivative, Dual64, DualSVec64};
use shapegrad::{
    ReplayFn, ReplayVectorFn, Scalar, ScalarFn, Tensor, VectorFn, Workspace, hessian, jacobian,
    jacobian_forward, jacobian_reverse, num_dual,
};

use interleave::run;
use nist::{RAT43, Rat43};

/// Residuals `rᵢ = b₁ / (1 + e^{b₂ − b₃xᵢ})^{1/b₄} − yᵢ` and their Jacobian by hand: with
/// `e = e^{b₂ − b₃x}`, `u = 1 + e`, `p = u^{−1/b₄}`, `f = b₁p`:
/// `∂f/∂b₁ = p`, `∂f/∂b₂ = −f e / (b₄u)`, `∂f/∂b₃ = f e x / (b₄u)`, `∂f/∂b₄ = f ln u / b₄²`.
fn by_hand(b: &SVector<f64, 4>) -> (SVector<f64, 15>, SMatrix<f64, 15, 4>) {
    let (mut r, mut j) = (SVector::zeros(), SMatrix::zeros());
    let inv_b4 = 1.0 / b[3];
    for i in 0..15 {
        let x = RAT43.x[i];
        let e = (b[1] - b[2] * x).exp();
        let u = 1.0 + e;
        let p = u.powf(-inv_b4);
        let f = b[0] * p;
        let g = f * e * inv_b4 / u;
        r[i] = f - RAT43.y[i];
        j[(i, 0)] = p;
        j[(i, 1)] = -g;
        j[(i, 2)] = g * x;
        j[(i, 3)] = f * u.ln() * inv_b4 * inv_b4;
    }
    (r, j)
}

/// The same residuals for num-dual, generic over its number types.
fn residuals_dual<D: DualNum<Primitive = f64> + Copy>(b: SVector<D, 4>) -> SVector<D, 15> {
    SVector::from_fn(|i, _| {
        let u = (b[1] - b[2] * RAT43.x[i]).exp() + 1.0;
        b[0] / u.powd(b[3].recip()) - RAT43.y[i]
    })
}

/// num-dual's `jacobian` of [`residuals_dual`].
fn num_dual_jacobian(b: &SVector<f64, 4>) -> (SVector<f64, 15>, SMatrix<f64, 15, 4>) {
    num_dual::jacobian(residuals_dual, b)
}

/// `f(x) = exp(sin(Ax) ⊙ Ax)`: a matrix product and element-wise ops, the mode sweep's
/// function.
struct SinExp<const N: usize, const M: usize>(SMatrix<f64, M, N>);

impl<const N: usize, const M: usize> VectorFn<N, M> for SinExp<N, M> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, N, 1, T>) -> Tensor<'t, M, 1, T> {
        let z = x.tape().constant(self.0.map(nalgebra::convert)).matmul(x);
        (z.sin() * z).exp()
    }
}

/// Forward against reverse mode on [`SinExp`] at one shape.
fn mode_sweep<const N: usize, const M: usize>() {
    let f = SinExp::<N, M>(SMatrix::from_fn(|i, j| {
        ((i * 7 + j * 3) % 11) as f64 * 0.05 - 0.25
    }));
    let x = SVector::<f64, N>::from_fn(|i, _| 0.1 * i as f64);
    let (fx, jf) = jacobian_forward(&f, &x);
    let (rx, jr) = jacobian_reverse(&f, &x);
    assert_eq!(fx, rx);
    assert!(
        (jf - jr).amax() <= 1e-14 * jr.amax(),
        "modes disagree at N = {N}, M = {M}"
    );
    let (f, x) = (&f, &x);
    let mut rows: Vec<interleave::Row<'_>> = vec![
        (
            "forward",
            Box::new(move || {
                black_box(jacobian_forward(f, black_box(x)));
            }),
        ),
        (
            "reverse",
            Box::new(move || {
                black_box(jacobian_reverse(f, black_box(x)));
            }),
        ),
    ];
    run(&format!("mode_{N}_{M}"), (1.0, ""), &mut rows);
}

/// Rat43's sum of squares `½‖r(b)‖²`.
struct Sse;

impl ScalarFn<4> for Sse {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 4, 1, T>) -> Tensor<'t, 1, 1, T> {
        Rat43.eval(b).square().sum() * nalgebra::convert::<f64, T>(0.5)
    }
}

/// `b + ε·eⱼ` on `Dual64`.
fn seeded<const N: usize>(b: &SVector<f64, N>, j: usize) -> SVector<Dual64, N> {
    SVector::from_fn(|k, _| Dual64::new(b[k], f64::from(k == j)))
}

/// The Hessian of `f` from a recording on `Dual64`: column `j` is the ε part of the replayed
/// gradient at `b + ε·eⱼ`.
fn hessian_by_replay<const N: usize>(
    f: &ReplayFn<N, 1, Dual64>,
    ws: &mut Workspace<Dual64>,
    b: &SVector<f64, N>,
) -> SMatrix<f64, N, N> {
    let mut h = SMatrix::<f64, N, N>::zeros();
    for j in 0..N {
        let (_, g) = f.gradient(ws, &seeded(b, j)).unwrap();
        h.set_column(j, &g.map(|d| d.eps));
    }
    h
}

/// The notebook's graph function of its six inputs (`benches/higher_order.rs`'s `Graph`).
struct Graph;

impl ScalarFn<6> for Graph {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 6, 1, T>) -> Tensor<'t, 1, 1, T> {
        let [x1, x2, b1, b2, c1, c2] = std::array::from_fn(|i| v.at(i));
        let z0 = x1 + b1;
        let z2 = z0.sigmoid();
        let z5 = (x2 + b2).sigmoid().tanh() * c2;
        z0 * z2 * c1 + z2 * z5
    }
}

/// The forward-mode Jacobian from a recording on `DualSVec64<4>`.
fn jacobian_by_forward_replay(
    f: &ReplayVectorFn<4, 15, DualSVec64<4>>,
    ws: &mut Workspace<DualSVec64<4>>,
    b: &SVector<f64, 4>,
) -> (SVector<f64, 15>, SMatrix<f64, 15, 4>) {
    let x = SVector::from_fn(|j, _| {
        DualSVec64::new(
            b[j],
            Derivative::some(SVector::from_fn(|k, _| f64::from(k == j))),
        )
    });
    let y = f.value(ws, &x).unwrap();
    let mut j = SMatrix::<f64, 15, 4>::zeros();
    for (i, yi) in y.iter().enumerate() {
        if let Some(lanes) = &yi.eps.0 {
            j.set_row(i, &lanes.transpose());
        }
    }
    (y.map(|d| d.re), j)
}

/// `{name}_hessian`: see the file's docs; `kept` recorded at `start`, every row at `b`.
fn hessian_rows<F: ScalarFn<N>, const N: usize>(
    name: &str,
    f: &F,
    start: &SVector<f64, N>,
    b: &SVector<f64, N>,
) {
    let kept = ReplayFn::new(f, &seeded(start, 0)).unwrap();
    let mut kept_ws = kept.workspace();
    let fresh = |b: &SVector<f64, N>| {
        let r = ReplayFn::new(f, &seeded(b, 0)).unwrap();
        let mut ws = r.workspace();
        hessian_by_replay(&r, &mut ws, b)
    };
    let h = hessian(f, b);
    assert_eq!(fresh(b), h, "{name} replay: not the bits of hessian");
    assert_eq!(
        hessian_by_replay(&kept, &mut kept_ws, b),
        h,
        "{name} replay_kept: not the bits of hessian"
    );
    let mut rows: Vec<interleave::Row<'_>> = vec![
        (
            "hessian",
            Box::new(|| {
                black_box(hessian(f, black_box(b)));
            }),
        ),
        (
            "replay",
            Box::new(|| {
                black_box(fresh(black_box(b)));
            }),
        ),
        (
            "replay_kept",
            Box::new(|| {
                black_box(hessian_by_replay(&kept, &mut kept_ws, black_box(b)));
            }),
        ),
    ];
    run(&format!("{name}_hessian"), (1.0, ""), &mut rows);
}

type Eval = fn(&SVector<f64, 4>) -> (SVector<f64, 15>, SMatrix<f64, 15, 4>);

fn main() {
    let b = SVector::from(RAT43.starts[1]);
    let rows: [(&'static str, Eval); 5] = [
        ("auto", |b| jacobian(&Rat43, b)),
        ("forward", |b| jacobian_forward(&Rat43, b)),
        ("reverse", |b| jacobian_reverse(&Rat43, b)),
        ("num_dual", num_dual_jacobian),
        ("by_hand", by_hand),
    ];
    let (r0, j0) = by_hand(&b);
    for (name, eval) in rows {
        let (r, j) = eval(&b);
        for i in 0..15 {
            assert!((r[i] - r0[i]).abs() <= 1e-13 * r0.amax(), "{name}: r{i}");
        }
        for k in 0..4 {
            let scale = j0.column(k).amax();
            for i in 0..15 {
                let d = (j[(i, k)] - j0[(i, k)]).abs();
                assert!(
                    d <= 1e-13 * scale,
                    "{name}: J({i}, {k}) {} vs {}",
                    j[(i, k)],
                    j0[(i, k)]
                );
            }
        }
    }
    // the replays, recorded once at the first start and evaluated at the second
    let start = SVector::from(RAT43.starts[0]);
    let reverse = ReplayVectorFn::new(&Rat43, &start).unwrap();
    let mut reverse_ws = reverse.workspace();
    let forward =
        ReplayVectorFn::<4, 15, DualSVec64<4>>::new(&Rat43, &start.map(DualSVec64::from_re))
            .unwrap();
    let mut forward_ws = forward.workspace();
    assert_eq!(
        reverse.jacobian(&mut reverse_ws, &b).unwrap(),
        jacobian_reverse(&Rat43, &b)
    );
    assert_eq!(
        jacobian_by_forward_replay(&forward, &mut forward_ws, &b),
        jacobian_forward(&Rat43, &b)
    );
    let mut timed: Vec<interleave::Row<'_>> = rows
        .iter()
        .map(|&(name, eval)| {
            let f: Box<dyn FnMut()> = Box::new(move || {
                black_box(eval(black_box(&b)));
            });
            (name, f)
        })
        .collect();
    timed.push((
        "replay_reverse",
        Box::new(|| {
            black_box(reverse.jacobian(&mut reverse_ws, black_box(&b)).unwrap());
        }),
    ));
    timed.push((
        "replay_forward",
        Box::new(|| {
            black_box(jacobian_by_forward_replay(
                &forward,
                &mut forward_ws,
                black_box(&b),
            ));
        }),
    ));
    run("rat43_jacobian", (1.0, ""), &mut timed);
    drop(timed);
    hessian_rows("rat43", &Sse, &SVector::from(RAT43.starts[0]), &b);
    // the notebook's first entry (x = [−1, 4], w = [−7, −6, 5, 0]), kept recorded at its second
    let graph_at = SVector::from([-1.0, 4.0, -7.0, -6.0, 5.0, 0.0]);
    let graph_start = SVector::from([1.0, -2.0, 3.0, 0.5, -1.0, 2.0]);
    hessian_rows("graph", &Graph, &graph_start, &graph_at);
    mode_sweep::<2, 20>();
    mode_sweep::<4, 15>();
    mode_sweep::<4, 4>();
    mode_sweep::<8, 8>();
    mode_sweep::<8, 4>();
    mode_sweep::<4, 1>();
    mode_sweep::<10, 10>();
    mode_sweep::<12, 12>();
    mode_sweep::<16, 16>();
}
