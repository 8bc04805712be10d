//! The benches' hand-written gradients (`benches/baseline.rs`, compiled in here unchanged)
//! against shapegrad's gradients of the same functions, recorded as `benches/gradients.rs`
//! records them (the nets with their weights as `Param`s kept on the tape, and also with every
//! weight recorded afresh as a variable). A baseline that computed something else (a missing
//! term, a transposed product, a skipped layer) would let the benches compare unlike work;
//! these tests keep them honest.
//!
//! Reference values are the hand-written baseline's outputs on the same deterministic inputs
//! (`Net::new()` and `Net::input()` are fixed `sin`/`cos` patterns; the graph and chain inputs
//! are listed in each test). Tolerances are derived next to each check, with the largest
//! difference measured when the test was written.

#[path = "../benches/baseline.rs"]
mod baseline;

use nalgebra::SVector;
use shapegrad::{Gradients, Scalar, Tape};

use baseline::{
    MinimalTape, Net, NetGrads, chain_by_hand, chain_on_tape, chain_var_c_by_hand,
    chain_var_c_minimal_tape, graph_by_hand, graph_on_tape,
};

// ---------------------------------------------------------------------------------------------
// the notebook's graph function (TEST 8)

/// The graph function recorded exactly as `benches/gradients.rs` records it (`graph_on_tape`,
/// with primitive `sigmoid` and `tanh`; reused tape and `Gradients`, zero-copy reads): `y` and
/// the gradients in `graph_by_hand`'s order `[x1, x2, b1, b2, c1, c2]`.
fn graph_shapegrad(
    tape: &mut Tape<f64>,
    grads: &mut Gradients<f64>,
    x: [f64; 2],
    w: [f64; 4],
) -> (f64, [f64; 6]) {
    tape.clear();
    let (y, leaves) = graph_on_tape(tape, x, w);
    y.backward_into(grads);
    // every leaf is on the path to y, so every slice is there
    let grad = leaves.map(|t| grads.slice(t).expect("leaf on the path")[0]);
    (y.item(), grad)
}

/// Graph inputs `(x, w)` with `w = [b1, b2, c1, c2]`. The first is the notebook's first
/// `inputs1` entry, recovered from its TEST 8 trace (see `GRAPH_ENTRY_0` in
/// `tests/notebook.rs`; also the benches' `GRAPH_X`, `GRAPH_W`). The others are chosen here:
/// both signs of `z0 = x1 + b1` and `z1 = x2 + b2`, `c2 ≠ 0` (entry 0 has `c2 = 0`, which
/// zeroes the whole `x2`/`b2` path), and `σ(z1) > ¾`, where shapegrad's `tanh` derivative
/// switches formula (`src/ops/activation.rs`). All keep `|z| ≤ 8`, away from the sigmoid's
/// tails where `graph_by_hand`'s `s·(1 − s)` loses accuracy and the two would differ by design.
const GRAPH_INPUTS: [([f64; 2], [f64; 4]); 5] = [
    ([-1.0, 4.0], [-7.0, -6.0, 5.0, 0.0]), // notebook: z0 = -8, z1 = -2
    ([4.0, -3.0], [-2.5, 3.0, 0.75, -1.25]), // z0 = 1.5, z1 = 0
    ([0.5, -0.25], [0.3, 0.1, -2.0, 1.5]), // z0 = 0.8, z1 = -0.15
    ([-4.0, -3.0], [6.0, 2.0, -0.5, 3.0]), // z0 = 2, z1 = -1
    ([1.0, -10.0], [-3.0, 12.5, 1.5, 2.0]), // z0 = -2, z1 = 2.5: σ(z1) = 0.92
];

/// `|got − want| ≤ 1e-12·|want|`, element-wise.
///
/// Both sides compute the same closed-form expression with a handful (≤ ~10) of f64 ops per
/// gradient and no long sums, so they agree to a few ε = 1.1e-16 in relative terms; they
/// differ only where shapegrad stores the activation derivatives in a cancellation-free form
/// (`σ(x)·(e⁻ˣ·σ(x))` for `x ≥ 0`, `4e/(1 + e)²` for `tanh` at `|x| ≥ ¾`) while the baseline
/// uses `s·(1 − s)` and `1 − t²`. Largest difference measured: 1.1e-15 (`∂x2` at the last
/// input). A missing or wrong term is off by O(1).
const GRAPH_REL: f64 = 1e-12;

#[test]
fn graph_by_hand_matches_shapegrad() {
    let mut tape = Tape::new();
    let mut grads = Gradients::new();
    for (x, w) in GRAPH_INPUTS {
        let mut want = [0.0; 6];
        let y_want = graph_by_hand(x, w, &mut want);
        let (y, got) = graph_shapegrad(&mut tape, &mut grads, x, w);
        // The value is the same IEEE ops in the same order: shapegrad's sigmoid value is
        // exactly `1 / (1 + e⁻ˣ)` and its tanh is the platform's, as the baseline's.
        assert_eq!(y, y_want, "y at x = {x:?}, w = {w:?}");
        for k in 0..6 {
            assert!(
                (got[k] - want[k]).abs() <= GRAPH_REL * want[k].abs(),
                "gradient {k} at x = {x:?}, w = {w:?}: shapegrad {}, by hand {}",
                got[k],
                want[k]
            );
        }
    }
}

#[test]
fn graph_at_the_notebook_entry() {
    // The notebook's first inputs1 entry (TEST 8 trace): c2 = 0, so ∂y/∂x2 = ∂y/∂b2 = 0
    // exactly, and ∂y/∂x1 = ∂y/∂b1 (z0 = x1 + b1); ∂y/∂c1 = z6, printed by the notebook as
    // `TensorMul: -8.0 * 0.0003353501304664781 = -0.002682801043731825`.
    let (x, w) = GRAPH_INPUTS[0];
    let mut want = [0.0; 6];
    let y_want = graph_by_hand(x, w, &mut want);
    let (y, got) = graph_shapegrad(&mut Tape::new(), &mut Gradients::new(), x, w);
    assert_eq!(y, y_want);
    assert_eq!((got[1], got[3]), (0.0, 0.0));
    assert_eq!((want[1], want[3]), (0.0, 0.0));
    assert_eq!(got[0], got[2]);
    assert_eq!(want[0], want[2]);
    assert_eq!(got[4], want[4]);
    // z6 = -8·σ(-8) involves `exp`, which numpy's and the platform's libm may round
    // differently: within 1 ulp, as in tests/notebook.rs (×8 is exact).
    let printed = -0.002682801043731825_f64;
    assert!(
        want[4].to_bits().abs_diff(printed.to_bits()) <= 1,
        "{}",
        want[4]
    );
}

// ---------------------------------------------------------------------------------------------
// the two-layer net Σ σ(W2 σ(W1 x + b1) + b2)

/// Block-relative tolerance for the nets in f64: `|got − want| ≤ 1e-12 · max|want|` over each
/// gradient block (∂x, ∂W1, ∂b1, ∂W2, ∂b2).
///
/// Each gradient entry is a dot product of length ≤ H = 128 (∂h = W2ᵀ∂z2, ∂x = W1ᵀ∂z1) or a
/// product of such, summed in different orders by shapegrad (nalgebra `gemm` on views, then a
/// separate `+ b`) and by the baseline (`gemv`/`ger` with `β = 1`). The error of a length-K
/// sum is bounded by K·ε·Σ|terms| (Higham), ≈ 1.4e-14·Σ|terms| for K = 128: an entry that is
/// small through cancellation keeps the absolute error of its terms, so the error is measured
/// against the block's scale, not the entry (element-wise relative differences reach 3.1e-13
/// in ∂b1 for (64, 128, 10)). Largest block-relative difference measured: 2.8e-15. A wrong
/// term (a transposed product, a missing σ') is off by O(1).
const NET_REL_F64: f64 = 1e-12;

/// As [`NET_REL_F64`] in f32, both sides computed in f32: the same bound with ε₃₂ = 6.0e-8 is
/// ≈ 7.6e-6·Σ|terms| for K = 128. Largest block-relative difference measured: 1.1e-6 (∂W1,
/// ∂b1 of (64, 128, 10); element-wise up to 8.3e-6), so 1e-5 keeps a margin of ~9.
const NET_REL_F32: f64 = 1e-5;

/// shapegrad's loss and gradients, as `Vec`s in nalgebra's column-major order.
#[derive(PartialEq)]
struct NetResult<T> {
    loss: T,
    x: Vec<T>,
    w1: Vec<T>,
    b1: Vec<T>,
    w2: Vec<T>,
    b2: Vec<T>,
}

/// Reads a gradient that must be there (every input is on the path to the loss).
fn read<T: Scalar>(s: Option<&[T]>) -> Vec<T> {
    s.expect("every input is on the path to the loss").to_vec()
}

/// `steps` iterations of `benches/gradients.rs`'s `net` bench, recorded as it records them:
/// the parameters are `Param`s made once (kept by `clear`), and every step clears the reused
/// tape, records the input and the forward pass, runs `backward_into` the reused gradients and
/// reads every gradient zero-copy. Returns every step's result.
fn net_bench_steps<T: Scalar, const N: usize, const H: usize, const O: usize>(
    net: &Net<T, N, H, O>,
    x0: &SVector<T, N>,
    steps: usize,
) -> Vec<NetResult<T>> {
    let mut tape = Tape::<T>::new();
    let p = net.params_on(&mut tape);
    let mut grads = Gradients::new();
    (0..steps)
        .map(|_| {
            tape.clear();
            let (loss, x) = p.loss_on(&tape, *x0);
            loss.backward_into(&mut grads);
            NetResult {
                loss: loss.item(),
                x: read(grads.slice(x)),
                w1: read(grads.param_slice(p.w1)),
                b1: read(grads.param_slice(p.b1)),
                w2: read(grads.param_slice(p.w2)),
                b2: read(grads.param_slice(p.b2)),
            }
        })
        .collect()
}

/// As [`net_bench_steps`] with every parameter recorded afresh each step as a plain variable
/// (`var_from_slice`, `var`), the way the bench recorded the net before `Param` existed.
fn net_var_steps<T: Scalar, const N: usize, const H: usize, const O: usize>(
    net: &Net<T, N, H, O>,
    x0: &SVector<T, N>,
    steps: usize,
) -> Vec<NetResult<T>> {
    let mut tape = Tape::<T>::new();
    let mut grads = Gradients::new();
    (0..steps)
        .map(|_| {
            tape.clear();
            let x = tape.var(*x0);
            let w1 = tape.var_from_slice::<H, N>(net.w1.as_slice());
            let b1 = tape.var(net.b1);
            let w2 = tape.var_from_slice::<O, H>(net.w2.as_slice());
            let b2 = tape.var(net.b2);
            let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
                .sigmoid()
                .sum();
            loss.backward_into(&mut grads);
            NetResult {
                loss: loss.item(),
                x: read(grads.slice(x)),
                w1: read(grads.slice(w1)),
                b1: read(grads.slice(b1)),
                w2: read(grads.slice(w2)),
                b2: read(grads.slice(b2)),
            }
        })
        .collect()
}

/// `|got − want| ≤ rel · max|want|` element-wise; see [`NET_REL_F64`].
#[track_caller]
fn assert_block_close<T: Scalar>(what: &str, got: &[T], want: &[T], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(T::zero(), |m, w| m.max(w.abs()));
    assert!(
        scale > T::zero(),
        "{what}: an all-zero reference checks nothing"
    );
    let tol = nalgebra::convert::<f64, T>(rel) * scale;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: shapegrad {g}, by hand {w} (block scale {scale}, tolerance {tol})"
        );
    }
}

fn check_net<T: Scalar, const N: usize, const H: usize, const O: usize>(rel: f64) {
    let net = Net::<T, N, H, O>::new();
    let x = Net::<T, N, H, O>::input();
    let mut want = NetGrads::<T, N, H, O>::new();
    let loss = net.grad_by_hand(&x, &mut want);
    // The bench's forward-only baseline computes the baseline's loss, bit for bit.
    assert_eq!(
        net.forward(&x),
        loss,
        "({N}, {H}, {O}): forward vs grad_by_hand"
    );

    let recordings = [
        ("Param", net_bench_steps(&net, &x, 2)),
        ("var", net_var_steps(&net, &x, 2)),
    ];
    for (how, steps) in recordings {
        let got = &steps[0];
        let what = |block: &str| {
            let t = std::any::type_name::<T>();
            format!("({N}, {H}, {O}) {t}, {how}: ∂{block}")
        };
        assert_block_close(&what("loss"), &[got.loss], &[loss], rel);
        assert_block_close(&what("x"), &got.x, want.x.as_slice(), rel);
        assert_block_close(&what("W1"), &got.w1, want.w1.as_slice(), rel);
        assert_block_close(&what("b1"), &got.b1, want.b1.as_slice(), rel);
        assert_block_close(&what("W2"), &got.w2, want.w2.as_slice(), rel);
        assert_block_close(&what("b2"), &got.b2, want.b2.as_slice(), rel);
        // The second iteration on the reused tape and gradients gives the same bits.
        assert!(
            steps[1] == steps[0],
            "{}: step 2 differs from step 1",
            what("")
        );
    }
}

#[test]
fn net_3_4_2_f64_by_hand_matches_shapegrad() {
    check_net::<f64, 3, 4, 2>(NET_REL_F64);
}

#[test]
fn net_16_32_8_f64_by_hand_matches_shapegrad() {
    check_net::<f64, 16, 32, 8>(NET_REL_F64);
}

#[test]
fn net_64_128_10_f64_by_hand_matches_shapegrad() {
    check_net::<f64, 64, 128, 10>(NET_REL_F64);
}

#[test]
fn net_64_128_10_f32_by_hand_matches_shapegrad() {
    check_net::<f32, 64, 128, 10>(NET_REL_F32);
}

// ---------------------------------------------------------------------------------------------
// the scalar chain z ← z·c + z·z·k

/// `|got − want| ≤ 1e-12·|want|` for the chain's `∂z_n/∂z_0`.
///
/// The baseline multiplies the factors `c + 2kz` (2 roundings each, then 1 for the product);
/// the tape sums `∂z·c`, `(∂z·k)·z` twice (4 roundings a step). Over 1000 steps the relative
/// errors add up to at most ~7000·ε ≈ 7.8e-13 (worst case, every rounding the same way);
/// measured: 1.7e-16. The value `z_n` is the same IEEE ops in the same order on both sides.
const CHAIN_REL: f64 = 1e-12;

#[test]
fn chain_by_hand_matches_shapegrad() {
    // c = 1.5, k = -0.5 as in the benches: z = 1 is an attracting fixed point, so values stay
    // near 1 and ∂z_n/∂z_0 ≈ Π(1.5 − z) ≈ 0.5ⁿ stays a normal f64 (≈ 2e-301 for z0 = 0.8).
    let (c, k, steps) = (1.5, -0.5, 1000);
    let mut tape = Tape::<f64>::with_capacity(4 * steps + 1, 6 * steps + 1);
    let mut grads = Gradients::new();
    let mut zs = Vec::new();
    for z0 in [0.8, 0.1, 1.9] {
        let (z_want, g_want) = chain_by_hand(z0, c, k, steps, &mut zs);
        tape.clear();
        let x = tape.var_scalar(z0);
        let mut z = x;
        for _ in 0..steps {
            z = z * c + z * z * k;
        }
        z.backward_into(&mut grads);
        let g = grads.slice(x).expect("x on the path")[0];
        assert_eq!(z.item(), z_want, "z_n from z0 = {z0}");
        assert!(g_want.is_normal(), "the reference must not underflow");
        assert!(
            (g - g_want).abs() <= CHAIN_REL * g_want.abs(),
            "∂z_n/∂z0 from z0 = {z0}: shapegrad {g:e}, by hand {g_want:e}"
        );
    }
}

#[test]
fn the_chain_with_c_a_variable_by_hand_and_on_the_minimal_tape_matches_shapegrad() {
    // issue 12's chain (z0 = 0.5, c = 1 − 1e-7, k = −1e-6: z stays near 0.5, far from
    // subnormals), as `benches/idioms.rs` times it: the hand-written adjoint and the minimal
    // scalar tape (a floor for scale) compute shapegrad's value and both gradients
    let params = (0.5, 1.0 - 1e-7, -1e-6);
    let steps = 1000;
    let tape = Tape::<f64>::new();
    let (x, c, z) = chain_on_tape::<true>(&tape, params, steps);
    let c = c.expect("c is a variable");
    let grads = z.backward();
    let want = (z.item(), grads.wrt(x)[0], grads.wrt(c)[0]);
    let mut zs = Vec::new();
    let by_hand = chain_var_c_by_hand(params.0, params.1, params.2, steps, &mut zs);
    let minimal = chain_var_c_minimal_tape(params, steps, &mut MinimalTape::default());
    for (what, got) in [("by hand", by_hand), ("minimal tape", minimal)] {
        assert_eq!(got.0, want.0, "{what}: z_n");
        for (g, w) in [(got.1, want.1), (got.2, want.2)] {
            assert!(
                (g - w).abs() <= CHAIN_REL * w.abs(),
                "{what}: gradient {g:e}, shapegrad {w:e}"
            );
        }
    }
}
