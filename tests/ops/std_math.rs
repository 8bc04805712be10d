//! The float functions the ops take from the platform, against the standard library's: bit
//! for bit with the feature `std`; without it (`cargo test --no-default-features`) they come
//! from the `libm` crate, a port of musl's libm, and this test measures and bounds how far
//! they are from std's (glibc's on Linux), so that the difference is stated, not silent.
//!
//! Only ops that are one platform function are here (`exp` is `f64::exp`); the composite ones
//! (`tanh`, `sigmoid`, …) are built from these and from `+ − × ÷`, which IEEE 754 fixes to
//! the bit on every platform. README and `docs/design.md` quote the bounds.

use nalgebra::SVector;
use shapegrad::Tape;

/// The distance in units in the last place between two finite `f64`s of one sign.
fn ulps(a: f64, b: f64) -> u64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
    a.to_bits().abs_diff(b.to_bits())
}

/// 64 points spread over `[lo, hi]`, irrational steps so they hit no special values.
fn grid(lo: f64, hi: f64) -> SVector<f64, 64> {
    SVector::from_fn(|i, _| lo + (hi - lo) * ((i as f64 + 0.5) * 0.618_033_988_749_895).fract())
}

type Op = for<'t> fn(shapegrad::Tensor<'t, 64, 1>) -> shapegrad::Tensor<'t, 64, 1>;

/// Each op, its std function, its grid, and the most ulps the libm build may differ by
/// (measured on this grid, `cargo test --no-default-features --test ops std_math`).
#[allow(clippy::type_complexity)]
const CASES: [(&str, Op, fn(f64) -> f64, (f64, f64), u64); 17] = [
    ("exp", |x| x.exp(), f64::exp, (-20.0, 20.0), 1),
    ("ln", |x| x.ln(), f64::ln, (1e-3, 1e3), 1),
    ("sqrt", |x| x.sqrt(), f64::sqrt, (0.0, 1e3), 0),
    ("sin", |x| x.sin(), f64::sin, (-10.0, 10.0), 1),
    ("cos", |x| x.cos(), f64::cos, (-10.0, 10.0), 1),
    ("tan", |x| x.tan(), f64::tan, (-1.5, 1.5), 1),
    ("asin", |x| x.asin(), f64::asin, (-1.0, 1.0), 1),
    ("acos", |x| x.acos(), f64::acos, (-1.0, 1.0), 1),
    ("atan", |x| x.atan(), f64::atan, (-10.0, 10.0), 1),
    ("sinh", |x| x.sinh(), f64::sinh, (-5.0, 5.0), 0),
    ("cosh", |x| x.cosh(), f64::cosh, (-5.0, 5.0), 1),
    ("asinh", |x| x.asinh(), f64::asinh, (-10.0, 10.0), 1),
    ("acosh", |x| x.acosh(), f64::acosh, (1.0, 10.0), 2),
    ("atanh", |x| x.atanh(), f64::atanh, (-0.99, 0.99), 3),
    ("ln_1p", |x| x.ln_1p(), f64::ln_1p, (-0.9, 10.0), 0),
    ("exp_m1", |x| x.exp_m1(), f64::exp_m1, (-5.0, 5.0), 0),
    ("powf 1.7", |x| x.powf(1.7), |x| x.powf(1.7), (0.0, 10.0), 1),
];

#[test]
fn platform_functions_are_stds_with_std_and_within_the_stated_ulps_without() {
    let with_std = cfg!(feature = "std");
    let mut report = String::new();
    for (name, op, std_fn, (lo, hi), bound) in CASES {
        let x = grid(lo, hi);
        let tape = Tape::new();
        let ours = op(tape.constant(x)).value();
        let worst = (0..64).map(|i| ulps(ours[i], std_fn(x[i]))).max().unwrap();
        report += &format!("{name} {worst} ulp; ");
        let allowed = if with_std { 0 } else { bound };
        assert!(
            worst <= allowed,
            "{name}: {worst} ulps from std (allowed {allowed}); {report}"
        );
    }
    eprintln!("std = {with_std}: {report}");
}
