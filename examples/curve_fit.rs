//! Fits two NIST StRD nonlinear-regression problems, Misra1a and Rat43, with the
//! levenberg-marquardt crate on shapegrad's exact Jacobians, from both of NIST's starting
//! points, and prints each fitted parameter next to NIST's certified value with the number of
//! digits they share (NIST's log relative error). Draws the data and the fits as SVG.
//!
//! ```text
//! cargo run --release --example curve_fit --features levenberg-marquardt,dual -- [--out DIR]
//! ```
//!
//! The residuals are written once (`examples/common/nist.rs`, a `VectorFn` per problem);
//! with the feature `dual`, `shapegrad::jacobian` computes their tall Jacobians (14×2,
//! 15×4) in forward mode. The picture goes to `DIR/curve_fit.svg` (default
//! `target/curve_fit/`), written through a temporary file and a rename. Exits with status 1
//! if a fit from NIST's second (near) start does not reach 6 agreeing digits on every
//! parameter, 2 on a bad flag.

#[path = "common/fit.rs"]
mod fit;
#[path = "common/nist.rs"]
mod nist;
#[path = "common/write_atomic.rs"]
mod write_atomic;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use shapegrad::VectorFn;
use shapegrad::nalgebra_034 as na;

use fit::{Fit, agreeing_digits, fit};
use nist::{MISRA1A, Misra1a, Problem, RAT43, Rat43};
use write_atomic::write_atomic;

/// `v` as NIST prints its certified values: `d.dddddddddd E±ee`.
fn nist_format(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return format!("{v:>16}");
    }
    let e = v.abs().log10().floor() as i32;
    let mut m = v / 10f64.powi(e);
    let mut e = e;
    // the rounded mantissa may reach 10
    if format!("{:.10}", m.abs()).starts_with("10") {
        m /= 10.0;
        e += 1;
    }
    format!("{m:.10}E{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Fits `p` from both starts, prints the table, and returns the fits and whether the
/// near start's fit agrees with NIST to 6 digits on every parameter.
fn run<F: VectorFn<N, M> + Copy, const N: usize, const M: usize>(
    p: &Problem<N, M>,
    f: F,
) -> (Vec<Fit<N>>, bool)
where
    na::Const<M>: na::DimMin<na::Const<N>> + na::DimMax<na::Const<N>>,
    na::DefaultAllocator: na::allocator::Reallocator<
            f64,
            na::Const<M>,
            na::Const<N>,
            na::DimMaximum<na::Const<M>, na::Const<N>>,
            na::Const<N>,
        >,
{
    println!(
        "{}: {}, {} observations (NIST difficulty: {})",
        p.name, p.model, M, p.difficulty
    );
    let mut fits = Vec::new();
    let mut near_ok = true;
    for (k, start) in p.starts.iter().enumerate() {
        let r = fit(f, *start);
        let start_text: Vec<String> = start.iter().map(|s| format!("{s}")).collect();
        println!(
            "  start {} = ({}): {:?} after {} evaluations",
            k + 1,
            start_text.join(", "),
            r.termination,
            r.evaluations
        );
        println!("    parameter           fitted          certified   digits");
        for i in 0..N {
            let digits = agreeing_digits(r.x[i], p.certified[i]);
            if k == 1 && digits < 6.0 {
                near_ok = false;
            }
            println!(
                "    b{}         {:>16}   {:>16}   {digits:6.1}",
                i + 1,
                nist_format(r.x[i]),
                p.certified_str[i]
            );
        }
        println!(
            "    RSS        {:>16}   {:>16}   {:6.1}",
            nist_format(r.rss),
            nist_format(p.certified_rss),
            agreeing_digits(r.rss, p.certified_rss)
        );
        near_ok &= k != 1 || r.converged();
        fits.push(r);
    }
    (fits, near_ok)
}

/// One panel of the picture: the data as dots, each fit that converged as a curve.
fn panel<const N: usize, const M: usize>(
    s: &mut String,
    p: &Problem<N, M>,
    model: impl Fn(&Fit<N>, f64) -> f64,
    fits: &[Fit<N>],
    left: f64,
) {
    let (w, h, pad) = (420.0, 300.0, 40.0);
    let (x0, x1) =
        p.x.iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let (y0, y1) =
        p.y.iter()
            .fold((0.0f64, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
    let px = |x: f64, y: f64| {
        (
            left + pad + (x - x0) / (x1 - x0) * (w - 2.0 * pad),
            h - pad - (y - y0) / (1.1 * (y1 - y0)) * (h - 2.0 * pad),
        )
    };
    let _ = writeln!(
        s,
        r##"<text x="{}" y="20" font-family="sans-serif" font-size="14">{}: {}</text>"##,
        left + pad,
        p.name,
        p.model
    );
    let ((ax, ay), (bx, by)) = (px(x0, y0), px(x1, y0));
    let _ = writeln!(
        s,
        r##"<path d="M{ax:.1} {ay:.1} L{bx:.1} {by:.1} M{ax:.1} {ay:.1} L{ax:.1} {:.1}" stroke="#888"/>"##,
        px(x0, 1.1 * y1).1
    );
    let styles = [
        "stroke-dasharray=\"6 4\" stroke=\"#c33\"",
        "stroke=\"#36c\"",
    ];
    for (k, f) in fits.iter().enumerate().filter(|(_, f)| f.converged()) {
        let points: Vec<String> = (0..=100)
            .map(|i| {
                let x = x0 + (x1 - x0) * f64::from(i) / 100.0;
                let (a, b) = px(x, model(f, x));
                format!("{a:.1},{b:.1}")
            })
            .collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke-width="1.5" {}/>"##,
            points.join(" "),
            styles[k]
        );
    }
    for (&x, &y) in p.x.iter().zip(&p.y) {
        let (a, b) = px(x, y);
        let _ = writeln!(
            s,
            r##"<circle cx="{a:.1}" cy="{b:.1}" r="3" fill="#222"/>"##
        );
    }
}

fn parse() -> Result<PathBuf, String> {
    let mut out = PathBuf::from("target/curve_fit");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            _ => {
                return Err(format!(
                    "unknown argument `{a}`; usage: curve_fit [--out DIR]"
                ));
            }
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let out = match parse() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (misra, misra_ok) = run(&MISRA1A, Misra1a);
    println!();
    let (rat, rat_ok) = run(&RAT43, Rat43);

    let mut svg = String::from(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="840" height="330" viewBox="0 0 840 330">
<rect width="840" height="330" fill="white"/>
"##,
    );
    panel(
        &mut svg,
        &MISRA1A,
        |f, x| f.x[0] * -(-f.x[1] * x).exp_m1(),
        &misra,
        0.0,
    );
    panel(
        &mut svg,
        &RAT43,
        |f, x| f.x[0] / (1.0 + (f.x[1] - f.x[2] * x).exp()).powf(1.0 / f.x[3]),
        &rat,
        420.0,
    );
    svg.push_str(
        r##"<text x="40" y="322" font-family="sans-serif" font-size="12">dots: NIST data; blue: fit from start 2; dashed red: fit from start 1</text>
</svg>
"##,
    );
    let file = out.join("curve_fit.svg");
    if let Err(e) = std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))
        .and_then(|()| write_atomic(&file, &svg))
    {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("\nwrote {}", file.display());
    if misra_ok && rat_ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a fit from NIST's second start agrees with NIST to fewer than 6 digits");
        ExitCode::FAILURE
    }
}
