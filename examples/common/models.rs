//! The robotics examples' models, written once for every scalar type: the planar arm's
//! forward kinematics (`examples/robot_arm.rs`) and the pendulum's rollout and cost
//! (`examples/pendulum.rs`). `#[path]`-included there, in `benches/vocabulary.rs` and in
//! `tests/ops/composites.rs`, so that what is timed and tested is what the examples run.

#![allow(dead_code)] // each includer uses part of it

use shapegrad::{Scalar, Tensor};

/// The arm's link lengths: it reaches up to 2.4 from its base.
pub const LINKS: [f64; 3] = [1.0, 0.8, 0.6];

/// The arm's hand position for joint angles `q` (each relative to the previous link):
/// `Σₖ Lₖ (cos θₖ, sin θₖ)` with `θₖ = q₀ + … + qₖ`.
pub fn hand<'t, T: Scalar>(q: Tensor<'t, 3, 1, T>) -> Tensor<'t, 2, 1, T> {
    let l = |k: usize| nalgebra::convert::<f64, T>(LINKS[k]);
    let t0 = q.at(0);
    let t1 = t0 + q.at(1);
    let t2 = t1 + q.at(2);
    let x = t0.cos() * l(0) + t1.cos() * l(1) + t2.cos() * l(2);
    let y = t0.sin() * l(0) + t1.sin() * l(1) + t2.sin() * l(2);
    Tensor::from_scalars([x, y])
}

/// Steps of the pendulum's rollout.
pub const STEPS: usize = 100;
/// Step length (s), gravity over length (1/s²), torque limit.
pub const H: f64 = 0.05;
pub const G_OVER_L: f64 = 9.81;
pub const U_MAX: f64 = 3.0;

/// `(θ, ω)` after one step, on the tape.
pub type State<'t, T> = (Tensor<'t, 1, 1, T>, Tensor<'t, 1, 1, T>);

/// The pendulum's rollout from rest at the bottom with torques `u = U_MAX·tanh v`
/// (semi-implicit Euler: `ω ← ω + h(−(g/ℓ) sin θ + u)`, then `θ ← θ + hω`): the torques and
/// the state after each step.
pub fn rollout<'t, T: Scalar>(
    v: Tensor<'t, STEPS, 1, T>,
) -> (Tensor<'t, STEPS, 1, T>, Vec<State<'t, T>>) {
    let c = |x: f64| nalgebra::convert::<f64, T>(x);
    let tape = v.tape();
    let u = v.tanh() * c(U_MAX);
    let (mut theta, mut omega) = (
        tape.constant_scalar(T::zero()),
        tape.constant_scalar(T::zero()),
    );
    let mut states = Vec::with_capacity(STEPS);
    for k in 0..STEPS {
        omega = omega + (theta.sin() * c(-G_OVER_L) + u.at(k)) * c(H);
        theta = theta + omega * c(H);
        states.push((theta, omega));
    }
    (u, states)
}

/// The pendulum's cost: the final state's distance from upright at rest,
/// `(θ − π)² + 0.1 ω²`, plus `10⁻⁴ Σ u²`.
pub fn cost<'t, T: Scalar>(v: Tensor<'t, STEPS, 1, T>) -> Tensor<'t, 1, 1, T> {
    let c = |x: f64| nalgebra::convert::<f64, T>(x);
    let (u, states) = rollout(v);
    let (theta, omega) = states[STEPS - 1];
    (theta - c(std::f64::consts::PI)).square()
        + omega.square() * c(0.1)
        + u.norm_squared() * c(1e-4)
}
