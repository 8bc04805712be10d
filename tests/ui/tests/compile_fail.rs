//! What the types reject, pinned with trybuild: each case in `tests/ui/` must fail to compile
//! with exactly the message in its `.stderr` (rustc-version dependent; regenerate with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read every diff).
//!
//! trybuild checks all the cases in one `cargo check` (they are all compile-fail cases). The
//! cases are paths relative to this package (`tests/ui/`), so a `.stderr` names a case as
//! `mul_shape_mismatch.rs` and shapegrad's own sources as `$WORKSPACE/src/…`.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("*.rs");
}
