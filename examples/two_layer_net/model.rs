//! The two-layer net `p = σ(W2 σ(W1 x + b1) + b2)` on 2-D points, with its parameters kept
//! on the tape, and the training step: `tape.clear()`, record, `backward_into`, Adam.
//! Shared by the example and `tests/training.rs`, `tests/alloc_training.rs` (through
//! `#[path]`).

use nalgebra::SMatrix;
use shapegrad::optim::Adam;
use shapegrad::{Gradients, Param, Tape, Tensor, loss};

use crate::moons::{Point, SplitMix64};

/// A mini-batch of `B` points as the columns of a 2×B matrix.
pub type Inputs<const B: usize> = SMatrix<f64, 2, B>;
/// The batch's labels (0 or 1) as a 1×B row.
pub type Labels<const B: usize> = SMatrix<f64, 1, B>;

/// The net's parameters: `Copy` tokens for values that live on the tape (`Tape::param`), so
/// `tape.clear()` keeps them and each step reads them with `tape.get`.
#[derive(Clone, Copy, Debug)]
pub struct Net<const H: usize> {
    pub w1: Param<H, 2>,
    pub b1: Param<H, 1>,
    pub w2: Param<1, H>,
    pub b2: Param<1, 1>,
}

impl<const H: usize> Net<H> {
    /// Puts the parameters on `tape`: weights drawn uniformly from `±√(6/(fan_in + fan_out))`
    /// (Glorot & Bengio 2010), biases zero.
    pub fn new(tape: &mut Tape, rng: &mut SplitMix64) -> Self {
        let glorot = |fan_in: usize, fan_out: usize| (6.0 / (fan_in + fan_out) as f64).sqrt();
        let (a1, a2) = (glorot(2, H), glorot(H, 1));
        Net {
            w1: tape.param_from_fn(|_, _| rng.uniform_in(-a1, a1)),
            b1: tape.param(SMatrix::zeros()),
            w2: tape.param_from_fn(|_, _| rng.uniform_in(-a2, a2)),
            b2: tape.param(SMatrix::zeros()),
        }
    }

    /// Records the logits `z = W2 σ(W1 x + b1) + b2` of a batch (1×B); the net's output
    /// probability is `σ(z)`. The biases are columns repeated across the batch
    /// (`broadcast_cols`).
    pub fn logits<'t, const B: usize>(&self, tape: &'t Tape, x: &Inputs<B>) -> Tensor<'t, 1, B> {
        let x = tape.constant(*x);
        let (w1, b1) = (tape.get(self.w1), tape.get(self.b1));
        let (w2, b2) = (tape.get(self.w2), tape.get(self.b2));
        let hidden = (w1.matmul(x) + b1.broadcast_cols()).sigmoid(); // H×B
        w2.matmul(hidden) + b2.broadcast_cols()
    }

    /// One training step on a batch; returns the batch's loss before the update.
    ///
    /// The loss is the binary cross-entropy of `p = σ(z)` against the labels, computed by
    /// `bce_with_logits` from the logits `z` rather than from `p`. The two are the same
    /// function with the same gradient `σ(z) − t`, but through `p` it breaks down once the
    /// net is confident: `σ(z)` rounds to exactly 1 for `z > 37` (f64; `z > 17` in f32), so
    /// `ln(1 − p)` is `−inf` and the gradient NaN, and for large `|z|` the sigmoid's own
    /// gradient underflows and a misclassified point stops contributing.
    /// `max(z, 0) − z·t + ln(1 + e^{−|z|})` stays finite and exact for every `z`.
    pub fn train_step<const B: usize>(
        &self,
        tape: &mut Tape,
        grads: &mut Gradients,
        opt: &mut Adam,
        x: &Inputs<B>,
        t: &Labels<B>,
    ) -> f64 {
        tape.clear(); // forgets the last step's recording, keeps the parameters
        let loss = loss::bce_with_logits(self.logits(tape, x), tape.constant(*t));
        let value = loss.item();
        loss.backward_into(grads);
        opt.step(tape, grads);
        value
    }

    /// Writes the logit of each of `xs` into `out` (cleared first), `B` points at a time
    /// (the last batch padded with copies of its last point). Uses and clears `tape`.
    pub fn logits_of<const B: usize>(&self, tape: &mut Tape, xs: &[[f64; 2]], out: &mut Vec<f64>) {
        out.clear();
        for chunk in xs.chunks(B) {
            let x = Inputs::<B>::from_fn(|i, j| chunk[j.min(chunk.len() - 1)][i]);
            tape.clear();
            self.logits(tape, &x)
                .with_slice(|z| out.extend_from_slice(&z[..chunk.len()]));
        }
    }

    /// The fraction of `points` classified right: label 1 where `z > 0` (`p > ½`).
    pub fn accuracy<const B: usize>(&self, tape: &mut Tape, points: &[Point]) -> f64 {
        let xs: Vec<[f64; 2]> = points.iter().map(|p| p.x).collect();
        let mut z = Vec::with_capacity(xs.len());
        self.logits_of::<B>(tape, &xs, &mut z);
        let right = z
            .iter()
            .zip(points)
            .filter(|&(&z, p)| (z > 0.0) == (p.label == 1))
            .count();
        right as f64 / points.len() as f64
    }
}

/// The batch of the points at `idx` (`B` of them).
pub fn batch<const B: usize>(points: &[Point], idx: &[usize]) -> (Inputs<B>, Labels<B>) {
    assert_eq!(idx.len(), B, "a batch takes {B} points");
    let x = Inputs::<B>::from_fn(|i, j| points[idx[j]].x[i]);
    let t = Labels::<B>::from_fn(|_, j| f64::from(points[idx[j]].label));
    (x, t)
}

/// One epoch: shuffles `order` (the indices of `train`), then one training step per full
/// batch of `B` (a remainder of fewer than `B` points sits this epoch out). Returns the mean
/// batch loss.
pub fn train_epoch<const H: usize, const B: usize>(
    net: &Net<H>,
    tape: &mut Tape,
    grads: &mut Gradients,
    opt: &mut Adam,
    train: &[Point],
    order: &mut [usize],
    rng: &mut SplitMix64,
) -> f64 {
    rng.shuffle(order);
    let mut total = 0.0;
    let batches = order.len() / B;
    for idx in order.chunks_exact(B) {
        let (x, t) = batch::<B>(train, idx);
        total += net.train_step(tape, grads, opt, &x, &t);
    }
    total / batches as f64
}
