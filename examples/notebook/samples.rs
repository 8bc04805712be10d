//! Reproducible sample inputs for the notebook example, in json_tricks format.
//!
//! `examples/data/inputs1.json` and `examples/data/inputs2.json` are exactly
//! what [`write_samples`] writes (a test below checks it byte for byte).
//! To regenerate them after changing this file, run
//!
//! ```text
//! cargo test --example notebook -- --ignored regenerate_samples
//! ```
//!
//! The values come from a hand-written splitmix64 generator with the seeds
//! below, so every run produces the same files.

use std::path::Path;

use crate::json::{Json, ndarray_json, to_string};

/// Seed of the generator for `inputs1.json`.
const SEED_INPUTS1: u64 = 0x5EED_0000_0000_0001;
/// Seed of the generator for `inputs2.json`.
const SEED_INPUTS2: u64 = 0x5EED_0000_0000_0002;
/// Number of entries in `inputs1.json`.
const INPUTS1_LEN: usize = 40;
/// Unbatched entries in `inputs2.json` (x of shape (3,)).
const INPUTS2_UNBATCHED: usize = 6;
/// Batch sizes B of the batched entries in `inputs2.json` (x of shape (3, B)).
const INPUTS2_BATCHES: [usize; 3] = [1, 2, 7];

/// splitmix64 (Steele, Lea & Flood 2014): a tiny, well-mixed, seedable PRNG.
struct SplitMix64(u64);

impl SplitMix64 {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An integer uniform in `lo..=hi` (multiply-shift, bias below 2^-59).
    fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as u128;
        lo + ((u128::from(self.next_u64()) * span) >> 64) as i64
    }

    /// A float uniform in `[lo, hi)`, from the top 53 bits.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }
}

/// `x` rounded to 4 decimals (the nearest f64 to k / 10000), never `-0.0`.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

/// One inputs1 entry `{"x": [x1, x2], "w": [b1, b2, c1, c2]}` with integer values.
fn entry1(x: [i64; 2], w: [i64; 4]) -> Json {
    let ints = |v: &[i64]| Json::Array(v.iter().map(|&i| Json::Int(i)).collect());
    Json::Object(vec![("x".to_owned(), ints(&x)), ("w".to_owned(), ints(&w))])
}

/// The contents of `inputs1.json`: 40 entries `{"x": [x1, x2], "w": [b1, b2, c1, c2]}`
/// of integers in [-10, 10], as JSON ints like the notebook's data.
pub(crate) fn inputs1() -> Json {
    let mut rng = SplitMix64(SEED_INPUTS1);
    // Entry 0 is the notebook's own first entry, recovered from its printed
    // TEST 8 trace: `TensorSum: -1.0 + -7.0` (x1 + b1), `TensorSum: 4.0 + -6.0`
    // (x2 + b2), `TensorMul: ... * 0.0` (z4 * c2) and `... * 5.0` (z6 * c1).
    let mut entries = vec![entry1([-1, 4], [-7, -6, 5, 0])];
    while entries.len() < INPUTS1_LEN {
        let x = [rng.int_in(-10, 10), rng.int_in(-10, 10)];
        let w = [
            rng.int_in(-10, 10),
            rng.int_in(-10, 10),
            rng.int_in(-10, 10),
            rng.int_in(-10, 10),
        ];
        entries.push(entry1(x, w));
    }
    Json::Array(entries)
}

/// A float64 json_tricks ndarray of `shape` with values uniform in [-2, 2]
/// rounded to 4 decimals.
fn random_ndarray(rng: &mut SplitMix64, shape: &[usize]) -> Json {
    let count: usize = shape.iter().product();
    let data: Vec<f64> = (0..count).map(|_| round4(rng.uniform(-2.0, 2.0))).collect();
    ndarray_json(shape, data)
}

/// One inputs2 entry with keys `x, W1, W2, b1, b2` (in that order) of the given shapes.
fn entry2(rng: &mut SplitMix64, x: &[usize], b1: &[usize], b2: &[usize]) -> Json {
    let x = random_ndarray(rng, x);
    let w1 = random_ndarray(rng, &[4, 3]);
    let w2 = random_ndarray(rng, &[2, 4]);
    let b1 = random_ndarray(rng, b1);
    let b2 = random_ndarray(rng, b2);
    Json::Object(vec![
        ("x".to_owned(), x),
        ("W1".to_owned(), w1),
        ("W2".to_owned(), w2),
        ("b1".to_owned(), b1),
        ("b2".to_owned(), b2),
    ])
}

/// The contents of `inputs2.json`: 6 unbatched entries (x (3,), W1 (4, 3),
/// W2 (2, 4), b1 (4,), b2 (2,)), then one batched entry per B in 1, 2, 7
/// (x (3, B), b1 (4, 1), b2 (2, 1), same W shapes), all float64 ndarrays.
pub(crate) fn inputs2() -> Json {
    let mut rng = SplitMix64(SEED_INPUTS2);
    let mut entries = Vec::new();
    for _ in 0..INPUTS2_UNBATCHED {
        entries.push(entry2(&mut rng, &[3], &[4], &[2]));
    }
    for batch in INPUTS2_BATCHES {
        entries.push(entry2(&mut rng, &[3, batch], &[4, 1], &[2, 1]));
    }
    Json::Array(entries)
}

/// Writes `inputs1.json` and `inputs2.json` into `dir` (which must exist),
/// without a trailing newline, as json_tricks writes them.
pub(crate) fn write_samples(dir: &Path) -> std::io::Result<()> {
    std::fs::write(dir.join("inputs1.json"), to_string(&inputs1()))?;
    std::fs::write(dir.join("inputs2.json"), to_string(&inputs2()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, to_ndarray};

    #[test]
    fn shipped_inputs1_is_what_the_generator_writes() {
        assert_eq!(to_string(&inputs1()), include_str!("../data/inputs1.json"));
    }

    #[test]
    fn shipped_inputs2_is_what_the_generator_writes() {
        assert_eq!(to_string(&inputs2()), include_str!("../data/inputs2.json"));
    }

    #[test]
    fn inputs1_holds_40_integer_entries_starting_with_the_notebooks() {
        let parsed = parse(include_str!("../data/inputs1.json")).unwrap();
        let entries = parsed.as_array().unwrap();
        assert_eq!(entries.len(), INPUTS1_LEN);
        assert_eq!(
            to_string(&entries[0]),
            r#"{"x": [-1, 4], "w": [-7, -6, 5, 0]}"#
        );
        for entry in entries {
            let Json::Object(pairs) = entry else {
                panic!("entry is not an object: {entry:?}")
            };
            let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["x", "w"]);
            for (key, len) in [("x", 2), ("w", 4)] {
                let values = entry.get(key).and_then(Json::as_array).unwrap();
                assert_eq!(values.len(), len);
                for v in values {
                    assert!(matches!(v, Json::Int(-10..=10)), "{key}: {v:?}");
                }
            }
        }
    }

    #[test]
    fn inputs2_holds_unbatched_then_batched_float64_arrays() {
        let parsed = parse(include_str!("../data/inputs2.json")).unwrap();
        let entries = parsed.as_array().unwrap();
        let batches: Vec<Option<usize>> = std::iter::repeat_n(None, INPUTS2_UNBATCHED)
            .chain(INPUTS2_BATCHES.iter().map(|&b| Some(b)))
            .collect();
        assert_eq!(entries.len(), batches.len());
        for (entry, batch) in entries.iter().zip(batches) {
            let Json::Object(pairs) = entry else {
                panic!("entry is not an object: {entry:?}")
            };
            let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["x", "W1", "W2", "b1", "b2"]);
            let expected: [(&str, Vec<usize>); 5] = match batch {
                None => [
                    ("x", vec![3]),
                    ("W1", vec![4, 3]),
                    ("W2", vec![2, 4]),
                    ("b1", vec![4]),
                    ("b2", vec![2]),
                ],
                Some(b) => [
                    ("x", vec![3, b]),
                    ("W1", vec![4, 3]),
                    ("W2", vec![2, 4]),
                    ("b1", vec![4, 1]),
                    ("b2", vec![2, 1]),
                ],
            };
            for (key, shape) in expected {
                let value = entry.get(key).unwrap();
                assert_eq!(value.get("dtype"), Some(&Json::from("float64")));
                let array = to_ndarray(value).unwrap();
                assert_eq!(array.shape, shape, "{key}");
                for x in array.data {
                    assert!((-2.0..=2.0).contains(&x), "{key}: {x}");
                    assert_eq!(x, round4(x), "{key}: {x} has more than 4 decimals");
                }
            }
        }
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // The well-known first outputs of splitmix64 (Vigna's splitmix64.c) for
        // seed 1234567, re-checked with a Python transcription of that C code.
        let mut rng = SplitMix64(1234567);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423
            ]
        );
    }

    /// Regenerates the shipped sample files; run on purpose with
    /// `cargo test --example notebook -- --ignored regenerate_samples`.
    #[test]
    #[ignore = "writes examples/data; run on purpose to regenerate the samples"]
    fn regenerate_samples() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join("data");
        std::fs::create_dir_all(&dir).expect("create examples/data");
        write_samples(&dir).expect("write the sample files");
    }
}
