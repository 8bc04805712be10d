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
use shapegrad::{Scalar, Tensor, VectorFn, jacobian, jacobian_forward, jacobian_reverse, num_dual};

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
    let mut timed: Vec<interleave::Row<'_>> = rows
        .iter()
        .map(|&(name, eval)| {
            let f: Box<dyn FnMut()> = Box::new(move || {
                black_box(eval(black_box(&b)));
            });
            (name, f)
        })
        .collect();
    run("rat43_jacobian", (1.0, ""), &mut timed);
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
