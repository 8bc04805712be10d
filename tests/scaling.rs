//! Structural scaling of the tape, with no wall-clock assertion: a scalar chain recorded with
//! N, 2N and 4N steps (N = 10,000) takes exactly linear nodes and scalars, hence exactly
//! linear bytes, and a cleared tape records the same computation again without growing.
//!
//! The chain is `benches/gradients.rs`'s `z ← z·c + z·z·k` (c = 1.5, k = -0.5). One step
//! records 4 nodes and 10 scalars (op table in `src/lib.rs`, aux regions in
//! `docs/design.md` section 3; a 1×1 op of the partials kind stores `[y, ∂y/∂a, ∂y/∂b]`):
//!
//! | op | node | scalars |
//! |---|---|---|
//! | `z * c` (plain scalar `c`) | 1 | 1 output + 1 aux holding `c` (= ∂y/∂z) |
//! | `z * z` | 1 | 1 + 2 partials (`z`, `z`) |
//! | `(z * z) * k` | 1 | 1 + 1 aux holding `k` |
//! | `+` | 1 | 1 + 2 partials (`1`, `1`) |
//!
//! plus the leaf `x` (1 node, 1 scalar) once.
//!
//! Bytes: 24 bytes per node (asserted in the `src/tape.rs` unit test `node_is_24_bytes`; the
//! node type is crate-private, so it cannot be asserted here) and `size_of::<T>()` per scalar,
//! so the tape's footprint is `len·24 + scalars·size_of::<T>()`: 4·24 + 10·8 = 176 bytes per
//! step in f64.

use nalgebra::Matrix2x3;
use shapegrad::{Gradients, Tape, Tensor};

/// Steps of the smallest recording; the test also records 2N and 4N.
const N: usize = 10_000;
/// Nodes one chain step records (see the table above).
const NODES_PER_STEP: usize = 4;
/// Scalars one chain step records (see the table above).
const SCALARS_PER_STEP: usize = 10;
/// Bytes per node: `size_of::<Node<T>>()`, asserted by `node_is_24_bytes` in `src/tape.rs`.
const NODE_BYTES: usize = 24;

/// Records `steps` chain steps on `tape` from `x = z0`; returns `(x, z)`.
fn chain<'t>(tape: &'t Tape<f64>, steps: usize) -> (Tensor<'t, 1, 1>, Tensor<'t, 1, 1>) {
    let x = tape.var_scalar(0.8);
    let mut z = x;
    for _ in 0..steps {
        z = z * 1.5 + z * z * -0.5;
    }
    (x, z)
}

/// The tape's byte footprint: nodes plus values (see the crate docs' "How it works").
fn footprint<T>(len: usize, scalars: usize) -> usize {
    len * NODE_BYTES + scalars * std::mem::size_of::<T>()
}

#[test]
fn chain_nodes_scalars_and_bytes_are_exactly_linear() {
    let counts = |steps: usize| {
        let tape = Tape::<f64>::new();
        let (x, z) = chain(&tape, steps);
        let (len, scalars) = (tape.len(), tape.scalars());
        // backward records nothing
        let grads = z.backward();
        assert!(grads.slice(x).expect("x on the path")[0].is_finite());
        assert_eq!((tape.len(), tape.scalars()), (len, scalars));
        (len, scalars)
    };
    let (len0, sc0) = counts(0);
    assert_eq!((len0, sc0), (1, 1)); // the leaf x
    let (len1, sc1) = counts(1);
    assert_eq!((len1 - len0, sc1 - sc0), (NODES_PER_STEP, SCALARS_PER_STEP));

    for steps in [N, 2 * N, 4 * N] {
        let (len, scalars) = counts(steps);
        assert_eq!(len, 1 + NODES_PER_STEP * steps, "nodes for {steps} steps");
        assert_eq!(
            scalars,
            1 + SCALARS_PER_STEP * steps,
            "scalars for {steps} steps"
        );
        assert_eq!(
            footprint::<f64>(len, scalars),
            footprint::<f64>(1, 1) + 176 * steps,
            "bytes for {steps} steps: 4·24 + 10·8 = 176 a step"
        );
    }
    // Doubling the steps exactly doubles what the steps add.
    let (len_n, sc_n) = counts(N);
    let (len_2n, sc_2n) = counts(2 * N);
    let (len_4n, sc_4n) = counts(4 * N);
    assert_eq!(len_2n - len0, 2 * (len_n - len0));
    assert_eq!(len_4n - len0, 4 * (len_n - len0));
    assert_eq!(sc_2n - sc0, 2 * (sc_n - sc0));
    assert_eq!(sc_4n - sc0, 4 * (sc_n - sc0));
    // 4N = 40,000 steps: 160,001 nodes and 400,001 scalars, 7,040,032 bytes.
    assert_eq!(footprint::<f64>(len_4n, sc_4n), 160_001 * 24 + 400_001 * 8);
}

#[test]
fn the_counts_are_the_whole_tape() {
    // A tape made with exactly the counted capacity records 4N steps without growing: the
    // per-step counts above are everything the tape stores.
    let steps = 4 * N;
    let (nodes, scalars) = (1 + NODES_PER_STEP * steps, 1 + SCALARS_PER_STEP * steps);
    let tape = Tape::<f64>::with_capacity(nodes, scalars);
    let capacity = tape.capacity();
    assert!(capacity.0 >= nodes && capacity.1 >= scalars);
    let _ = chain(&tape, steps);
    assert_eq!((tape.len(), tape.scalars()), (nodes, scalars));
    assert_eq!(tape.capacity(), capacity);
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_tensor_handle_is_24_bytes() {
    // The handles a recording hands out, the one size fact the public API exposes (also in
    // tests/traits.rs): tape reference (8) + value offset and needs-gradient bit (8) + a 1×1
    // tensor's value (8, an f32 padded).
    assert_eq!(std::mem::size_of::<Tensor<'_, 1, 1>>(), 24);
    assert_eq!(std::mem::size_of::<Tensor<'_, 128, 784, f32>>(), 24);
}

#[test]
fn clear_then_record_again_does_not_grow_capacity() {
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::new();
    for steps in [N, 2 * N, 4 * N] {
        // The first recording of this size may grow the tape; the same recording after
        // `clear` must not, nor may any smaller one.
        let _ = chain(&tape, steps);
        let grown = tape.capacity();
        for again in [steps, steps / 2, 1, steps] {
            tape.clear();
            assert_eq!((tape.len(), tape.scalars()), (0, 0));
            assert_eq!(tape.capacity(), grown, "clear keeps capacity");
            let (x, z) = chain(&tape, again);
            z.backward_into(&mut grads);
            assert!(grads.slice(x).expect("x on the path")[0].is_finite());
            assert_eq!(tape.capacity(), grown, "{again} steps after {steps}");
        }
        tape.clear();
    }

    // The same for a matrix recording with aux regions (sigmoid stores σ′ next to σ).
    let mut tape = Tape::<f64>::new();
    let record = |tape: &Tape<f64>| {
        let x = tape.var(Matrix2x3::new(0.1, -0.2, 0.3, -0.4, 0.5, -0.6));
        let mut z = x;
        for _ in 0..1000 {
            z = (z * 0.5 + x).sigmoid().tanh();
        }
        (tape.len(), tape.scalars())
    };
    let counts = record(&tape);
    let grown = tape.capacity();
    for _ in 0..3 {
        tape.clear();
        assert_eq!(record(&tape), counts);
        assert_eq!(tape.capacity(), grown);
    }
}
