//! Heap allocations of a training step, counted by a global allocator: once a reused tape
//! (`Tape::clear` each step) and reused `Gradients` (`backward_into`) have grown to a step's
//! size, recording, differentiating and reading every gradient (`Gradients::slice`, zero-copy)
//! allocates nothing, whether the net's parameters are recorded afresh each step or kept on
//! the tape as `Param`s (as `benches/gradients.rs` does). Also: a `Tape::with_capacity` big
//! enough records without allocating.
//!
//! The counting allocator (`tests/common/counting_alloc.rs`) is this test binary's
//! `#[global_allocator]` (one binary per file in `tests/`, so it affects no other test); it
//! counts allocation calls per thread.
//!
//! To find where a steady-state allocation comes from, run
//! `SHAPEGRAD_ALLOC_BACKTRACE=1 cargo test --test alloc -- --nocapture`: every counted
//! allocation inside a measured region then prints a backtrace.

#[path = "../benches/baseline.rs"]
mod baseline;

use std::hint::black_box;

use nalgebra::SVector;
use shapegrad::{Gradients, Tape, Tensor};

use baseline::Net;

/// The handles of one recording of the (16, 32, 8) net.
struct NetTensors<'t> {
    loss: Tensor<'t, 1, 1>,
    x: Tensor<'t, 16, 1>,
    w1: Tensor<'t, 32, 16>,
    b1: Tensor<'t, 32, 1>,
    w2: Tensor<'t, 8, 32>,
    b2: Tensor<'t, 8, 1>,
}

/// Records `Σ σ(W2 σ(W1 x + b1) + b2)` with the benches' deterministic parameters
/// (benches/baseline.rs), each a fresh variable (`var_from_slice`, `var`).
fn record_net<'t>(
    tape: &'t Tape<f64>,
    net: &Net<f64, 16, 32, 8>,
    x: &SVector<f64, 16>,
) -> NetTensors<'t> {
    let x = tape.var(*x);
    let w1 = tape.var_from_slice::<32, 16>(net.w1.as_slice());
    let b1 = tape.var(net.b1);
    let w2 = tape.var_from_slice::<8, 32>(net.w2.as_slice());
    let b2 = tape.var(net.b2);
    let loss = (w2.matmul((w1.matmul(x) + b1).sigmoid()) + b2)
        .sigmoid()
        .sum();
    NetTensors {
        loss,
        x,
        w1,
        b1,
        w2,
        b2,
    }
}

impl NetTensors<'_> {
    /// Reads every input's gradient with `Gradients::slice` (zero-copy) and sums them all.
    fn read_gradients(&self, grads: &Gradients<f64>) -> f64 {
        let sum = |g: Option<&[f64]>| g.expect("every input is on the path").iter().sum::<f64>();
        sum(grads.slice(self.x))
            + sum(grads.slice(self.w1))
            + sum(grads.slice(self.b1))
            + sum(grads.slice(self.w2))
            + sum(grads.slice(self.b2))
    }
}

// ---------------------------------------------------------------------------------------------
// the counting allocator (shared with tests/alloc_training.rs)

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

/// Warm-up steps before the steady state is measured: the first step grows the buffers; two
/// more show that growth has stopped (each is reported if the test fails).
const WARM_UP: usize = 3;
/// Steps measured in the steady state.
const MEASURED: usize = 10;

/// Runs `step` [`WARM_UP`] times, then [`MEASURED`] times under the counter. Returns the
/// allocations of each warm-up step and the total of the measured steps, and checks that
/// every step returned the same checksum (the same gradients, computed again).
fn steady_state(what: &str, mut step: impl FnMut() -> f64) -> ([usize; WARM_UP], usize) {
    let mut warm = [0; WARM_UP];
    let mut first = None;
    for w in &mut warm {
        let (n, sum) = allocations_during(&mut step);
        *w = n;
        assert_eq!(*first.get_or_insert(sum), sum, "{what}: warm-up checksum");
    }
    let first = first.expect("warm-up ran");
    assert!(first.is_finite(), "{what}: checksum {first}");
    let (steady, sums) = allocations_during(|| {
        let mut sums = [0.0; MEASURED];
        for s in &mut sums {
            *s = step();
        }
        sums
    });
    assert!(
        sums.iter().all(|&s| s == first),
        "{what}: {sums:?} vs {first}"
    );
    eprintln!("{what}: warm-up allocations {warm:?}, then {steady} in {MEASURED} steps");
    (warm, steady)
}

#[track_caller]
fn assert_steady_state_allocates_nothing(what: &str, step: impl FnMut() -> f64) {
    let (warm, steady) = steady_state(what, step);
    assert!(
        warm[0] > 0,
        "{what}: the first step should grow the buffers (is the counter working?)"
    );
    assert_eq!(
        steady, 0,
        "{what}: {steady} allocations in {MEASURED} steady-state steps (warm-up: {warm:?}); \
         rerun with SHAPEGRAD_ALLOC_BACKTRACE=1 -- --nocapture to see where"
    );
}

// ---------------------------------------------------------------------------------------------
// the counter itself

#[test]
fn the_counter_counts_allocations_and_reallocations() {
    // One `alloc` for the Vec, one `realloc` when a push outgrows it, one `alloc_zeroed` for
    // `vec![0; n]`; nothing for arithmetic.
    let (n, v) = allocations_during(|| black_box(Vec::<u64>::with_capacity(4)));
    assert_eq!(n, 1);
    let mut v = v;
    v.extend([1, 2, 3, 4]);
    let (n, _) = allocations_during(|| v.push(5));
    assert_eq!(n, 1);
    let (n, z) = allocations_during(|| black_box(vec![0u8; 1 << 16]));
    assert_eq!((n, z.len()), (1, 1 << 16));
    let (n, _) = allocations_during(|| black_box(black_box(2.0_f64).sqrt()));
    assert_eq!(n, 0);
}

// ---------------------------------------------------------------------------------------------
// steady state: reused tape, reused gradients

#[test]
fn net_16_32_8_training_step_allocates_nothing_in_steady_state() {
    // The two-layer net Σ σ(W2 σ(W1 x + b1) + b2) of benches/gradients.rs, with its
    // deterministic parameters (benches/baseline.rs), every parameter recorded afresh each step
    // as a variable (the `Param` form the bench now uses is the next test).
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::new();
    assert_steady_state_allocates_nothing("net (16, 32, 8)", || {
        tape.clear();
        let net = record_net(&tape, &net, black_box(&x0));
        net.loss.backward_into(&mut grads);
        net.loss.item() + net.read_gradients(&grads)
    });
}

#[test]
fn net_16_32_8_with_params_allocates_nothing_in_steady_state() {
    // The same net as benches/gradients.rs now records it: the parameters are `Param`s made
    // once and kept by `clear`; each step records the input and the forward pass.
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();
    let mut tape = Tape::<f64>::new();
    let p = net.params_on(&mut tape);
    let mut grads = Gradients::new();
    assert_steady_state_allocates_nothing("net (16, 32, 8) with Params", || {
        tape.clear();
        let (loss, x) = p.loss_on(&tape, black_box(x0));
        loss.backward_into(&mut grads);
        let sum = |g: Option<&[f64]>| g.expect("on the path").iter().sum::<f64>();
        loss.item()
            + sum(grads.slice(x))
            + sum(grads.param_slice(p.w1))
            + sum(grads.param_slice(p.b1))
            + sum(grads.param_slice(p.w2))
            + sum(grads.param_slice(p.b2))
    });
}

#[test]
fn graph_training_step_allocates_nothing_in_steady_state() {
    // The notebook's graph function (TEST 8) as benches/gradients.rs records it, at the
    // notebook's first inputs1 entry x = [-1, 4], w = [-7, -6, 5, 0] (its TEST 8 trace).
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::new();
    assert_steady_state_allocates_nothing("graph", || {
        tape.clear();
        let (x, w) = (black_box([-1.0, 4.0]), black_box([-7.0, -6.0, 5.0, 0.0]));
        let (y, leaves) = baseline::graph_on_tape(&tape, x, w);
        y.backward_into(&mut grads);
        let mut checksum = y.item();
        for t in leaves {
            checksum += grads.slice(t).expect("on the path")[0];
        }
        checksum
    });
}

#[test]
fn chain_training_step_allocates_nothing_in_steady_state() {
    // benches/gradients.rs's chain z ← z·c + z·z·k with c = 1.5, k = -0.5, 1000 steps
    // (4000 recorded scalar ops), on a tape grown by the warm-up rather than preallocated.
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::new();
    assert_steady_state_allocates_nothing("chain of 1000 steps", || {
        tape.clear();
        let x = tape.var_scalar(black_box(0.8));
        let mut z = x;
        for _ in 0..1000 {
            z = z * 1.5 + z * z * -0.5;
        }
        z.backward_into(&mut grads);
        z.item() + grads.slice(x).expect("on the path")[0]
    });
}

// ---------------------------------------------------------------------------------------------
// the README idiom: a fresh tape, `backward()` and `wrt` every step (the buffer pool)

#[test]
fn readme_idiom_graph_allocates_nothing_in_steady_state() {
    // As the graph test above, written as the README writes it: `Tape::new()` per
    // evaluation, `backward()`, `wrt` copies. The dropped tape's and gradients' buffers go
    // to the thread's pool and the next step records into them.
    assert_steady_state_allocates_nothing("graph, fresh tape", || {
        let tape = Tape::new();
        let (x, w) = (black_box([-1.0, 4.0]), black_box([-7.0, -6.0, 5.0, 0.0]));
        let (y, leaves) = baseline::graph_notebook_on_tape(&tape, x, w);
        let grads = y.backward();
        leaves
            .iter()
            .fold(y.item(), |sum, &t| sum + grads.wrt(t)[0])
    });
}

#[test]
fn readme_idiom_net_and_chain_allocate_nothing_in_steady_state() {
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();
    assert_steady_state_allocates_nothing("net, fresh tape", || {
        let tape = Tape::new();
        let t = record_net(&tape, &net, &x0);
        let grads = t.loss.backward();
        grads.wrt(t.x).sum()
            + grads.wrt(t.w1).sum()
            + grads.wrt(t.b1).sum()
            + grads.wrt(t.w2).sum()
            + grads.wrt(t.b2).sum()
    });
    // the chain: c a variable, z0 = 0.5, c = 1 - 1e-7, k = -1e-6
    assert_steady_state_allocates_nothing("chain with c a variable, fresh tape", || {
        let tape = Tape::new();
        let (x, c) = (tape.var_scalar(black_box(0.5)), tape.var_scalar(1.0 - 1e-7));
        let mut z = x;
        for _ in 0..1000 {
            z = z * c + z * z * -1e-6;
        }
        let grads = z.backward();
        z.item() + grads.wrt(x)[0] + grads.wrt(c)[0]
    });
}

#[test]
fn the_pool_stays_bounded_over_ten_thousand_tapes_of_random_sizes_on_four_threads() {
    use shapegrad::pool;

    // 4 threads × 2500 tapes, each a chain of 1 to 5000 steps (up to 20 001 nodes, about
    // 1.3 MB of tape and 0.6 MB of gradients), sizes from a 64-bit LCG (Knuth's MMIX constants),
    // one tape in four kept alive while the next is recorded (two tapes out at once).
    fn worker(seed: u64) -> usize {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut largest = 0; // bytes of the largest tape + gradients recorded so far
        let mut kept: Option<Tape<f64>> = None;
        for i in 0..2500 {
            let steps = 1 + (next() % 5000) as usize;
            let tape = Tape::new();
            let x = tape.var_scalar(0.5);
            let mut z = x;
            for _ in 0..steps {
                z = z * 0.999 + z * z * -1e-6;
            }
            let g: f64 = z.backward().wrt(x)[0];
            assert!(g.is_finite());
            let (nodes, scalars) = tape.capacity();
            // tape: 24-byte nodes and f64 values; gradients: an f64 and a stamp byte a scalar
            largest = largest.max(nodes * 24 + scalars * 8 + scalars * 9);
            if i % 4 == 0 {
                kept = Some(tape); // out while the next ones record
            } else {
                drop(tape);
            }
            let held = pool::held_bytes();
            // what the pool may keep: SLOTS tape sets and SLOTS gradient sets, none bigger
            // than the largest seen (the test's sizes stay far below THREAD_LIMIT)
            assert!(
                held <= pool::SLOTS * largest,
                "thread {seed}, tape {i}: pool keeps {held} bytes, more than {} × the largest \
                 tape and gradients ({largest})",
                pool::SLOTS
            );
            assert!(pool::held_bytes_all_threads() <= pool::PROCESS_LIMIT);
        }
        drop(kept);
        let after_big = pool::held_bytes();
        // then small tapes only: the big sets are used under an eighth, and given back after
        // IDLE_LIMIT returns each
        for _ in 0..2 * pool::IDLE_LIMIT {
            let tape = Tape::new();
            let x = tape.var_scalar(2.0);
            assert_eq!((x * x).backward().wrt(x)[0], 4.0);
        }
        let after_small = pool::held_bytes();
        assert!(
            after_small < 16 << 10,
            "thread {seed}: still {after_small} bytes kept (from {after_big}) after small tapes"
        );
        after_big
    }
    let threads: Vec<_> = (1..=4u64)
        .map(|seed| std::thread::spawn(move || worker(seed)))
        .collect();
    let held: Vec<usize> = threads
        .into_iter()
        .map(|t| t.join().expect("worker"))
        .collect();
    // each pool did keep buffers of the big tapes (so the bounds above were exercised)
    assert!(held.iter().all(|&h| h > 256 << 10), "{held:?}");
    println!("bytes kept per thread after the random tapes: {held:?}");
}

// ---------------------------------------------------------------------------------------------
// a preallocated tape

/// Nodes and scalars of one recording of the (16, 32, 8) net, counted by hand from the op
/// table (`src/lib.rs`) and the aux regions (docs/design.md, section 3):
/// leaves x (16), W1 (32·16 = 512), b1 (32), W2 (8·32 = 256), b2 (8): 5 nodes, 824 scalars;
/// W1·x (32), + b1 (32), σ (32 + 32 aux for σ'), W2·h (8), + b2 (8), σ (8 + 8 aux), Σ (1):
/// 7 nodes, 161 scalars. Total 12 nodes, 985 scalars.
const NET_NODES: usize = 12;
const NET_SCALARS: usize = 985;

#[test]
fn with_capacity_records_the_net_without_allocating() {
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();

    // Gradients warmed on a recording of the same size, on another tape.
    let mut grads = Gradients::new();
    let warm_tape = Tape::<f64>::new();
    record_net(&warm_tape, &net, &x0)
        .loss
        .backward_into(&mut grads);
    assert_eq!(
        (warm_tape.len(), warm_tape.scalars()),
        (NET_NODES, NET_SCALARS)
    );

    let tape = Tape::<f64>::with_capacity(NET_NODES, NET_SCALARS);
    let capacity = tape.capacity();
    let (n, recorded) = allocations_during(|| record_net(&tape, &net, &x0));
    assert_eq!(
        n, 0,
        "recording into a big enough fresh tape allocated {n} times"
    );
    assert_eq!(tape.capacity(), capacity);
    assert_eq!((tape.len(), tape.scalars()), (NET_NODES, NET_SCALARS));

    let (n, checksum) = allocations_during(|| {
        recorded.loss.backward_into(&mut grads);
        recorded.read_gradients(&grads)
    });
    assert_eq!(
        n, 0,
        "backward_into pre-warmed gradients allocated {n} times"
    );
    assert!(checksum.is_finite() && checksum != 0.0);
}

// ---------------------------------------------------------------------------------------------
// fixed tapes: never an allocation after they are built

/// The pendulum's cost as `examples/common/models.rs` writes it (same ops, same order), with
/// the state kept in two handles instead of `rollout`'s `Vec` of states (that `Vec` is the
/// example's own allocation, not the tape's).
fn pendulum_cost<'t>(v: Tensor<'t, { models::STEPS }, 1>) -> Tensor<'t, 1, 1> {
    use models::{G_OVER_L, H, STEPS, U_MAX};
    let tape = v.tape();
    let u = v.tanh() * U_MAX;
    let (mut theta, mut omega) = (tape.constant_scalar(0.0), tape.constant_scalar(0.0));
    for k in 0..STEPS {
        omega = omega + (theta.sin() * -G_OVER_L + u.at(k)) * H;
        theta = theta + omega * H;
    }
    (theta - std::f64::consts::PI).square() + omega.square() * 0.1 + u.norm_squared() * 1e-4
}

#[path = "../examples/common/models.rs"]
mod models;

/// The pendulum's control sequence of the tests: a smooth ramp.
fn pendulum_input() -> SVector<f64, { models::STEPS }> {
    SVector::from_fn(|k, _| (k as f64 * 0.07).sin())
}

#[test]
fn a_fixed_tape_runs_the_net_and_the_pendulum_for_many_steps_without_allocating() {
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();
    let v0 = pendulum_input();
    // sizes from one recording on an ordinary tape (the docs' recipe), and the reference
    // results: the example's own `models::cost`, and the net on an ordinary tape
    let sized = Tape::<f64>::new();
    let want_net = record_net(&sized, &net, &x0).loss.item();
    let (net_nodes, net_scalars) = (sized.len(), sized.scalars());
    let sized = Tape::<f64>::new();
    let want_pendulum = pendulum_cost(sized.var(v0)).item();
    assert_eq!(want_pendulum, models::cost(sized.var(v0)).item());
    let (p_nodes, p_scalars) = (sized.len(), sized.scalars());
    drop(sized);

    for on_full in [shapegrad::OnFull::Panic, shapegrad::OnFull::Error] {
        let (nodes, scalars) = (net_nodes.max(p_nodes), net_scalars.max(p_scalars));
        let mut tape = Tape::<f64>::fixed(nodes, scalars, on_full);
        let mut grads = Gradients::with_capacity(scalars);
        // from the first step on: no warm-up
        let (n, checksum) = allocations_during(|| {
            let mut checksum = 0.0;
            for step in 0..1000 {
                tape.clear();
                if step % 2 == 0 {
                    let t = record_net(&tape, &net, &x0);
                    assert_eq!(t.loss.item(), want_net);
                    t.loss.backward_into(&mut grads);
                    checksum += t.read_gradients(&grads);
                } else {
                    let v = tape.var(v0);
                    let cost = pendulum_cost(v);
                    assert_eq!(cost.item(), want_pendulum);
                    cost.backward_into(&mut grads);
                    checksum += grads.slice(v).unwrap().iter().sum::<f64>();
                }
            }
            checksum
        });
        assert_eq!(
            n, 0,
            "{on_full:?}: {n} allocations in 1000 steps of a fixed tape"
        );
        assert!(checksum.is_finite() && checksum != 0.0);
        assert_eq!(tape.overflow(), None);
        eprintln!(
            "fixed tape ({on_full:?}): {nodes} nodes, {scalars} scalars; 500 net and 500 \
             pendulum steps, 0 allocations"
        );
    }
}

#[test]
fn a_full_fixed_tape_panics_at_the_callers_line_naming_the_capacity() {
    let tape = Tape::<f64>::fixed(2, 16, shapegrad::OnFull::Panic);
    let x = tape.var_scalar(1.0);
    let y = x.sin();
    let line = line!() + 1;
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| y * y));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.starts_with("shapegrad: a fixed tape of 2 nodes and 16 scalars is full: the op at"),
        "{message}"
    );
    assert!(
        message.contains(&format!("tests/alloc.rs:{line}:")),
        "{message}"
    );
    // the tape is still usable for reading what fitted
    assert_eq!(y.item(), 1f64.sin());
}

#[test]
fn an_overflowed_fixed_tape_gives_nan_and_the_error_without_allocating_until_cleared() {
    let mut tape = Tape::<f64>::fixed(3, 8, shapegrad::OnFull::Error);
    let (n, ()) = allocations_during(|| {
        let x = tape.var(nalgebra::Vector2::new(1.0, 2.0)); // 1 node, 2 scalars
        let y = x.exp(); // 2 nodes, 4 scalars
        let z = y.sum(); // 3 nodes, 5 scalars
        let w = z * z; // no node left: NaN from here on
        let v = (y * y).sum() + w;
        assert!(w.item().is_nan() && v.item().is_nan());
        assert!(v.value().iter().all(|e| e.is_nan()));
        let e = v.try_backward().unwrap_err();
        assert_eq!((e.nodes, e.scalars, e.needed, e.recorded), (3, 8, 3, 3));
        assert!(e.at.file().ends_with("alloc.rs"), "{}", e.at);
        assert_eq!(tape.overflow(), Some(e));
        assert_eq!(z.item(), 1f64.exp() + 2f64.exp(), "what fitted is intact");
    });
    assert_eq!(n, 0, "overflowing allocated {n} times");
    let x = tape.var_scalar(3.0);
    let y = x * x;
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| y.backward()));
    assert!(caught.is_err(), "backward on an overflowed tape panics");
    tape.clear();
    assert_eq!(tape.overflow(), None);
    let x = tape.var_scalar(3.0);
    assert_eq!(
        (x * x).backward().wrt(x)[0],
        6.0,
        "cleared, it records again"
    );
}

#[test]
#[should_panic(expected = "is full")]
fn an_op_bigger_than_the_whole_fixed_tape_panics_even_with_on_full_error() {
    let tape = Tape::<f64>::fixed(4, 4, shapegrad::OnFull::Error);
    let _ = tape.var(nalgebra::Matrix3::<f64>::identity()); // 9 scalars: no NaN buffer that big
}

// ---------------------------------------------------------------------------------------------
// replay: a recording evaluated at new inputs allocates nothing (its workspace is the one
// allocation)

/// A function of a 3×3 `A` through many ops, the fallible ones (`cholesky`, `try_inverse`,
/// `solve`) and the value-dependent ones (`relu`, `abs`, `max`, `clamp`, `sigmoid`) among them,
/// so that their replayed forwards are measured too.
struct ManyOps;

impl shapegrad::ScalarFn<3, 3> for ManyOps {
    fn eval<'t, T: shapegrad::Scalar>(&self, a: Tensor<'t, 3, 3, T>) -> Tensor<'t, 1, 1, T> {
        let tape = a.tape();
        let c = |v: f64| nalgebra::convert::<f64, T>(v);
        let eye = tape.constant(nalgebra::Matrix3::<T>::identity());
        let spd = a.matmul(a.transpose()) + eye;
        let l = spd.cholesky().expect("SPD");
        let inv = (a + eye * c(4.0)).try_inverse().expect("invertible");
        let x = (a + eye * c(4.0)).solve(a.column(0)).expect("invertible");
        let v = a.column(1);
        let parts = Tensor::from_scalars([a.at((0, 0)), a.at((2, 1)).exp(), v.norm()]);
        let stacked: Tensor<'_, 3, 3, T> = l.fixed_rows::<2>(0).vstack(inv.row(2));
        let y = stacked.relu().sum()
            + inv.abs().mean()
            + a.max(a.transpose()).softmax().sum_rows().sum()
            + a.clamp(c(-0.5), c(0.5)).log_softmax().sum()
            + x.sigmoid().dot(v.tanh())
            + v.cross(x).normalize().sum()
            + parts.powi(3).sum()
            + spd.ln_determinant_spd().expect("SPD")
            + a.determinant()
            + a.hstack::<3, 6>(a).sum_cols().norm_squared() * c(0.01);
        y * c(0.5) + a.trace()
    }
}

/// `(x₀x₁, sin x₂, exp(x₀ − x₂), x₁·relu(x₂))`.
struct SomeResiduals;

impl shapegrad::VectorFn<3, 4> for SomeResiduals {
    fn eval<'t, T: shapegrad::Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 4, 1, T> {
        let (a, b, c) = (x.at(0), x.at(1), x.at(2));
        Tensor::from_scalars([a * b, c.sin(), (a - c).exp(), b * c.relu()])
    }
}

#[test]
fn replay_evaluations_allocate_nothing() {
    use nalgebra::{Matrix3, Vector3, Vector4};
    use shapegrad::{Recording, ReplayFn, ReplayVectorFn};
    // Measured from the first evaluation on: no warm-up (the workspace is made before).
    const N: usize = 100;
    let point = |k: usize| Matrix3::from_fn(|i, j| ((i * 3 + j + k) as f64 * 0.37).sin());

    // ReplayFn: value and gradient
    let f = ReplayFn::new(&ManyOps, &point(0)).unwrap();
    let (made, mut ws) = allocations_during(|| f.workspace());
    assert!(
        made > 0,
        "making a workspace allocates (is the counter working?)"
    );
    let (n, sum) = allocations_during(|| {
        let mut sum = 0.0;
        for k in 0..N {
            let (y, g) = f.gradient(&mut ws, black_box(&point(k))).unwrap();
            sum += y + g.sum() + f.value(&mut ws, &point(k)).unwrap();
        }
        sum
    });
    assert!(sum.is_finite());
    eprintln!("ReplayFn (many ops): {n} allocations in {N} gradients and values");
    assert_eq!(
        n, 0,
        "ReplayFn::gradient/value allocated {n} times in {N} evaluations"
    );
    // what was measured is the function's gradient: the bits of a fresh recording there
    for k in [1, 17, 99] {
        let (y, g) = f.gradient(&mut ws, &point(k)).unwrap();
        let tape = Tape::new();
        let a = tape.var(point(k));
        let fy = shapegrad::ScalarFn::eval(&ManyOps, a);
        let bits = |m: &Matrix3<f64>| m.map(f64::to_bits);
        assert_eq!(y.to_bits(), fy.item().to_bits(), "ManyOps at point {k}");
        assert_eq!(
            bits(&g),
            bits(&fy.backward().wrt(a)),
            "ManyOps at point {k}"
        );
    }

    // ReplayVectorFn: jacobian and vjp
    let g = ReplayVectorFn::new(&SomeResiduals, &Vector3::new(0.5, -1.0, 2.0)).unwrap();
    let mut ws = g.workspace();
    let (n, sum) = allocations_during(|| {
        let mut sum = 0.0;
        for k in 0..N {
            let x = Vector3::new(0.1 * k as f64, 1.0 - 0.02 * k as f64, (k as f64).cos());
            let (y, j) = g.jacobian(&mut ws, black_box(&x)).unwrap();
            let (_, vj) = g
                .vjp(&mut ws, &x, &Vector4::new(1.0, -2.0, 0.5, 3.0))
                .unwrap();
            sum += y.sum() + j.sum() + vj.sum() + g.value(&mut ws, &x).unwrap().sum();
        }
        sum
    });
    assert!(sum.is_finite());
    eprintln!("ReplayVectorFn: {n} allocations in {N} jacobians, vjps and values");
    assert_eq!(
        n, 0,
        "ReplayVectorFn allocated {n} times in {N} evaluations"
    );

    // Recording: the (16, 32, 8) net with its input and every parameter an input
    let net = Net::<f64, 16, 32, 8>::new();
    let x0 = Net::<f64, 16, 32, 8>::input();
    let tape = Tape::for_replay();
    let t = record_net(&tape, &net, &x0);
    let rec = Recording::new(t.loss).unwrap();
    let (x, w1, b1, w2, b2) = (
        rec.input(t.x),
        rec.input(t.w1),
        rec.input(t.b1),
        rec.input(t.w2),
        rec.input(t.b2),
    );
    let mut ws = rec.workspace();
    let (n, sum) = allocations_during(|| {
        let mut sum = 0.0;
        for k in 0..N {
            let xk = x0.map(|v| v + 0.01 * k as f64);
            rec.set(&mut ws, x, black_box(&xk));
            rec.set(&mut ws, w1, &net.w1.map(|v| v * (1.0 + 0.001 * k as f64)));
            rec.set(&mut ws, b1, &net.b1);
            rec.set(&mut ws, w2, &net.w2);
            rec.set(&mut ws, b2, &net.b2);
            let l = rec.forward(&mut ws).unwrap()[0];
            rec.backward_one(&mut ws);
            sum += l
                + rec.gradient(&ws, x).sum()
                + rec.gradient(&ws, w1).sum()
                + rec.gradient(&ws, b1).sum()
                + rec.gradient(&ws, w2).sum()
                + rec.gradient(&ws, b2).sum();
            rec.backward(&mut ws, &nalgebra::Matrix1::new(-0.5));
            sum += rec.gradient(&ws, b2).sum();
        }
        sum
    });
    assert!(sum.is_finite());
    eprintln!("Recording (net 16, 32, 8): {n} allocations in {N} sets, forwards and backwards");
    assert_eq!(
        n, 0,
        "Recording forward/backward allocated {n} times in {N} evaluations"
    );
}
