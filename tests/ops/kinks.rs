//! The kinks and domain edges, value and (sub)gradient, hand-derived: `ln`/`sqrt`/`powi` at
//! ±0, `relu`/`abs` at ±0, `max`/`min` at ties (also at ±inf), NaN through the kinked ops,
//! `atan2` at the origin and across its branch cut, and `clamp` at its ends. Every entry tagged `Kinked` in the
//! registry has its tests here (`every_kinked_entry_has_kink_tests`): finite differences keep
//! away from kinks, so only these tests see the values there.
//!
//! Expected values are IEEE 754 arithmetic worked by hand in the comments.

use nalgebra::Vector2;
use shapegrad::{Scalar, Tape};

use crate::registry::{self, Tag};

/// An f64 constant as `T` (exact for every constant used here).
fn k<T: Scalar>(v: f64) -> T {
    nalgebra::convert(v)
}

/// NaN test for any `Scalar` (which has no `is_nan`): NaN is the one value unequal to itself.
#[allow(clippy::eq_op)]
fn is_nan<T: Scalar>(v: T) -> bool {
    v != v
}

/// The registry entries whose kinks the tests below cover.
const COVERED: [&str; 6] = ["abs", "relu", "max", "min", "atan2", "clamp"];

#[test]
fn every_kinked_entry_has_kink_tests() {
    for e in registry::all()
        .entries
        .iter()
        .filter(|e| e.has(Tag::Kinked))
    {
        assert!(
            COVERED.contains(&e.name),
            "`{}` is tagged Kinked: add its at-the-kink tests here",
            e.name
        );
    }
}

fn check_at_zero<T: Scalar>() {
    let tape = Tape::<T>::new();
    let (zero, inf) = (T::zero(), k::<T>(1.0) / T::zero());
    let z = tape.var_scalar(zero);
    let nz = tape.var_scalar(-zero);
    // ln(0) = −inf (IEEE), ∂ = 1/x = +inf; at −0: ln(−0) = −inf too, ∂ = 1/(−0) = −inf
    assert_eq!(z.ln().item(), -inf);
    assert_eq!(z.ln().backward().wrt(z)[0], inf);
    assert_eq!(nz.ln().item(), -inf);
    assert_eq!(nz.ln().backward().wrt(nz)[0], -inf);
    // ln(−1) = NaN (IEEE); its gradient 1/x = −1 is still computed (documented, as PyTorch)
    let m1 = tape.var_scalar(-T::one());
    assert!(is_nan(m1.ln().item()));
    assert_eq!(m1.ln().backward().wrt(m1)[0], -T::one());
    // √0 = 0, ∂ = 1/(2·0) = +inf; √(−0) = −0 (IEEE), ∂ = 1/(2·(−0)) = −inf; √(−1) = NaN, ∂ NaN
    assert_eq!(z.sqrt().item(), zero);
    assert_eq!(z.sqrt().backward().wrt(z)[0], inf);
    assert_eq!(nz.sqrt().backward().wrt(nz)[0], -inf);
    assert!(is_nan(m1.sqrt().item()) && is_nan(m1.sqrt().backward().wrt(m1)[0]));
    // powi at 0: d(x⁰) = 0 (not 0·0⁻¹ = NaN), d(x¹) = 1, d(x²) = 0, d(x⁻¹) = −1/0² = −inf
    assert_eq!(z.powi(0).item(), T::one());
    assert_eq!(z.powi(0).backward().wrt(z)[0], zero);
    assert_eq!(z.powi(1).backward().wrt(z)[0], T::one());
    assert_eq!(z.powi(2).backward().wrt(z)[0], zero);
    assert_eq!(z.powi(-1).item(), inf);
    assert_eq!(z.powi(-1).backward().wrt(z)[0], -inf);
    // relu and abs at ±0: value 0, subgradient 0 (PyTorch's choice, documented)
    for x in [z, nz] {
        assert_eq!(x.relu().item(), zero);
        assert_eq!(x.relu().backward().wrt(x)[0], zero);
        assert_eq!(x.abs().item(), zero);
        assert_eq!(x.abs().backward().wrt(x)[0], zero);
    }
    // max/min at a tie: ½ to each operand, also at ±inf
    for v in [zero, k(3.0), inf, -inf] {
        let (a, b) = (tape.var_scalar(v), tape.var_scalar(v));
        let g = a.max(b).backward();
        assert_eq!((g.wrt(a)[0], g.wrt(b)[0]), (k(0.5), k(0.5)));
        let g = a.min(b).backward();
        assert_eq!((g.wrt(a)[0], g.wrt(b)[0]), (k(0.5), k(0.5)));
    }
    // max with −inf: the finite operand wins, all of ∂y to it
    let (a, b) = (tape.var_scalar(-inf), tape.var_scalar(k(-1000.0)));
    let g = a.max(b).backward();
    assert_eq!((g.wrt(a)[0], g.wrt(b)[0]), (zero, T::one()));
}

#[test]
fn ln_sqrt_powi_relu_abs_max_min_at_kinks() {
    check_at_zero::<f64>();
    check_at_zero::<f32>();
}

#[test]
fn nan_propagates_through_kinked_ops() {
    // Documented: NaN in gives NaN value and NaN gradient (f64::max would drop it).
    let tape = Tape::<f64>::new();
    let (nan, one) = (tape.var_scalar(f64::NAN), tape.var_scalar(1.0));
    for y in [
        nan.relu(),
        nan.abs(),
        nan.max(one),
        one.max(nan),
        nan.min(one),
    ] {
        assert!(y.item().is_nan());
        assert!(y.backward().wrt(nan)[0].is_nan());
    }
}

fn check_atan2_edges<T: Scalar>() {
    // Documented (src/ops/trig.rs): at the origin the value is atan2's, 0 (±π for a negative
    // zero x), and the gradient is NaN (0/0), as in PyTorch.
    let tape = Tape::<T>::new();
    let pi = T::pi();
    let (y, x) = (tape.var_scalar(T::zero()), tape.var_scalar(T::zero()));
    let out = y.atan2(x);
    assert_eq!(out.item(), T::zero());
    let g = out.backward();
    assert!(is_nan(g.wrt(y)[0]) && is_nan(g.wrt(x)[0]));
    // atan2(±0, −0) = ±π (IEEE 754 atan2)
    let (y, x) = (tape.var_scalar(T::zero()), tape.var_scalar(-T::zero()));
    assert_eq!(y.atan2(x).item(), pi);
    // Across the negative x axis the value jumps from π to −π (y = +0 and y = −0 at x = −2),
    // and the gradient is finite on both sides: ∂/∂y = x/r² = −2/4 = −½, ∂/∂x = −y/r² = ∓0.
    let y = tape.var(Vector2::new(T::zero(), -T::zero()));
    let x = tape.var(Vector2::new(k::<T>(-2.0), k(-2.0)));
    let out = y.atan2(x);
    assert_eq!(out.value(), Vector2::new(pi, -pi));
    let g = out.sum().backward();
    assert_eq!(g.wrt(y), Vector2::new(k(-0.5), k(-0.5)));
    assert_eq!(g.wrt(x), Vector2::new(T::zero(), T::zero()));
    // On the axes away from the origin: atan2(1, 0) = π/2 with ∂/∂y = 0/1 = 0, ∂/∂x = −1/1.
    let (y, x) = (tape.var_scalar(T::one()), tape.var_scalar(T::zero()));
    let out = y.atan2(x);
    assert_eq!(out.item(), pi / k(2.0));
    let g = out.backward();
    assert_eq!((g.wrt(y)[0], g.wrt(x)[0]), (T::zero(), -T::one()));
}

#[test]
fn atan2_at_the_origin_and_across_the_branch_cut() {
    check_atan2_edges::<f64>();
    check_atan2_edges::<f32>();
}

fn check_clamp_ends<T: Scalar>() {
    // Documented (src/ops/clamp.rs): at an end the value is the end and the gradient passes
    // (1, as PyTorch's clamp: the interval is closed); just outside it is 0; ±inf are clamped.
    let tape = Tape::<T>::new();
    let (lo, hi) = (k::<T>(-0.875), k::<T>(1.0));
    let inf = T::one() / T::zero();
    for (v, value, grad) in [
        (lo, lo, T::one()),
        (hi, hi, T::one()),
        (k(-0.9375), lo, T::zero()),
        (k(1.0625), hi, T::zero()),
        (-inf, lo, T::zero()),
        (inf, hi, T::zero()),
    ] {
        let x = tape.var_scalar(v);
        let y = x.clamp(lo, hi);
        assert_eq!(y.item(), value, "clamp({v})");
        assert_eq!(y.backward().wrt(x)[0], grad, "∂clamp at {v}");
    }
    // a degenerate interval lo = hi: the value is lo, the gradient 1 exactly there
    let x = tape.var_scalar(hi);
    assert_eq!(x.clamp(hi, hi).backward().wrt(x)[0], T::one());
    // the matrix path agrees with the scalar one at the ends
    let v = tape.var(Vector2::new(lo, hi));
    assert_eq!(
        v.clamp(lo, hi).sum().backward().wrt(v),
        Vector2::new(T::one(), T::one())
    );
}

#[test]
fn clamp_at_its_ends() {
    check_clamp_ends::<f64>();
    check_clamp_ends::<f32>();
}
