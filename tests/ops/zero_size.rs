//! Zero-sized shapes: every op on every zero-sized shape its types allow (0×C, R×0, 0×0,
//! broadcasts to and from 0, matmul with an empty inner dimension) records, runs backward
//! and gives gradients that are exactly zero (of the leaf's shape, so empty for an empty
//! leaf), in f64 and f32. The sum of nothing is 0 and the mean of nothing 0/0 = NaN (IEEE,
//! as numpy and PyTorch), so every output value is 0 or NaN.

use std::panic::{AssertUnwindSafe, catch_unwind};

use shapegrad::{Scalar, Tape};

use crate::registry::{self, Finish, Form, RunFn, ZeroCase};

fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

fn zero_or_nan<T: Scalar>(v: T) -> bool {
    #[allow(clippy::eq_op)]
    let nan = v != v;
    v == T::zero() || nan
}

/// Runs one case in one scalar type; the failure, if any.
fn check<T: Scalar>(case: &ZeroCase, run: RunFn<T>, ty: &str) -> Option<String> {
    let what = format!("{} on {} in {ty}", case.entry.name, case.what);
    let leaves: Vec<Vec<T>> = case
        .shapes
        .iter()
        .map(|&(r, c)| vec![T::one(); r * c])
        .collect();
    let run = match catch_unwind(AssertUnwindSafe(|| {
        run(&Tape::new(), &leaves, Finish::Sum, Form::Plain)
    })) {
        Ok(run) => run,
        Err(payload) => return Some(format!("{what}: panicked: {}", message(payload))),
    };
    if !zero_or_nan(run.value) || !run.out.iter().all(|&v| zero_or_nan(v)) {
        return Some(format!("{what}: values {:?}, L = {:?}", run.out, run.value));
    }
    for (g, &(r, c)) in run.grads.iter().zip(&case.shapes) {
        if g.len() != r * c || g.iter().any(|&v| v != T::zero()) {
            return Some(format!("{what}: gradient {g:?} for a {r}×{c} leaf"));
        }
    }
    None
}

/// Every zero-sized case of the entries `select` picks; panics listing every failure.
fn zero_sized(select: impl Fn(&str) -> bool) {
    let r = registry::all();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in r.zero.iter().filter(|c| select(c.entry.name)) {
        failures.extend(check(case, case.run64, "f64"));
        failures.extend(check(case, case.run32, "f32"));
        checked += 1;
    }
    assert!(checked > 0, "no zero-sized case selected");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn zero_sized_shapes_every_op() {
    zero_sized(|_| true);
}
