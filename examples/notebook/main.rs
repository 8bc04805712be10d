//! The seed notebook's job end to end: read `inputs1.json` and `inputs2.json` (json_tricks
//! format), differentiate every cell's expression with shapegrad, write the answer file.
//!
//! ```text
//! cargo run --release --example notebook -- [--inputs1 PATH] [--inputs2 PATH] [--out PATH]
//! cargo run --release --example notebook -- --write-samples DIR
//! ```
//!
//! With no arguments it reads the sample inputs shipped in `examples/data/` (made by
//! `samples.rs`; regenerate them with `--write-samples examples/data`) and writes
//! `answer.json` in the working directory. Bad input exits with status 1 and one line naming
//! the file, the entry and the key (an offending value quoted up to 80 bytes); the output
//! file is written through a temporary file and a rename, so it is never left half-written
//! or stale, an answer from an earlier run is left untouched when a run fails (the error line
//! says so), and a temporary file that a killed run (SIGINT, SIGTERM) left behind is removed
//! by the next run.
//!
//! **Size.** Inputs up to 2 GiB; before reading one, a run reserves 32 times its size once
//! (the most a run needs per byte of input, measured: `docs/benchmarks.md`, "Issue 18"), so
//! that a machine or `ulimit` without that much memory gets an error line instead of an abort
//! halfway. Big float lists are held packed, the answer is streamed to the file and a batch
//! is differentiated in blocks of 4,096 columns: memory follows the input (6× for a batch of
//! nested floats, 3.4× in compact form).

mod answer;
mod json;
mod samples;
#[cfg(test)]
mod tests;
#[path = "../common/write_atomic.rs"]
mod write_atomic;
#[cfg(test)]
mod summary_tests {
    use super::{COMPUTES, described};
    use crate::answer::KEYS;

    #[test]
    fn every_answer_key_says_what_it_computes() {
        let keys: Vec<&str> = COMPUTES.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, KEYS);
    }

    #[test]
    fn each_summary_line_is_followed_by_what_its_key_computes() {
        let text = described("          div:  40 entries, first 0.2222222222222222\n");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("The seed notebook's cells"));
        assert_eq!(
            lines[3..],
            [
                "          div:  40 entries, first 0.2222222222222222",
                "               d/dx of x / (0.5 + y) (TEST 5)",
            ]
        );
    }
}

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: notebook [--inputs1 PATH] [--inputs2 PATH] [--out PATH]
       notebook --write-samples DIR";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Run {
        inputs1: PathBuf,
        inputs2: PathBuf,
        out: PathBuf,
    },
    WriteSamples(PathBuf),
    Help,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join("data")
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut inputs1 = data_dir().join("inputs1.json");
    let mut inputs2 = data_dir().join("inputs2.json");
    let mut out = PathBuf::from("answer.json");
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{flag} needs a path\n{USAGE}"))
        };
        match flag.as_str() {
            "--inputs1" => inputs1 = value()?,
            "--inputs2" => inputs2 = value()?,
            "--out" => out = value()?,
            "--write-samples" => return Ok(Command::WriteSamples(value()?)),
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Command::Run {
        inputs1,
        inputs2,
        out,
    })
}

/// What the printed summary says first: what the job is and what the keys' names stand for.
const HEADING: &str = "\
The seed notebook's cells, differentiated with shapegrad (reverse mode) for every input entry.
x, y: x[0], x[1] of an inputs1.json entry; the net's x, W1, W2, b1, b2: an inputs2.json entry.

";

/// What each answer key computes: the notebook cell, the expression it differentiates and
/// with respect to what (`answer::KEYS`, in the notebook's order).
const COMPUTES: [(&str, &str); 9] = [
    ("init", "dx/dx: x alone, x.backward() (TEST 1)"),
    ("sum", "d/dx of x + y + x + x + x + y (TEST 2)"),
    ("diff", "d/dx of x - y + x + x - y - y (TEST 3)"),
    ("mul", "d/dx of (x + y) * (x - y) * (x + x + y) (TEST 4)"),
    ("div", "d/dx of x / (0.5 + y) (TEST 5)"),
    ("neg", "d/dx of -x (TEST 6)"),
    ("exp", "d/dx of exp(x) (TEST 7)"),
    (
        "graph",
        "the gradient [d/dx1, d/dx2, d/db1, d/db2, d/dc1, d/dc2] of the graph function\n\
         y = c1 z sigmoid(z) + c2 sigmoid(z) tanh(sigmoid(x2 + b2)), z = x1 + b1 (TEST 8)",
    ),
    (
        "two_layer_net",
        "the gradients [d/dx, d/dW1, d/dW2, d/db1, d/db2] of the two-layer net's loss\n\
         sum(sigmoid(W2 sigmoid(W1 x + b1) + b2)), each of its input's shape (TEST 9)",
    ),
];

/// The summary as printed: [`HEADING`], then for each key `answer::summary`'s line (how many
/// entries, the first one) and under it, indented, what the key computes ([`COMPUTES`]).
fn described(summary: &str) -> String {
    let mut out = String::from(HEADING);
    for line in summary.lines() {
        out.push_str(line);
        out.push('\n');
        let key = line.split(':').next().unwrap_or_default().trim();
        if let Some((_, what)) = COMPUTES.iter().find(|(k, _)| *k == key) {
            for part in what.lines() {
                out.push_str(&format!("{:15}{part}\n", ""));
            }
        }
    }
    out
}

/// Reads both inputs, computes the answer and writes it; returns the summary to print and
/// the non-finite values to report.
fn run(inputs1: &Path, inputs2: &Path, out: &Path) -> Result<(String, Vec<String>), String> {
    let name1 = inputs1.display().to_string();
    let name2 = inputs2.display().to_string();
    let entries1 = answer::parse_inputs1(&name1, &answer::read(inputs1)?)?;
    let entries2 = answer::parse_inputs2(&name2, &answer::read(inputs2)?)?;
    let result = answer::compute(&entries1, &entries2);
    write_atomic::write_atomic_with(out, |file| {
        let mut sink = json::IoSink {
            inner: file,
            error: None,
        };
        match json::write_json(&mut sink, &result) {
            Ok(()) => Ok(()),
            Err(_) => Err(sink
                .error
                .unwrap_or_else(|| std::io::Error::other("formatting"))),
        }
    })?;
    Ok((answer::summary(&result), answer::non_finite_report(&result)))
}

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::WriteSamples(dir) => match samples::write_samples(&dir) {
            Ok(()) => {
                println!("wrote {}/inputs1.json and inputs2.json", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write samples to {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        },
        Command::Run {
            inputs1,
            inputs2,
            out,
        } => match run(&inputs1, &inputs2, &out) {
            Ok((summary, non_finite)) => {
                print!("{}", described(&summary));
                if !non_finite.is_empty() {
                    eprintln!(
                        "warning: {} non-finite value(s) in the answer, written as NaN/Infinity:",
                        non_finite.len()
                    );
                    for line in non_finite.iter().take(20) {
                        eprintln!("  {line}");
                    }
                    if non_finite.len() > 20 {
                        eprintln!("  … and {} more", non_finite.len() - 20);
                    }
                }
                println!(
                    "wrote {} (json_tricks format, as the notebook's .answer.json)",
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", failure_line(&e, &out));
                ExitCode::FAILURE
            }
        },
    }
}

/// The error line of a failed run: the error, and, when `out` holds an answer from an earlier
/// run, that it was left as it was (a failed run never deletes or overwrites it).
fn failure_line(error: &str, out: &Path) -> String {
    if out.exists() {
        format!(
            "error: {error} ({} from an earlier run was left untouched)",
            out.display()
        )
    } else {
        format!("error: {error}")
    }
}
