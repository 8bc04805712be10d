//! Swing-up of a torque-limited pendulum: the 100 torques of a semi-implicit Euler rollout,
//! optimised on shapegrad's exact gradient of the rollout's cost by Adam written out plainly.
//! Prints progress while it runs, and draws θ(t) and u(t) as SVG.
//!
//! ```text
//! cargo run --release --example pendulum -- [--iterations N] [--out DIR]
//! ```
//!
//! Dynamics `θ̈ = −(g/ℓ) sin θ + u` with `|u| ≤ 3` (too weak to lift the pendulum directly:
//! it has to pump), from rest at the bottom (`θ = 0`) to the top (`θ = π`) in 5 s (100 steps
//! of 0.05 s). The torques are `u = 3 tanh v` of free parameters `v`, so the limit holds
//! with a gradient everywhere. The picture goes to `DIR/pendulum.svg` (default
//! `target/pendulum/`), written through a temporary file and a rename.

#[path = "common/models.rs"]
mod models;
#[path = "common/write_atomic.rs"]
mod write_atomic;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use nalgebra::SVector;
use shapegrad::Tape;

use models::{STEPS, U_MAX, cost, rollout};
use write_atomic::write_atomic;

fn parse() -> Result<(usize, PathBuf), String> {
    let (mut iterations, mut out) = (1500, PathBuf::from("target/pendulum"));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--iterations" => {
                let n = args.next().ok_or("--iterations needs a number")?;
                iterations = n
                    .parse()
                    .map_err(|_| format!("--iterations: `{n}` is not a count"))?;
            }
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            _ => {
                return Err(format!(
                    "unknown argument `{a}`; usage: pendulum [--iterations N] [--out DIR]"
                ));
            }
        }
    }
    Ok((iterations, out))
}

fn main() -> ExitCode {
    let (iterations, out) = match parse() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Adam on v, written out (β₁ = 0.9, β₂ = 0.999, step 0.05)
    let (lr, b1, b2, eps) = (0.05, 0.9, 0.999, 1e-8);
    // a small deterministic start: a gentle push one way, then the other
    let mut v = SVector::<f64, STEPS>::from_fn(|k, _| 0.1 * (k as f64 * 0.2).sin());
    let (mut m, mut s) = (
        SVector::<f64, STEPS>::zeros(),
        SVector::<f64, STEPS>::zeros(),
    );
    let mut last = f64::NAN;
    for it in 1..=iterations {
        let tape = Tape::new();
        let vt = tape.var(v);
        let j = cost(vt);
        let g = j.backward().wrt(vt);
        last = j.item();
        m = m * b1 + g * (1.0 - b1);
        s = s * b2 + g.component_mul(&g) * (1.0 - b2);
        let (mh, sh) = (
            m / (1.0 - b1.powi(it as i32)),
            s / (1.0 - b2.powi(it as i32)),
        );
        v -= mh.zip_map(&sh, |m, s| lr * m / (s.sqrt() + eps));
        if it == 1 || it % 250 == 0 || it == iterations {
            println!("iteration {it:>5}: cost {last:.6}");
        }
    }
    // the result, in plain numbers
    let tape = Tape::new();
    let (u, states) = rollout(tape.constant(v));
    let (u, states): (Vec<f64>, Vec<(f64, f64)>) = (
        u.value().iter().copied().collect(),
        states.iter().map(|(t, w)| (t.item(), w.item())).collect(),
    );
    let (theta, omega) = states[STEPS - 1];
    println!(
        "final state: θ = {theta:.4} (π = {:.4}), ω = {omega:.4}; max |u| = {:.3}",
        std::f64::consts::PI,
        u.iter().fold(0.0_f64, |a, b| a.max(b.abs()))
    );
    if !last.is_finite() {
        eprintln!("error: the cost is not finite");
        return ExitCode::FAILURE;
    }
    if let Err(e) = fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let file = out.join("pendulum.svg");
    match write_atomic(&file, &svg(&states, &u)) {
        Ok(()) => {
            println!("wrote {}", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// θ(t) (top panel, with the target π dashed) and u(t) (bottom panel) as SVG.
fn svg(states: &[(f64, f64)], u: &[f64]) -> String {
    let (w, h) = (640.0, 420.0);
    let x = |k: usize| 40.0 + (w - 60.0) * k as f64 / (STEPS - 1) as f64;
    let line = |ys: &[f64], lo: f64, hi: f64, top: f64, height: f64| -> String {
        ys.iter()
            .enumerate()
            .map(|(k, &y)| format!("{:.1},{:.1}", x(k), top + height * (hi - y) / (hi - lo)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let theta: Vec<f64> = states.iter().map(|s| s.0).collect();
    let (tlo, thi) = (-1.0, 4.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let pi_y = 20.0 + 220.0 * (thi - std::f64::consts::PI) / (thi - tlo);
    let _ = writeln!(
        s,
        r##"<line x1="40" x2="{}" y1="{pi_y:.1}" y2="{pi_y:.1}" stroke="#c33" stroke-dasharray="4 4"/>"##,
        w - 20.0
    );
    let _ = writeln!(
        s,
        r##"<text x="44" y="16" font-family="sans-serif" font-size="12">θ(t), target π dashed</text>"##
    );
    let _ = writeln!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#36c" stroke-width="2"/>"##,
        line(&theta, tlo, thi, 20.0, 220.0)
    );
    let _ = writeln!(
        s,
        r##"<text x="44" y="272" font-family="sans-serif" font-size="12">u(t), |u| ≤ {U_MAX}</text>"##
    );
    let _ = writeln!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#393" stroke-width="2"/>"##,
        line(u, -U_MAX, U_MAX, 280.0, 120.0)
    );
    s.push_str("</svg>\n");
    s
}
