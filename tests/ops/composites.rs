//! Functions of several ops where one tensor reaches the output along paths through
//! different ops (the registry's `Form::Reused` reuses a leaf around one op; these reuse it
//! across ops): each is a `ScalarFn`, checked by the public `GradCheck` (tight tolerances, as
//! in `checks.rs`), in f32 against f64, and with `--features dual` H·v against finite
//! differences of the gradient.

use nalgebra::{Matrix2x3, Matrix3x4, SMatrix, Vector3};
use shapegrad::{GradCheck, Scalar, ScalarFn, Tape, Tensor, loss};

use crate::registry::k;

#[path = "../../examples/common/models.rs"]
mod models;

/// |tape − fd| ≤ 1e-7 + 1e-7·|fd|: as `checks::FD_ATOL`/`FD_RTOL` (the functions here are of
/// the same size, |L| ≲ 1e2).
fn tight() -> GradCheck {
    GradCheck::new().eps(1e-6).atol(1e-7).rtol(1e-7)
}

fn check<F: ScalarFn<R, C>, const R: usize, const C: usize>(
    name: &str,
    f: &F,
    x: SMatrix<f64, R, C>,
) {
    let report = tight().check(f, &x);
    assert!(report.passed(), "{name}: {report}");

    // f32 against the f64 tape (inputs exact in f32), as `checks::F32_TOL`
    let tape = Tape::new();
    let xt = tape.var(x);
    let g64 = f.eval(xt).backward().wrt(xt);
    let tape = Tape::new();
    let x32 = x.map(|v| v as f32);
    assert_eq!(x32.map(f64::from), x, "{name}: inputs must be exact in f32");
    let xt = tape.var(x32);
    let g32 = f.eval(xt).backward().wrt(xt).map(f64::from);
    for (a, b) in g32.iter().zip(g64.iter()) {
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "{name}: f32 {g32} vs f64 {g64}"
        );
    }

    #[cfg(feature = "dual")]
    {
        // H·v along v = (1, −½, ¾, …) against central differences of the gradient, h = 1e-5,
        // relative to the vector's scale (as `checks::HVP_FD_TOL`)
        let v = SMatrix::<f64, R, C>::from_fn(|i, j| [1.0, -0.5, 0.75, -1.25][(i + 3 * j) % 4]);
        let (_, _, hv) = shapegrad::hvp(f, &x, &v);
        let grad = |x: SMatrix<f64, R, C>| {
            let tape = Tape::new();
            let xt = tape.var(x);
            f.eval(xt).backward().wrt(xt)
        };
        let fd = (grad(x + v * 1e-5) - grad(x - v * 1e-5)) / 2e-5;
        let scale = fd.abs().max().max(1.0);
        assert!(
            (hv - fd).abs().max() <= 1e-7 * scale,
            "{name}: H·v {hv} vs fd {fd}"
        );
    }
}

fn m23() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, -1.25, 0.5, 0.75, -0.5, 1.125)
}

fn b34() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.375, -1.25, 1.0, 0.75, //
        -0.5, 0.125, 2.0, 0.625, //
        1.5, 0.875, -1.75, 0.25,
    )
}

/// `Σ exp(xᵀx)`: x reaches the product directly and through `transpose`.
struct TransposeMatmul;
impl<const R: usize, const C: usize> ScalarFn<R, C> for TransposeMatmul {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        (x.transpose().matmul(x) * k::<T>(0.5)).exp().sum()
    }
}

/// `Σ exp(A·(b ⊙ b) + A·b)` as a function of `b`, `A` fixed: b in both factors of one product
/// and alone in another.
struct MatmulOperandReused;
impl ScalarFn<3> for MatmulOperandReused {
    fn eval<'t, T: Scalar>(&self, b: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
        let a = b.tape().constant(m23().map(k::<T>));
        (a.matmul(b * b) + a.matmul(b)).exp().sum()
    }
}

/// `Σ exp(x² ⊙ x⁻¹)` (= Σ eˣ): two powers of one tensor.
struct PowiReused;
impl<const R: usize, const C: usize> ScalarFn<R, C> for PowiReused {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        (x.powi(2) * x.powi(-1)).exp().sum()
    }
}

/// `Σ exp(max(x, y)·min(x, y) + max(x, y²))` with `y = 0.5 − x`: both kinked ops on one input.
struct MaxMinReused;
impl<const R: usize, const C: usize> ScalarFn<R, C> for MaxMinReused {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        let y = -x + k::<T>(0.5);
        (x.max(y) * x.min(y) + x.max(y * y)).exp().sum()
    }
}

/// `mse(x, x²)`, `bce(x, σ(x))`: a loss whose target depends on its prediction.
struct LossesOfThemselves;
impl<const R: usize, const C: usize> ScalarFn<R, C> for LossesOfThemselves {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        loss::mse(x, x * x) + loss::bce_with_logits(x * k::<T>(2.0), x.sigmoid())
    }
}

/// `ce_one_hot(x, softmax(x))` (the entropy of softmax(x)) and `cross_entropy(x)·mean(x)`.
struct CrossEntropiesReused;
impl ScalarFn<3, 4> for CrossEntropiesReused {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 4, T>) -> Tensor<'t, 1, 1, T> {
        loss::cross_entropy_one_hot(x, x.softmax())
            + loss::cross_entropy(x, &[2, 0, 1, 1]) * x.mean()
    }
}

/// `Σ exp(sin(x)·cos(x) + atan2(x, x² + ½))`.
struct TrigReused;
impl<const R: usize, const C: usize> ScalarFn<R, C> for TrigReused {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, R, C, T>) -> Tensor<'t, 1, 1, T> {
        (x.sin() * x.cos() + x.atan2(x.square() + k::<T>(0.5)))
            .exp()
            .sum()
    }
}

/// `examples/robot_arm.rs`'s forward kinematics (`examples/common/models.rs`), through a
/// non-constant upstream gradient: `Σ exp(hand(q) ⊙ (0.5, −0.25))`. Every joint angle reaches
/// the hand along several paths (the cumulative angles).
struct ArmHand;
impl ScalarFn<3> for ArmHand {
    fn eval<'t, T: Scalar>(&self, q: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
        let w = q
            .tape()
            .constant(nalgebra::Vector2::new(k::<T>(0.5), k(-0.25)));
        (models::hand(q) * w).exp().sum()
    }
}

/// `examples/pendulum.rs`'s cost over its 100-step rollout (`examples/common/models.rs`).
struct PendulumRollout;
impl ScalarFn<100> for PendulumRollout {
    fn eval<'t, T: Scalar>(&self, v: Tensor<'t, 100, 1, T>) -> Tensor<'t, 1, 1, T> {
        models::cost(v)
    }
}

/// A 4-step semi-implicit Euler rollout of a pendulum (`examples/pendulum.rs`'s dynamics:
/// `ω ← ω + h(−(g/ℓ) sin θ + u)`, `θ ← θ + hω`) from rest at the bottom, with torques `u`,
/// and the cost `(θ − π)² + ω² + 0.1 Σu²`.
struct PendulumCost;
impl ScalarFn<4> for PendulumCost {
    fn eval<'t, T: Scalar>(&self, u: Tensor<'t, 4, 1, T>) -> Tensor<'t, 1, 1, T> {
        let tape = u.tape();
        let (h, g) = (k::<T>(0.25), k::<T>(9.75));
        let (mut theta, mut omega) = (
            tape.constant_scalar(T::zero()),
            tape.constant_scalar(T::zero()),
        );
        for i in 0..4 {
            omega = omega + ((theta.sin() * (-g)) + u.at(i).clamp(k(-2.0), k(2.0))) * h;
            theta = theta + omega * h;
        }
        let pi = k::<T>(3.140625);
        (theta - pi).square() + omega.square() + u.norm_squared() * k::<T>(0.125)
    }
}

#[test]
fn composites_with_reused_inputs() {
    check("arm hand", &ArmHand, Vector3::new(0.375, -1.25, 0.5));
    check(
        "pendulum, 4 clamped steps",
        &PendulumCost,
        nalgebra::Vector4::new(1.5, -0.75, 0.5, 1.25),
    );
    // the example's own rollout, from a small torque pattern (exact in f32: multiples of 1/8)
    let v = nalgebra::SVector::<f64, 100>::from_fn(|i, _| [0.25, -0.125, 0.5, 0.0][i % 4]);
    check("pendulum, the example's 100 steps", &PendulumRollout, v);
    check("xᵀx", &TransposeMatmul, m23());
    check("xᵀx", &TransposeMatmul, Vector3::new(0.875, -0.625, 1.5));
    check(
        "A·(b ⊙ b) + A·b",
        &MatmulOperandReused,
        Vector3::new(0.5, -1.125, 0.25),
    );
    check("x² ⊙ x⁻¹", &PowiReused, m23());
    check("max/min", &MaxMinReused, m23());
    check("losses of themselves", &LossesOfThemselves, m23());
    check("cross-entropies", &CrossEntropiesReused, b34());
    check("trig", &TrigReused, m23());
}
