//! Tests of the notebook example as a whole: the notebook's printed values, the two-layer
//! net over every batch width (including the 8-column chunk path), the answer file written
//! end to end from the shipped samples, every kind of bad input (exact message, output file
//! untouched), non-finite results, and the command line.
//!
//! Every reference value is independent of shapegrad: a line the notebook printed (cell and
//! line quoted), a hand derivation, a plain-`f64` / plain-nalgebra implementation written
//! here, or central finite differences of such an implementation.

use std::fs;
use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, DVector, Matrix2x4, Matrix4x3, Vector2, Vector3, Vector4};

use super::answer::{self, Entry1, Entry2, KEYS, NetGrads};
use super::json::{self, Json, ndarray_json};
use super::{Command, USAGE, data_dir, failure_line, parse_args, run};

/// The shipped sample inputs (`examples/data/`), as text.
const INPUTS1: &str = include_str!("../data/inputs1.json");
const INPUTS2: &str = include_str!("../data/inputs2.json");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A fresh directory under the system temp dir, unique per process and test case,
/// removed (with its contents) on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(case: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "shapegrad-notebook-tests-{}-{case}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create the test's temp dir");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The names of the files in the directory, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .expect("list the temp dir")
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `|got − want| ≤ tol · max(1, |want|)`: relative for large values, absolute near zero.
/// NaN never passes; equal infinities do.
fn close(got: f64, want: f64, tol: f64) -> bool {
    got == want || (got - want).abs() <= tol * want.abs().max(1.0)
}

fn assert_all_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(g, w, tol),
            "{what}[{i}]: got {g:e}, want {w:e} (diff {:e}, tol {tol:e})",
            (g - w).abs()
        );
    }
}

/// A JSON number as `f64`.
fn num(v: &Json) -> f64 {
    match v {
        Json::Int(i) => *i as f64,
        Json::Float(x) => *x,
        other => panic!("expected a number, found {other:?}"),
    }
}

/// The list under `key` of an answer object, as values (a packed list unpacked).
fn list(answer: &Json, key: &str) -> Vec<Json> {
    match answer.get(key).map(Json::to_tree) {
        Some(Json::Array(items)) => items,
        _ => panic!("answer has no list under {key:?}"),
    }
}

/// The numbers of a scalar-cell column (`init` … `exp`) of an answer.
fn column(answer: &Json, key: &str) -> Vec<f64> {
    list(answer, key).iter().map(num).collect()
}

/// Central finite differences of `f` at `at`, step `h` per coordinate.
fn central_diff(f: impl Fn(&[f64]) -> f64, at: &[f64], h: f64) -> Vec<f64> {
    let mut p = at.to_vec();
    (0..at.len())
        .map(|i| {
            p[i] = at[i] + h;
            let up = f(&p);
            p[i] = at[i] - h;
            let down = f(&p);
            p[i] = at[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// A tiny deterministic generator (64-bit LCG, Knuth's MMIX constants) for test inputs.
struct Lcg(u64);

impl Lcg {
    /// Uniform in [-2, 2) from the top 53 bits.
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        4.0 * ((self.0 >> 11) as f64 / (1u64 << 53) as f64) - 2.0
    }
}

// ---------------------------------------------------------------------------
// Independent references
// ---------------------------------------------------------------------------

/// The notebook's composite `sigmoid`: `Node(1.0) / (Node(1.0) + (-z).exp())`.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The notebook's composite `tanh`: `(e^z − e^−z) / (e^z + e^−z)`.
fn tanh(z: f64) -> f64 {
    let (a, b) = (z.exp(), (-z).exp());
    (a - b) / (a + b)
}

/// The notebook's TEST 8 `graph_value` in plain `f64`, at `[x1, x2, b1, b2, c1, c2]`.
fn graph_f64(v: &[f64]) -> f64 {
    let [x1, x2, b1, b2, c1, c2] = v else {
        panic!("graph_f64 takes 6 values")
    };
    let z0 = x1 + b1;
    let z1 = x2 + b2;
    let z2 = sigmoid(z0);
    let z3 = sigmoid(z1);
    let z4 = tanh(z3);
    let z5 = z4 * c2;
    let z6 = z0 * z2;
    let z7 = z6 * c1;
    let z8 = z2 * z5;
    z7 + z8
}

/// The graph's gradient derived by hand. With s0 = σ(z0), s1 = σ(z1), t = tanh(s1),
/// y = c1·z0·s0 + c2·s0·t, so
/// ∂y/∂z0 = c1·(s0 + z0·s0(1−s0)) + c2·t·s0(1−s0),  ∂y/∂z1 = c2·s0·(1−t²)·s1(1−s1),
/// ∂y/∂c1 = z0·s0, ∂y/∂c2 = s0·t; x1, b1 share ∂y/∂z0 and x2, b2 share ∂y/∂z1.
fn graph_hand_grad(v: &[f64]) -> [f64; 6] {
    let [x1, x2, b1, b2, c1, c2] = v else {
        panic!("graph_hand_grad takes 6 values")
    };
    let (z0, z1) = (x1 + b1, x2 + b2);
    let (s0, s1) = (sigmoid(z0), sigmoid(z1));
    let t = tanh(s1);
    let d0 = c1 * (s0 + z0 * s0 * (1.0 - s0)) + c2 * t * s0 * (1.0 - s0);
    let d1 = c2 * s0 * (1.0 - t * t) * s1 * (1.0 - s1);
    [d0, d1, d0, d1, z0 * s0, s0 * t]
}

/// The two-layer net's input and parameters as plain dynamic nalgebra values.
#[derive(Debug, Clone)]
struct Net {
    x: DMatrix<f64>,
    w1: DMatrix<f64>,
    w2: DMatrix<f64>,
    b1: DVector<f64>,
    b2: DVector<f64>,
}

/// The net's gradients (the same fields hold ∂loss/∂field) and its loss.
struct NetRef {
    loss: f64,
    grad: Net,
}

impl Net {
    fn from_entry(e: &Entry2) -> Net {
        Net {
            x: DMatrix::from_fn(3, e.x.len(), |r, c| e.x[c][r]),
            w1: DMatrix::from_column_slice(4, 3, e.w1.as_slice()),
            w2: DMatrix::from_column_slice(2, 4, e.w2.as_slice()),
            b1: DVector::from_column_slice(e.b1.as_slice()),
            b2: DVector::from_column_slice(e.b2.as_slice()),
        }
    }

    /// Every value, in the order x (column-major), W1, W2 (column-major), b1, b2.
    fn flat(&self) -> Vec<f64> {
        [
            self.x.as_slice(),
            self.w1.as_slice(),
            self.w2.as_slice(),
            self.b1.as_slice(),
            self.b2.as_slice(),
        ]
        .concat()
    }

    /// The inverse of [`Net::flat`] for a net shaped like `self`.
    fn with_values(&self, v: &[f64]) -> Net {
        let mut rest = v;
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head
        };
        let b = self.x.ncols();
        Net {
            x: DMatrix::from_column_slice(3, b, take(3 * b)),
            w1: DMatrix::from_column_slice(4, 3, take(12)),
            w2: DMatrix::from_column_slice(2, 4, take(8)),
            b1: DVector::from_column_slice(take(4)),
            b2: DVector::from_column_slice(take(2)),
        }
    }

    /// The hand-written forward and backward pass of
    /// `loss = sum(σ(W2 σ(W1 X + b1 1ᵀ) + b2 1ᵀ))` over the whole batch in one matmul each:
    /// H = σ(W1 X + b1), Y = σ(W2 H + b2), dY = Y⊙(1−Y), dW2 = dY Hᵀ, db2 = dY·1,
    /// dH = W2ᵀ dY ⊙ H⊙(1−H), dW1 = dH Xᵀ, db1 = dH·1, dX = W1ᵀ dH.
    fn reference(&self) -> NetRef {
        let add_bias = |mut m: DMatrix<f64>, b: &DVector<f64>| {
            for mut col in m.column_iter_mut() {
                col += b;
            }
            m
        };
        let h = add_bias(&self.w1 * &self.x, &self.b1).map(sigmoid);
        let y = add_bias(&self.w2 * &h, &self.b2).map(sigmoid);
        let dy = y.map(|s| s * (1.0 - s));
        let dh = (self.w2.transpose() * &dy).component_mul(&h.map(|s| s * (1.0 - s)));
        NetRef {
            loss: y.sum(),
            grad: Net {
                x: self.w1.transpose() * &dh,
                w1: &dh * self.x.transpose(),
                w2: &dy * h.transpose(),
                b1: dh.column_sum(),
                b2: dy.column_sum(),
            },
        }
    }
}

/// shapegrad's gradients for an entry, in [`Net::flat`] order.
fn flat_grads(g: &NetGrads) -> Vec<f64> {
    let x: Vec<f64> = g.x.iter().flat_map(|c| c.iter().copied()).collect();
    [
        &x[..],
        g.w1.as_slice(),
        g.w2.as_slice(),
        g.b1.as_slice(),
        g.b2.as_slice(),
    ]
    .concat()
}

/// A deterministic inputs2 entry with `width` columns, values in [-2, 2).
fn entry2(seed: u64, width: usize, batched: bool) -> Entry2 {
    let mut rng = Lcg(seed);
    let x = (0..width)
        .map(|_| Vector3::from_fn(|_, _| rng.next()))
        .collect();
    Entry2 {
        x,
        batched,
        w1: Matrix4x3::from_fn(|_, _| rng.next()),
        w2: Matrix2x4::from_fn(|_, _| rng.next()),
        b1: Vector4::from_fn(|_, _| rng.next()),
        b2: Vector2::from_fn(|_, _| rng.next()),
    }
}

/// Standard base64 with `=` padding (what json_tricks' compact form uses).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let group = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(group >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A float64 array in json_tricks' compact form (`ndarray_compact=True`): base64 of the
/// little-endian buffer, in C order, or in Fortran order with `"Corder": false`.
fn compact_ndarray(shape: &[usize], row_major: &[f64], c_order: bool) -> Json {
    let buffer: Vec<f64> = if c_order || shape.len() < 2 {
        row_major.to_vec()
    } else {
        let (rows, cols) = (shape[0], shape[1]);
        assert_eq!(shape.len(), 2, "Fortran order only for 2-D here");
        (0..cols)
            .flat_map(|c| (0..rows).map(move |r| row_major[r * cols + c]))
            .collect()
    };
    let bytes: Vec<u8> = buffer.iter().flat_map(|x| x.to_le_bytes()).collect();
    let mut pairs = vec![
        (
            "__ndarray__".to_owned(),
            Json::Str(format!("b64:{}", base64(&bytes))),
        ),
        ("dtype".to_owned(), Json::from("float64")),
        (
            "shape".to_owned(),
            Json::Array(shape.iter().map(|&d| Json::Int(d as i64)).collect()),
        ),
    ];
    if shape.len() >= 2 {
        pairs.push(("Corder".to_owned(), Json::Bool(c_order)));
    }
    pairs.push(("endian".to_owned(), Json::from("little")));
    Json::Object(pairs)
}

/// `text` (a list of entry objects) with `key` of entry `entry` replaced by `value`
/// (appended if absent), or removed when `value` is `None`.
fn edit(text: &str, entry: usize, key: &str, value: Option<Json>) -> String {
    let mut doc = json::parse(text).expect("valid JSON to edit");
    let Json::Array(items) = &mut doc else {
        panic!("not a list")
    };
    let Json::Object(pairs) = &mut items[entry] else {
        panic!("entry {entry} is not an object")
    };
    match value {
        None => pairs.retain(|(k, _)| k != key),
        Some(v) => match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = v,
            None => pairs.push((key.to_owned(), v)),
        },
    }
    json::to_string(&doc)
}

/// A float64 ndarray of `shape` filled with 0.5 (for shape errors, values don't matter).
fn halves(shape: &[usize]) -> Json {
    ndarray_json(shape, vec![0.5; shape.iter().product()])
}

/// Reads both sample files with the example's own readers.
fn sample_entries() -> (Vec<Entry1>, Vec<Entry2>) {
    (
        answer::parse_inputs1("inputs1.json", INPUTS1).expect("shipped inputs1 parses"),
        answer::parse_inputs2("inputs2.json", INPUTS2).expect("shipped inputs2 parses"),
    )
}

// ---------------------------------------------------------------------------
// 1. The notebook's printed values
// ---------------------------------------------------------------------------

#[test]
fn demo_cells_at_x1_y2_give_the_notebooks_printed_gradients() {
    let e = Entry1 {
        x: [1.0, 2.0],
        w: [0.0; 4],
    };
    let a = answer::compute(&[e], &[]);
    // TEST 1 prints `Node(data=[1.], grad=[1.])` after `x.backward()`.
    assert_eq!(column(&a, "init"), [1.0]);
    // TEST 2 prints `Node(data=[1.], grad=[4.]) Node(data=[2.], grad=[2.])`.
    assert_eq!(column(&a, "sum"), [4.0]);
    // By hand: the loop's x − y + x + x − y − y = 3x − 3y, so ∂/∂x = 3. (The demo line above
    // it, x − y + x + x − x − y, prints grad [2.]; the loop defines the answer.)
    assert_eq!(column(&a, "diff"), [3.0]);
    // By hand: ∂/∂x (x+y)(x−y)(2x+y) = 2x(2x+y) + 2(x²−y²) = 6x² + 2xy − 2y² = 6 + 4 − 8 = 2.
    // (TEST 4's demo (x+y)(x−y) also prints grad [2.] here, since 2x = 2 at x = 1.)
    assert_eq!(column(&a, "mul"), [2.0]);
    // By hand: ∂/∂x x/(0.5 + y) = 1/(0.5 + y) = 1/2.5 (TEST 5's demo prints a stale z).
    assert_eq!(column(&a, "div"), [1.0 / 2.5]);
    // TEST 6 prints `Node(data=[1.], grad=[-1.])`.
    assert_eq!(column(&a, "neg"), [-1.0]);
    // TEST 7's trace prints `TensorExp: exp(1.0) = 2.718281828459045` (the repr of
    // `std::f64::consts::E`, spelled as the constant to satisfy clippy); ∂/∂x eˣ = eˣ.
    assert_eq!(format!("{:?}", std::f64::consts::E), "2.718281828459045");
    assert!(close(column(&a, "exp")[0], std::f64::consts::E, 2e-16));
}

#[test]
fn exp_cell_matches_the_notebooks_trace_at_x3() {
    // TEST 7's trace: `TensorExp: exp(3.0) = 20.085536923187668` (and its demo
    // `(x + y).exp()` at 1 + 2 prints grad [20.08553692]).
    let e = Entry1 {
        x: [3.0, 0.0],
        w: [0.0; 4],
    };
    let a = answer::compute(&[e], &[]);
    assert!(close(column(&a, "exp")[0], 20.085536923187668, 2e-16));
}

/// The notebook's first inputs1 entry, recovered from its TEST 8 trace (`TensorSum: -1.0 +
/// -7.0`, `TensorSum: 4.0 + -6.0`, `... * 0.0` for z4·c2 and `... * 5.0` for z6·c1).
fn notebook_entry() -> Entry1 {
    Entry1 {
        x: [-1.0, 4.0],
        w: [-7.0, -6.0, 5.0, 0.0],
    }
}

#[test]
fn first_entry_scalar_cells_match_the_notebooks_traces() {
    let a = answer::compute(&[notebook_entry()], &[]);
    assert_eq!(column(&a, "init"), [1.0]); // TEST 1: `Node(data=-1.0, grad=1.0)`
    assert_eq!(column(&a, "sum"), [4.0]); // by hand: 4x + 2y
    assert_eq!(column(&a, "diff"), [3.0]); // by hand: 3x − 3y
    // By hand: 6x² + 2xy − 2y² = 6 − 8 − 32 = −34 at (−1, 4).
    assert_eq!(column(&a, "mul"), [-34.0]);
    // TEST 5 trace: `TensorSum: 0.5 + 4.0 = 4.5`, `TensorDiv: -1.0 / 4.5 = -0.2222222222222222`;
    // ∂/∂x x/4.5 = 1/4.5.
    assert_eq!(column(&a, "div"), [0.2222222222222222]);
    assert_eq!(column(&a, "neg"), [-1.0]); // TEST 6 trace: `TensorNeg: --1.0 = 1.0`, ∂ = −1
    // TEST 7 trace: `TensorExp: exp(-1.0) = 0.36787944117144233`.
    assert!(close(column(&a, "exp")[0], 0.36787944117144233, 2e-16));
}

#[test]
fn first_entry_graph_gradients_match_the_notebooks_trace() {
    let g = answer::graph_grads(&notebook_entry());
    // TEST 8 trace: `TensorDiv: 1.0 / 2981.9579870417283 = 0.0003353501304664781` (σ(z0)),
    // `TensorDiv: 1.0 / 8.38905609893065 = 0.11920292202211755` (σ(z1)) and
    // `TensorDiv: 0.23897084345653918 / 2.0142261700271717 = 0.11864151454914097` (tanh σ(z1)).
    let s0 = 0.0003353501304664781;
    let t = 0.11864151454914097;
    let z0 = -8.0; // `TensorSum: -1.0 + -7.0 = -8.0`
    let c1 = 5.0;
    // c2 = 0 (`TensorMul: 0.11864151454914097 * 0.0 = 0.0`): every path from x2 and b2 goes
    // through z5 = z4·c2, so their gradients are exactly 0.
    assert_eq!(g[1], 0.0, "x2.grad");
    assert_eq!(g[3], 0.0, "b2.grad");
    // ∂y/∂c1 = z0·σ(z0): the trace's `TensorMul: -8.0 * 0.0003353501304664781 =
    // -0.002682801043731825`.
    assert!(
        close(g[4], -0.002682801043731825, 1e-14),
        "c1.grad {}",
        g[4]
    );
    // ∂y/∂c2 = σ(z0)·tanh(σ(z1)), both from the trace.
    assert!(close(g[5], s0 * t, 1e-14), "c2.grad {}", g[5]);
    // By hand with c2 = 0: ∂y/∂x1 = ∂y/∂b1 = c1·(σ + z0·σ(1−σ)).
    let d0 = c1 * (s0 + z0 * s0 * (1.0 - s0));
    assert!(close(g[0], d0, 1e-14), "x1.grad {} vs {d0}", g[0]);
    assert_eq!(
        g[2], g[0],
        "b1.grad = x1.grad (both enter through z0 = x1 + b1)"
    );
    // And all six against central differences of the plain-f64 graph.
    let at = [-1.0, 4.0, -7.0, -6.0, 5.0, 0.0];
    assert_all_close("graph FD", &g, &central_diff(graph_f64, &at, 1e-5), 1e-7);
}

#[test]
fn graph_gradients_match_hand_derivation_and_central_differences_on_every_sample() {
    let (entries, _) = sample_entries();
    assert_eq!(entries.len(), 40);
    // Plus non-integer points and saturated sigmoids.
    let extra = [
        [0.3, -1.7, 0.25, 2.5, -3.5, 1.125],
        [9.5, 9.5, 10.0, 10.0, -10.0, 10.0],
        [-10.0, -10.0, -10.0, -10.0, 10.0, -10.0],
    ];
    let points = entries
        .iter()
        .map(|e| [e.x[0], e.x[1], e.w[0], e.w[1], e.w[2], e.w[3]])
        .chain(extra);
    for (k, v) in points.enumerate() {
        let e = Entry1 {
            x: [v[0], v[1]],
            w: [v[2], v[3], v[4], v[5]],
        };
        let g = answer::graph_grads(&e);
        // The hand formula differs from shapegrad (stable σ, sech² form of tanh') only by
        // rounding; differences are bounded by |f| ≤ ~200 here.
        assert_all_close(
            &format!("graph hand, point {k}"),
            &g,
            &graph_hand_grad(&v),
            1e-12,
        );
        // Central differences, h = 1e-5: truncation ~h²·|f'''| ≲ 1e-9, rounding ~ε|f|/h ≲ 5e-9.
        let fd = central_diff(graph_f64, &v, 1e-5);
        assert_all_close(&format!("graph FD, point {k}"), &g, &fd, 1e-7);
    }
}

// ---------------------------------------------------------------------------
// 2. The two-layer net over batch widths
// ---------------------------------------------------------------------------

/// shapegrad runs a batch as chunks of 8 columns then single columns on one tape, so its
/// parameter gradients are sums of partial sums in a different order from the reference's
/// single matmul over all columns; the two agree to a few ulps, far below 1e-13.
const NET_TOL: f64 = 1e-13;

#[test]
fn two_layer_net_matches_the_hand_written_gradient_for_every_width() {
    // 1, 2, 7: single columns only; 8: one chunk exactly; 9, 11, 15: a chunk plus singles;
    // 16, 24: chunks only; 17, 33: several chunks plus a single.
    for (seed, width) in [1, 2, 7, 8, 9, 11, 15, 16, 17, 24, 33]
        .into_iter()
        .enumerate()
    {
        let e = entry2(seed as u64 + 100, width, true);
        let g = answer::two_layer_net(&e);
        assert_eq!(g.x.len(), width, "one x gradient column per input column");
        let r = Net::from_entry(&e).reference();
        assert_all_close(
            &format!("net, width {width}"),
            &flat_grads(&g),
            &r.grad.flat(),
            NET_TOL,
        );
    }
}

#[test]
fn unbatched_entry_matches_the_reference_and_the_width_1_batch() {
    let unbatched = entry2(7, 1, false);
    let batched = Entry2 {
        batched: true,
        ..unbatched.clone()
    };
    let g = answer::two_layer_net(&unbatched);
    let r = Net::from_entry(&unbatched).reference();
    assert_all_close("unbatched net", &flat_grads(&g), &r.grad.flat(), NET_TOL);
    assert_eq!(
        g,
        answer::two_layer_net(&batched),
        "the flag only changes the encoding"
    );
}

#[test]
fn two_layer_net_matches_central_differences() {
    // Width 11 runs one 8-column chunk and three single columns; width 1 the single path.
    for width in [1, 11] {
        let e = entry2(42 + width as u64, width, true);
        let net = Net::from_entry(&e);
        let loss = |v: &[f64]| net.with_values(v).reference().loss;
        assert!(close(loss(&net.flat()), net.reference().loss, 0.0));
        // h = 1e-6: truncation ~h² ≈ 1e-12; rounding ~ε·|loss|/h ≲ 5e-9 (loss ≤ 2·width).
        let fd = central_diff(loss, &net.flat(), 1e-6);
        let g = answer::two_layer_net(&e);
        assert_all_close(
            &format!("net FD, width {width}"),
            &flat_grads(&g),
            &fd,
            1e-7,
        );
    }
}

// ---------------------------------------------------------------------------
// 3. Round trip through files
// ---------------------------------------------------------------------------

/// A json_tricks float64 ndarray object: checks the encoding (keys and their order,
/// dtype, `"Corder": true` exactly for 2-D) and returns (shape, row-major data).
fn check_tricks_array(what: &str, v: &Json) -> (Vec<usize>, Vec<f64>) {
    let Json::Object(pairs) = v else {
        panic!("{what}: not an object: {v:?}")
    };
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let array = json::to_ndarray(v).unwrap_or_else(|e| panic!("{what}: {e}"));
    let expected_keys: &[&str] = if array.shape.len() >= 2 {
        &["__ndarray__", "dtype", "shape", "Corder"]
    } else {
        &["__ndarray__", "dtype", "shape"]
    };
    assert_eq!(keys, expected_keys, "{what}: keys");
    assert_eq!(v.get("dtype"), Some(&Json::from("float64")), "{what}");
    if array.shape.len() >= 2 {
        assert_eq!(v.get("Corder"), Some(&Json::Bool(true)), "{what}");
    }
    // Nested lists, never the compact string form.
    assert!(
        matches!(v.get("__ndarray__"), Some(Json::Array(_) | Json::Floats(_))),
        "{what}"
    );
    (array.shape, array.data)
}

/// Checks a full answer written for the shipped samples against independent computations,
/// reading the inputs with only the (separately tested) JSON layer.
fn check_sample_answer(a: &Json) {
    let Json::Object(pairs) = a else {
        panic!("answer is not an object")
    };
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "init",
            "sum",
            "diff",
            "mul",
            "div",
            "neg",
            "exp",
            "graph",
            "two_layer_net"
        ]
    );
    assert_eq!(keys, KEYS);

    // inputs1: plain JSON integers.
    let in1 = json::parse(INPUTS1).unwrap();
    let in1 = in1.as_array().unwrap();
    assert_eq!(in1.len(), 40);
    for key in &KEYS[..8] {
        assert_eq!(list(a, key).len(), 40, "{key}");
    }
    let xs: Vec<[f64; 2]> = in1
        .iter()
        .map(|e| {
            let x = e.get("x").and_then(Json::as_array).unwrap();
            [num(&x[0]), num(&x[1])]
        })
        .collect();
    // Small integers: all of these are exact in f64.
    type Cell = fn(f64, f64) -> f64;
    let by_hand: [(&str, Cell); 6] = [
        ("init", |_, _| 1.0),
        ("sum", |_, _| 4.0),                                     // 4x + 2y
        ("diff", |_, _| 3.0),                                    // 3x − 3y
        ("mul", |x, y| 6.0 * x * x + 2.0 * x * y - 2.0 * y * y), // see demo test
        ("div", |_, y| 1.0 / (0.5 + y)),                         // x / (0.5 + y)
        ("neg", |_, _| -1.0),
    ];
    for (key, f) in by_hand {
        let want: Vec<f64> = xs.iter().map(|&[x, y]| f(x, y)).collect();
        assert_eq!(column(a, key), want, "{key}");
    }
    let want: Vec<f64> = xs.iter().map(|&[x, _]| x.exp()).collect();
    assert_all_close("exp", &column(a, "exp"), &want, 2e-16);
    // The notebook's trace values for the first entry (TEST 5, TEST 7).
    assert_eq!(column(a, "div")[0], 0.2222222222222222);
    assert!(close(column(a, "exp")[0], 0.36787944117144233, 2e-16));

    for (k, (entry, g)) in in1.iter().zip(list(a, "graph")).enumerate() {
        let x = entry.get("x").and_then(Json::as_array).unwrap();
        let w = entry.get("w").and_then(Json::as_array).unwrap();
        let v: Vec<f64> = x.iter().chain(w).map(num).collect();
        let g: Vec<f64> = g.as_array().unwrap().iter().map(num).collect();
        assert_eq!(g.len(), 6, "graph[{k}]: [x1, x2, b1, b2, c1, c2] grads");
        assert_all_close(&format!("graph[{k}] hand"), &g, &graph_hand_grad(&v), 1e-12);
        let fd = central_diff(graph_f64, &v, 1e-5);
        assert_all_close(&format!("graph[{k}] FD"), &g, &fd, 1e-7);
    }

    // inputs2: json_tricks ndarrays.
    let in2 = json::parse(INPUTS2).unwrap();
    let in2 = in2.as_array().unwrap();
    let out2 = list(a, "two_layer_net");
    assert_eq!(in2.len(), 9);
    assert_eq!(out2.len(), 9);
    for (k, (entry, grads)) in in2.iter().zip(out2).enumerate() {
        let grads = grads.as_array().unwrap();
        assert_eq!(
            grads.len(),
            5,
            "two_layer_net[{k}]: [x, W1, W2, b1, b2] grads"
        );
        let input = |key: &str| json::to_ndarray(entry.get(key).unwrap()).unwrap();
        let (x, w1, w2, b1, b2) = (
            input("x"),
            input("W1"),
            input("W2"),
            input("b1"),
            input("b2"),
        );
        let cols = if x.shape.len() == 2 { x.shape[1] } else { 1 };
        let net = Net {
            x: DMatrix::from_row_slice(3, cols, &x.data),
            w1: DMatrix::from_row_slice(4, 3, &w1.data),
            w2: DMatrix::from_row_slice(2, 4, &w2.data),
            b1: DVector::from_column_slice(&b1.data),
            b2: DVector::from_column_slice(&b2.data),
        };
        let r = net.reference().grad;
        let want: [(&str, &[usize], DMatrix<f64>); 5] = [
            ("x", &x.shape, r.x),
            ("W1", &w1.shape, r.w1),
            ("W2", &w2.shape, r.w2),
            (
                "b1",
                &b1.shape,
                DMatrix::from_column_slice(4, 1, r.b1.as_slice()),
            ),
            (
                "b2",
                &b2.shape,
                DMatrix::from_column_slice(2, 1, r.b2.as_slice()),
            ),
        ];
        for ((key, shape, m), got) in want.into_iter().zip(grads) {
            let what = format!("two_layer_net[{k}] {key}");
            let (got_shape, got_data) = check_tricks_array(&what, got);
            assert_eq!(got_shape, shape, "{what}: shape follows the input's");
            // Row-major data of the reference matrix.
            let want_data: Vec<f64> = m.transpose().as_slice().to_vec();
            assert_all_close(&what, &got_data, &want_data, NET_TOL);
        }
        // Shapes per the sample layout: 6 unbatched entries, then B = 1, 2, 7.
        let expected_x: Vec<usize> = match k {
            0..=5 => vec![3],
            6 => vec![3, 1],
            7 => vec![3, 2],
            _ => vec![3, 7],
        };
        assert_eq!(x.shape, expected_x, "entry {k}");
        let (b1_shape, b2_shape): (&[usize], &[usize]) = if k <= 5 {
            (&[4], &[2])
        } else {
            (&[4, 1], &[2, 1])
        };
        assert_eq!((&b1.shape[..], &b2.shape[..]), (b1_shape, b2_shape));
    }
}

#[test]
fn run_on_the_shipped_samples_writes_the_notebooks_answer() {
    let dir = TempDir::new("round-trip");
    let out = dir.join("answer.json");
    // A longer stale answer in place: it must be replaced whole, not overwritten in place.
    fs::write(&out, "x".repeat(200_000)).unwrap();
    let (summary, non_finite) = run(
        &data_dir().join("inputs1.json"),
        &data_dir().join("inputs2.json"),
        &out,
    )
    .expect("the samples run");
    assert!(non_finite.is_empty(), "{non_finite:?}");
    assert_eq!(dir.listing(), ["answer.json"], "no temporary file left");

    let text = fs::read_to_string(&out).unwrap();
    // json_tricks.dump: one line, no trailing newline, canonical separators.
    assert!(!text.contains('\n'));
    let a = json::parse(&text).expect("the answer is valid JSON");
    assert_eq!(
        json::to_string(&a),
        text,
        "written in json_tricks' own formatting"
    );
    check_sample_answer(&a);

    // The summary: one line per key with the count and the first value.
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 9);
    for (line, key) in lines.iter().zip(KEYS) {
        let count = if key == "two_layer_net" { 9 } else { 40 };
        assert!(
            line.starts_with(&format!("{key:>13}: {count:>3} entries, first ")),
            "{line}"
        );
    }
    assert_eq!(lines[0], "         init:  40 entries, first 1.0");
    // TEST 5's trace value and TEST 7's, for the notebook's first entry.
    assert_eq!(
        lines[4],
        "          div:  40 entries, first 0.2222222222222222"
    );
    assert_eq!(
        lines[6],
        "          exp:  40 entries, first 0.36787944117144233"
    );
    // A long first entry is cut at 100 characters.
    let net_first = lines[8].split_once("first ").unwrap().1;
    assert_eq!(net_first.chars().count(), 101);
    assert!(net_first.ends_with('…'));
    assert!(json::to_string(&list(&a, "two_layer_net")[0]).starts_with(&net_first[..100]));
}

#[test]
fn compute_on_the_shipped_samples_matches_independent_references() {
    let (e1, e2) = sample_entries();
    check_sample_answer(&answer::compute(&e1, &e2));
}

// ---------------------------------------------------------------------------
// 4. Bad input
// ---------------------------------------------------------------------------

/// What a failed run must leave behind as its output file.
const PREVIOUS: &str = "{\"previous\": \"answer\"}";

/// `std::io::Error`'s text for a missing file ("No such file or directory (os error 2)" on
/// Linux).
fn not_found() -> String {
    std::io::Error::from_raw_os_error(2).to_string()
}

/// Runs with the given input texts (`None`: the file does not exist) and checks the run
/// fails with exactly `expected(inputs1 name, inputs2 name)`, on one line, both when the
/// output file is absent (it stays absent) and when it exists (it is left byte for byte),
/// with no other file appearing. Returns the message.
fn assert_rejected(
    case: &str,
    inputs1: Option<&str>,
    inputs2: Option<&str>,
    expected: impl Fn(&str, &str) -> String,
) -> String {
    let dir = TempDir::new(case);
    let (p1, p2, out) = (
        dir.join("inputs1.json"),
        dir.join("inputs2.json"),
        dir.join("answer.json"),
    );
    for (path, text) in [(&p1, inputs1), (&p2, inputs2)] {
        if let Some(text) = text {
            fs::write(path, text).unwrap();
        }
    }
    let want = expected(&p1.display().to_string(), &p2.display().to_string());

    let before = dir.listing();
    let err = run(&p1, &p2, &out).expect_err(case);
    assert_eq!(err, want, "{case}");
    assert!(!err.contains('\n'), "{case}: one line");
    assert!(!out.exists(), "{case}: no output file created");
    assert_eq!(dir.listing(), before, "{case}: no file left behind");
    assert_eq!(failure_line(&err, &out), format!("error: {want}"), "{case}");

    fs::write(&out, PREVIOUS).unwrap();
    let before = dir.listing();
    let again = run(&p1, &p2, &out).expect_err(case);
    assert_eq!(again, want, "{case}");
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        PREVIOUS,
        "{case}: the existing output is untouched"
    );
    assert_eq!(dir.listing(), before, "{case}: no file left behind");
    assert_eq!(
        failure_line(&again, &out),
        format!(
            "error: {want} ({} from an earlier run was left untouched)",
            out.display()
        ),
        "{case}: the error line says so"
    );
    err
}

#[test]
fn missing_input_files() {
    assert_rejected("missing-1", None, Some(INPUTS2), |f1, _| {
        format!("cannot read {f1}: {}", not_found())
    });
    assert_rejected("missing-2", Some(INPUTS1), None, |_, f2| {
        format!("cannot read {f2}: {}", not_found())
    });
    // inputs1 is read (and checked) first.
    assert_rejected("missing-both", None, None, |f1, _| {
        format!("cannot read {f1}: {}", not_found())
    });
    #[cfg(target_os = "linux")]
    assert_eq!(not_found(), "No such file or directory (os error 2)");
}

#[test]
fn not_json() {
    assert_rejected("not-json-1", Some("hello"), Some(INPUTS2), |f1, _| {
        format!("{f1}: not valid JSON: expected a JSON value, found 'h' at line 1, column 1")
    });
    // Python's repr of a dict is not JSON.
    assert_rejected(
        "not-json-2",
        Some(INPUTS1),
        Some("[{'x': [1, 2]}]"),
        |_, f2| {
            format!(
                "{f2}: not valid JSON: expected '\"' starting an object key, found '\\'' \
                 at line 1, column 3"
            )
        },
    );
    assert_rejected("empty-1", Some(""), Some(INPUTS2), |f1, _| {
        format!("{f1}: not valid JSON: empty input: no JSON value found")
    });
}

#[test]
fn truncated_json() {
    // Cut the shipped files in half: inputs1 right after an entry's `{`, inputs2 after
    // a `"dtype": `.
    let half1 = &INPUTS1[..INPUTS1.len() / 2];
    let half2 = &INPUTS2[..INPUTS2.len() / 2];
    assert!(half1.ends_with(", {") && half2.ends_with("\"dtype\": "));
    assert_rejected("truncated-1", Some(half1), Some(INPUTS2), |f1, _| {
        format!(
            "{f1}: not valid JSON: unexpected end of input (truncated file?) at line 1, column {}",
            half1.len() + 1
        )
    });
    assert_rejected("truncated-2", Some(INPUTS1), Some(half2), |_, f2| {
        format!(
            "{f2}: not valid JSON: unexpected end of input (truncated file?) at line 1, column {}",
            half2.len() + 1
        )
    });
}

#[test]
fn wrong_top_level_type() {
    assert_rejected(
        "top-object-1",
        Some(r#"{"x": [1, 2], "w": [1, 2, 3, 4]}"#),
        Some(INPUTS2),
        |f1, _| format!("{f1}: expected a list of entries at the top level, found an object"),
    );
    assert_rejected("top-number-2", Some(INPUTS1), Some("3"), |_, f2| {
        format!("{f2}: expected a list of entries at the top level, found a number")
    });
}

#[test]
fn entry_that_is_not_an_object() {
    assert_rejected(
        "entry-list-1",
        Some(r#"[{"x": [1, 2], "w": [1, 2, 3, 4]}, [1, 2]]"#),
        Some(INPUTS2),
        |f1, _| format!("{f1}: entry 1: expected an object, found a list"),
    );
    assert_rejected("entry-null-2", Some(INPUTS1), Some("[null]"), |_, f2| {
        format!("{f2}: entry 0: expected an object, found null")
    });
}

#[test]
fn missing_key() {
    let no_w = edit(INPUTS1, 2, "w", None);
    assert_rejected("missing-w", Some(&no_w), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 2: missing key \"w\"")
    });
    let no_w1 = edit(INPUTS2, 1, "W1", None);
    assert_rejected("missing-W1", Some(INPUTS1), Some(&no_w1), |_, f2| {
        format!("{f2}: entry 1: missing key \"W1\"")
    });
    // Keys are case-sensitive: "w1" is not "W1".
    let lower = edit(INPUTS2, 1, "w1", Some(halves(&[4, 3])));
    let lower = edit(&lower, 1, "W1", None);
    assert_rejected("lowercase-w1", Some(INPUTS1), Some(&lower), |_, f2| {
        format!("{f2}: entry 1: missing key \"W1\"")
    });
}

#[test]
fn wrong_length_in_inputs1() {
    let long_x = edit(
        INPUTS1,
        0,
        "x",
        Some(Json::from(vec![1.into(), 2.into(), 3.into()])),
    );
    assert_rejected("x-3-numbers", Some(&long_x), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 0, key \"x\": expected 2 numbers (shape [2]), found shape [3]")
    });
    let short_w = edit(INPUTS1, 5, "w", Some(Json::from(vec![1.into(), 2.into()])));
    assert_rejected("w-2-numbers", Some(&short_w), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 5, key \"w\": expected 4 numbers (shape [4]), found shape [2]")
    });
    let scalar_x = edit(INPUTS1, 0, "x", Some(Json::from(1.5)));
    assert_rejected("x-scalar", Some(&scalar_x), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 0, key \"x\": expected 2 numbers (shape [2]), found shape []")
    });
}

#[test]
fn wrong_shape_in_inputs2() {
    // Entry 3 is unbatched (x (3,)), entry 7 batched (x (3, 2)).
    let cases: [(&str, usize, &str, &[usize], &str); 8] = [
        (
            "W1-3x4",
            3,
            "W1",
            &[3, 4],
            "expected shape [4, 3], found [3, 4]",
        ),
        (
            "W2-4x2",
            3,
            "W2",
            &[4, 2],
            "expected shape [2, 4], found [4, 2]",
        ),
        (
            "b1-col-unbatched",
            3,
            "b1",
            &[4, 1],
            "expected shape [4] (x has shape [3]), found [4, 1]",
        ),
        (
            "b1-flat-batched",
            7,
            "b1",
            &[4],
            "expected shape [4, 1] (x is batched), found [4]",
        ),
        (
            "b2-3",
            3,
            "b2",
            &[3],
            "expected shape [2] (x has shape [3]), found [3]",
        ),
        (
            "x-3x0",
            3,
            "x",
            &[3, 0],
            "expected shape [3] or [3, B] with B >= 1, found [3, 0]",
        ),
        (
            "x-2",
            3,
            "x",
            &[2],
            "expected shape [3] or [3, B] with B >= 1, found [2]",
        ),
        (
            "x-3d",
            7,
            "x",
            &[3, 2, 1],
            "expected shape [3] or [3, B] with B >= 1, found [3, 2, 1]",
        ),
    ];
    for (case, entry, key, shape, message) in cases {
        let text = edit(INPUTS2, entry, key, Some(halves(shape)));
        assert_rejected(case, Some(INPUTS1), Some(&text), |_, f2| {
            format!("{f2}: entry {entry}, key \"{key}\": {message}")
        });
    }
    // An ndarray whose data disagrees with its declared shape.
    let lying = Json::Object(vec![
        (
            "__ndarray__".into(),
            halves(&[3, 4]).get("__ndarray__").unwrap().clone(),
        ),
        ("dtype".into(), Json::from("float64")),
        ("shape".into(), Json::from(vec![4.into(), 3.into()])),
        ("Corder".into(), Json::Bool(true)),
    ]);
    let text = edit(INPUTS2, 0, "W1", Some(lying));
    assert_rejected("W1-lying-shape", Some(INPUTS1), Some(&text), |_, f2| {
        format!(
            "{f2}: entry 0, key \"W1\": __ndarray__ data has shape [3, 4] but \"shape\" says [4, 3]"
        )
    });
}

#[test]
fn non_number() {
    let text = edit(
        INPUTS1,
        0,
        "x",
        Some(Json::from(vec!["a".into(), 1.into()])),
    );
    assert_rejected("x-string", Some(&text), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 0, key \"x\": element [0] is a string, expected a number")
    });
    let text = edit(
        INPUTS1,
        4,
        "w",
        Some(Json::from(vec![1.into(), 2.into(), Json::Null, 4.into()])),
    );
    assert_rejected("w-null", Some(&text), Some(INPUTS2), |f1, _| {
        format!("{f1}: entry 4, key \"w\": element [2] is null, expected a number")
    });
}

#[test]
fn compressed_compact_array_is_refused_clearly() {
    let gz = Json::Object(vec![
        (
            "__ndarray__".into(),
            Json::from("b64.gz:H4sIAAAAAAAC/2NgAAIAAA=="),
        ),
        ("dtype".into(), Json::from("float64")),
        ("shape".into(), Json::from(vec![3.into()])),
        ("endian".into(), Json::from("little")),
    ]);
    let text = edit(INPUTS2, 0, "x", Some(gz));
    assert_rejected("b64-gz", Some(INPUTS1), Some(&text), |_, f2| {
        format!(
            "{f2}: entry 0, key \"x\": compressed ndarray (b64.gz) is not supported; \
             dump with ndarray_compact=False or without compression"
        )
    });
}

#[test]
fn base64_helper_matches_the_format_doc() {
    // The format doc: np.array([1.5, -2.0]) compact is "b64:AAAAAAAA+D8AAAAAAAAAwA==".
    let v = compact_ndarray(&[2], &[1.5, -2.0], true);
    assert_eq!(
        json::to_string(&v),
        r#"{"__ndarray__": "b64:AAAAAAAA+D8AAAAAAAAAwA==", "dtype": "float64", "shape": [2], "endian": "little"}"#
    );
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b"abc"), "YWJj");
}

#[test]
fn compact_b64_arrays_give_the_same_answer_as_nested_ones() {
    // Every array of inputs2 in compact form; W1 in Fortran order ("Corder": false) for odd
    // entries, C order otherwise. Base64 carries the exact bits, so the answer is identical.
    let doc = json::parse(INPUTS2).unwrap();
    let entries = doc
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, entry)| {
            let Json::Object(pairs) = entry else {
                panic!("entry {k}")
            };
            Json::Object(
                pairs
                    .iter()
                    .map(|(key, v)| {
                        let a = json::to_ndarray(v).unwrap();
                        let c_order = !(key == "W1" && k % 2 == 1);
                        (key.clone(), compact_ndarray(&a.shape, &a.data, c_order))
                    })
                    .collect(),
            )
        })
        .collect();
    let compact = json::to_string(&Json::Array(entries));
    assert!(compact.contains("\"b64:") && compact.contains("\"Corder\": false"));

    let dir = TempDir::new("b64");
    let (p1, p2) = (dir.join("inputs1.json"), dir.join("inputs2.json"));
    fs::write(&p1, INPUTS1).unwrap();
    fs::write(&p2, &compact).unwrap();
    let (nested_out, compact_out) = (dir.join("nested.json"), dir.join("compact.json"));
    run(&p1, &data_dir().join("inputs2.json"), &nested_out).unwrap();
    run(&p1, &p2, &compact_out).expect("compact arrays are accepted");
    assert_eq!(
        fs::read_to_string(&compact_out).unwrap(),
        fs::read_to_string(&nested_out).unwrap()
    );
}

#[test]
fn nan_and_infinity_literals_are_accepted_in_inputs() {
    let dir = TempDir::new("nan-inputs");
    let (p1, p2, out) = (
        dir.join("inputs1.json"),
        dir.join("inputs2.json"),
        dir.join("answer.json"),
    );
    fs::write(
        &p1,
        r#"[{"x": [NaN, 2], "w": [Infinity, -Infinity, 1, 0]}, {"x": [1, 2], "w": [0, 0, 1, 1]}]"#,
    )
    .unwrap();
    let in2 = edit(
        INPUTS2,
        0,
        "b2",
        Some(Json::from(vec![Json::Float(f64::NAN), 0.5.into()])),
    );
    fs::write(&p2, in2).unwrap();
    let (_, non_finite) = run(&p1, &p2, &out).expect("NaN/Infinity inputs are accepted");
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("NaN"));
    let a = json::parse(&text).unwrap();
    // Gradients not touching x stay finite: init 1, sum 4, diff 3, neg −1, and the div
    // cell's 1/(0.5 + 2) = 0.4 (x only appears in the numerator).
    for (key, want) in [
        ("init", 1.0),
        ("sum", 4.0),
        ("diff", 3.0),
        ("div", 0.4),
        ("neg", -1.0),
    ] {
        assert_eq!(column(&a, key)[0], want, "{key}");
    }
    assert!(column(&a, "exp")[0].is_nan());
    assert!(column(&a, "mul")[0].is_nan());
    // The second entry is unaffected.
    assert_eq!(column(&a, "mul")[1], 2.0);
    assert!(
        non_finite.contains(&"exp[0] = NaN".to_owned()),
        "{non_finite:?}"
    );
    // b2[0] = NaN poisons y0, hence dW2's row 0, db2[0] and (through W2ᵀ dY) every earlier
    // gradient of that entry; db2[1] = y1(1 − y1) stays finite.
    assert!(non_finite.contains(&"two_layer_net[0][4][0] = NaN".to_owned()));
    assert!(
        !non_finite
            .iter()
            .any(|l| l.starts_with("two_layer_net[0][4][1]"))
    );
    // Entry 1 of inputs2 is independent of entry 0's NaN.
    assert!(!non_finite.iter().any(|l| l.starts_with("two_layer_net[1]")));
}

#[test]
fn output_in_a_missing_directory_is_a_clear_error_and_leaves_nothing() {
    let dir = TempDir::new("out-missing-dir");
    let out = dir.join("no-such-dir").join("answer.json");
    let err = run(
        &data_dir().join("inputs1.json"),
        &data_dir().join("inputs2.json"),
        &out,
    )
    .unwrap_err();
    assert_eq!(
        err,
        format!("cannot write {}: {}", out.display(), not_found())
    );
    assert!(!dir.join("no-such-dir").exists());
    assert!(dir.listing().is_empty());
}

#[test]
fn output_path_that_is_a_directory_fails_and_cleans_up() {
    let dir = TempDir::new("out-is-dir");
    let out = dir.join("answer.json");
    fs::create_dir(&out).unwrap();
    let err = run(
        &data_dir().join("inputs1.json"),
        &data_dir().join("inputs2.json"),
        &out,
    )
    .unwrap_err();
    assert!(
        err.starts_with(&format!("cannot write {}: ", out.display())),
        "{err}"
    );
    assert!(!err.contains('\n'));
    assert_eq!(
        dir.listing(),
        ["answer.json"],
        "the temporary file is removed"
    );
    assert!(out.is_dir());
}

// ---------------------------------------------------------------------------
// 5. Non-finite results
// ---------------------------------------------------------------------------

#[test]
fn exp_overflow_is_written_as_infinity_and_reported() {
    let entries = [
        notebook_entry(),
        Entry1 {
            x: [800.0, 1.0],
            w: [0.0, 0.0, 1.0, 1.0],
        },
    ];
    let a = answer::compute(&entries, &[]);
    // e^800 overflows f64 (max ≈ e^709.78); nothing else does: the graph's σ(800) = 1.
    assert_eq!(answer::non_finite_report(&a), ["exp[1] = Infinity"]);

    let dir = TempDir::new("exp-overflow");
    let (p1, p2, out) = (
        dir.join("inputs1.json"),
        dir.join("inputs2.json"),
        dir.join("answer.json"),
    );
    fs::write(
        &p1,
        r#"[{"x": [-1, 4], "w": [-7, -6, 5, 0]}, {"x": [800, 1], "w": [0, 0, 1, 1]}]"#,
    )
    .unwrap();
    fs::write(&p2, "[]").unwrap();
    let (_, non_finite) = run(&p1, &p2, &out).unwrap();
    assert_eq!(non_finite, ["exp[1] = Infinity"]);
    let text = fs::read_to_string(&out).unwrap();
    // json_tricks' allow_nan=True form; the first value is TEST 7's `exp(-1.0)` trace.
    assert!(
        text.contains(r#""exp": [0.36787944117144233, Infinity]"#),
        "{text}"
    );
    let back = json::parse(&text).unwrap();
    assert_eq!(column(&back, "exp")[1], f64::INFINITY);
    assert_eq!(list(&back, "two_layer_net").len(), 0);
    let graph: Vec<f64> = list(&back, "graph")[1]
        .as_array()
        .unwrap()
        .iter()
        .map(num)
        .collect();
    assert!(graph.iter().all(|g| g.is_finite()), "{graph:?}");
}

// ---------------------------------------------------------------------------
// 6. Argument parsing
// ---------------------------------------------------------------------------

fn args(list: &[&str]) -> Result<Command, String> {
    parse_args(list.iter().map(|s| s.to_string()))
}

#[test]
fn no_arguments_read_the_shipped_samples_and_write_answer_json() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    assert_eq!(
        args(&[]),
        Ok(Command::Run {
            inputs1: data.join("inputs1.json"),
            inputs2: data.join("inputs2.json"),
            out: PathBuf::from("answer.json"),
        })
    );
    assert!(data.join("inputs1.json").is_file() && data.join("inputs2.json").is_file());
}

#[test]
fn each_flag_sets_its_path() {
    let data = data_dir();
    assert_eq!(
        args(&["--inputs1", "a.json"]),
        Ok(Command::Run {
            inputs1: "a.json".into(),
            inputs2: data.join("inputs2.json"),
            out: "answer.json".into(),
        })
    );
    assert_eq!(
        args(&["--inputs2", "b.json"]),
        Ok(Command::Run {
            inputs1: data.join("inputs1.json"),
            inputs2: "b.json".into(),
            out: "answer.json".into(),
        })
    );
    assert_eq!(
        args(&["--out", "/tmp/c.json"]),
        Ok(Command::Run {
            inputs1: data.join("inputs1.json"),
            inputs2: data.join("inputs2.json"),
            out: "/tmp/c.json".into(),
        })
    );
    // Any order; a repeated flag's last value wins.
    assert_eq!(
        args(&[
            "--out",
            "o",
            "--inputs2",
            "2",
            "--inputs1",
            "x",
            "--inputs1",
            "1"
        ]),
        Ok(Command::Run {
            inputs1: "1".into(),
            inputs2: "2".into(),
            out: "o".into(),
        })
    );
    assert_eq!(
        args(&["--write-samples", "dir"]),
        Ok(Command::WriteSamples("dir".into()))
    );
}

#[test]
fn help_flags() {
    assert_eq!(args(&["--help"]), Ok(Command::Help));
    assert_eq!(args(&["-h"]), Ok(Command::Help));
    assert_eq!(args(&["--out", "x", "--help"]), Ok(Command::Help));
    assert!(USAGE.starts_with("usage: notebook [--inputs1 PATH] [--inputs2 PATH] [--out PATH]"));
}

#[test]
fn unknown_argument_is_an_error_with_usage() {
    assert_eq!(
        args(&["--bogus"]),
        Err(format!("unknown argument \"--bogus\"\n{USAGE}"))
    );
    // A bare path is not accepted positionally.
    assert_eq!(
        args(&["--out", "o.json", "inputs1.json"]),
        Err(format!("unknown argument \"inputs1.json\"\n{USAGE}"))
    );
}

#[test]
fn flag_without_its_value_is_an_error() {
    for flag in ["--inputs1", "--inputs2", "--out", "--write-samples"] {
        assert_eq!(
            args(&["--out", "o.json", flag]),
            Err(format!("{flag} needs a path\n{USAGE}")),
            "{flag}"
        );
    }
}

// ---------------------------------------------------------------------------
// Large inputs
// ---------------------------------------------------------------------------

#[test]
fn a_large_batched_input_parses_packed_and_its_blocks_sum_to_the_columns_gradients() {
    // 10,003 columns: two full blocks of answer::BLOCK, a partial one, and a ragged tail of
    // single columns; the input text goes through the parser (packed lists) and the answer
    // through the writer and the parser again
    let n = 2 * answer::BLOCK + 1811;
    let (_, samples) = sample_entries();
    let e0 = &samples[0];
    let x: Vec<f64> = (0..3 * n)
        .map(|k| ((k as f64 * 0.618_033_988_749_895).fract() - 0.5) * 4.0)
        .collect();
    let array = |shape: &[usize], data: &[f64]| ndarray_json(shape, data);
    let entry = Json::Object(vec![
        ("x".to_owned(), array(&[3, n], &x)),
        (
            "W1".to_owned(),
            array(&[4, 3], e0.w1.transpose().as_slice()),
        ),
        (
            "W2".to_owned(),
            array(&[2, 4], e0.w2.transpose().as_slice()),
        ),
        ("b1".to_owned(), array(&[4, 1], e0.b1.as_slice())),
        ("b2".to_owned(), array(&[2, 1], e0.b2.as_slice())),
    ]);
    let text = json::to_string(&Json::Array(vec![entry]));
    let parsed = json::parse(&text).unwrap();
    let x_json = parsed.as_array().unwrap()[0].get("x").unwrap();
    assert!(
        matches!(x_json.get("__ndarray__"), Some(Json::Floats(_))),
        "a big list is packed"
    );
    let entries = answer::parse_inputs2("big.json", &text).unwrap();
    let e = &entries[0];
    assert_eq!(e.x.len(), n);
    let g = answer::two_layer_net(e);

    // each column alone (one recording, one column): the same column gradient, and the
    // parameters' gradients summed over the columns
    let mut sums = (
        Matrix4x3::zeros(),
        Matrix2x4::zeros(),
        Vector4::zeros(),
        Vector2::zeros(),
    );
    for (j, col) in e.x.iter().enumerate() {
        let one = Entry2 {
            x: vec![*col],
            ..e.clone()
        };
        let gj = answer::two_layer_net(&one);
        let scale = gj.x[0].amax().max(1e-300);
        assert!(
            (g.x[j] - gj.x[0]).amax() <= 4.0 * f64::EPSILON * scale,
            "column {j}"
        );
        sums = (
            sums.0 + gj.w1,
            sums.1 + gj.w2,
            sums.2 + gj.b1,
            sums.3 + gj.b2,
        );
    }
    // summation orders differ (blocks, then columns in one sum): agreement to rounding
    let close = |a: &[f64], b: &[f64], what: &str| {
        for (p, q) in a.iter().zip(b) {
            assert!(
                (p - q).abs() <= 1e-10 * q.abs().max(1.0),
                "{what}: {p} vs {q}"
            );
        }
    };
    close(g.w1.as_slice(), sums.0.as_slice(), "W1");
    close(g.w2.as_slice(), sums.1.as_slice(), "W2");
    close(g.b1.as_slice(), sums.2.as_slice(), "b1");
    close(g.b2.as_slice(), sums.3.as_slice(), "b2");

    // the written answer reads back to the same numbers
    let answer = answer::compute(&[], &entries);
    let back = json::parse(&json::to_string(&answer)).unwrap();
    let net = &back.get("two_layer_net").unwrap().as_array().unwrap()[0];
    let gx = json::to_ndarray(&net.as_array().unwrap()[0]).unwrap();
    assert_eq!(gx.shape, [3, n]);
    assert_eq!(gx.data[n - 1], g.x[n - 1][0], "row 0, last column");
}

#[test]
fn a_temporary_file_left_by_a_killed_run_is_removed_by_the_next_run() {
    // A run killed mid-write (SIGINT, SIGTERM) leaves `.answer.json.tmp<pid>`; the next run
    // removes those of processes that are gone, and keeps a live process's.
    let dir = TempDir::new("stale-temp");
    let out = dir.join("answer.json");
    let dead = dir.join(".answer.json.tmp999999999"); // past any pid_max
    let live = dir.join(".answer.json.tmp1"); // init, always running
    let other = dir.join(".other.json.tmp999999999"); // another output's: not ours
    for f in [&dead, &live, &other] {
        fs::write(f, "partial").unwrap();
    }
    run(
        &data_dir().join("inputs1.json"),
        &data_dir().join("inputs2.json"),
        &out,
    )
    .unwrap();
    assert!(out.exists());
    assert!(!dead.exists(), "the dead run's temporary file is removed");
    assert!(live.exists(), "a live process's is kept");
    assert!(other.exists(), "another output's is not touched");
    assert_eq!(
        dir.listing(),
        [
            ".answer.json.tmp1",
            ".other.json.tmp999999999",
            "answer.json"
        ]
    );
}

#[test]
fn an_input_the_process_cannot_hold_is_an_error_line_not_an_abort() {
    // the probe reservation fails for a size no allocator grants (past isize::MAX)
    let e = answer::room_for_input(1 << 60).unwrap_err();
    assert!(e.starts_with("cannot allocate the "), "{e}");
    assert!(answer::room_for_input(1 << 20).is_ok());
    // a file past the limit is refused before it is read: a sparse file of 2 GiB + 1 byte
    let dir = TempDir::new("too-big");
    let big = dir.join("inputs2.json");
    let f = fs::File::create(&big).unwrap();
    f.set_len(answer::MAX_INPUT + 1).unwrap();
    let out = dir.join("answer.json");
    let err = run(&data_dir().join("inputs1.json"), &big, &out).unwrap_err();
    assert_eq!(
        err,
        format!(
            "{}: {} bytes, more than the {} this example reads",
            big.display(),
            answer::MAX_INPUT + 1,
            answer::MAX_INPUT
        )
    );
    assert!(!out.exists());
}
