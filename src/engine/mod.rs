//! The engine (private): the tape's buffers and their growth, recording, and the reverse walk
//! with its fast paths. Op files never import from here directly; they use the op-author
//! interface in `ops/mod.rs`, which re-exports the rule view ([`Rule`] and friends).
//!
//! - `node.rs`: what a recorded op is (a rule pointer and its offsets, 24 bytes);
//! - `buf.rs`: the two buffers (nodes, values) and their growth;
//! - `pool.rs`: the per-thread pool that recycles dropped tapes' and gradients' buffers;
//! - `record.rs`: appending a node, on the general path and the 1×1 path;
//! - `walk.rs`: the reverse walk (stamps, inline partials, carried gradient);
//! - `rule.rs`: the typed view a backward rule gets;
//! - `replay.rs`: a replayable tape's kept forwards, and the static walk of a replay.

mod buf;
mod node;
#[cfg(feature = "std")]
pub(crate) mod pool;
#[cfg(not(feature = "std"))]
#[path = "pool_none.rs"]
pub(crate) mod pool;
mod record;
pub(crate) mod replay;
mod rule;
mod store;
mod walk;

pub(crate) use buf::Buffers;
pub(crate) use node::{BackwardFn, Node, Op, Operand, Write};
pub(crate) use rule::Rule;
