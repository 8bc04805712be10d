//! The neural-network ops and losses at extreme inputs: `softmax`/`log_softmax`,
//! `bce_with_logits` and the softmax cross-entropies at logits ±1000 (finite, and correct,
//! value and gradient), and the documented inf/NaN behaviour. (`ln`/`sqrt`/`powi` at ±0 and
//! the kinks of `relu`/`abs`/`max`/`min` are in `kinks.rs`.)
//!
//! Expected values are derived by hand in the comments. The recurring facts: in f64,
//! `e^{−1000}` and `e^{−2000}` underflow to exactly 0 (below the smallest subnormal,
//! 4.9e-324), so `ln(1 + e^{−1000}) = 0` and `1 + e^{−1000} = 1` exactly; in f32 the same holds
//! from `e^{−104}` on. `σ(x) = 1/(1 + e^{−x})`.

use nalgebra::{Matrix2x3, Matrix3x2, Vector2, Vector3, Vector4};
use shapegrad::{Scalar, Tape, loss};

/// An f64 constant as `T` (exact for every constant used here).
fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

// ---------------------------------------------------------------------------------------------
// softmax and log_softmax at ±1000

fn check_softmax_at_1000<T: Scalar>() {
    let tape = Tape::<T>::new();
    let (big, zero) = (k::<T>(1000.0), T::zero());
    // column 0: (1000, 0) → (1, e^{−1000}) = (1, 0); log_softmax → (0, −1000)
    // column 1: (−1000, −1000) → (½, ½); log_softmax → (−ln 2, −ln 2)
    // column 2: (1000, −1000) → (1, 0); log_softmax → (0, −2000)
    let x = tape.var(Matrix2x3::new(big, -big, big, zero, -big, -big));
    let half = k::<T>(0.5);
    let ln2 = k::<T>(2.0).ln();
    let s = x.softmax();
    let p = s.value();
    assert_eq!(p.column(0).into_owned(), Vector2::new(T::one(), zero));
    assert_eq!(p.column(1).into_owned(), Vector2::new(half, half));
    assert_eq!(p.column(2).into_owned(), Vector2::new(T::one(), zero));
    let ls = x.log_softmax();
    let l = ls.value();
    assert_eq!(l.column(0).into_owned(), Vector2::new(zero, -big));
    assert_eq!(l.column(1).into_owned(), Vector2::new(-ln2, -ln2));
    assert_eq!(l.column(2).into_owned(), Vector2::new(zero, -(big + big)));

    // Gradients of Σ w ⊙ softmax with w = (1, 0) in every column: column j's gradient is
    // p₀(e₀ − p) = p₀·(1 − p₀, −p₁): (0, 0) where p = (1, 0), (¼, −¼) where p = (½, ½).
    let w = tape.constant(Matrix2x3::new(
        T::one(),
        T::one(),
        T::one(),
        zero,
        zero,
        zero,
    ));
    let g = (s * w).sum().backward().wrt(x);
    let quarter = k::<T>(0.25);
    assert_eq!(g.column(0).into_owned(), Vector2::new(zero, zero));
    assert_eq!(g.column(1).into_owned(), Vector2::new(quarter, -quarter));
    assert_eq!(g.column(2).into_owned(), Vector2::new(zero, zero));

    // Σ log_softmax: ∂x = 1 − p·K per column (Σₖ ∂yₖ = 2): (−1, 1), (0, 0), (−1, 1).
    let g = ls.sum().backward().wrt(x);
    let one = T::one();
    assert_eq!(g.column(0).into_owned(), Vector2::new(-one, one));
    assert_eq!(g.column(1).into_owned(), Vector2::new(zero, zero));
    assert_eq!(g.column(2).into_owned(), Vector2::new(-one, one));
}

#[test]
fn softmax_and_log_softmax_at_1000() {
    check_softmax_at_1000::<f64>();
    check_softmax_at_1000::<f32>();
}

#[test]
fn the_textbook_softmax_overflows_there() {
    // e^{1000} = inf in f64, so eˣ/Σeˣ composed from tape ops is inf/inf = NaN: the reason the
    // primitive subtracts the column max.
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(1000.0, 0.0));
    let e = x.exp();
    let naive = e / e.sum().broadcast::<2, 1>();
    assert!(naive.value()[0].is_nan());
    assert!(x.softmax().value().iter().all(|v| v.is_finite()));
}

#[test]
fn log_softmax_keeps_a_dominant_class_accurate() {
    // log_softmax(40, 0)₀ = −ln(1 + e^{−40}) = −e^{−40}(1 − e^{−40}/2 + …), which rounds to
    // −e^{−40} = −4.248354255291589e-18 (the value in tests/extreme.rs); ₁ = −40 − that = −40.
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(40.0, 0.0));
    let y = x.log_softmax().value();
    approx::assert_relative_eq!(y[0], -4.248354255291589e-18, max_relative = 1e-15);
    assert_eq!(y[1], -40.0);
}

#[test]
fn softmax_nan_and_inf_policy() {
    // Documented: a −inf logit gets probability 0 (log −inf) when its column has a finite
    // logit; a +inf or NaN logit, or a column of only −inf, makes the whole column NaN.
    let tape = Tape::<f64>::new();
    let inf = f64::INFINITY;
    let x = tape.var(Vector3::new(0.0, -inf, 0.0));
    assert_eq!(x.softmax().value(), Vector3::new(0.5, 0.0, 0.5));
    assert_eq!(x.log_softmax().value()[1], -inf);
    for col in [
        Vector3::new(inf, 0.0, 1.0),
        Vector3::new(f64::NAN, 0.0, 1.0),
        Vector3::new(0.0, f64::NAN, 1.0),
        Vector3::new(-inf, -inf, -inf),
    ] {
        let x = tape.var(col);
        assert!(x.softmax().value().iter().all(|v| v.is_nan()), "{col}");
        assert!(x.log_softmax().value().iter().all(|v| v.is_nan()), "{col}");
    }
}

// ---------------------------------------------------------------------------------------------
// losses at ±1000

fn check_bce_at_1000<T: Scalar>() {
    // Per element max(x, 0) − x·t + ln(1 + e^{−|x|}), with ln(1 + e^{−1000}) = 0:
    //   x = 1000, t = 1: 1000 − 1000 = 0;     x = 1000, t = 0: 1000;
    //   x = −1000, t = 1: 0 + 1000 = 1000;    x = −1000, t = 0: 0.
    // Mean over 4: 500. Gradient (σ(x) − t)/4 with σ(1000) = 1, σ(−1000) = 0:
    //   (0, ¼, −¼, 0).
    let tape = Tape::<T>::new();
    let x = tape.var(Vector4::new(1000.0, 1000.0, -1000.0, -1000.0).map(k::<T>));
    let t = tape.constant(Vector4::new(1.0, 0.0, 1.0, 0.0).map(k::<T>));
    let l = loss::bce_with_logits(x, t);
    assert_eq!(l.item(), k(500.0));
    let g = l.backward().wrt(x);
    assert_eq!(g, Vector4::new(0.0, 0.25, -0.25, 0.0).map(k::<T>));
}

#[test]
fn bce_with_logits_at_1000() {
    check_bce_at_1000::<f64>();
    check_bce_at_1000::<f32>();
}

#[test]
fn bce_with_logits_at_0_has_the_smooth_gradient() {
    // At x = 0 the loss is smooth: ln 2 − 0·t per element, gradient σ(0) − t = ½ − t. The
    // composite relu(x) − x·t + ln(1 + e^{−|x|}) would give 0 − t + 0 (the subgradients of
    // relu and abs at 0 are both 0): −t, wrong by ½.
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(0.0, 0.0));
    let t = tape.constant(Vector2::new(1.0, 0.0));
    let l = loss::bce_with_logits(x, t);
    assert_eq!(l.item(), 2.0_f64.ln());
    assert_eq!(l.backward().wrt(x), Vector2::new(-0.25, 0.25)); // (½ − t)/2
    let composite = (x.relu() - x * t + (-x.abs()).exp().ln_1p_via_ln()).mean();
    assert_eq!(composite.item(), 2.0_f64.ln());
    assert_eq!(composite.backward().wrt(x), Vector2::new(-0.5, 0.0)); // −t/2
}

/// `ln(1 + x)` from tape ops, for the composite above.
trait Ln1pViaLn {
    fn ln_1p_via_ln(self) -> Self;
}

impl<const R: usize, const C: usize> Ln1pViaLn for shapegrad::Tensor<'_, R, C, f64> {
    fn ln_1p_via_ln(self) -> Self {
        (self + 1.0).ln()
    }
}

fn check_cross_entropy_at_1000<T: Scalar>() {
    // Logits (classes × batch), columns (1000, −1000, 0) and (0, 0, −1000):
    //   column 0: m = 1000, Σ e^{x−m} = 1 + e^{−2000} + e^{−1000} = 1 exactly, so
    //     −log_softmax = (1000 − x) = (0, 2000, 1000), softmax = (1, 0, 0);
    //   column 1: m = 0, Σ = 2 + e^{−1000} = 2, −log_softmax = (ln 2, ln 2, 1000 + ln 2),
    //     softmax = (½, ½, 0).
    // Classes (1, 2): loss = (2000 + 1000 + ln 2)/2 = 1500 + ½ln 2.
    // Gradient (softmax − one_hot)/2: column 0 (1, −1, 0)/2, column 1 (½, ½, −1)/2.
    let tape = Tape::<T>::new();
    let x0 = Matrix3x2::new(1000.0, 0.0, -1000.0, 0.0, 0.0, -1000.0).map(k::<T>);
    let x = tape.var(x0);
    let want_loss = k::<T>(1500.0) + k::<T>(2.0).ln() / k::<T>(2.0);
    let want_grad = Matrix3x2::new(0.5, 0.25, -0.5, 0.25, 0.0, -0.5).map(k::<T>);
    let l = loss::cross_entropy(x, &[1, 2]);
    assert!(l.item().is_finite());
    approx::assert_relative_eq!(l.item(), want_loss, max_relative = k(1e-7));
    assert_eq!(l.backward().wrt(x), want_grad);
    let one_hot = tape.constant(Matrix3x2::new(0.0, 0.0, 1.0, 0.0, 0.0, 1.0).map(k::<T>));
    let l = loss::cross_entropy_one_hot(x, one_hot);
    approx::assert_relative_eq!(l.item(), want_loss, max_relative = k(1e-7));
    assert_eq!(l.backward().wrt(x), want_grad);

    // Classes (0, 0): column 0 is right with certainty (loss 0, gradient 0 since e^{−1000}
    // underflows), column 1 has loss ln 2: mean ½ln 2, gradient column 1 (−½, ½, 0)/2.
    let l = loss::cross_entropy(x, &[0, 0]);
    approx::assert_relative_eq!(
        l.item(),
        k::<T>(2.0).ln() / k::<T>(2.0),
        max_relative = k(1e-7)
    );
    let want = Matrix3x2::new(0.0, -0.25, 0.0, 0.25, 0.0, 0.0).map(k::<T>);
    assert_eq!(l.backward().wrt(x), want);
}

#[test]
fn cross_entropy_at_1000() {
    check_cross_entropy_at_1000::<f64>();
    check_cross_entropy_at_1000::<f32>();
}

#[test]
fn cross_entropy_confident_column_is_accurate() {
    // Logits (40, 0), class 0: loss ln(1 + e^{−40}) ≈ e^{−40} = 4.248354255291589e-18 (the
    // value in tests/extreme.rs), gradient softmax − one_hot = (−e^{−40}, e^{−40})/(1 + e^{−40})
    // ≈ (−4.248354255291589e-18, 4.248354255291589e-18). The one-hot composite gets the
    // class entry by subtraction, softmax₀ − 1 = 0: off by 4e-18, within its documented ~1e-16.
    let e40 = 4.248354255291589e-18;
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector2::new(40.0, 0.0));
    let l = loss::cross_entropy(x, &[0]);
    approx::assert_relative_eq!(l.item(), e40, max_relative = 1e-15);
    let g = l.backward().wrt(x);
    approx::assert_relative_eq!(g, Vector2::new(-e40, e40), max_relative = 1e-15);
    let l = loss::cross_entropy_one_hot(x, tape.constant(Vector2::new(1.0, 0.0)));
    let g = l.backward().wrt(x);
    assert!((g[0] + e40).abs() < 1e-16 && (g[1] - e40).abs() < 1e-16);
}

#[test]
fn cross_entropy_with_a_masked_class() {
    // Logits (0, −inf, 0), class 0: softmax (½, 0, ½), loss −ln ½ = ln 2, gradient
    // softmax − one_hot = (−½, 0, ½). The one-hot composite multiplies the target 0 by
    // log_softmax = −inf: NaN (documented).
    let tape = Tape::<f64>::new();
    let x = tape.var(Vector3::new(0.0, f64::NEG_INFINITY, 0.0));
    let l = loss::cross_entropy(x, &[0]);
    assert_eq!(l.item(), 2.0_f64.ln());
    assert_eq!(l.backward().wrt(x), Vector3::new(-0.5, 0.0, 0.5));
    let l = loss::cross_entropy_one_hot(x, tape.constant(Vector3::new(1.0, 0.0, 0.0)));
    assert!(l.item().is_nan());
}

#[test]
fn mse_overflow_is_ieee() {
    // (1e200 − 0)² overflows to inf; the gradient 2·1e200 is finite.
    let tape = Tape::<f64>::new();
    let p = tape.var_scalar(1e200);
    let l = loss::mse(p, tape.constant_scalar(0.0));
    assert_eq!(l.item(), f64::INFINITY);
    assert_eq!(l.backward().wrt(p)[0], 2e200);
}
