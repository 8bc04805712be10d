//! `y.jacobian(x)`: M reverse sweeps on one recording, against closed forms and central
//! finite differences, in f64 and f32.

use approx::assert_relative_eq;
use nalgebra::{Matrix2x3, Matrix3, Matrix4x3, SMatrix, Vector3, Vector4};
use shapegrad::{Scalar, Tape, Tensor};

/// An f64 constant as `T`.
fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

fn w() -> Matrix4x3<f64> {
    Matrix4x3::new(
        0.5, -1.0, 0.25, //
        2.0, 0.1, -0.3, //
        -0.7, 0.8, 1.5, //
        0.0, 0.4, -0.6,
    )
}

/// `∂(W x)/∂x = W` exactly: each row is `Wᵀ·eᵢ`, a sum of products with exact zeros.
fn linear_map_gives_its_matrix<T: Scalar>() {
    let w = w().map(k::<T>);
    let tape = Tape::<T>::new();
    let x = tape.var(Vector3::new(k(0.3), k(-0.2), k(1.1)));
    let y = tape.constant(w).matmul(x);
    assert_eq!(y.jacobian(x), w);
}

#[test]
fn linear_map_gives_its_matrix_f64_f32() {
    linear_map_gives_its_matrix::<f64>();
    linear_map_gives_its_matrix::<f32>();
}

/// `∂exp(x)/∂x = diag(exp x)` exactly (the rule multiplies by the stored output).
fn elementwise_exp_gives_diagonal<T: Scalar>() {
    let tape = Tape::<T>::new();
    let x = tape.var(Vector4::new(k(0.5), k(-1.0), k(2.0), k(0.0)));
    let y = x.exp();
    let want = SMatrix::<T, 4, 4>::from_diagonal(&y.value());
    assert_eq!(y.jacobian(x), want);
    // x used twice: ∂(x ⊙ x)/∂x = diag(2x)
    let want = SMatrix::<T, 4, 4>::from_diagonal(&(x.value() * k::<T>(2.0)));
    assert_eq!((x * x).jacobian(x), want);
}

#[test]
fn elementwise_exp_gives_diagonal_f64_f32() {
    elementwise_exp_gives_diagonal::<f64>();
    elementwise_exp_gives_diagonal::<f32>();
}

#[test]
fn log_softmax_gives_identity_minus_ones_times_p() {
    // yᵢ = xᵢ − ln Σⱼ e^{xⱼ}: ∂yᵢ/∂xⱼ = δᵢⱼ − pⱼ with p = softmax(x) (hand derivation)
    let x0 = Vector3::new(0.5, -1.0, 2.0);
    let tape = Tape::<f64>::new();
    let x = tape.var(x0);
    let p = x0.map(f64::exp) / x0.map(f64::exp).sum();
    let want = Matrix3::identity() - Vector3::repeat(1.0) * p.transpose();
    assert_relative_eq!(x.log_softmax().jacobian(x), want, max_relative = 1e-15);
}

/// A small net `σ(W2 tanh(W1 x + b1) + b2)`, 3 → 4 → 2.
fn net<'t, T: Scalar>(x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 2, 1, T> {
    let tape = x.tape();
    let w1 = tape.constant(w().map(k::<T>));
    let b1 = tape.constant(Vector4::new(0.1, -0.2, 0.3, 0.0).map(k::<T>));
    let w2 = tape
        .constant(SMatrix::<f64, 2, 4>::new(0.3, -0.5, 1.2, 0.7, -1.1, 0.4, 0.2, -0.9).map(k::<T>));
    let b2 = tape.constant(nalgebra::Vector2::new(-0.3, 0.25).map(k::<T>));
    (w2.matmul((w1.matmul(x) + b1).tanh()) + b2).sigmoid()
}

/// Central differences of the net's forward map, step `1e-6`: column `j` is
/// `(net(x + h eⱼ) − net(x − h eⱼ)) / 2h`.
fn fd_jacobian(x0: Vector3<f64>) -> Matrix2x3<f64> {
    let forward = |x: Vector3<f64>| {
        let tape = Tape::<f64>::new();
        net(tape.var(x)).value()
    };
    let h = 1e-6;
    let mut j = Matrix2x3::zeros();
    for c in 0..3 {
        let (mut up, mut down) = (x0, x0);
        up[c] += h;
        down[c] -= h;
        j.set_column(c, &((forward(up) - forward(down)) / (2.0 * h)));
    }
    j
}

#[test]
fn small_net_matches_finite_differences() {
    // |J| ≤ ~1 and the net's outputs are in (0, 1): central differences at h = 1e-6 are
    // within ~1e-10 of the truth (rounding ε/h ≈ 2e-10, truncation h²|f'''|/6 ≈ 1e-13); the
    // largest difference measured is 8.5e-11. 1e-8 leaves room; a wrong sweep (a missing
    // path, a wrong seed row) is off by O(|J|) ≈ 0.1.
    for x0 in [
        Vector3::new(0.3, -0.2, 1.1),
        Vector3::new(-1.0, 0.5, 0.25),
        Vector3::new(2.0, 1.5, -0.75),
    ] {
        let tape = Tape::<f64>::new();
        let x = tape.var(x0);
        let j = net(x).jacobian(x);
        let fd = fd_jacobian(x0);
        assert!((j - fd).abs().max() < 1e-8, "x = {x0}:\n{j}\nvs fd\n{fd}");
        // f32 against the f64 result: a handful of ops deep, a few ε₃₂ = 1.2e-7 relative on
        // entries ≤ 1 (measured: at most 3.8e-8)
        let tape = Tape::<f32>::new();
        let x = tape.var(x0.map(|v| v as f32));
        let j32 = net(x).jacobian(x).map(f64::from);
        assert!((j32 - j).abs().max() < 1e-5, "f32 {j32} vs f64 {j}");
    }
}

#[test]
fn records_nothing_and_the_tape_goes_on() {
    // rows are per-output gradients: the same as backward_with(eᵢ); the tape is unchanged
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector3::new(0.3, -0.2, 1.1));
    let y = net(x);
    let before = tape.len();
    let j = y.jacobian(x);
    assert_eq!(tape.len(), before);
    for i in 0..2 {
        let seed = nalgebra::Vector2::from_fn(|r, _| if r == i { 1.0 } else { 0.0 });
        let row = y.backward_with(&seed).wrt(x);
        assert_eq!(j.row(i).transpose(), row);
    }
    // the same twice
    assert_eq!(y.jacobian(x), j);
    // and further recording works; a scalar output gives the gradient as a 1×N row
    let s = y.sum();
    let g = s.backward().wrt(x);
    assert_eq!(s.jacobian(x), g.transpose());
}
