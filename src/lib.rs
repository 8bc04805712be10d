//! placeholder crate docs
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ops;
mod scalar;
mod tape;
mod tensor;
#[cfg(test)]
mod testutil;

pub use scalar::Scalar;
pub use tape::{Gradients, Tape};
pub use tensor::Tensor;
