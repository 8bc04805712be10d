//! The pool without the feature `std`: no thread-local storage to keep buffers in, so a tape
//! or `Gradients` takes fresh buffers and frees them when dropped (`Tape::with_capacity` and
//! `Tape::fixed` still size a tape once, up front).

use crate::Scalar;
use alloc::boxed::Box;

pub(crate) use super::store::{GradStore, TapeStore};

/// Whether returned buffers are kept (a dropped tape without a set from the pool makes one
/// to return its buffers in only when they would be kept).
pub(crate) const KEEPS: bool = false;

/// Nothing is kept.
#[inline(always)]
pub(crate) fn take_tape<T: Scalar>() -> Option<Box<TapeStore<T>>> {
    None
}

/// Frees the buffers.
#[inline(always)]
pub(crate) fn put_tape<T: Scalar>(store: Box<TapeStore<T>>, _used: usize) {
    drop(store);
}

/// Nothing is kept.
#[inline(always)]
pub(crate) fn take_grads<T: Scalar>() -> Option<Box<GradStore<T>>> {
    None
}

/// Frees the buffers.
#[inline(always)]
pub(crate) fn put_grads<T: Scalar>(store: Box<GradStore<T>>) {
    drop(store);
}
