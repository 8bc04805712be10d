//! shapegrad's gradients against hand-written nalgebra gradients (the practical limit) and
//! the plain forward pass, one criterion group per workload.
//!
//! Run: `cargo bench --bench gradients` (all), or e.g. `cargo bench --bench gradients -- net_64`.
//! Every timed shapegrad iteration does a whole training step's work: clear the reused tape,
//! record the forward pass, run backward into reused `Gradients`, and read every gradient
//! (zero-copy slices, passed to `black_box`). The nets' parameters are `Param`s, kept on the
//! tape between steps (as a training loop keeps them); the input is recorded every step.

mod baseline;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shapegrad::{Gradients, Scalar, Tape};

use baseline::{Net, NetGrads, chain_by_hand, graph_by_hand, graph_on_tape};

/// The notebook's first inputs1 entry (its TEST 8 trace): x = [-1, 4], w = [-7, -6, 5, 0].
const GRAPH_X: [f64; 2] = [-1.0, 4.0];
const GRAPH_W: [f64; 4] = [-7.0, -6.0, 5.0, 0.0];

/// One training step on the notebook's graph function: record it on the reused tape,
/// differentiate into the reused gradients and read all six gradients. A function of its own,
/// as a user's step would be (and as `graph_by_hand` is), so that the timing loop around it
/// does not change how it compiles.
#[inline(never)]
fn graph_step(tape: &mut Tape<f64>, grads: &mut Gradients<f64>) {
    tape.clear();
    let (y, leaves) = graph_on_tape(tape, black_box(GRAPH_X), black_box(GRAPH_W));
    y.backward_into(grads);
    for t in leaves {
        black_box(grads.slice(t));
    }
}

fn graph(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph");
    let mut tape = Tape::<f64>::with_capacity(64, 64);
    let mut grads = Gradients::new();
    group.bench_function("shapegrad", |b| {
        b.iter(|| graph_step(&mut tape, &mut grads))
    });
    group.bench_function("by_hand", |b| {
        let mut g = [0.0; 6];
        b.iter(|| {
            let y = graph_by_hand(black_box(GRAPH_X), black_box(GRAPH_W), &mut g);
            black_box((y, &g));
        })
    });
    group.finish();
}

fn net<T: Scalar, const N: usize, const H: usize, const O: usize>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group(name);
    let net = Net::<T, N, H, O>::new();
    let x = Net::<T, N, H, O>::input();
    // The parameters live on the tape (kept by `clear`); the input is recorded every step.
    let mut tape = Tape::<T>::new();
    let p = net.params_on(&mut tape);
    let mut grads = Gradients::new();
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            tape.clear();
            let (loss, x) = p.loss_on(&tape, black_box(x));
            loss.backward_into(&mut grads);
            black_box(loss.item());
            black_box((
                grads.slice(x),
                grads.param_slice(p.w1),
                grads.param_slice(p.b1),
            ));
            black_box((grads.param_slice(p.w2), grads.param_slice(p.b2)));
        })
    });
    let mut g = NetGrads::<T, N, H, O>::new();
    group.bench_function("by_hand", |b| {
        b.iter(|| black_box(net.grad_by_hand(black_box(&x), &mut g)))
    });
    group.bench_function("forward", |b| {
        b.iter(|| black_box(net.forward(black_box(&x))))
    });
    group.finish();
}

fn nets(c: &mut Criterion) {
    net::<f64, 3, 4, 2>(c, "net_3_4_2_f64");
    net::<f64, 16, 32, 8>(c, "net_16_32_8_f64");
    net::<f64, 64, 128, 10>(c, "net_64_128_10_f64");
    net::<f32, 64, 128, 10>(c, "net_64_128_10_f32");
    net::<f64, 784, 128, 10>(c, "net_784_128_10_f64");
}

/// `z ← z·c + z·z·k` for `steps` steps: 4 recorded ops a step. `c = 1.5`, `k = -0.5` make
/// `z = 1` an attracting fixed point, so values stay finite and normal.
fn chain(c: &mut Criterion) {
    let (z0, cc, k) = (0.8, 1.5, -0.5);
    let mut group = c.benchmark_group("chain");
    group.sample_size(20);
    for steps in [1_000usize, 10_000, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(4 * steps as u64));
        let mut tape = Tape::<f64>::with_capacity(4 * steps + 1, 10 * steps + 1);
        let mut grads = Gradients::new();
        group.bench_with_input(BenchmarkId::new("shapegrad", steps), &steps, |b, &steps| {
            b.iter(|| {
                tape.clear();
                let x = tape.var_scalar(black_box(z0));
                let mut z = x;
                for _ in 0..steps {
                    z = z * cc + z * z * k;
                }
                z.backward_into(&mut grads);
                black_box(grads.slice(x));
            })
        });
        let mut zs = Vec::with_capacity(steps);
        group.bench_with_input(BenchmarkId::new("by_hand", steps), &steps, |b, &steps| {
            b.iter(|| black_box(chain_by_hand(black_box(z0), cc, k, steps, &mut zs)))
        });
    }
    group.finish();
}

/// Four independent chains `z ← z·c + z·z·k` interleaved, 250 steps each: the same 4000
/// recorded ops as `chain/1000`, but consecutive ops do not depend on each other, so the
/// difference to `chain/1000` is what the serial chain loses to latency. (In the second
/// session, with every value and gradient read back from the tape's memory, that was
/// 1.5 ns per op; with values in the handles and the walk's carried gradient, none:
/// `docs/benchmarks.md`.)
fn chain_interleaved(c: &mut Criterion) {
    let (z0, cc, k) = (0.8, 1.5, -0.5);
    let mut group = c.benchmark_group("chain_interleaved");
    let steps = 250;
    group.throughput(Throughput::Elements(16 * steps as u64 + 3));
    let mut tape = Tape::<f64>::with_capacity(16 * steps + 4, 40 * steps + 8);
    let mut grads = Gradients::new();
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            tape.clear();
            let x = tape.var_scalar(black_box(z0));
            let (mut p, mut q, mut r, mut s) = (x, x, x, x);
            for _ in 0..steps {
                p = p * cc + p * p * k;
                q = q * cc + q * q * k;
                r = r * cc + r * r * k;
                s = s * cc + s * s * k;
            }
            (p + q + r + s).backward_into(&mut grads);
            black_box(grads.slice(x));
        })
    });
    group.finish();
}

criterion_group!(benches, graph, nets, chain, chain_interleaved);
criterion_main!(benches);
