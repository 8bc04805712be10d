//! `jacobian_forward` against `jacobian_reverse` on every registry case, and both against
//! central differences on the NIST residuals. Forward mode records `x` as a constant, so no
//! op runs its backward rule and the derivative is num-dual's chain rule through the op's
//! forward formula; reverse mode walks the hand-written rules: each rule is checked against
//! its own forward.

use std::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use shapegrad::{Scalar, Tape, Tensor, VectorFn, jacobian_forward, jacobian_reverse};

use crate::registry::{self, Binary, Case, Finish, Form, Output, Tag, Unary};

#[path = "../../examples/common/nist.rs"]
mod nist;

/// Every case runs as a `VectorFn<NX, MY>`: `VectorFn<{R1·C1 + R2·C2}, {R·C}>` cannot be named
/// in the registry's generic functions (const arithmetic is the unstable `generic_const_exprs`),
/// so the input (the leaves' values, column-major, one after the other) is padded with zeros to
/// the largest case's, `(3×4, 3×4)`, and the output with constant zeros to 3×4. A dual number's
/// lanes never mix, so padding changes no bit; its columns and rows must be exact zeros.
pub const NX: usize = 24;
pub const MY: usize = 12;

/// `(y, J)` in each mode; the outputs at `x + NUDGE·eₖ` for each `k`; `|terms|` the magnitude
/// each Jacobian entry is summed from (`|Jr|`, or for `op(x, x)` see [`self_form`]).
pub struct Modes {
    forward: (SVector<f64, MY>, SMatrix<f64, MY, NX>),
    reverse: (SVector<f64, MY>, SMatrix<f64, MY, NX>),
    nudged: Vec<SVector<f64, MY>>,
    terms: SMatrix<f64, MY, NX>,
}

pub type ModesFn = fn(&Case) -> Modes;

/// An output that keeps its bits when input `k` moves by 1/64 does not depend on it (a real
/// dependence moves it by `|∂yᵢ/∂xₖ|/64`, far above an ulp at the samples): its Jacobian entry
/// must be an exact zero in both modes. 1/64 < 0.125, the samples' distance from every kink.
const NUDGE: f64 = 1.0 / 64.0;

fn input(values: &[f64]) -> SVector<f64, NX> {
    assert!(values.len() <= NX, "more than {NX} inputs");
    SVector::from_fn(|k, _| values.get(k).copied().unwrap_or(0.0))
}

fn run<F: VectorFn<NX, MY>>(case: &Case, f: &F) -> Modes {
    let x = input(&case.values().concat());
    let eval = |x: SVector<f64, NX>| f.eval(Tape::new().constant(x)).value();
    let reverse = jacobian_reverse(f, &x);
    Modes {
        forward: jacobian_forward(f, &x),
        terms: reverse.1.abs(),
        reverse,
        nudged: (0..NX).map(|k| eval(x + SVector::ith(k, NUDGE))).collect(),
    }
}

/// The `R×C` leaf at `x[at..at + R·C]`, and the op's output flattened and padded.
fn leaf<'t, T: Scalar, const R: usize, const C: usize>(
    x: Tensor<'t, NX, 1, T>,
    at: usize,
) -> Tensor<'t, R, C, T> {
    Tensor::from_columns(std::array::from_fn(|j| x.fixed_rows::<R>(at + j * R)))
}

fn flat<'t, T: Scalar>(y: impl Output<'t, T>, tape: &'t Tape<T>) -> Tensor<'t, MY, 1, T> {
    let (parts, zero) = (y.parts(), tape.constant(SMatrix::zeros()));
    assert!(parts.len() <= MY, "more than {MY} outputs");
    Tensor::from_scalars(std::array::from_fn(|i| *parts.get(i).unwrap_or(&zero)))
}

struct UnaryVec<E, const R: usize, const C: usize>(PhantomData<E>);
impl<E: Unary<R, C>, const R: usize, const C: usize> VectorFn<NX, MY> for UnaryVec<E, R, C> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, NX, 1, T>) -> Tensor<'t, MY, 1, T> {
        flat(E::any(leaf::<T, R, C>(x, 0)).expect("dual"), x.tape())
    }
}

struct BinaryVec<E, const R1: usize, const C1: usize, const R2: usize, const C2: usize>(
    PhantomData<E>,
);
impl<E: Binary<R1, C1, R2, C2>, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    VectorFn<NX, MY> for BinaryVec<E, R1, C1, R2, C2>
{
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, NX, 1, T>) -> Tensor<'t, MY, 1, T> {
        let (a, b) = (leaf::<T, R1, C1>(x, 0), leaf::<T, R2, C2>(x, R1 * C1));
        flat(E::apply(a, b), x.tape())
    }
}

/// `op(x, x)`: one leaf in both slots, as `run_self` records it.
struct SelfVec<E, const R: usize, const C: usize>(PhantomData<E>);
impl<E: Binary<R, C, R, C>, const R: usize, const C: usize> VectorFn<NX, MY> for SelfVec<E, R, C> {
    fn eval<'t, T: Scalar>(&self, x: Tensor<'t, NX, 1, T>) -> Tensor<'t, MY, 1, T> {
        let x = leaf::<T, R, C>(x, 0);
        flat(E::apply(x, x), x.tape())
    }
}

pub fn unary<E: Unary<R, C>, const R: usize, const C: usize>() -> ModesFn {
    |case| run(case, &UnaryVec::<E, R, C>(PhantomData))
}

pub fn binary<
    E: Binary<R1, C1, R2, C2>,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>() -> ModesFn {
    |case| run(case, &BinaryVec::<E, R1, C1, R2, C2>(PhantomData))
}

/// `op(x, x)`'s Jacobian is the sum of its two slots' (the binary form's at `(x, x)`), which
/// can cancel: `∂(xˣ)/∂x = xˣ(1 + ln x)` is 0.013 from terms of 0.69 at x = 0.375. Its
/// rounding is relative to the slots' `|Ja| + |Jb|`, not to the sum.
pub fn self_form<E: Binary<R, C, R, C>, const R: usize, const C: usize>() -> ModesFn {
    |case| {
        let mut modes = run(case, &SelfVec::<E, R, C>(PhantomData));
        let (x, n) = (&case.leaves[0].values, R * C);
        let slots = BinaryVec::<E, R, C, R, C>(PhantomData);
        let ab = jacobian_reverse(&slots, &input(&[&x[..], x].concat()))
            .1
            .abs();
        modes.terms.fill(0.0);
        modes
            .terms
            .columns_mut(0, n)
            .copy_from(&(ab.columns(0, n) + ab.columns(n, n)));
        modes
    }
}

/// The entries whose values differ between the modes, because num-dual computes a `DualVec`'s
/// real part by formulas of its own: its `a / b` is `a·(1/b)`, two roundings (`a / b`, `x / c`,
/// `mean_rows`/`mean_cols` dividing by the count, `normalize` by the norm, `softmax` by the
/// sum, nalgebra's inverse, LU solve and Cholesky by pivots); `tan` is `sin / cos`, `tanh`
/// `sinh / cosh`, a dual power `exp(p·ln x)`, `powi(n)` `x^(n−3)·x·x·x`. (`powf(c)` is
/// `exp(c·ln x)` too and `mean` divides, but they round alike at these samples.) They agree
/// to `VALUE_ULPS·ε·maxᵢ |yᵢ|` (measured: 1.1, powi(-2)); every other entry to the bit.
/// Source, num-dual 0.15.1: `Div` in `src/datatypes/dual_vec.rs`; `tan`, `tanh`, `powi` in
/// `src/impl_derivatives.rs`; `RealField::powf` is `powd` (`src/nalgebra_macros.rs`, `src/lib.rs`).
#[rustfmt::skip]
const ROUNDED_OTHERWISE: [&str; 13] = [
    "a / b", "x / c", "mean_rows", "mean_cols", "normalize", "softmax", "try_inverse", "solve",
    "cholesky", "tan", "tanh", "powf_tensor", "powi(-2)",
];
const VALUE_ULPS: f64 = 4.0;

/// `|Jf − Jr| ≤ MODES_ULPS·ε·s`, `s` the row's largest entry or term. Forward mode applies the
/// quotient rule to the forward formula, `(u̇v − uv̇)/v²`, whose subtraction amplifies rounding
/// by `(|u̇v| + |uv̇|)/|u̇v − uv̇|`: the worst at the samples is softmax on 2×3, `sᵢ(1 − sᵢ)`
/// from `eᵢS − eᵢ²` with `sᵢ = 0.835`, `½(1 + s)/(1 − s) ≈ 5.6` ulps plus the factors'.
/// Measured: 3.6 ulps there, ≤ 3.0 elsewhere. A wrong rule is off by O(|J|), 10¹⁵ times more.
const MODES_ULPS: f64 = 8.0;

#[test]
fn forward_matches_reverse_every_op_every_shape() {
    // zero-sized cases have empty Jacobians; `LhsScalar` entries have no dual form
    let r = registry::all();
    let (mut worst, mut at, mut zeros) = (0.0_f64, String::new(), 0);
    let mut differed = std::collections::BTreeSet::new();
    for case in &r.cases {
        let Some(modes) = case.modes else {
            assert!(case.entry.has(Tag::LhsScalar), "{case:?}");
            continue;
        };
        let Modes {
            forward,
            reverse,
            nudged,
            terms,
        } = modes(case);
        let ((yf, jf), (yr, jr)) = (forward, reverse);
        // the op recorded from one input vector gives the registry's own f64 run
        let out = case.run(Finish::Sum, Form::Plain).out;
        let (n, m, name) = (case.values().concat().len(), out.len(), case.entry.name);
        assert_eq!(&yr.as_slice()[..m], &out[..], "{case:?}");
        if yf != yr {
            let ulps = (yf - yr).amax() / (f64::EPSILON * yr.amax());
            assert!(ROUNDED_OTHERWISE.contains(&name), "{case:?}: {yf} vs {yr}");
            assert!(ulps <= VALUE_ULPS, "{case:?}: values {ulps} ulps apart");
            differed.insert(name);
        }
        for i in 0..MY {
            let s = [jf, jr, terms]
                .map(|j| j.row(i).amax())
                .into_iter()
                .fold(0.0, f64::max);
            for k in 0..NX {
                let (f, b) = (jf[(i, k)], jr[(i, k)]);
                let independent = nudged[k][i].to_bits() == yr[i].to_bits();
                // the padding, a constant op, an element-wise op's other entries
                let structural = i >= m
                    || k >= n
                    || case.entry.has(Tag::Constant)
                    || (case.entry.has(Tag::Elementwise) && k % m != i);
                assert!(independent || !structural, "{case:?}: y{i} moved with x{k}");
                if independent {
                    assert!(f == 0.0 && b == 0.0, "{case:?}: ∂y{i}/∂x{k} {f:e}, {b:e}");
                    zeros += usize::from(i < m && k < n);
                }
                let ulps = (f - b).abs() / (f64::EPSILON * s.max(f64::MIN_POSITIVE));
                assert!(ulps <= MODES_ULPS, "{case:?}: J[{i}, {k}] {f:e} vs {b:e}");
                if ulps > worst {
                    (worst, at) = (ulps, format!("{case:?}, J[{i}, {k}]"));
                }
            }
        }
    }
    for name in ROUNDED_OTHERWISE {
        assert!(differed.contains(name), "{name} is bit for bit: drop it");
    }
    eprintln!("largest |Jf − Jr|: {worst:.2} ulps of the row ({at}); {zeros} exact zeros");
}

// ---------------------------------------------------------------------------------------------
// both modes against central differences, on the NIST residuals

/// The step, relative: `hₖ = FD_STEP·|xₖ|` (no parameter here is 0; `GradCheck` steps every
/// element alike). Not `FD_STEP·max(|xₖ|, 1)`: Misra1a's b₂ is 1e-4 to 5.5e-4 against data x
/// up to 760, so that step is 0.2–1 % of b₂, with truncation `h²x²/6` ≈ 1e-7 (measured 9.6e-8).
/// Relative, truncation is ≲ 1e-12 and rounding `ε·|f|/h` ≲ 1e-9 of the column's largest entry.
const FD_STEP: f64 = 1e-6;

/// `|J − fd| ≤ FD_TOL·maxᵢ |fdᵢₖ|` in column `k` (a quotient's rounding is set by its column's
/// step). Largest measured: 1.1e-9 (Rat43 at start 1, ∂/∂b₄); a wrong derivative is off by O(1).
const FD_TOL: f64 = 1e-8;

/// Both modes at the two NIST starts and the certified point: values bit for bit (`bits`) or
/// to `VALUE_ULPS` of `|rᵢ| + |yᵢ|` (the residual's terms), Jacobians to `MODES_ULPS` of the
/// row, and within `FD_TOL` of central differences. Returns the largest FD error and ulps.
fn nist_modes<F: VectorFn<N, M>, const N: usize, const M: usize>(
    f: &F,
    p: &nist::Problem<N, M>,
    bits: bool,
) -> (f64, f64) {
    let eval = |x: SVector<f64, N>| f.eval(Tape::new().constant(x)).value();
    let (mut fd_worst, mut ulps_worst) = (0.0_f64, 0.0_f64);
    let points = [
        ("start 1", p.starts[0]),
        ("start 2", p.starts[1]),
        ("certified", p.certified),
    ];
    for (what, x) in points.map(|(at, x)| (format!("{} at {at}", p.name), SVector::from(x))) {
        let ((yf, jf), (yr, jr)) = (jacobian_forward(f, &x), jacobian_reverse(f, &x));
        let terms = yr.abs() + SVector::from(p.y).abs();
        let ulps = (yf - yr).abs().component_div(&terms).max() / f64::EPSILON;
        assert!(
            if bits { yf == yr } else { ulps <= VALUE_ULPS },
            "{what}: {ulps}"
        );
        for i in 0..M {
            let d = (jf.row(i) - jr.row(i)).amax() / (f64::EPSILON * jr.row(i).amax());
            assert!(d <= MODES_ULPS, "{what}, row {i}: modes {d} ulps apart");
            ulps_worst = ulps_worst.max(d);
        }
        for k in 0..N {
            let (mut up, mut down) = (x, x);
            up[k] += FD_STEP * x[k].abs();
            down[k] -= FD_STEP * x[k].abs();
            // divided by the step as represented
            let fd = (eval(up) - eval(down)) / (up[k] - down[k]);
            for (j, mode) in [(jf, "forward"), (jr, "reverse")] {
                let err = (j.column(k) - fd).amax() / fd.amax();
                assert!(err <= FD_TOL, "{what}, ∂/∂b{}: {mode} vs fd {err:e}", k + 1);
                fd_worst = fd_worst.max(err);
            }
        }
    }
    (fd_worst, ulps_worst)
}

#[test]
fn both_modes_match_central_differences_on_the_nist_residuals() {
    // Misra1a neither divides nor raises to a power: bit for bit; Rat43's `b₁ / u^(1/b₄)` does
    for (name, (fd, ulps)) in [
        ("Misra1a", nist_modes(&nist::Misra1a, &nist::MISRA1A, true)),
        ("Rat43", nist_modes(&nist::Rat43, &nist::RAT43, false)),
    ] {
        eprintln!("{name}: |J − fd| ≤ {fd:.1e} of the column; modes {ulps:.2} ulps of the row");
    }
}
