//! The interleaved timing loop shared by `idioms.rs` and `vocabulary.rs`: for machines too
//! noisy for back-to-back criterion rows (`docs/benchmarks.md`).

use std::time::{Duration, Instant};

/// Rounds per workload.
pub const ROUNDS: usize = 25;

/// One row: its name and one iteration.
pub type Row<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Whether the command line's filter (its first argument not starting with `-`) selects
/// `workload`: every workload without one. Callers test it before costly set-up.
pub fn wanted(workload: &str) -> bool {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    filter.is_none_or(|f| workload.contains(f.as_str()))
}

/// Times the rows of one workload interleaved; prints ns per iteration (and per `unit`).
pub fn run(workload: &str, unit: (f64, &str), rows: &mut [Row<'_>]) {
    if !wanted(workload) {
        return;
    }
    // `ROWS=replay,by_hand` times those rows only (for a profiler)
    if let Ok(only) = std::env::var("ROWS") {
        let only: Vec<&str> = only.split(',').collect();
        let mut kept: Vec<Row<'_>> = Vec::new();
        for (name, f) in rows.iter_mut() {
            if only.contains(name) {
                kept.push((name, Box::new(f)));
            }
        }
        return run_rows(workload, unit, &mut kept);
    }
    run_rows(workload, unit, rows)
}

/// [`run`] on the rows chosen.
fn run_rows(workload: &str, unit: (f64, &str), rows: &mut [Row<'_>]) {
    // block sizes: iterations filling ~2 ms, from one warm-up block per row
    let sizes: Vec<usize> = rows
        .iter_mut()
        .map(|(_, f)| {
            let t = Instant::now();
            let mut n = 0;
            while t.elapsed() < Duration::from_millis(20) {
                f();
                n += 1;
            }
            (n / 10).max(1)
        })
        .collect();
    let mut best = vec![f64::INFINITY; rows.len()];
    for _ in 0..ROUNDS {
        for ((_, f), (&n, b)) in rows.iter_mut().zip(sizes.iter().zip(&mut best)) {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            *b = b.min(t.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    // the baseline column: the hand-written gradient, or the op alone (no gradient)
    let base = rows
        .iter()
        .position(|(n, _)| *n == "by_hand" || *n == "op_alone")
        .map(|k| (rows[k].0, best[k]));
    let tuned = rows
        .iter()
        .position(|(n, _)| *n == "tuned")
        .map(|k| best[k]);
    for ((name, _), &ns) in rows.iter().zip(&best) {
        let per = if unit.0 > 1.0 {
            format!("  {:8.2} ns/{}", ns / unit.0, unit.1)
        } else {
            String::new()
        };
        let vs_tuned = tuned.map_or(String::new(), |t| format!("  {:5.2}× tuned", ns / t));
        let vs_base = base.map_or(String::new(), |(b, h)| format!("  {:5.2}× {b}", ns / h));
        println!("{workload:<22} {name:<12} {ns:>14.1} ns{per}{vs_tuned}{vs_base}");
    }
}
