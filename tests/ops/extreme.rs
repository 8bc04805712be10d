//! `sigmoid` and `tanh` far into their tails: values and gradients of the primitive ops against
//! closed forms computed independently here, and where the notebook's composite definitions
//! (`1 / (1 + exp(−z))`, `(eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)` built from tape ops) break down.
//!
//! Closed forms (hand derivation), with `e = e^{−|x|}` for σ and `e = e^{−2|x|}` for tanh:
//! - `σ(x) = 1 / (1 + e^{−x})` for `x ≥ 0` and `eˣ / (1 + eˣ)` for `x < 0` (no overflow);
//! - `σ'(x) = σ(x)·σ(−x) = e / (1 + e)²`;
//! - `tanh(x) = sign(x)·(1 − e) / (1 + e)`, `tanh'(x) = sech²(x) = 4e / (1 + e)²`.
//!
//! Each is a few correctly rounded ops on one `exp`, so they agree with the op to a couple of
//! ulps; f32 references are computed in f64 and rounded once to f32.
//!
//! The thresholds asserted below were found by bisection on the bit patterns of f64/f32
//! inputs with this crate's ops on x86-64 Linux (glibc `exp`); they all follow from where `exp`
//! overflows or underflows, which is the same for any faithfully rounded `exp`.

use shapegrad::{Scalar, Tape, Tensor};

// ---------------------------------------------------------------------------------------------
// helpers

/// Value and gradient of `f` at `x0`, on a fresh tape.
fn eval<T: Scalar>(x0: T, f: for<'t> fn(Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T>) -> (T, T) {
    let tape = Tape::<T>::new();
    let x = tape.var_scalar(x0);
    let y = f(x);
    (y.item(), y.backward().wrt(x)[0])
}

fn primitive_sigmoid<T: Scalar>(x: Tensor<'_, 1, 1, T>) -> Tensor<'_, 1, 1, T> {
    x.sigmoid()
}

fn primitive_tanh<T: Scalar>(x: Tensor<'_, 1, 1, T>) -> Tensor<'_, 1, 1, T> {
    x.tanh()
}

/// The notebook's `sigmoid`: `Node(1.0) / (Node(1.0) + (-z).exp())`.
fn composite_sigmoid<T: Scalar>(z: Tensor<'_, 1, 1, T>) -> Tensor<'_, 1, 1, T> {
    let one = z.tape().constant_scalar(T::one());
    one / (one + (-z).exp())
}

/// The notebook's `tanh`: `(exp_z - exp_neg_z) / (exp_z + exp_neg_z)`.
fn composite_tanh<T: Scalar>(z: Tensor<'_, 1, 1, T>) -> Tensor<'_, 1, 1, T> {
    let exp_z = z.exp();
    let exp_neg_z = (-z).exp();
    (exp_z - exp_neg_z) / (exp_z + exp_neg_z)
}

fn ref_sigmoid(x: f64) -> f64 {
    if x < 0.0 {
        let e = x.exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}

fn ref_sigmoid_grad(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

fn ref_tanh(x: f64) -> f64 {
    let e = (-2.0 * x.abs()).exp();
    x.signum() * (1.0 - e) / (1.0 + e)
}

fn ref_tanh_grad(x: f64) -> f64 {
    let e = (-2.0 * x.abs()).exp();
    4.0 * e / ((1.0 + e) * (1.0 + e))
}

/// Distance in ulps between two finite floats of one type (both zeros count as equal).
trait Ulps: Scalar + std::fmt::Debug {
    fn ulps(self, other: Self) -> u64;
}

impl Ulps for f64 {
    fn ulps(self, other: f64) -> u64 {
        assert!(
            self.is_finite() && other.is_finite(),
            "ulps({self:e}, {other:e})"
        );
        if self == other {
            return 0;
        }
        assert_eq!(self.signum(), other.signum(), "ulps({self:e}, {other:e})");
        self.to_bits().abs_diff(other.to_bits())
    }
}

impl Ulps for f32 {
    fn ulps(self, other: f32) -> u64 {
        assert!(
            self.is_finite() && other.is_finite(),
            "ulps({self:e}, {other:e})"
        );
        if self == other {
            return 0;
        }
        assert_eq!(self.signum(), other.signum(), "ulps({self:e}, {other:e})");
        u64::from(self.to_bits().abs_diff(other.to_bits()))
    }
}

#[track_caller]
fn assert_ulps<T: Ulps>(got: T, want: T, max: u64, what: &str) {
    let d = got.ulps(want);
    assert!(
        d <= max,
        "{what}: got {got:?}, want {want:?} ({d} ulps apart, at most {max} allowed)"
    );
}

/// The largest f64 whose `exp` is finite: `0x1.62e42fefa39efp9`, just below ln(f64::MAX) =
/// 709.78271289338399678…; `exp` of the next f64 up overflows to `inf`.
const EXP_MAX_F64: f64 = 709.782712893384;

/// The largest f32 whose `exp` is finite (ln(f32::MAX) = 88.7228391…).
const EXP_MAX_F32: f32 = 88.72283;

#[test]
fn exp_overflow_thresholds() {
    assert!(EXP_MAX_F64.exp().is_finite());
    assert_eq!(EXP_MAX_F64.next_up().exp(), f64::INFINITY);
    assert_eq!(EXP_MAX_F64.next_up(), 709.7827128933841);
    assert!(EXP_MAX_F32.exp().is_finite());
    assert_eq!(EXP_MAX_F32.next_up().exp(), f32::INFINITY);
    assert_eq!(EXP_MAX_F32.next_up(), 88.72284);
}

// ---------------------------------------------------------------------------------------------
// the primitive ops in the tails

#[test]
fn sigmoid_tails_f64() {
    // The correctly rounded answers (closed forms above; e^{-40} = 4.248354255291589e-18,
    // e^{-400} = 1.9151695967140057e-174, e^{-800} ≈ 3.7e-348):
    // - σ(40) = σ(400) = σ(800) = 1 exactly: 1 − e^{−x} is within half an ulp of 1 (1.1e-16).
    // - σ(−40) = e^{−40}/(1 + e^{−40}) rounds to e^{−40} (the factor 1/(1 + 4e-18) is below
    //   half an ulp), likewise σ(−400) = e^{−400}.
    // - σ(−800) = 0: e^{−800} is below half the smallest subnormal (2.5e-324).
    // - σ'(±x) = e^{−|x|}/(1 + e^{−|x|})²: 4.248354255291589e-18 at ±40,
    //   1.9151695967140057e-174 at ±400, and exactly 0 at ±800 (underflow).
    let expected: [(f64, f64, f64); 6] = [
        (40.0, 1.0, 4.248354255291589e-18),
        (-40.0, 4.248354255291589e-18, 4.248354255291589e-18),
        (400.0, 1.0, 1.9151695967140057e-174),
        (-400.0, 1.9151695967140057e-174, 1.9151695967140057e-174),
        (800.0, 1.0, 0.0),
        (-800.0, 0.0, 0.0),
    ];
    for (x, value, grad) in expected {
        let (y, g) = eval(x, primitive_sigmoid);
        assert!(y.is_finite() && g.is_finite(), "σ({x}) = {y}, σ' = {g}");
        assert_ulps(y, ref_sigmoid(x), 2, &format!("σ({x}) vs closed form"));
        assert_ulps(
            g,
            ref_sigmoid_grad(x),
            2,
            &format!("σ'({x}) vs closed form"),
        );
        assert_ulps(y, value, 2, &format!("σ({x}) vs stated value"));
        assert_ulps(g, grad, 2, &format!("σ'({x}) vs stated value"));
    }
    // Exactly 1, exactly 0, not merely within 2 ulps.
    assert_eq!(eval(40.0_f64, primitive_sigmoid).0, 1.0);
    assert_eq!(eval(-800.0_f64, primitive_sigmoid), (0.0, 0.0));
    assert_eq!(eval(800.0_f64, primitive_sigmoid), (1.0, 0.0));
}

#[test]
fn tanh_tails_f64() {
    // The correctly rounded answers: tanh(±x) = ±(1 − 2e^{−2x} + …) = ±1 exactly for x ≥ 40
    // (2e^{−80} ≈ 3.6e-35 is far below half an ulp of 1); tanh'(±40) = 4e^{−80}/(1 + e^{−80})²
    // = 7.219405551381661e-35; tanh'(±400) = 4e^{−800} ≈ 1.5e-347 and tanh'(±800) both
    // underflow to exactly 0.
    let expected: [(f64, f64, f64); 6] = [
        (40.0, 1.0, 7.219405551381661e-35),
        (-40.0, -1.0, 7.219405551381661e-35),
        (400.0, 1.0, 0.0),
        (-400.0, -1.0, 0.0),
        (800.0, 1.0, 0.0),
        (-800.0, -1.0, 0.0),
    ];
    for (x, value, grad) in expected {
        let (y, g) = eval(x, primitive_tanh);
        assert!(
            y.is_finite() && g.is_finite(),
            "tanh({x}) = {y}, tanh' = {g}"
        );
        assert_eq!(y, value, "tanh({x})");
        assert_eq!(y, ref_tanh(x), "tanh({x}) vs closed form");
        assert_ulps(
            g,
            ref_tanh_grad(x),
            2,
            &format!("tanh'({x}) vs closed form"),
        );
        assert_ulps(g, grad, 2, &format!("tanh'({x}) vs stated value"));
    }
}

#[test]
fn sigmoid_f32_at_plus_100_and_tanh_f32_at_100() {
    // References in f64, rounded once to f32. The correctly rounded answers:
    // - σ(100) = 1 exactly in f32;
    // - σ'(100) = e^{−100}/(1 + e^{−100})² = 3.7200759760208356e-44, a subnormal in f32: it
    //   rounds to 27·2⁻¹⁴⁹ = 3.78e-44 (3.72e-44 / 2⁻¹⁴⁹ = 26.55). At this scale one f32 ulp is
    //   2⁻¹⁴⁹ ≈ 1.4e-45, about 4% of the value, so ≤ 1 ulp is the meaningful tolerance.
    // - tanh(±100) = ±1; tanh'(±100) = 4e^{−200} ≈ 5.5e-87 underflows to 0 in f32.
    let ref32 = |v: f64| v as f32;
    assert_eq!(ref32(ref_sigmoid_grad(100.0)).to_bits(), 27); // 27·2⁻¹⁴⁹

    let (y, g) = eval(100.0f32, primitive_sigmoid);
    assert_eq!(y, 1.0);
    assert_eq!(y, ref32(ref_sigmoid(100.0)));
    assert_ulps(g, ref32(ref_sigmoid_grad(100.0)), 1, "σ'(100) in f32");

    for x in [100.0f32, -100.0] {
        let (y, g) = eval(x, primitive_tanh);
        assert_eq!(y, x.signum(), "tanh({x}) in f32");
        assert_eq!(y, ref32(ref_tanh(f64::from(x))));
        assert_eq!(g, 0.0, "tanh'({x}) in f32");
        assert_eq!(g, ref32(ref_tanh_grad(f64::from(x))));
    }
}

#[test]
fn sigmoid_negative_tail_is_correctly_rounded() {
    // f32 at −100: σ(−100) = e^{−100}/(1 + e^{−100}) = 3.7200759760208356e-44 rounds to
    // 27·2⁻¹⁴⁹ in f32, and so does σ'(−100) = σ'(100). The op computes 1/(1 + e^{100}) with
    // e^{100} = inf in f32, giving 0 for both.
    let (y, g) = eval(-100.0f32, primitive_sigmoid);
    let want = ref_sigmoid(-100.0) as f32;
    assert_eq!(want.to_bits(), 27);
    assert_ulps(y, want, 1, "σ(-100) in f32");
    assert_ulps(g, ref_sigmoid_grad(-100.0) as f32, 1, "σ'(-100) in f32");
    assert_eq!(g, eval(100.0f32, primitive_sigmoid).1, "σ' is even");

    // f64 between −745.13 and −709.78: σ(x) ≈ eˣ is a nonzero subnormal (e^{−720} =
    // 2.03e-313), but e^{−x} overflows and the op returns 0.
    for x in [-709.7827128933841, -720.0, -740.0] {
        let (y, g) = eval(x, primitive_sigmoid);
        assert!(ref_sigmoid(x) > 0.0);
        assert_ulps(y, ref_sigmoid(x), 1, &format!("σ({x})"));
        assert_ulps(g, ref_sigmoid_grad(x), 1, &format!("σ'({x})"));
        assert_eq!(g, eval(-x, primitive_sigmoid).1, "σ' is even at {x}");
    }
}

// Pins how std's `expf` rounds at the overflow threshold; libm's (the build without `std`)
// rounds differently there (`tests/ops/std_math.rs` bounds libm against std).
#[cfg(feature = "std")]
#[test]
fn sigmoid_stays_finite_and_below_the_true_value_past_the_exp_overflow() {
    // Accurate up to the threshold where e^{−x} overflows (x = −709.782712893384 in f64,
    // −88.72283 in f32). Past it the op is finite and never above the true value; today it
    // is exactly 0 there (the ignored test above asserts the correctly rounded subnormal).
    let (y, g) = eval(-EXP_MAX_F64, primitive_sigmoid);
    assert_ulps(y, ref_sigmoid(-EXP_MAX_F64), 2, "σ at the f64 threshold");
    assert_ulps(
        g,
        ref_sigmoid_grad(-EXP_MAX_F64),
        2,
        "σ' at the f64 threshold",
    );
    for x in [
        -EXP_MAX_F64.next_up(),
        -720.0,
        -745.0,
        -746.0,
        -1e300,
        f64::MIN,
    ] {
        let (y, g) = eval(x, primitive_sigmoid);
        assert!((0.0..=ref_sigmoid(x)).contains(&y), "σ({x}) = {y:e}");
        assert!((0.0..=ref_sigmoid_grad(x)).contains(&g), "σ'({x}) = {g:e}");
    }
    let (y, g) = eval(-EXP_MAX_F32, primitive_sigmoid);
    let want = |v: f64| v as f32;
    assert_ulps(
        y,
        want(ref_sigmoid(-f64::from(EXP_MAX_F32))),
        2,
        "σ at f32 threshold",
    );
    assert_ulps(
        g,
        want(ref_sigmoid_grad(-f64::from(EXP_MAX_F32))),
        2,
        "σ' at f32 threshold",
    );
    for x in [-EXP_MAX_F32.next_up(), -100.0, -104.0, f32::MIN] {
        let (y, g) = eval(x, primitive_sigmoid);
        assert!(
            (0.0..=want(ref_sigmoid(f64::from(x)))).contains(&y),
            "σ({x}) = {y:e}"
        );
        assert!(
            (0.0..=want(ref_sigmoid_grad(f64::from(x)))).contains(&g),
            "σ'({x})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// where the notebook's composite definitions break

#[test]
fn composite_sigmoid_gradient_thresholds_f64() {
    // ∂/∂z of 1/(1 + e^{−z}) on the tape: the division's rule gives −y/b with b = 1 + e^{−z},
    // y = 1/b, which is then multiplied by e^{−z} (exp's rule) and by −1 (neg's rule).

    // 1. Accurate while y/b ≈ e^{2z} is a normal number (z ≳ −354).
    let (_, g) = eval(-355.0_f64, composite_sigmoid);
    assert_ulps(g, ref_sigmoid_grad(-355.0), 2, "composite σ'(-355)");

    // 2. Then y/b is subnormal and loses precision (0.26% off at −370) ...
    let (_, g) = eval(-370.0_f64, composite_sigmoid);
    let rel = (g - ref_sigmoid_grad(-370.0)).abs() / ref_sigmoid_grad(-370.0);
    assert!(rel > 1e-3 && rel < 1e-2, "relative error {rel:e}");

    // 3. ... and underflows to 0: the gradient is exactly 0, though σ'(z) ≈ e^z ≈ 1e-162 is a
    //    normal number, from z = −372.5666095509706 down (found by bisection).
    let last_nonzero: f64 = -372.56660955097055;
    assert_eq!(last_nonzero.next_down(), -372.5666095509706);
    assert!(eval(last_nonzero, composite_sigmoid).1 > 0.0);
    assert_eq!(eval(last_nonzero.next_down(), composite_sigmoid).1, 0.0);
    assert_eq!(eval(-709.0_f64, composite_sigmoid).1, 0.0);

    // 4. NaN once e^{−z} overflows: b = inf, y = 1/inf = 0, −y/b = −0, and −0·inf = NaN. The
    //    gradient is finite (0) at z = −709.782712893384 and NaN from the next f64 down.
    let (y, g) = eval(-EXP_MAX_F64, composite_sigmoid);
    assert!(y.is_finite() && g.is_finite());
    let (y, g) = eval(-EXP_MAX_F64.next_up(), composite_sigmoid);
    assert_eq!(y, 0.0); // the value stays finite: 1/(1 + inf)
    assert!(g.is_nan());
    assert!(eval(-710.0_f64, composite_sigmoid).1.is_nan());
    assert!(eval(-800.0_f64, composite_sigmoid).1.is_nan());

    // The primitive op stays finite through all of it, and accurate down to the threshold.
    for z in [-355.0, -370.0, -372.5666095509706, -709.0, -EXP_MAX_F64] {
        let (y, g) = eval(z, primitive_sigmoid);
        assert_ulps(y, ref_sigmoid(z), 2, &format!("σ({z})"));
        assert_ulps(g, ref_sigmoid_grad(z), 2, &format!("σ'({z})"));
    }
    for z in [-EXP_MAX_F64.next_up(), -710.0, -800.0] {
        let (y, g) = eval(z, primitive_sigmoid);
        assert!(y.is_finite() && g.is_finite(), "σ({z}) = {y}, σ' = {g}");
    }
    // On the positive side the composite is fine: e^{−z} underflows harmlessly.
    assert_eq!(eval(800.0_f64, composite_sigmoid), (1.0, 0.0));
    assert_eq!(eval(40.0_f64, composite_sigmoid).1, ref_sigmoid_grad(40.0));
}

#[test]
fn composite_tanh_thresholds_f64() {
    // 1. From z = 18.714973875118524 the composite value rounds to exactly 1 (the platform
    //    tanh only from 19.061547465398498), and its gradient is then half the true sech²:
    //    the e^z path contributes 1/b − y/b = 0 exactly, leaving only the e^{−z} path.
    let one_from: f64 = 18.714973875118524;
    assert!(eval(one_from.next_down(), composite_tanh).0 < 1.0);
    assert_eq!(eval(one_from, composite_tanh).0, 1.0);
    let (y, g) = eval(20.0_f64, composite_tanh);
    assert_eq!(y, 1.0);
    assert_ulps(2.0 * g, ref_tanh_grad(20.0), 2, "2 × composite tanh'(20)");
    assert_ulps(
        eval(20.0_f64, primitive_tanh).1,
        ref_tanh_grad(20.0),
        2,
        "tanh'(20)",
    );

    // 2. The value is NaN once e^{|z|} overflows: inf/inf. Finite (±1) at
    //    |z| = 709.782712893384, NaN from the next f64 up; the gradient likewise.
    //    (Not at |z| ≈ 355: this crate's division rule is −∂y·y/b, which does not square b.
    //    The notebook's own `TensorDiv` computes `b ** 2`, which overflows for b = e^{|z|}
    //    past |z| ≈ 354.9; that is the notebook's breakdown, not the tape's.)
    for sign in [1.0, -1.0] {
        let (y, g) = eval(sign * EXP_MAX_F64, composite_tanh);
        assert_eq!(y, sign);
        assert!(g.is_finite());
        let (y, g) = eval(sign * EXP_MAX_F64.next_up(), composite_tanh);
        assert!(
            y.is_nan() && g.is_nan(),
            "composite tanh({}) = {y}",
            sign * 710.0
        );
        let (y, g) = eval(sign * 800.0, composite_tanh);
        assert!(y.is_nan() && g.is_nan());
    }
    let (y, g) = eval(356.0_f64, composite_tanh);
    assert_eq!(y, 1.0);
    assert!(g.is_finite() && g > 0.0);

    // The primitive op is finite and correct at and past the threshold.
    for z in [
        EXP_MAX_F64,
        EXP_MAX_F64.next_up(),
        710.0,
        800.0,
        -710.0,
        -800.0,
    ] {
        let (y, g) = eval(z, primitive_tanh);
        assert_eq!((y, g), (z.signum(), 0.0), "tanh({z})");
    }
}

#[test]
fn composite_thresholds_f32() {
    // The same breakdowns at f32's exp overflow, 88.72284.
    let (_, g) = eval(-EXP_MAX_F32, composite_sigmoid);
    assert!(g.is_finite());
    assert!(eval(-EXP_MAX_F32.next_up(), composite_sigmoid).1.is_nan());
    assert!(eval(-100.0f32, composite_sigmoid).1.is_nan());
    assert_eq!(eval(EXP_MAX_F32, composite_tanh).0, 1.0);
    let (y, g) = eval(EXP_MAX_F32.next_up(), composite_tanh);
    assert!(y.is_nan() && g.is_nan());
    let (y, g) = eval(-100.0f32, composite_tanh);
    assert!(y.is_nan() && g.is_nan());
    // The primitive ops stay finite there.
    for z in [-EXP_MAX_F32.next_up(), -100.0f32, 100.0] {
        let (y, g) = eval(z, primitive_sigmoid);
        assert!(y.is_finite() && g.is_finite());
        let (y, g) = eval(z, primitive_tanh);
        assert!(y.is_finite() && g.is_finite());
        assert_eq!(y, z.signum());
    }
}

#[test]
fn primitive_ops_are_finite_across_the_whole_range() {
    // A sweep of magnitudes from 2⁻¹⁰ to f64::MAX, both signs: value and gradient finite,
    // the gradient never negative, and the value within the op's range.
    let mut x = 2f64.powi(-10);
    while x.is_finite() {
        for z in [x, -x] {
            let (s, ds) = eval(z, primitive_sigmoid);
            assert!(
                (0.0..=1.0).contains(&s) && ds.is_finite() && ds >= 0.0,
                "σ({z})"
            );
            let (t, dt) = eval(z, primitive_tanh);
            assert!(
                (-1.0..=1.0).contains(&t) && dt.is_finite() && dt >= 0.0,
                "tanh({z})"
            );
        }
        x *= 1.7;
    }
    let mut x = 2f32.powi(-10);
    while x.is_finite() {
        for z in [x, -x] {
            let (s, ds) = eval(z, primitive_sigmoid);
            assert!(
                (0.0..=1.0).contains(&s) && ds.is_finite() && ds >= 0.0,
                "σ({z})"
            );
            let (t, dt) = eval(z, primitive_tanh);
            assert!(
                (-1.0..=1.0).contains(&t) && dt.is_finite() && dt >= 0.0,
                "tanh({z})"
            );
        }
        x *= 1.7;
    }
}
