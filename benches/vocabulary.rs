//! The robotics and linear-algebra vocabulary (issue 13), interleaved as in `idioms.rs`:
//!
//! - the planar arm's loss gradient and its 2×3 Jacobian (`examples/robot_arm.rs`), next to
//!   hand-written adjoints;
//! - the pendulum rollout's gradient over 100 steps (`examples/pendulum.rs`), next to a
//!   hand-written adjoint;
//! - `solve`, `determinant`, `try_inverse`, `cholesky` gradients at N = 3 and 12, next to
//!   nalgebra's op alone (`op_alone`: the value only).
//!
//! shapegrad rows are in the README idiom (a fresh tape per call, `backward()`, `wrt`); the
//! linear-algebra workloads also time the tuned idiom (one tape cleared and one `Gradients`
//! reused, slices), an easier variant, labelled `tuned`.
//! Run: `cargo bench --bench vocabulary` (~20 s). Before timing, `main` checks every
//! hand-written adjoint against shapegrad's gradient (to 1e-12 relative to the largest
//! entry: both are the same closed forms in f64, summed in other orders), so the rows
//! compare like with like.

mod interleave;
#[path = "../examples/common/models.rs"]
mod models;

use std::hint::black_box;

use nalgebra::{Const, DimMin, SMatrix, SVector, Vector2, Vector3};
use shapegrad::{Gradients, Tape};

use interleave::run;
use models::{G_OVER_L, H, LINKS, STEPS, U_MAX, cost as pendulum_cost, hand};

/// `½‖hand(q) − t‖²` and its gradient by hand: `∂/∂qₖ = Σ_{m ≥ k} Lₘ(−sin θₘ rₓ + cos θₘ r_y)`.
fn arm_by_hand(q: &Vector3<f64>, t: &Vector2<f64>) -> (f64, Vector3<f64>) {
    let th = [q[0], q[0] + q[1], q[0] + q[1] + q[2]];
    let (s, c) = (th.map(f64::sin), th.map(f64::cos));
    let p = Vector2::new(
        LINKS[0] * c[0] + LINKS[1] * c[1] + LINKS[2] * c[2],
        LINKS[0] * s[0] + LINKS[1] * s[1] + LINKS[2] * s[2],
    );
    let r = p - t;
    let d = [0, 1, 2].map(|m| LINKS[m] * (-s[m] * r.x + c[m] * r.y));
    (
        0.5 * r.norm_squared(),
        Vector3::new(d[0] + d[1] + d[2], d[1] + d[2], d[2]),
    )
}

/// The arm's Jacobian by hand: column `k` is `Σ_{m ≥ k} Lₘ(−sin θₘ, cos θₘ)`.
fn arm_jacobian_by_hand(q: &Vector3<f64>) -> SMatrix<f64, 2, 3> {
    let th = [q[0], q[0] + q[1], q[0] + q[1] + q[2]];
    let col = |m: usize| Vector2::new(-LINKS[m] * th[m].sin(), LINKS[m] * th[m].cos());
    let (c2, c1, c0) = (col(2), col(1), col(0));
    SMatrix::from_columns(&[c0 + c1 + c2, c1 + c2, c2])
}

/// The pendulum's cost and gradient by hand: the forward rollout keeping every `θₖ`, then
/// the adjoint recursion backwards through the semi-implicit Euler steps.
fn pendulum_by_hand(
    v: &SVector<f64, STEPS>,
    thetas: &mut [f64; STEPS],
    g: &mut SVector<f64, STEPS>,
) -> f64 {
    let (mut theta, mut omega, mut uu) = (0.0, 0.0, 0.0);
    let mut u = [0.0; STEPS];
    for k in 0..STEPS {
        u[k] = U_MAX * v[k].tanh();
        uu += u[k] * u[k];
        thetas[k] = theta;
        omega += (-G_OVER_L * theta.sin() + u[k]) * H;
        theta += omega * H;
    }
    let cost = (theta - std::f64::consts::PI).powi(2) + 0.1 * omega * omega + 1e-4 * uu;
    let (mut a_theta, mut a_omega) = (2.0 * (theta - std::f64::consts::PI), 0.2 * omega);
    for k in (0..STEPS).rev() {
        a_omega += H * a_theta; // θ ← θ + hω
        a_theta += a_omega * H * (-G_OVER_L * thetas[k].cos()); // ω ← ω + h(−a sin θ + u)
        let a_u = a_omega * H + 2e-4 * u[k];
        let t = v[k].tanh();
        g[k] = a_u * U_MAX * (1.0 - t * t);
    }
    cost
}

/// `Σ f(A)`-style gradients of the linear-algebra ops at size `N`, next to the op alone.
fn linalg<const N: usize>()
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    // diagonally dominant, not symmetric; its Gram matrix plus I for cholesky
    let a = SMatrix::<f64, N, N>::from_fn(|i, j| {
        if i == j {
            4.0
        } else {
            0.3 * ((i * 7 + j * 3) as f64).sin()
        }
    });
    let spd = a * a.transpose() + SMatrix::identity();
    let b = SVector::<f64, N>::from_fn(|i, _| (i as f64 * 0.7).cos());
    // the tuned rows (an easier variant, labelled: one tape cleared and one `Gradients`
    // reused across calls, slices instead of `wrt` copies) share the README rows' records
    let (mut tape, mut grads) = (Tape::new(), Gradients::new());
    versus(
        format!("solve/{N}"),
        || {
            let tape = Tape::new();
            let (at, bt) = (tape.var(black_box(a)), tape.var(black_box(b)));
            let g = at.solve(bt).expect("invertible").sum().backward();
            black_box((g.wrt(at), g.wrt(bt)));
        },
        || {
            tape.clear();
            let (at, bt) = (tape.var(black_box(a)), tape.var(black_box(b)));
            at.solve(bt)
                .expect("invertible")
                .sum()
                .backward_into(&mut grads);
            black_box((grads.slice(at), grads.slice(bt)));
        },
        || {
            black_box(black_box(a).lu().solve(&black_box(b)));
        },
    );
    let (mut tape, mut grads) = (Tape::new(), Gradients::new());
    versus(
        format!("determinant/{N}"),
        || {
            let tape = Tape::new();
            let at = tape.var(black_box(a));
            black_box(at.determinant().backward().wrt(at));
        },
        || {
            tape.clear();
            let at = tape.var(black_box(a));
            at.determinant().backward_into(&mut grads);
            black_box(grads.slice(at));
        },
        || {
            black_box(black_box(a).determinant());
        },
    );
    let (mut tape, mut grads) = (Tape::new(), Gradients::new());
    versus(
        format!("try_inverse/{N}"),
        || {
            let tape = Tape::new();
            let at = tape.var(black_box(a));
            let inv = at.try_inverse().expect("invertible");
            black_box(inv.sum().backward().wrt(at));
        },
        || {
            tape.clear();
            let at = tape.var(black_box(a));
            let inv = at.try_inverse().expect("invertible");
            inv.sum().backward_into(&mut grads);
            black_box(grads.slice(at));
        },
        || {
            black_box(black_box(a).try_inverse());
        },
    );
    let (mut tape, mut grads) = (Tape::new(), Gradients::new());
    versus(
        format!("cholesky/{N}"),
        || {
            let tape = Tape::new();
            let at = tape.var(black_box(spd));
            black_box(at.cholesky().expect("SPD").sum().backward().wrt(at));
        },
        || {
            tape.clear();
            let at = tape.var(black_box(spd));
            at.cholesky().expect("SPD").sum().backward_into(&mut grads);
            black_box(grads.slice(at));
        },
        || {
            black_box(black_box(spd).cholesky().map(|c| c.l()));
        },
    );
}

/// One linear-algebra workload: the gradient in the README idiom, in the tuned idiom (an
/// easier variant, labelled), next to nalgebra's op alone.
fn versus(name: String, readme: impl FnMut(), tuned: impl FnMut(), op_alone: impl FnMut()) {
    run(
        &name,
        (1.0, ""),
        &mut [
            ("readme", Box::new(readme)),
            ("tuned", Box::new(tuned)),
            ("op_alone", Box::new(op_alone)),
        ],
    );
}

/// `|got − want| ≤ 1e-12 · max|want|`, or a panic naming the workload.
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    let scale = want.iter().fold(0.0_f64, |m, w| m.max(w.abs()));
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-12 * scale,
            "{what}: shapegrad {got:?}, by hand {want:?}"
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (q, t) = (Vector3::new(0.3, 0.5, -0.4), Vector2::new(1.2, 1.0));
    let v = SVector::<f64, STEPS>::from_fn(|k, _| 0.3 * (k as f64 * 0.2).sin());
    let (mut thetas, mut g) = ([0.0; STEPS], SVector::<f64, STEPS>::zeros());
    {
        // the baselines compute what shapegrad computes
        let tape = Tape::new();
        let qv = tape.var(q);
        let r = hand(qv) - tape.constant(t);
        let grad = (r.norm_squared() * 0.5).backward().wrt(qv);
        assert_close(
            "arm gradient",
            grad.as_slice(),
            arm_by_hand(&q, &t).1.as_slice(),
        );
        let j = hand(qv).jacobian(qv);
        assert_close(
            "arm Jacobian",
            j.as_slice(),
            arm_jacobian_by_hand(&q).as_slice(),
        );
        let vt = tape.var(v);
        let gv = pendulum_cost(vt).backward().wrt(vt);
        pendulum_by_hand(&v, &mut thetas, &mut g);
        assert_close("pendulum gradient", gv.as_slice(), g.as_slice());
    }
    run(
        "arm_gradient",
        (1.0, ""),
        &mut [
            (
                "readme",
                Box::new(|| {
                    let tape = Tape::new();
                    let qv = tape.var(black_box(q));
                    let r = hand(qv) - tape.constant(t);
                    let loss = r.norm_squared() * 0.5;
                    black_box((loss.item(), loss.backward().wrt(qv)));
                }),
            ),
            (
                "by_hand",
                Box::new(|| {
                    black_box(arm_by_hand(&black_box(q), &t));
                }),
            ),
        ],
    );
    run(
        "arm_jacobian",
        (1.0, ""),
        &mut [
            (
                "readme",
                Box::new(|| {
                    let tape = Tape::new();
                    let qv = tape.var(black_box(q));
                    black_box(hand(qv).jacobian(qv));
                }),
            ),
            (
                "by_hand",
                Box::new(|| {
                    black_box(arm_jacobian_by_hand(&black_box(q)));
                }),
            ),
        ],
    );
    run(
        "pendulum_gradient",
        (1.0, ""),
        &mut [
            (
                "readme",
                Box::new(|| {
                    let tape = Tape::new();
                    let vt = tape.var(black_box(v));
                    let j = pendulum_cost(vt);
                    black_box((j.item(), j.backward().wrt(vt)));
                }),
            ),
            (
                "by_hand",
                Box::new(|| {
                    black_box(pendulum_by_hand(&black_box(v), &mut thetas, &mut g));
                }),
            ),
        ],
    );
    linalg::<3>();
    linalg::<12>();
}
