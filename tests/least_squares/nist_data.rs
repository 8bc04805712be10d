//! `examples/common/nist.rs` holds what `examples/data/nist/*.json` (copies of NIST's StRD
//! files as the project received them) say, number for number.

use crate::nist::{MISRA1A, Problem, RAT43};

/// The numbers of the JSON array under `key` in `json` (flat arrays only, as these files
/// have them; `start1`/`start2` and `*_str` included).
fn array(json: &str, key: &str) -> Vec<String> {
    let at = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no key {key}"));
    let open = at + json[at..].find('[').expect("an array");
    let close = open + json[open..].find(']').expect("a closed array");
    json[open + 1..close]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect()
}

/// The number under `key`.
fn number(json: &str, key: &str) -> f64 {
    let at = json.find(&format!("\"{key}\":")).expect("the key") + key.len() + 3;
    let end = at + json[at..].find([',', '\n']).expect("a value");
    json[at..end].trim().parse().expect("a number")
}

fn floats(json: &str, key: &str) -> Vec<f64> {
    array(json, key)
        .iter()
        .map(|s| s.parse().expect("a number"))
        .collect()
}

fn same<const N: usize, const M: usize>(p: &Problem<N, M>, json: &str) {
    assert_eq!(floats(json, "x"), p.x, "{}: x", p.name);
    assert_eq!(floats(json, "y"), p.y, "{}: y", p.name);
    assert_eq!(floats(json, "start1"), p.starts[0], "{}: start1", p.name);
    assert_eq!(floats(json, "start2"), p.starts[1], "{}: start2", p.name);
    assert_eq!(
        floats(json, "certified"),
        p.certified,
        "{}: certified",
        p.name
    );
    assert_eq!(array(json, "certified_str"), p.certified_str, "{}", p.name);
    assert_eq!(number(json, "certified_rss"), p.certified_rss, "{}", p.name);
    assert_eq!(number(json, "n_observations"), M as f64, "{}", p.name);
    assert_eq!(number(json, "n_params"), N as f64, "{}", p.name);
    // the certified strings say the same as the certified numbers
    for (s, &c) in p.certified_str.iter().zip(&p.certified) {
        assert_eq!(s.parse::<f64>().unwrap(), c, "{}: {s}", p.name);
    }
}

#[test]
fn the_constants_are_the_json_files_numbers() {
    same(
        &MISRA1A,
        include_str!("../../examples/data/nist/Misra1a.json"),
    );
    same(&RAT43, include_str!("../../examples/data/nist/Rat43.json"));
}
