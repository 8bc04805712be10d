//! Backward costs time and memory linear in the number of recorded ops, with no recursion:
//! a million-op chain on a 2 MiB stack, a graph whose path count is 2⁶⁰, and exact linear
//! growth of the tape. Nothing here asserts on wall-clock time.

use nalgebra::Matrix2x3;
use shapegrad::Tape;

/// Runs `f` on a thread with a 2 MiB stack (the default for spawned threads, stated
/// explicitly): a recursive walk over a deep graph would overflow it.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the test thread panicked");
}

#[test]
fn million_op_chain_on_a_small_stack() {
    on_small_stack(|| {
        // z₀ = x, z_{k+1} = z_k·a + x for k < N: 2N = 1,000,000 recorded ops.
        // Closed form (hand derivation): z_N = x·Σ_{k=0}^{N} aᵏ = x·(1 − a^{N+1})/(1 − a), so
        // ∂z_N/∂x = (1 − a^{N+1})/(1 − a) ≈ 393470.098 for a = 0.999999, N = 500,000.
        const N: usize = 500_000;
        let a = 0.999999_f64;
        let x0 = 0.5;
        let tape = Tape::<f64>::with_capacity(2 * N + 1, 3 * N + 1);
        let x = tape.var_scalar(x0);
        let mut z = x;
        for _ in 0..N {
            z = z * a + x;
        }
        assert_eq!(tape.len(), 2 * N + 1);
        let grads = z.backward();
        let g = grads.wrt(x)[0];

        // The reverse walk in plain f64, in the tape's order: each add hands its upstream
        // gradient to x, each multiply scales it by a; the last multiply's operand is x itself.
        // Same operations, same order: bit-identical.
        let (mut upstream, mut want) = (1.0_f64, 0.0_f64);
        for _ in 0..N {
            want += upstream;
            upstream *= a;
        }
        want += upstream;
        assert_eq!(g, want);

        // Against the closed form: the tape sums N + 1 terms, a rounding error of at most
        // ~N·ε ≈ 1e-10 relative (observed 5.5e-13); 1e-9 is the bound.
        let closed = (1.0 - a.powi(N as i32 + 1)) / (1.0 - a);
        assert!(
            ((g - closed) / closed).abs() < 1e-9,
            "∂z/∂x = {g}, closed form {closed}"
        );
        assert!(((z.item() - x0 * closed) / closed).abs() < 1e-9);
        // The output's own gradient is the seed.
        assert_eq!(grads.wrt(z)[0], 1.0);
    });
}

#[test]
fn doubling_sixty_times_gives_exactly_two_to_the_sixty() {
    // z = z + z, sixty times: z = 2⁶⁰·x. The graph has 2⁶⁰ paths from z to x; the notebook's
    // recursive `backward` follows every path (each `TensorSum` calls backward on both of its
    // inputs, here the same node), so it would make ~2⁶¹ calls. The tape visits 61 nodes.
    let tape = Tape::<f64>::new();
    let x0 = 1.5;
    let x = tape.var_scalar(x0);
    let mut z = x;
    for _ in 0..60 {
        z = z + z;
    }
    assert_eq!(tape.len(), 61);
    let two_60 = (1u64 << 60) as f64; // exactly representable
    assert_eq!(z.item(), x0 * two_60);
    // Each add doubles the gradient exactly (g + g = 2g in binary floating point).
    assert_eq!(z.backward().wrt(x)[0], two_60);
    assert_eq!(z.backward().wrt(x)[0].to_bits(), 2f64.powi(60).to_bits());
}

#[test]
fn tape_grows_exactly_linearly() {
    // One step on a 2×3 tensor records six ops:
    //   z·c (6 values + 1 aux for c), + x (6), sigmoid (6 + 6 aux for σ'), exp (6), sum (1),
    //   and the 1×1 `+` into `total` (1 value + its 2 partials, ∂/∂a and ∂/∂b): 6 nodes and
    //   35 scalars per step.
    fn record(steps: usize) -> (usize, usize, f64) {
        let tape = Tape::<f64>::new();
        let x = tape.var(Matrix2x3::new(0.1, -0.2, 0.3, -0.4, 0.5, -0.6));
        let mut z = x;
        let mut total = tape.constant_scalar(0.0);
        for _ in 0..steps {
            z = (z * 0.5 + x).sigmoid();
            total = total + z.exp().sum();
        }
        let (len, scalars) = (tape.len(), tape.scalars());
        let g = total.backward().wrt(x).sum();
        // backward records nothing
        assert_eq!((tape.len(), tape.scalars()), (len, scalars));
        (len, scalars, g)
    }
    let (len0, sc0, _) = record(0);
    assert_eq!((len0, sc0), (2, 7)); // x (6 values) and the constant 0 (1 value)
    let (len1, sc1, _) = record(1);
    let (len_n, sc_n, _) = record(1000);
    let (len_2n, sc_2n, g) = record(2000);
    let (per_step_nodes, per_step_scalars) = (len1 - len0, sc1 - sc0);
    assert_eq!(per_step_nodes, 6);
    assert_eq!(per_step_scalars, 35);
    assert_eq!(len_n - len0, 1000 * per_step_nodes);
    assert_eq!(sc_n - sc0, 1000 * per_step_scalars);
    assert_eq!(len_2n - len0, 2 * (len_n - len0));
    assert_eq!(sc_2n - sc0, 2 * (sc_n - sc0));
    assert!(g.is_finite());
}

#[test]
fn clear_reuses_capacity_for_the_next_step() {
    // A training-loop shape: record, differentiate, clear. The buffers stop growing after the
    // first step, and every step gives the same gradient.
    let mut tape = Tape::<f64>::new();
    let mut first = None;
    let mut capacity = None;
    for _ in 0..5 {
        let x = tape.var(Matrix2x3::new(0.1, -0.2, 0.3, -0.4, 0.5, -0.6));
        let mut z = x;
        for _ in 0..1000 {
            z = (z * 0.5 + x).tanh();
        }
        let g = z.sum().backward().wrt(x);
        assert_eq!(*first.get_or_insert(g), g);
        tape.clear();
        assert_eq!(*capacity.get_or_insert(tape.capacity()), tape.capacity());
    }
}
