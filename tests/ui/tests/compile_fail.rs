//! What the types reject, pinned with trybuild: each case in `tests/ui/` must fail to compile
//! with exactly the message in its `.stderr` (rustc-version dependent; regenerate with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read every diff).
//!
//! The cases are paths relative to this package (`tests/ui/`), so a `.stderr` names a case as
//! `mul_shape_mismatch.rs` and shapegrad's own sources as `$WORKSPACE/src/…`.

use std::env;

/// The rustflags trybuild (1.0.122, `src/rustflags.rs`) gives the `cargo check` of the cases.
///
/// trybuild runs cargo twice in its own target directory (`target/tests/trybuild`): first to
/// build the cases' dependencies, then to check every case at once, and only the second time
/// with `--diagnostic-width=140` among the rustflags it passes as `--config build.rustflags`.
/// Cargo fingerprints rustflags, so the second run checks nalgebra and shapegrad all over again:
/// a silent 17 s of a cold `cargo test` on two cores. `CARGO_ENCODED_RUSTFLAGS` takes precedence
/// over that config; set to these flags, both runs use the same ones and the dependencies are
/// checked once. If a trybuild update changes its flags, the only cost of a stale list is the
/// `.stderr` diff it would show (the line width) or the double check coming back.
fn trybuild_rustflags() -> Vec<&'static str> {
    let mut flags = vec!["--cfg", "trybuild", "--verbose", "-A", "dead_code"];
    // trybuild keeps this one flag of the caller's RUSTFLAGS (for cargo-llvm-cov)
    if env::var("RUSTFLAGS").is_ok_and(|f| f.contains("-C instrument-coverage")) {
        flags.extend(["-C", "instrument-coverage"]);
    }
    flags.push("--diagnostic-width=140");
    flags
}

#[test]
fn compile_fail() {
    if env::var_os("CARGO_ENCODED_RUSTFLAGS").is_none() {
        // SAFETY: this binary's only test, before it starts any thread or child process.
        unsafe { env::set_var("CARGO_ENCODED_RUSTFLAGS", trybuild_rustflags().join("\x1f")) };
    }
    trybuild::TestCases::new().compile_fail("*.rs");
}
