//! Forward values against nalgebra and the textbook definitions (finite differences see the
//! forward pass only through the backward rule, so a wrong value with a consistent rule would
//! pass them). Inputs are dyadic with few significant bits, so sums and products are exact
//! and element-wise ops are compared bit for bit.

use approx::assert_relative_eq;
use nalgebra::{Matrix1, Matrix2x3, Matrix3x2, Matrix3x4, RowVector3, Vector2, Vector3, Vector4};
use shapegrad::{Tape, loss};

// The platform's float functions as the ops call them: std's, or libm's without the feature
// `std` (`std_math.rs` compares the two).
use nalgebra::{ComplexField, RealField};

fn s1() -> Matrix1<f64> {
    Matrix1::new(0.625)
}

fn m23() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, -1.25, 0.5, 0.75, -0.5, 1.125)
}

/// A second operand, distinct from [`m23`] everywhere (no ties for max/min).
fn m23b() -> Matrix2x3<f64> {
    Matrix2x3::new(1.5, 0.625, -0.875, -1.375, 0.25, 1.25)
}

/// Positive, for ln, sqrt and negative powers.
fn m23p() -> Matrix2x3<f64> {
    Matrix2x3::new(0.375, 1.25, 0.5, 0.75, 1.5, 1.125)
}

/// Binary targets in [0, 1] for bce.
fn m23t() -> Matrix2x3<f64> {
    Matrix2x3::new(0.0, 1.0, 0.25, 1.0, 0.0, 0.5)
}

fn v4() -> Vector4<f64> {
    Vector4::new(0.875, -0.625, 1.5, -1.125)
}

fn v4b() -> Vector4<f64> {
    Vector4::new(1.25, -0.5, 0.75, -1.5)
}

/// A batch of 4 examples (columns) over 3 classes.
fn b34() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.375, -1.25, 1.0, 0.75, //
        -0.5, 0.125, 2.0, 0.625, //
        1.5, 0.875, -1.75, 0.25,
    )
}

/// One-hot columns for classes (2, 0, 1, 1).
fn b34_one_hot() -> Matrix3x4<f64> {
    Matrix3x4::new(
        0.0, 1.0, 0.0, 0.0, //
        0.0, 0.0, 1.0, 1.0, //
        1.0, 0.0, 0.0, 0.0,
    )
}

#[test]
fn arithmetic_exp_activations_broadcasts_matmul_match_nalgebra() {
    let tape = Tape::<f64>::new();
    let (a0, b0) = (m23(), m23b());
    let (a, b) = (tape.var(a0), tape.var(b0));
    // Element-wise ops are the same IEEE operation per element: bit-exact.
    assert_eq!((-a).value(), -a0);
    assert_eq!((a + b).value(), a0 + b0);
    assert_eq!((a - b).value(), a0 - b0);
    assert_eq!((a * b).value(), a0.component_mul(&b0));
    assert_eq!((a / b).value(), a0.component_div(&b0));
    assert_eq!((a + 0.75).value(), a0.add_scalar(0.75));
    assert_eq!((0.75 + a).value(), a0.add_scalar(0.75));
    assert_eq!((a - 0.5).value(), a0.map(|v| v - 0.5));
    assert_eq!((1.5 - a).value(), a0.map(|v| 1.5 - v));
    assert_eq!((a * -1.25).value(), a0 * -1.25);
    assert_eq!((-1.25 * a).value(), a0 * -1.25);
    assert_eq!((a / 1.25).value(), a0 / 1.25);
    assert_eq!((1.5 / a).value(), a0.map(|v| 1.5 / v));
    assert_eq!(a.exp().value(), a0.map(ComplexField::exp));
    assert_eq!(a.tanh().value(), a0.map(ComplexField::tanh));
    assert_eq!(
        a.sigmoid().value(),
        a0.map(|v| 1.0 / (1.0 + ComplexField::exp(-v)))
    );
    assert_eq!(a.sum().item(), a0.sum());
    // Broadcasts copy values.
    let s = tape.var(s1());
    assert_eq!(s.broadcast::<2, 3>().value(), Matrix2x3::repeat(0.625));
    let col = tape.var(Vector2::new(0.375, -1.25));
    assert_eq!(
        col.broadcast_cols::<3>().value(),
        Matrix2x3::new(0.375, 0.375, 0.375, -1.25, -1.25, -1.25)
    );
    let row = tape.var(RowVector3::new(0.375, -1.25, 0.5));
    assert_eq!(
        row.broadcast_rows::<2>().value(),
        Matrix2x3::new(0.375, -1.25, 0.5, 0.375, -1.25, 0.5)
    );
    // Matmul: dyadic inputs with few significant bits, so every product and partial sum is
    // exact and the order of accumulation cannot matter.
    let x0 = Vector3::new(0.5, -1.125, 0.25);
    assert_eq!(a.matmul(tape.var(x0)).value(), a0 * x0);
    let w0 = Matrix3x2::new(0.5, -0.125, 0.25, 0.875, -0.75, 0.375);
    assert_eq!(a.matmul(tape.var(w0)).value(), a0 * w0);
}

#[test]
fn elementwise_shape_softmax_match_nalgebra() {
    let tape = Tape::<f64>::new();
    let (a0, b0, p0) = (m23(), m23b(), m23p());
    let (a, b, p) = (tape.var(a0), tape.var(b0), tape.var(p0));
    // Element-wise ops are the same IEEE operation per element as f64's: bit-exact.
    assert_eq!(p.ln().value(), p0.map(f64::ln));
    assert_eq!(p.sqrt().value(), p0.map(f64::sqrt));
    assert_eq!(a.powi(3).value(), a0.map(|v| v.powi(3)));
    assert_eq!(p.powi(-2).value(), p0.map(|v| v.powi(-2)));
    assert_eq!(a.square().value(), a0.component_mul(&a0));
    assert_eq!(a.abs().value(), a0.abs());
    assert_eq!(a.relu().value(), a0.map(|v| v.max(0.0)));
    assert_eq!(a.max(b).value(), a0.zip_map(&b0, f64::max));
    assert_eq!(a.min(b).value(), a0.zip_map(&b0, f64::min));
    // Shape ops against nalgebra's own (dyadic inputs with few bits: sums are exact).
    assert_eq!(a.transpose().value(), a0.transpose());
    assert_eq!(a.sum_rows().value(), a0.row_sum());
    assert_eq!(a.sum_cols().value(), a0.column_sum());
    assert_eq!(a.mean().item(), a0.mean());
    assert_eq!(a.mean_rows().value(), a0.row_mean());
    // (nalgebra's `column_mean` multiplies by the rounded 1/3; we divide by 3, exactly
    // rounded: −0.375/3 = −0.125, where nalgebra gives −0.12499999999999997)
    assert_eq!(a.mean_cols().value(), a0.column_sum() / 3.0);
    let (v, w) = (tape.var(v4()), tape.var(v4b()));
    assert_eq!(v.dot(w).item(), v4().dot(&v4b()));
    // Softmax against the textbook formula eˣ/Σeˣ per column (no overflow at these inputs):
    // equal to a few ulps, not bit-exact (the op subtracts the column max first).
    let x0 = b34();
    let x = tape.var(x0);
    let mut want = x0.map(f64::exp);
    for mut col in want.column_iter_mut() {
        col /= col.sum();
    }
    assert_relative_eq!(x.softmax().value(), want, max_relative = 1e-15);
    assert_relative_eq!(
        x.log_softmax().value(),
        want.map(f64::ln),
        max_relative = 1e-15
    );
}

#[test]
fn losses_match_their_definitions() {
    // Each loss against its textbook formula, evaluated in plain f64 here.
    let tape = Tape::<f64>::new();
    let (p0, t0) = (m23(), m23b());
    let l = loss::mse(tape.var(p0), tape.constant(t0));
    assert_relative_eq!(
        l.item(),
        (p0 - t0).norm_squared() / 6.0,
        max_relative = 1e-15
    );

    // bce: −[t ln σ(x) + (1 − t) ln(1 − σ(x))], mean over 6 elements
    let (x0, y0) = (m23(), m23t());
    let sigma = |x: f64| 1.0 / (1.0 + (-x).exp());
    let want = x0
        .zip_map(&y0, |x, t| {
            -(t * sigma(x).ln() + (1.0 - t) * (1.0 - sigma(x)).ln())
        })
        .mean();
    let l = loss::bce_with_logits(tape.var(x0), tape.constant(y0));
    assert_relative_eq!(l.item(), want, max_relative = 1e-14);

    // cross-entropy: mean over columns of −ln softmax(x)_class
    let x0 = b34();
    let classes = [2, 0, 1, 1];
    let want = (0..4)
        .map(|b| {
            let col = x0.column(b);
            -(col[classes[b]].exp() / col.map(f64::exp).sum()).ln()
        })
        .sum::<f64>()
        / 4.0;
    let x = tape.var(x0);
    assert_relative_eq!(
        loss::cross_entropy(x, &classes).item(),
        want,
        max_relative = 1e-14
    );
    let one_hot = tape.constant(b34_one_hot());
    assert_relative_eq!(
        loss::cross_entropy_one_hot(x, one_hot).item(),
        want,
        max_relative = 1e-14
    );
}

#[test]
fn trig_matches_f64() {
    // sin, cos, atan2 are the platform's, element by element: bit for bit.
    let tape = Tape::<f64>::new();
    let (a0, b0) = (m23(), m23b());
    let (a, b) = (tape.var(a0), tape.var(b0));
    assert_eq!(a.sin().value(), a0.map(ComplexField::sin));
    assert_eq!(a.cos().value(), a0.map(ComplexField::cos));
    assert_eq!(a.atan2(b).value(), a0.zip_map(&b0, RealField::atan2));
}
