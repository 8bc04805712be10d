//! The README idiom against the tuned idiom, interleaved: a plain timing loop for machines
//! too noisy for back-to-back criterion rows (`docs/benchmarks.md`).
//!
//! Run: `cargo bench --bench idioms` (about a minute), or `cargo bench --bench idioms -- chain`
//! for the workloads whose name contains `chain`.
//!
//! The workloads and rows are `benches/gradients.rs`'s (same step code, same inputs). For each
//! workload, every round times one block of each row in turn (a block: as many iterations as
//! fill about 2 ms, at least one), for [`ROUNDS`] rounds; the figure per row is its fastest
//! block's time per iteration. Interleaving puts every row through the same machine states,
//! and the fastest block is the one least disturbed by other tenants; the ratios are taken
//! between figures of one run.

mod baseline;
mod interleave;

use std::hint::black_box;

use shapegrad::{Gradients, Scalar, Tape};

use interleave::{Row, run, wanted};

use baseline::{
    ChainReplay, GRAPH_W, GRAPH_X, GraphReplay, MinimalTape, Net, NetGrads, NetReplay, Record,
    chain_by_hand, chain_readme, chain_tuned, chain_var_c_by_hand, chain_var_c_minimal_tape,
    graph_by_hand, graph_notebook_on_tape, graph_on_tape, graph_readme, graph_tuned,
};

fn graphs() {
    let forms: [(&str, Record); 2] = [
        ("graph_notebook", graph_notebook_on_tape),
        ("graph", graph_on_tape),
    ];
    for (name, record) in forms {
        let mut tape = Tape::<f64>::new();
        let mut grads = Gradients::new();
        let mut g = [0.0; 6];
        let mut replay = GraphReplay::new(record);
        run(
            name,
            (1.0, ""),
            &mut [
                (
                    "readme",
                    Box::new(|| {
                        black_box(graph_readme(record));
                    }),
                ),
                (
                    "tuned",
                    Box::new(|| graph_tuned(record, &mut tape, &mut grads)),
                ),
                (
                    "replay",
                    Box::new(|| {
                        black_box(replay.step(black_box(GRAPH_X), black_box(GRAPH_W)));
                    }),
                ),
                (
                    "by_hand",
                    Box::new(|| {
                        let y = graph_by_hand(black_box(GRAPH_X), black_box(GRAPH_W), &mut g);
                        black_box((y, &g));
                    }),
                ),
            ],
        );
    }
}

fn net<T: Scalar, const N: usize, const H: usize, const O: usize>(name: &str) {
    let net = Net::<T, N, H, O>::new();
    let x = Net::<T, N, H, O>::input();
    let (mut tape, mut grads) = (Tape::<T>::new(), Gradients::new());
    let (mut tape2, mut grads2) = (Tape::<T>::new(), Gradients::new());
    let mut g = NetGrads::<T, N, H, O>::new();
    let mut replay = NetReplay::new(&net, x);
    let mut replay2 = NetReplay::new(&net, x);
    run(
        name,
        (1.0, ""),
        &mut [
            ("readme", Box::new(|| net.step_readme(x))),
            (
                "tuned",
                Box::new(|| net.step_tuned(x, &mut tape, &mut grads, false)),
            ),
            (
                "tuned_wrt",
                Box::new(|| net.step_tuned(x, &mut tape2, &mut grads2, true)),
            ),
            (
                "replay",
                Box::new(|| {
                    black_box(replay.step(&net, black_box(&x), false));
                }),
            ),
            (
                "replay_wrt",
                Box::new(|| {
                    black_box(replay2.step(&net, black_box(&x), true));
                }),
            ),
            (
                "by_hand",
                Box::new(|| {
                    black_box(net.grad_by_hand(black_box(&x), &mut g));
                }),
            ),
        ],
    );
}

fn nets() {
    net::<f64, 3, 4, 2>("net_3_4_2_f64");
    net::<f64, 16, 32, 8>("net_16_32_8_f64");
    net::<f64, 64, 128, 10>("net_64_128_10_f64");
    net::<f32, 64, 128, 10>("net_64_128_10_f32");
    net::<f64, 784, 128, 10>("net_784_128_10_f64");
}

fn chains() {
    chain_group::<true>("chain_var_c", (0.5, 1.0 - 1e-7, -1e-6));
    chain_group::<false>("chain", (0.8, 1.5, -0.5));
}

/// One chain workload at every length: both idioms and the hand-written gradient.
fn chain_group<const C_VAR: bool>(name: &str, params: (f64, f64, f64)) {
    let (z0, cc, k) = params;
    for steps in [1_000usize, 10_000, 100_000, 1_000_000] {
        if !wanted(&format!("{name}/{steps}")) {
            continue;
        }
        let (mut tape, mut grads) = (Tape::<f64>::new(), Gradients::new());
        let mut zs = Vec::with_capacity(steps);
        let mut minimal = MinimalTape::default();
        let mut replay = C_VAR.then(|| ChainReplay::new(params, steps));
        let mut rows: Vec<Row<'_>> = vec![
            ("readme", Box::new(|| chain_readme::<C_VAR>(params, steps))),
            (
                "tuned",
                Box::new(|| chain_tuned::<C_VAR>(params, steps, &mut tape, &mut grads)),
            ),
        ];
        if let Some(replay) = &mut replay {
            rows.push((
                "replay",
                Box::new(move || {
                    black_box(replay.step(black_box(z0), cc));
                }),
            ));
        }
        if C_VAR {
            // not a shapegrad idiom: the floor of a minimal safe-Rust tape (baseline.rs)
            rows.push((
                "minimal_tape",
                Box::new(|| {
                    black_box(chain_var_c_minimal_tape(params, steps, &mut minimal));
                }),
            ));
        }
        rows.push((
            "by_hand",
            Box::new(|| {
                if C_VAR {
                    black_box(chain_var_c_by_hand(black_box(z0), cc, k, steps, &mut zs));
                } else {
                    black_box(chain_by_hand(black_box(z0), cc, k, steps, &mut zs));
                }
            }),
        ));
        run(
            &format!("{name}/{steps}"),
            (4.0 * steps as f64, "op"),
            &mut rows,
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too, with nothing to do
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    graphs();
    nets();
    chains();
}
