//! Heap allocations of a full training step with an optimizer, counted by a global
//! allocator: once warmed up, `tape.clear()`, recording the forward pass, `backward_into` and
//! `Adam::step` (or `Sgd::step` with momentum) allocate nothing, and neither does a whole
//! epoch of `examples/two_layer_net` (shuffle, batch assembly, steps). The optimizers
//! allocate their state on the first step only.
//!
//! The counting allocator (`tests/common/counting_alloc.rs`, shared with `tests/alloc.rs`) is
//! this test binary's `#[global_allocator]`, counting allocation calls per thread.

#[allow(dead_code)]
#[path = "../examples/two_layer_net/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "../examples/two_layer_net/moons.rs"]
mod moons;

use shapegrad::optim::{Adam, Sgd};
use shapegrad::{Gradients, Tape, loss};

use model::Net;
use moons::{SplitMix64, moons};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

const B: usize = 32;
const H: usize = 16;

/// Runs `step` 3 times to warm up, then 10 times under the counter; returns the warm-up
/// steps' allocations and the measured total.
fn warm_then_measure(mut step: impl FnMut() -> f64) -> ([usize; 3], usize) {
    let warm = [(); 3].map(|()| allocations_during(&mut step).0);
    let (steady, losses) = allocations_during(|| [(); 10].map(|()| step()));
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    (warm, steady)
}

#[test]
fn the_counter_counts() {
    let (n, v) = allocations_during(|| Vec::<u64>::with_capacity(4));
    assert_eq!((n, v.capacity()), (1, 4));
}

#[test]
fn adam_training_step_allocates_nothing_after_warm_up() {
    // The example's step: clear, record σ(W2 σ(W1 x + b1) + b2)'s logits on a 2×32 batch,
    // bce_with_logits, backward_into, Adam::step.
    let mut rng = SplitMix64::new(1);
    let points = moons(B, 0.1, &mut rng);
    let idx: Vec<usize> = (0..B).collect();
    let (x, t) = model::batch::<B>(&points, &idx);
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Adam::new(0.05);
    let mut grads = Gradients::new();
    let (warm, steady) =
        warm_then_measure(|| net.train_step(&mut tape, &mut grads, &mut opt, &x, &t));
    eprintln!("Adam step: warm-up allocations {warm:?}, then {steady} in 10 steps");
    assert!(
        warm[0] > 0,
        "the first step grows the buffers and Adam's state"
    );
    assert_eq!(steady, 0, "warm-up: {warm:?}");
}

#[test]
fn sgd_momentum_training_step_allocates_nothing_after_warm_up() {
    let mut rng = SplitMix64::new(2);
    let points = moons(B, 0.1, &mut rng);
    let idx: Vec<usize> = (0..B).collect();
    let (x, t) = model::batch::<B>(&points, &idx);
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Sgd::new(0.1).with_momentum(0.9);
    let mut grads = Gradients::new();
    let (warm, steady) = warm_then_measure(|| {
        tape.clear();
        let loss = loss::bce_with_logits(net.logits(&tape, &x), tape.constant(t));
        let value = loss.item();
        loss.backward_into(&mut grads);
        opt.step(&mut tape, &grads);
        value
    });
    eprintln!("SGD step: warm-up allocations {warm:?}, then {steady} in 10 steps");
    assert!(
        warm[0] > 0,
        "the first step grows the buffers and the velocity"
    );
    assert_eq!(steady, 0, "warm-up: {warm:?}");
}

#[test]
fn a_training_epoch_allocates_nothing_after_warm_up() {
    // A whole epoch of the example (shuffle, 8 batches assembled on the stack, 8 steps).
    let mut rng = SplitMix64::new(3);
    let train = moons(8 * B, 0.15, &mut rng);
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Adam::new(0.05);
    let mut grads = Gradients::new();
    let mut order: Vec<usize> = (0..train.len()).collect();
    let (warm, steady) = warm_then_measure(|| {
        model::train_epoch::<H, B>(
            &net, &mut tape, &mut grads, &mut opt, &train, &mut order, &mut rng,
        )
    });
    eprintln!("epoch: warm-up allocations {warm:?}, then {steady} in 10 epochs");
    assert_eq!(steady, 0, "warm-up: {warm:?}");
}

#[test]
fn optimizers_allocate_their_state_once() {
    // With the tape and gradients warm, the first Adam step allocates its three state vectors
    // (m, v and the step counts), the first SGD-with-momentum step its velocity, plain SGD
    // nothing; later steps allocate nothing.
    let mut tape = Tape::<f64>::new();
    let w = tape.param(nalgebra::Matrix3::repeat(0.5));
    let mut grads = Gradients::new();
    let mut adam = Adam::new(0.1);
    let mut momentum = Sgd::new(0.1).with_momentum(0.9);
    let mut plain = Sgd::new(0.1);
    let mut counts = Vec::with_capacity(3);
    for _ in 0..3 {
        tape.clear();
        (tape.get(w) * tape.get(w)).sum().backward_into(&mut grads);
        let (a, ()) = allocations_during(|| adam.step(&mut tape, &grads));
        let (m, ()) = allocations_during(|| momentum.step(&mut tape, &grads));
        let (p, ()) = allocations_during(|| plain.step(&mut tape, &grads));
        counts.push([a, m, p]);
    }
    assert_eq!(counts, [[3, 1, 0], [0, 0, 0], [0, 0, 0]]);
}
