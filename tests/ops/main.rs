//! Every op of the crate, checked through one registry (`registry.rs`): finite differences,
//! f32 against f64, the public gradient checker, stale buffers, the scalar fast path against
//! the matrix path, zero-sized shapes, Hessian-vector products and forward- against
//! reverse-mode Jacobians are each written once (`checks.rs`, `zero_size.rs`, `modes.rs`) and
//! run on every entry. Beside them, the op-specific tests:
//! forward values (`values.rs`), composite functions with reused inputs (`composites.rs`),
//! kinks (`kinks.rs`), extreme inputs (`extreme.rs`, `extreme_nn.rs`), the public checker's
//! own behaviour (`gradcheck.rs`), `jacobian` (`jacobian.rs`) and, with `--features dual`,
//! `hvp`/`hessian` on closed forms (`hessian.rs`).
//!
//! Adding an op: the op and its unit tests in `src/ops/`, one entry in `registry.rs`, one
//! row in the op table of `src/lib.rs` (`registry_covers_the_op_table` checks the two agree).

mod checks;
mod composites;
mod extreme;
mod extreme_nn;
mod gradcheck;
#[cfg(feature = "dual")]
mod hessian;
mod jacobian;
mod kinks;
#[cfg(feature = "dual")]
mod modes;
mod registry;
mod replay;
mod replay_api;
mod std_math;
mod values;
mod zero_size;
