//! shapegrad's gradients against hand-written nalgebra gradients (the practical limit), one
//! criterion group per workload, each timed in the two idioms users write:
//!
//! - `readme`: what the README shows, a fresh `Tape::new()` per evaluation, `backward()`, and
//!   every gradient copied out with `wrt`;
//! - `tuned`: one tape kept across evaluations and `clear`ed, `backward_into` one reused
//!   `Gradients`, gradients read as zero-copy `slice`s.
//!
//! Run: `cargo bench --bench gradients` (all), or e.g. `cargo bench --bench gradients -- net_64`.
//! `docs/benchmarks.md` has the figures and the CPU they were measured on.

mod baseline;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shapegrad::{Gradients, Scalar, Tape, Tensor};

use baseline::{
    GRAPH_W, GRAPH_X, Net, NetGrads, Record, chain_by_hand, chain_readme, chain_tuned,
    chain_var_c_by_hand, graph_by_hand, graph_notebook_on_tape, graph_on_tape, graph_readme,
    graph_tuned,
};

/// The graph function two ways: `graph_notebook` as the notebook writes it (sigmoid and tanh
/// from `exp`, 21 ops), `graph` with shapegrad's primitive `sigmoid` and `tanh` (10 ops). The
/// hand-written gradient is the same for both.
fn graphs(c: &mut Criterion) {
    let forms: [(&str, Record); 2] = [
        ("graph_notebook", graph_notebook_on_tape),
        ("graph", graph_on_tape),
    ];
    for (name, record) in forms {
        let mut group = c.benchmark_group(name);
        group.bench_function("readme", |b| b.iter(|| black_box(graph_readme(record))));
        let mut tape = Tape::<f64>::new();
        let mut grads = Gradients::new();
        group.bench_function("tuned", |b| {
            b.iter(|| graph_tuned(record, &mut tape, &mut grads))
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
}

/// `Σ σ(W2 σ(W1 x + b1) + b2)` with the input and every weight recorded as a variable each
/// call and every gradient read: copied out with `wrt` (`readme`, as a user's function
/// returning its gradients does) or as slices (`tuned`); `tuned_wrt` is the tuned idiom with
/// the README's `wrt` copies, which splits the difference into the copies and the rest.
/// `params` is the training-loop form: weights as `Param`s kept on the reused tape, slices.
fn net<T: Scalar, const N: usize, const H: usize, const O: usize>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group(name);
    let net = Net::<T, N, H, O>::new();
    let x = Net::<T, N, H, O>::input();
    group.bench_function("readme", |b| b.iter(|| net.step_readme(x)));
    let mut tape = Tape::<T>::new();
    let mut grads = Gradients::new();
    group.bench_function("tuned", |b| {
        b.iter(|| net.step_tuned(x, &mut tape, &mut grads, false))
    });
    group.bench_function("tuned_wrt", |b| {
        b.iter(|| net.step_tuned(x, &mut tape, &mut grads, true))
    });
    let mut tape = Tape::<T>::new();
    let p = net.params_on(&mut tape);
    group.bench_function("params", |b| {
        b.iter(|| {
            tape.clear();
            let (loss, x) = p.loss_on(&tape, black_box(x));
            loss.backward_into(&mut grads);
            black_box((loss.item(), grads.slice(x), grads.param_slice(p.w1)));
            black_box((grads.param_slice(p.b1), grads.param_slice(p.w2)));
            black_box(grads.param_slice(p.b2));
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

/// The chain steps timed: 10³ to 10⁶.
const CHAIN_STEPS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// `z ← z·c + z·z·k` with `c` a variable, differentiated with respect to `z₀` and `c`:
/// z₀ = 0.5, c = 1 − 10⁻⁷, k = −10⁻⁶ (z decays slowly and stays far from subnormals).
/// 4 recorded ops a step.
fn chain_var_c(c: &mut Criterion) {
    chains::<true>(c, "chain_var_c", (0.5, 1.0 - 1e-7, -1e-6));
}

/// The same chain with `c` a plain number (`c = 1.5`, `k = -0.5`, `z = 1` an attracting fixed
/// point), differentiated with respect to `z₀`: an easier variant (no gradient for `c`), kept
/// for comparison with earlier sessions. Its values stay normal but its gradient does not:
/// `∂z_n/∂z_i ≈ 0.5^(n-i)` underflows after ~1075 steps and then sticks at the smallest
/// subnormal (`5e-324 × 0.5000001` rounds back up), so from 10⁴ steps on most of the walk,
/// and of the hand-written gradient, multiplies subnormals: slow on CPUs that take a
/// microcode assist for them (`docs/benchmarks.md`). `chain_var_c` avoids that.
fn chain(c: &mut Criterion) {
    chains::<false>(c, "chain", (0.8, 1.5, -0.5));
}

/// One chain group: both idioms and the hand-written gradient at every length.
fn chains<const C_VAR: bool>(c: &mut Criterion, name: &str, params: (f64, f64, f64)) {
    let (z0, cc, k) = params;
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    for steps in CHAIN_STEPS {
        group.throughput(Throughput::Elements(4 * steps as u64));
        group.bench_with_input(BenchmarkId::new("readme", steps), &steps, |b, &steps| {
            b.iter(|| chain_readme::<C_VAR>(params, steps))
        });
        let mut tape = Tape::<f64>::new();
        let mut grads = Gradients::new();
        group.bench_with_input(BenchmarkId::new("tuned", steps), &steps, |b, &steps| {
            b.iter(|| chain_tuned::<C_VAR>(params, steps, &mut tape, &mut grads))
        });
        let mut zs = Vec::with_capacity(steps);
        group.bench_with_input(BenchmarkId::new("by_hand", steps), &steps, |b, &steps| {
            if C_VAR {
                b.iter(|| black_box(chain_var_c_by_hand(black_box(z0), cc, k, steps, &mut zs)))
            } else {
                b.iter(|| black_box(chain_by_hand(black_box(z0), cc, k, steps, &mut zs)))
            }
        });
    }
    group.finish();
}

/// Four independent chains `z ← z·c + z·z·k` (c constant) interleaved, 250 steps each: the
/// same 4000 recorded ops as `chain/1000`, but consecutive ops do not depend on each other,
/// so the difference to `chain/1000` is what the serial chain loses to latency.
fn chain_interleaved(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain_interleaved");
    let steps = 250;
    group.throughput(Throughput::Elements(16 * steps as u64 + 3));
    fn run(tape: &Tape<f64>) -> (Tensor<'_, 1, 1>, Tensor<'_, 1, 1>) {
        let (z0, cc, k, steps) = (0.8, 1.5, -0.5, 250);
        let x = tape.var_scalar(black_box(z0));
        let (mut p, mut q, mut r, mut s) = (x, x, x, x);
        for _ in 0..steps {
            p = p * cc + p * p * k;
            q = q * cc + q * q * k;
            r = r * cc + r * r * k;
            s = s * cc + s * s * k;
        }
        (x, p + q + r + s)
    }
    group.bench_function("readme", |b| {
        b.iter(|| {
            let tape = Tape::new();
            let (x, y) = run(&tape);
            black_box(y.backward().wrt(x));
        })
    });
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::new();
    group.bench_function("tuned", |b| {
        b.iter(|| {
            tape.clear();
            let (x, y) = run(&tape);
            y.backward_into(&mut grads);
            black_box(grads.slice(x));
        })
    });
    group.finish();
}

criterion_group!(benches, graphs, nets, chain_var_c, chain, chain_interleaved);
criterion_main!(benches);
