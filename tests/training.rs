//! A short, deterministic training run of `examples/two_layer_net`'s net and data (its
//! `model.rs` and `moons.rs`, compiled in here through `#[path]`): the loss falls and the
//! held-out accuracy rises past stated thresholds, with Adam and with SGD + momentum, while a
//! linear model on the same data cannot get there. Plus the data generator's own checks.

#[allow(dead_code)]
#[path = "../examples/two_layer_net/model.rs"]
mod model;
#[allow(dead_code)]
#[path = "../examples/two_layer_net/moons.rs"]
mod moons;

use shapegrad::optim::{Adam, Sgd};
use shapegrad::{Gradients, Tape, loss};

use model::Net;
use moons::{Point, SplitMix64, moons};

const B: usize = 32;
const H: usize = 16;
const SEED: u64 = 7;
const NOISE: f64 = 0.15;
/// Epochs of each training run: 150 × 8 batches = 1200 steps.
const EPOCHS: usize = 150;

/// 256 training points (8 batches) and 256 held-out points, from [`SEED`].
fn data(rng: &mut SplitMix64) -> (Vec<Point>, Vec<Point>) {
    (moons(256, NOISE, rng), moons(256, NOISE, rng))
}

/// The mean binary cross-entropy of `net` over `points`, from its logits (the stable form
/// `max(z, 0) − z·t + ln(1 + e^{−|z|})` that `loss::bce_with_logits` computes).
fn mean_loss<const H: usize>(net: &Net<H>, tape: &mut Tape, points: &[Point]) -> f64 {
    let xs: Vec<[f64; 2]> = points.iter().map(|p| p.x).collect();
    let mut z = Vec::new();
    net.logits_of::<B>(tape, &xs, &mut z);
    let total: f64 = z
        .iter()
        .zip(points)
        .map(|(&z, p)| z.max(0.0) - z * f64::from(p.label) + (-z.abs()).exp().ln_1p())
        .sum();
    total / points.len() as f64
}

#[test]
fn adam_trains_the_two_layer_net() {
    // 150 epochs × 8 batches = 1200 Adam steps at the example's lr 0.05. Measured at SEED 7
    // (printed with --nocapture): training loss 0.736 → 0.021, held-out accuracy 0.984. The
    // thresholds, a 10× lower loss and 95 %, leave a 3× margin on the loss, for other
    // platforms' libm `exp`/`ln` rounding.
    let mut rng = SplitMix64::new(SEED);
    let (train, test) = data(&mut rng);
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Adam::new(0.05);
    let mut grads = Gradients::new();
    let mut order: Vec<usize> = (0..train.len()).collect();

    let before = mean_loss(&net, &mut tape, &train);
    for _ in 0..EPOCHS {
        model::train_epoch::<H, B>(
            &net, &mut tape, &mut grads, &mut opt, &train, &mut order, &mut rng,
        );
    }
    let after = mean_loss(&net, &mut tape, &train);
    let accuracy = net.accuracy::<B>(&mut tape, &test);
    eprintln!("Adam: loss {before:.4} → {after:.4}, held-out accuracy {accuracy:.4}");
    assert!(after < before / 10.0, "loss {before} → {after}");
    assert!(accuracy >= 0.95, "held-out accuracy {accuracy}");
}

#[test]
fn sgd_with_momentum_trains_the_two_layer_net() {
    // The same net and data, 150 epochs (1200 steps) of SGD with lr 0.5, μ = 0.9, written
    // out as the loop a user would write. Measured at SEED 7: training loss 0.736 → 0.023,
    // held-out accuracy 0.992; thresholds as in the Adam test.
    let mut rng = SplitMix64::new(SEED);
    let (train, test) = data(&mut rng);
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Sgd::new(0.5).with_momentum(0.9);
    let mut grads = Gradients::new();
    let mut order: Vec<usize> = (0..train.len()).collect();

    let before = mean_loss(&net, &mut tape, &train);
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for idx in order.chunks_exact(B) {
            let (x, t) = model::batch::<B>(&train, idx);
            tape.clear();
            let loss = loss::bce_with_logits(net.logits(&tape, &x), tape.constant(t));
            loss.backward_into(&mut grads);
            opt.step(&mut tape, &grads);
        }
    }
    let after = mean_loss(&net, &mut tape, &train);
    let accuracy = net.accuracy::<B>(&mut tape, &test);
    eprintln!("SGD: loss {before:.4} → {after:.4}, held-out accuracy {accuracy:.4}");
    assert!(after < before / 10.0, "loss {before} → {after}");
    assert!(accuracy >= 0.95, "held-out accuracy {accuracy}");
}

#[test]
fn a_linear_model_cannot_separate_the_moons() {
    // Logistic regression σ(w·x + b) on the same data, trained as long as the net (1200 Adam
    // steps): the data set needs the hidden layer. Measured at SEED 7: held-out accuracy
    // 0.863, where the net gets 0.98; asserted below 0.92.
    let mut rng = SplitMix64::new(SEED);
    let (train, test) = data(&mut rng);
    let mut tape = Tape::new();
    let w = tape.param(nalgebra::RowVector2::new(0.1, -0.1));
    let b = tape.param(nalgebra::Matrix1::zeros());
    let mut opt = Adam::new(0.05);
    let mut grads = Gradients::new();
    let mut order: Vec<usize> = (0..train.len()).collect();
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for idx in order.chunks_exact(B) {
            let (x, t) = model::batch::<B>(&train, idx);
            tape.clear();
            let z = tape.get(w).matmul(tape.constant(x)) + tape.get(b).broadcast_cols();
            loss::bce_with_logits(z, tape.constant(t)).backward_into(&mut grads);
            opt.step(&mut tape, &grads);
        }
    }
    let (w, b) = (tape.param_value(w), tape.param_value(b)[0]);
    let right = test
        .iter()
        .filter(|p| (w[0] * p.x[0] + w[1] * p.x[1] + b > 0.0) == (p.label == 1))
        .count();
    let accuracy = right as f64 / test.len() as f64;
    eprintln!("linear: held-out accuracy {accuracy:.4}");
    assert!(accuracy < 0.92, "held-out accuracy {accuracy}");
}

#[test]
fn training_is_deterministic() {
    // Same seed, same parameters after training, bit for bit.
    let run = || {
        let mut rng = SplitMix64::new(SEED);
        let (train, _) = data(&mut rng);
        let mut tape = Tape::new();
        let net = Net::<8>::new(&mut tape, &mut rng);
        let (mut opt, mut grads) = (Adam::new(0.05), Gradients::new());
        let mut order: Vec<usize> = (0..train.len()).collect();
        for _ in 0..3 {
            model::train_epoch::<8, B>(
                &net, &mut tape, &mut grads, &mut opt, &train, &mut order, &mut rng,
            );
        }
        (tape.param_value(net.w1), tape.param_value(net.b2))
    };
    assert_eq!(run(), run());
}

#[test]
fn splitmix64_reference_values() {
    // The first outputs of splitmix64 seeded with 1234567: the test sequence of Rosetta
    // Code's "Pseudo-random numbers/Splitmix64" task (0x599ED017FB08FC85, 0x2C73F08458540FA5,
    // 0x883EBCE5A3F27C77, 0x3FBEF740E9177B3F, 0xE3B8346708CB5ECD), in decimal.
    let mut rng = SplitMix64::new(1234567);
    let want = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ];
    for w in want {
        assert_eq!(rng.next_u64(), w);
    }
}

#[test]
fn moons_are_balanced_and_on_their_arcs() {
    let pts = moons(200, 0.0, &mut SplitMix64::new(SEED));
    assert_eq!(pts.iter().filter(|p| p.label == 1).count(), 100);
    for p in pts {
        // without noise each point lies on its unit half circle: centre (0, 0) or (1, ½)
        let (cx, cy) = if p.label == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        let r = ((p.x[0] - cx).powi(2) + (p.x[1] - cy).powi(2)).sqrt();
        assert!((r - 1.0).abs() < 1e-12, "{p:?}");
    }
}

#[test]
fn normal_noise_has_unit_variance() {
    // Box–Muller gives N(0, 1): over 100 000 draws the mean is within 0.01 and the variance
    // within 0.02 of (0, 1) (5σ bounds: σ_mean = 1/√n ≈ 0.003, σ_var = √(2/n) ≈ 0.0045).
    let mut rng = SplitMix64::new(SEED);
    let n = 100_000;
    let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(
        mean.abs() < 0.015 && (var - 1.0).abs() < 0.023,
        "{mean} {var}"
    );
}
