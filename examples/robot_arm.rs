//! A planar 3-link arm reaching a sequence of targets by damped Gauss–Newton
//! (Levenberg–Marquardt on the joint angles) on shapegrad's exact Jacobian of the forward
//! kinematics. Prints, per target, the iterations and the final distance, and draws the
//! solved poses and the path of the hand as SVG.
//!
//! ```text
//! cargo run --release --example robot_arm -- [--out DIR]
//! ```
//!
//! The picture goes to `DIR/robot_arm.svg` (default `target/robot_arm/`), written through a
//! temporary file and a rename. The targets include the edge of the workspace (the arm
//! straight: a singular pose, where plain Gauss–Newton's `JJᵀ` is not invertible) and a point
//! out of reach (the arm ends pointing at it); the damping keeps both steps finite. Bad
//! flags exit with status 2 and one line saying what is wrong.

#[path = "common/models.rs"]
mod models;
#[path = "common/write_atomic.rs"]
mod write_atomic;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use nalgebra::{Vector2, Vector3};
use shapegrad::Tape;

use models::{LINKS, hand};
use write_atomic::write_atomic;

/// The joint positions (base, elbow, wrist, hand) for drawing, in plain f64.
fn joints(q: &Vector3<f64>) -> [Vector2<f64>; 4] {
    let mut p = [Vector2::zeros(); 4];
    let mut angle = 0.0;
    for k in 0..3 {
        angle += q[k];
        p[k + 1] = p[k] + Vector2::new(angle.cos(), angle.sin()) * LINKS[k];
    }
    p
}

/// One reach: damped Gauss–Newton from `q` towards `target`. Each step solves
/// `(JᵀJ + λI) Δ = −Jᵀr` with `r` the hand's offset from the target and `J = ∂r/∂q` from
/// [`Tensor::jacobian`](shapegrad::Tensor::jacobian) (two reverse sweeps over one recording); `λ` shrinks after a step that
/// lowers `‖r‖` and grows after one that does not (which is then undone).
fn reach(
    mut q: Vector3<f64>,
    target: Vector2<f64>,
    path: &mut Vec<Vector2<f64>>,
) -> (Vector3<f64>, usize, f64) {
    let mut lambda = 1e-3;
    let residual = |q: &Vector3<f64>| {
        let tape = Tape::new();
        let qv = tape.var(*q);
        let r = hand(qv) - tape.constant(target);
        (r.value(), r.jacobian(qv))
    };
    let (mut r, mut j) = residual(&q);
    let mut iterations = 0;
    while iterations < 200 && r.norm() > 1e-12 {
        iterations += 1;
        let jt = j.transpose();
        let step = (jt * j + nalgebra::Matrix3::identity() * lambda)
            .lu()
            .solve(&(-(jt * r)))
            .expect("JᵀJ + λI is positive definite for λ > 0");
        let trial = q + step;
        let (r_new, j_new) = residual(&trial);
        if r_new.norm() < r.norm() {
            (q, r, j) = (trial, r_new, j_new);
            lambda = (lambda / 3.0).max(1e-12);
            path.push(r + target);
        } else {
            lambda *= 10.0;
            if lambda > 1e8 {
                break; // no step lowers the error: the closest reachable point
            }
        }
    }
    (q, iterations, r.norm())
}

/// The SVG of the solved poses (grey) and the hand's path (blue), targets as red crosses.
fn svg(poses: &[Vector3<f64>], path: &[Vector2<f64>], targets: &[Vector2<f64>]) -> String {
    let (size, scale) = (520.0, 95.0);
    let px = |p: Vector2<f64>| (size / 2.0 + p.x * scale, size / 2.0 - p.y * scale);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let (cx, cy) = px(Vector2::zeros());
    let _ = writeln!(
        s,
        r##"<circle cx="{cx}" cy="{cy}" r="{}" fill="none" stroke="#ddd"/>"##,
        2.4 * scale
    );
    // an SVG `points` list of positions
    let points = |ps: &[Vector2<f64>]| -> String {
        let xy: Vec<String> = ps
            .iter()
            .map(|&p| {
                let (x, y) = px(p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        xy.join(" ")
    };
    for q in poses {
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#888" stroke-width="3"/>"##,
            points(&joints(q))
        );
    }
    let _ = writeln!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#36c" stroke-width="1.5"/>"##,
        points(path)
    );
    for &t in targets {
        let (x, y) = px(t);
        let _ = writeln!(
            s,
            r##"<path d="M{} {} L{} {} M{} {} L{} {}" stroke="#c33" stroke-width="2"/>"##,
            x - 6.0,
            y - 6.0,
            x + 6.0,
            y + 6.0,
            x - 6.0,
            y + 6.0,
            x + 6.0,
            y - 6.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn parse() -> Result<PathBuf, String> {
    let mut out = PathBuf::from("target/robot_arm");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            _ => {
                return Err(format!(
                    "unknown argument `{a}`; usage: robot_arm [--out DIR]"
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
    let targets = [
        Vector2::new(1.2, 1.0),
        Vector2::new(-0.5, 1.5),
        Vector2::new(2.4, 0.0), // the edge of the workspace: the arm straight
        Vector2::new(0.3, -0.9),
        Vector2::new(0.0, -3.0), // out of reach
    ];
    let mut q = Vector3::new(0.3, 0.3, 0.3);
    let (mut poses, mut path) = (Vec::new(), vec![joints(&q)[3]]);
    println!("target            iterations   distance");
    for &t in &targets {
        let (solved, iterations, distance) = reach(q, t, &mut path);
        println!(
            "({:5.2}, {:5.2})      {iterations:>5}     {distance:.3e}",
            t.x, t.y
        );
        poses.push(solved);
        q = solved;
    }
    // the out-of-reach target: the hand ends on the workspace's edge, pointing at it
    let last = joints(&q)[3];
    println!(
        "closest point to the last target: ({:.4}, {:.4}), {:.4} from the base",
        last.x,
        last.y,
        last.norm()
    );
    if let Err(e) =
        fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))
    {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let file = out.join("robot_arm.svg");
    match write_atomic(&file, &svg(&poses, &path, &targets)) {
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
