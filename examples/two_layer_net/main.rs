//! Trains the two-layer net `σ(W2 σ(W1 x + b1) + b2)` to tell two interleaved moons apart (a
//! data set no straight line separates), with mini-batches of 32 points, the parameters kept
//! on the tape, and Adam. Prints progress and the held-out accuracy, and draws the learned
//! decision boundary and the loss curve as SVG.
//!
//! ```text
//! cargo run --release --example two_layer_net -- [--epochs N] [--hidden 8|16|32] [--lr X]
//!     [--seed S] [--out DIR] [--quiet]
//! ```
//!
//! The last line of the output is the held-out accuracy, as `accuracy: 0.99`. The pictures
//! go to `DIR/decision_boundary.svg` and `DIR/loss.svg` (default `target/two_layer_net/`),
//! each written through a temporary file and a rename. `docs/training.md` walks through the
//! training loop. Bad flags exit with status 2 and one line saying what is wrong.

#[path = "../common/write_atomic.rs"]
mod write_atomic;

mod model;
mod moons;
mod plots;
mod svg;

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use shapegrad::optim::Adam;
use shapegrad::{Gradients, Tape};

use model::Net;
use moons::{Point, SplitMix64, moons};
use write_atomic::write_atomic;

/// Points per mini-batch: the batch is a `Tensor<2, B>`, so `B` is a compile-time constant.
const B: usize = 32;
/// Training and held-out points (training: 32 full batches).
const N_TRAIN: usize = 1024;
const N_TEST: usize = 512;
/// Standard deviation of the Gaussian noise on each coordinate.
const NOISE: f64 = 0.15;

const USAGE: &str = "usage: two_layer_net [--epochs N] [--hidden 8|16|32] [--lr X] [--seed S] \
                     [--out DIR] [--quiet]";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Config {
    epochs: usize,
    hidden: usize,
    lr: f64,
    seed: u64,
    out: PathBuf,
    quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            epochs: 200,
            hidden: 16,
            lr: 0.05,
            seed: 42,
            out: PathBuf::from("target/two_layer_net"),
            quiet: false,
        }
    }
}

/// The config, or `None` for `--help`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    fn parse<V: std::str::FromStr>(
        flag: &str,
        value: &str,
        what: &str,
        ok: impl Fn(&V) -> bool,
    ) -> Result<V, String> {
        value
            .parse()
            .ok()
            .filter(ok)
            .ok_or_else(|| format!("{flag} takes {what}, got {value:?}"))
    }
    let mut c = Config::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))
        };
        match flag.as_str() {
            "--epochs" => {
                c.epochs = parse(&flag, &value()?, "an integer from 1 to 1000000", |&n| {
                    (1..=1_000_000).contains(&n)
                })?
            }
            "--hidden" => {
                c.hidden = parse(&flag, &value()?, "8, 16 or 32", |n| [8, 16, 32].contains(n))?
            }
            "--lr" => {
                c.lr = parse(&flag, &value()?, "a positive number", |&x: &f64| {
                    x > 0.0 && x.is_finite()
                })?
            }
            "--seed" => c.seed = parse(&flag, &value()?, "an unsigned integer", |_| true)?,
            "--out" => c.out = PathBuf::from(value()?),
            "--quiet" => c.quiet = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(Some(c))
}

/// Progress on one line rewritten with `\r` on a terminal; every tenth of the run as plain
/// lines otherwise (a log file, a pipe); nothing with `--quiet`.
enum Progress {
    Quiet,
    Terminal { last: Option<Instant> },
    Lines { every: usize },
}

impl Progress {
    fn new(quiet: bool, epochs: usize) -> Self {
        if quiet {
            Progress::Quiet
        } else if std::io::stdout().is_terminal() {
            Progress::Terminal { last: None }
        } else {
            Progress::Lines {
                every: epochs.div_ceil(10),
            }
        }
    }

    /// Whether to show epoch `epoch` of `epochs` (and so to compute the accuracy for it).
    fn due(&self, epoch: usize, epochs: usize) -> bool {
        match self {
            Progress::Quiet => false,
            Progress::Terminal { last } => {
                epoch == epochs || last.is_none_or(|t| t.elapsed() > Duration::from_millis(100))
            }
            Progress::Lines { every } => epoch.is_multiple_of(*every) || epoch == epochs,
        }
    }

    fn show(&mut self, epoch: usize, epochs: usize, loss: f64, accuracy: f64) {
        let text = format!(
            "epoch {epoch:>w$}/{epochs}  loss {loss:.4}  held-out accuracy {accuracy:.3}",
            w = epochs.to_string().len()
        );
        let mut out = std::io::stdout().lock();
        match self {
            Progress::Quiet => {}
            Progress::Terminal { last } => {
                *last = Some(Instant::now());
                let end = if epoch == epochs { "\n" } else { "" };
                let _ = write!(out, "\r{text}{end}");
                let _ = out.flush();
            }
            Progress::Lines { .. } => {
                let _ = writeln!(out, "{text}");
            }
        }
    }
}

/// What a run produced.
struct Trained {
    /// Mean training loss of each epoch.
    losses: Vec<f64>,
    /// Held-out accuracy.
    accuracy: f64,
    steps: usize,
    time: Duration,
    /// `P(class 1)` on the decision-boundary grid, row by row from the top.
    grid: Vec<f64>,
    /// The held-out points, and whether each was classified right.
    test: Vec<(Point, bool)>,
}

/// The decision-boundary picture's region (data units) and grid.
const REGION: [f64; 4] = [-1.5, 2.5, -1.0, 1.5];
const GRID: (usize, usize) = (100, 60);

fn train<const H: usize>(c: &Config) -> Trained {
    let mut rng = SplitMix64::new(c.seed);
    let train = moons(N_TRAIN, NOISE, &mut rng);
    let test = moons(N_TEST, NOISE, &mut rng);

    // The parameters live on the tape; the optimizer and the gradient buffer are reused
    // across steps, so after the first step training allocates nothing.
    let mut tape = Tape::new();
    let net = Net::<H>::new(&mut tape, &mut rng);
    let mut opt = Adam::new(c.lr);
    let mut grads = Gradients::new();
    let mut order: Vec<usize> = (0..train.len()).collect();

    let mut progress = Progress::new(c.quiet, c.epochs);
    let mut losses = Vec::with_capacity(c.epochs);
    let start = Instant::now();
    let mut evaluating = Duration::ZERO; // progress accuracy, not counted as training time
    for epoch in 1..=c.epochs {
        let loss = model::train_epoch::<H, B>(
            &net, &mut tape, &mut grads, &mut opt, &train, &mut order, &mut rng,
        );
        losses.push(loss);
        if progress.due(epoch, c.epochs) {
            let shown = Instant::now();
            let accuracy = net.accuracy::<B>(&mut tape, &test);
            progress.show(epoch, c.epochs, loss, accuracy);
            evaluating += shown.elapsed();
        }
    }
    let time = start.elapsed() - evaluating;

    let xs: Vec<[f64; 2]> = test.iter().map(|p| p.x).collect();
    let mut z = Vec::new();
    net.logits_of::<B>(&mut tape, &xs, &mut z);
    let test: Vec<(Point, bool)> = test
        .into_iter()
        .zip(&z)
        .map(|(p, &z)| (p, (z > 0.0) == (p.label == 1)))
        .collect();
    let accuracy = test.iter().filter(|t| t.1).count() as f64 / test.len() as f64;

    let [x0, x1, y0, y1] = REGION;
    let (nx, ny) = GRID;
    let centres: Vec<[f64; 2]> = (0..nx * ny)
        .map(|k| {
            let (i, j) = (k % nx, k / nx);
            let x = x0 + (i as f64 + 0.5) / nx as f64 * (x1 - x0);
            let y = y1 - (j as f64 + 0.5) / ny as f64 * (y1 - y0);
            [x, y]
        })
        .collect();
    net.logits_of::<B>(&mut tape, &centres, &mut z);
    let grid = z.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect();

    Trained {
        losses,
        accuracy,
        steps: c.epochs * (N_TRAIN / B),
        time,
        grid,
        test,
    }
}

/// Prints a line to stdout, ignoring errors (`| head` closing the pipe is not a failure).
fn say(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn run(c: &Config) -> Result<f64, String> {
    let t = match c.hidden {
        8 => train::<8>(c),
        16 => train::<16>(c),
        32 => train::<32>(c),
        h => unreachable!("--hidden {h} passed validation"),
    };
    let secs = t.time.as_secs_f64();
    let time = if secs < 1.0 {
        format!("{:.1} ms", secs * 1e3)
    } else {
        format!("{secs:.2} s")
    };
    say(format_args!(
        "trained a 2-{}-1 net: {} epochs, {} Adam steps of {B} points, in {time}; final loss {:.4}",
        c.hidden,
        c.epochs,
        t.steps,
        t.losses.last().copied().unwrap_or(f64::NAN)
    ));
    fs::create_dir_all(&c.out).map_err(|e| format!("cannot create {}: {e}", c.out.display()))?;
    for (name, text) in [
        ("decision_boundary.svg", plots::boundary(&t, c.hidden)),
        ("loss.svg", plots::loss(&t.losses)),
    ] {
        let path = c.out.join(name);
        write_atomic(&path, &text)?;
        say(format_args!("wrote {}", path.display()));
    }
    Ok(t.accuracy)
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(c)) => c,
        Ok(None) => {
            say(format_args!("{USAGE}"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(accuracy) => {
            say(format_args!("accuracy: {accuracy:.2}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
