//! The generic checks, each written once and run on every case of the registry.

use std::collections::BTreeSet;

use shapegrad::{GradCheck, Scalar, Tape};

use crate::registry::{self, Finish, Form, Run, Tag};

const FORMS: [Form; 2] = [Form::Plain, Form::Reused];

/// The finite-difference settings: `|tape − fd| ≤ FD_ATOL + FD_RTOL·|fd|` at step `1e-6`.
///
/// The central difference's rounding error is ≈ ε·|L|/eps ≈ 2e-10·|L| and its truncation
/// error eps²·|L'''|/6 ≈ 1e-13·|L'''|; `L = Σ exp(w ⊙ op)` stays below ~1e3 at the sample
/// points. Largest measured: 4.3e-9 (`|Δ|/max(1, |fd|)`, bce_with_logits on 3×4, reused,
/// ∂targets), ~25× below the tolerance. A wrong rule (a missing path, a wrong sign, a transposed index) is
/// off by O(|gradient|), and every entry has a case with a gradient element above 1e-2
/// (asserted in `every_entry_has_a_non_trivial_gradient`).
const FD_ATOL: f64 = 1e-7;
const FD_RTOL: f64 = 1e-7;

fn tight() -> GradCheck {
    GradCheck::new().eps(1e-6).atol(FD_ATOL).rtol(FD_RTOL)
}

/// f32 against the f64 tape, relative-or-absolute: `|g32 − g64| ≤ F32_TOL·max(1, |g64|)`.
///
/// A gradient here is a handful of f32 ops deep (the op, a product with a weight, `exp`, a
/// short sum), each contributing ≲ ε₃₂ = 1.2e-7 relative error. Largest measured: 1.5e-6
/// (`powi(-2)` on 2×3, reused, where L ≈ 1e3), ~7× below the tolerance. A rule that
/// is wrong only in f32 (a precision-dependent constant, a mixed-up accumulation) is off by
/// O(1).
const F32_TOL: f64 = 1e-5;

fn to_f32(leaves: &[Vec<f64>]) -> Vec<Vec<f32>> {
    leaves
        .iter()
        .map(|l| {
            l.iter()
                .map(|&v| {
                    let w = v as f32;
                    assert_eq!(f64::from(w), v, "sample points must be exact in f32");
                    w
                })
                .collect()
        })
        .collect()
}

fn max_abs(grads: &[Vec<f64>]) -> f64 {
    grads.iter().flatten().fold(0.0, |m, g| m.max(g.abs()))
}

#[test]
fn finite_differences_every_op_every_shape() {
    // Through Σ exp(w ⊙ op(·)), plain and with every leaf reused (Form::Reused), with respect
    // to every leaf, by the public GradCheck (the one finite-difference helper).
    let r = registry::all();
    let (mut worst, mut at) = (0.0_f64, String::new());
    for case in &r.cases {
        for form in FORMS {
            for (i, f) in case.leaf_fns.iter().enumerate() {
                let report = (f.gradcheck)(case, i, &tight(), form, 1.0);
                assert!(report.passed(), "{case:?}, {form:?}, leaf {i}: {report}");
                let err = (report.analytic - report.numeric).abs() / report.numeric.abs().max(1.0);
                if err > worst {
                    (worst, at) = (err, format!("{case:?}, {form:?}, leaf {i}"));
                }
            }
        }
    }
    eprintln!("largest |tape − fd| / max(1, |fd|): {worst:e} ({at})");
}

#[test]
fn f32_matches_f64_every_op_every_shape() {
    let r = registry::all();
    let (mut worst, mut at) = (0.0_f64, String::new());
    for case in &r.cases {
        for form in FORMS {
            let r64 = case.run(Finish::WeightedExp, form);
            let r32 = (case.run32)(
                &Tape::new(),
                &to_f32(&case.values()),
                Finish::WeightedExp,
                form,
            );
            let pairs = std::iter::once((f64::from(r32.value), r64.value)).chain(
                r32.grads
                    .iter()
                    .flatten()
                    .map(|&g| f64::from(g))
                    .zip(r64.grads.iter().flatten().copied()),
            );
            for (g32, g64) in pairs {
                let err = (g32 - g64).abs() / g64.abs().max(1.0);
                assert!(
                    err <= F32_TOL,
                    "{case:?}, {form:?}: f32 {g32} vs f64 {g64} (error {err:e})"
                );
                if err > worst {
                    (worst, at) = (err, format!("{case:?}, {form:?}"));
                }
            }
        }
    }
    eprintln!("largest |g32 − g64| / max(1, |g64|): {worst:e} ({at})");
}

#[test]
fn public_check_gradient_passes_every_op_with_its_defaults() {
    // shapegrad::check_gradient on each case as a ScalarFn of one leaf (PyTorch's gradcheck
    // defaults). LhsScalar entries have no ScalarFn (it must run in every scalar type).
    let r = registry::all();
    let mut checked = BTreeSet::new();
    for case in &r.cases {
        for form in FORMS {
            for (i, f) in case.leaf_fns.iter().enumerate() {
                let Some(check) = f.check_gradient else {
                    assert!(case.entry.has(Tag::LhsScalar), "{case:?}");
                    continue;
                };
                let report = check(case, i, form);
                assert!(report.passed(), "{case:?}, {form:?}, leaf {i}: {report}");
                checked.insert(case.entry.name);
            }
        }
    }
    for e in &r.entries {
        assert!(
            checked.contains(e.name) || e.has(Tag::LhsScalar),
            "{} not checked",
            e.name
        );
    }
}

#[test]
fn a_gradient_off_by_ten_percent_is_flagged_for_every_op() {
    // 1.1× the tape's gradient, through GradCheck's defaults: the largest element is off by
    // 0.1·|g| ≥ 1e-3 > atol + rtol·|g| wherever |g| > 1e-2, so every such case must fail,
    // with a relative error of 0.1; the right gradient passes.
    let r = registry::all();
    let mut flagged = BTreeSet::new();
    for case in &r.cases {
        let run = case.run(Finish::WeightedExp, Form::Plain);
        for (i, f) in case.leaf_fns.iter().enumerate() {
            if run.grads[i].iter().all(|g| g.abs() <= 1e-2) {
                continue;
            }
            let right = (f.gradcheck)(case, i, &GradCheck::default(), Form::Plain, 1.0);
            assert!(right.passed(), "{case:?}, leaf {i}: {right}");
            let wrong = (f.gradcheck)(case, i, &GradCheck::default(), Form::Plain, 1.1);
            assert!(!wrong.passed(), "{case:?}, leaf {i}: not flagged: {wrong}");
            approx::assert_relative_eq!(wrong.max_rel_error, 0.1, max_relative = 1e-3);
            flagged.insert(case.entry.name);
        }
    }
    for e in &r.entries {
        assert!(
            flagged.contains(e.name) || e.has(Tag::Constant),
            "{}: never flagged",
            e.name
        );
    }
}

#[test]
fn every_entry_has_a_non_trivial_gradient_and_constant_ones_have_none() {
    // A check that only ever sees zero gradients checks nothing; `Constant` is the tag for an
    // op whose output does not depend on its input (powi(0)), and then the gradient is 0.
    let r = registry::all();
    for e in &r.entries {
        let largest = r
            .cases
            .iter()
            .filter(|c| std::ptr::eq(c.entry, *e))
            .map(|c| max_abs(&c.run(Finish::WeightedExp, Form::Plain).grads))
            .fold(0.0, f64::max);
        if e.has(Tag::Constant) {
            assert_eq!(largest, 0.0, "{}", e.name);
        } else {
            assert!(largest > 1e-2, "{}: largest gradient {largest:e}", e.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// stale buffers

/// Scalars the NaN recording leaves behind: more than any case records.
const STALE: usize = 4096;

/// A tape whose buffers hold NaN in every value slot, and nodes in every node slot, that a
/// case will use: recorded, differentiated, then cleared (`clear` keeps the buffers and does
/// not zero them).
fn stale_tape<T: Scalar>() -> Tape<T> {
    let mut tape = Tape::<T>::new();
    {
        let nan = tape.var_from_fn::<STALE, 1>(|_, _| T::zero() / T::zero());
        let mut z = nan.sum();
        for _ in 0..STALE / 4 {
            z = z * z;
        }
        let _ = z.backward();
    }
    tape.clear();
    assert!(tape.capacity().1 >= STALE);
    tape
}

fn same_bits<T: Scalar + Into<f64>>(a: &Run<T>, b: &Run<T>) -> bool {
    let bits = |r: &Run<T>| -> Vec<u64> {
        std::iter::once(r.value)
            .chain(r.out.iter().copied())
            .chain(r.grads.iter().flatten().copied())
            .map(|v| Into::<f64>::into(v).to_bits())
            .collect()
    };
    bits(a) == bits(b)
}

#[test]
fn every_op_writes_its_whole_output_region() {
    // A tape reuses its buffers after `clear` without zeroing them, so every op must write
    // every scalar of its output (and aux) region: a scalar left unwritten would be NaN and
    // flow into L. Each case on a stale tape must give the fresh tape's bits.
    let r = registry::all();
    for case in &r.cases {
        for form in FORMS {
            let fresh = case.run(Finish::WeightedExp, form);
            assert!(
                fresh.value.is_finite(),
                "{case:?}: the sample point must give a finite value"
            );
            let tape = stale_tape::<f64>();
            let stale = (case.run64)(&tape, &case.values(), Finish::WeightedExp, form);
            assert!(
                tape.scalars() < STALE,
                "{case:?}: the NaN recording was too short"
            );
            assert!(
                same_bits(&fresh, &stale),
                "{case:?}, {form:?}: fresh {fresh:?}\nstale {stale:?}"
            );

            let leaves = to_f32(&case.values());
            let fresh = (case.run32)(&Tape::new(), &leaves, Finish::WeightedExp, form);
            let stale = (case.run32)(&stale_tape::<f32>(), &leaves, Finish::WeightedExp, form);
            assert!(same_bits(&fresh, &stale), "{case:?}, {form:?} in f32");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// the scalar path against the matrix path

/// Values across every op's regimes: both tails of sigmoid/tanh (±30, ±800), exp's overflow
/// (800), ln/sqrt of negatives and 0 (NaN, ±inf), the kinks at 0, ties for max/min.
const BIT_VALUES: [f64; 10] = [-800.0, -30.0, -2.0, -0.5, 0.0, 0.1, 0.75, 3.0, 40.0, 800.0];

fn bit_equal(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn elementwise_scalar_path_matches_matrix_path() {
    // Each element-wise op on 1×1 leaves (the value in the handle, the partials fast path)
    // and on 4×1 leaves holding the same values four times (the general path): values and
    // gradients agree bit for bit (NaN matching NaN), in f64 and f32. Two-operand ops on
    // every pair of values (ties included) and on one tensor twice.
    let r = registry::all();
    assert!(r.bits.len() >= 30, "{} bit pairs", r.bits.len());
    for pair in &r.bits {
        let pairs: Vec<Vec<f64>> = match pair.leaves {
            1 => BIT_VALUES.iter().map(|&v| vec![v]).collect(),
            _ => BIT_VALUES
                .iter()
                .flat_map(|&a| BIT_VALUES.iter().map(move |&b| vec![a, b]))
                .collect(),
        };
        for vs in pairs {
            let one: Vec<Vec<f64>> = vs.iter().map(|&v| vec![v]).collect();
            let four: Vec<Vec<f64>> = vs.iter().map(|&v| vec![v; 4]).collect();
            let what = format!("{} {} at {vs:?}", pair.entry.name, pair.what);
            let s = (pair.one.0)(&Tape::new(), &one, Finish::Sum, Form::Plain);
            let m = (pair.four.0)(&Tape::new(), &four, Finish::Sum, Form::Plain);
            assert!(
                bit_equal(s.out[0], m.out[0]),
                "{what}: value {} vs {}",
                s.out[0],
                m.out[0]
            );
            for (gs, gm) in s.grads.iter().zip(&m.grads) {
                assert!(
                    bit_equal(gs[0], gm[0]),
                    "{what}: gradient {} vs {}",
                    gs[0],
                    gm[0]
                );
            }
            let (one, four) = (to_f32_lossy(&one), to_f32_lossy(&four));
            let s = (pair.one.1)(&Tape::new(), &one, Finish::Sum, Form::Plain);
            let m = (pair.four.1)(&Tape::new(), &four, Finish::Sum, Form::Plain);
            let (sv, mv) = (f64::from(s.out[0]), f64::from(m.out[0]));
            assert!(bit_equal(sv, mv), "{what} in f32: value {sv} vs {mv}");
            for (gs, gm) in s.grads.iter().zip(&m.grads) {
                let (a, b) = (f64::from(gs[0]), f64::from(gm[0]));
                assert!(bit_equal(a, b), "{what} in f32: gradient {a} vs {b}");
            }
        }
    }
}

/// The values in f32 (800 and −800 are exact; 0.1 rounds, the same way for both paths).
fn to_f32_lossy(leaves: &[Vec<f64>]) -> Vec<Vec<f32>> {
    leaves
        .iter()
        .map(|l| l.iter().map(|&v| v as f32).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// the registry against the crate docs

/// The names in the first column of the op table in `src/lib.rs` (the backticked spans of
/// each row: `x + c`, `c + x`, `x - c` is three ops).
fn op_table() -> Vec<String> {
    let lib = include_str!("../../src/lib.rs");
    let mut names = Vec::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let first = row.split(" | ").next().unwrap_or_default();
        if first == "op" || first.starts_with("---") {
            continue;
        }
        names.extend(first.split('`').skip(1).step_by(2).map(str::to_string));
    }
    names
}

#[test]
fn registry_covers_the_op_table() {
    // Every row of the op table has a registry entry (`powi` as `powi(3)`, `powi(-2)`, …),
    // and every entry is a row: adding an op is one entry and one row.
    let table = op_table();
    assert!(table.len() >= 40, "parsed only {table:?}");
    let r = registry::all();
    let is = |entry: &str, op: &str| {
        entry == op
            || entry
                .strip_prefix(op)
                .is_some_and(|rest| rest.starts_with('('))
    };
    for op in &table {
        assert!(
            r.entries.iter().any(|e| is(e.name, op)),
            "op table row `{op}` has no registry entry"
        );
    }
    for e in &r.entries {
        assert!(
            table.iter().any(|op| is(e.name, op)),
            "registry entry `{}` is not in the op table",
            e.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hessian-vector products on dual numbers

/// Step of the central difference of the gradient: `H·v ≈ (∇f(x + hv) − ∇f(x − hv)) / 2h`.
/// Truncation is `h²·|∂³(∇f)|/6` and rounding `ε·|∇f|/h`; `h = 1e-5` balances them near
/// `1e-10` relative for the functions here.
#[cfg(feature = "dual")]
const H_STEP: f64 = 1e-5;

/// H·v against finite differences of the f64 gradient, relative to the vector's scale:
/// `maxᵢ |Δᵢ| / max(1, maxᵢ |fdᵢ|)` (the difference quotient's rounding error, ε·|∇f|/h, is
/// set by the largest gradient element, not by each element). Largest measured: 1.4e-8
/// (`powi(-2)` on 1×1), ~7× below the tolerance. A rule that is wrong on duals (a branch that drops the ε part, a
/// derivative stored without it) is off by O(|H·v|), and every entry has a case with
/// |H·v| > 1e-2 (asserted).
#[cfg(feature = "dual")]
const HVP_FD_TOL: f64 = 1e-7;

#[cfg(feature = "dual")]
fn scaled_error(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1.0_f64, |m, w| m.max(w.abs()));
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0, f64::max)
}

#[cfg(feature = "dual")]
#[test]
fn hvp_on_duals_every_op_every_shape() {
    // hvp runs each case's rules on num_dual::Dual64 (forward over reverse): the real parts
    // must be the f64 tape's value and gradient, the ε parts H·v. LhsScalar entries have no
    // dual form (c − x exists for f32/f64 only).
    let r = registry::all();
    let mut non_trivial = BTreeSet::new();
    let (mut worst, mut at) = (0.0_f64, String::new());
    for case in &r.cases {
        for form in FORMS {
            let f64_run = case.run(Finish::WeightedExp, form);
            for (i, f) in case.leaf_fns.iter().enumerate() {
                let Some(hvp) = f.hvp else {
                    assert!(case.entry.has(Tag::LhsScalar), "{case:?}");
                    continue;
                };
                let what = format!("{case:?}, {form:?}, leaf {i}");
                let v = registry::direction(case.leaves[i].values.len());
                let (value, grad, hv) = hvp(case, i, form, &v);
                approx::assert_relative_eq!(value, f64_run.value, max_relative = 1e-14);
                let err = scaled_error(&grad, &f64_run.grads[i]);
                assert!(
                    err < 1e-14,
                    "{what}: gradient {grad:?} vs f64 {:?}",
                    f64_run.grads[i]
                );
                let gradient_at = |sign: f64| {
                    let mut leaves = case.values();
                    for (x, v) in leaves[i].iter_mut().zip(&v) {
                        *x += sign * H_STEP * v;
                    }
                    (case.run64)(&Tape::new(), &leaves, Finish::WeightedExp, form).grads[i].clone()
                };
                let (up, down) = (gradient_at(1.0), gradient_at(-1.0));
                let fd: Vec<f64> = up
                    .iter()
                    .zip(&down)
                    .map(|(u, d)| (u - d) / (2.0 * H_STEP))
                    .collect();
                let err = scaled_error(&hv, &fd);
                assert!(
                    err < HVP_FD_TOL,
                    "{what}: H·v {hv:?} vs fd {fd:?} (error {err:e})"
                );
                if err > worst {
                    (worst, at) = (err, what);
                }
                if hv.iter().any(|h| h.abs() > 1e-2) {
                    non_trivial.insert(case.entry.name);
                }
            }
        }
    }
    eprintln!("largest scaled |H·v − fd|: {worst:e} ({at})");
    for e in &r.entries {
        let skip = e.has(Tag::LhsScalar) || e.has(Tag::Constant);
        assert!(
            skip || non_trivial.contains(e.name),
            "{}: H·v too small to test",
            e.name
        );
    }
}
