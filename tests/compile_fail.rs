//! What the types reject, pinned with trybuild: each case in `tests/ui/` must fail to compile
//! with exactly the message in its `.stderr` (rustc-version dependent; regenerate with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read every diff).

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
