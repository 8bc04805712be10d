//! The pool without the feature `std`: no thread-local storage to keep buffers in, so a tape
//! or `Gradients` takes fresh buffers and frees them when dropped (`Tape::with_capacity` and
//! `Tape::fixed` still size a tape once, up front).

use crate::Scalar;

pub(crate) use super::store::{GradStore, TapeStore};

/// Nothing is kept.
#[inline(always)]
pub(crate) fn take_tape<T: Scalar>() -> Option<TapeStore<T>> {
    None
}

/// Frees the buffers.
#[inline(always)]
pub(crate) fn put_tape<T: Scalar>(store: TapeStore<T>, _used: usize) {
    drop(store);
}

/// Nothing is kept.
#[inline(always)]
pub(crate) fn take_grads<T: Scalar>() -> Option<GradStore<T>> {
    None
}

/// Frees the buffers.
#[inline(always)]
pub(crate) fn put_grads<T: Scalar>(store: GradStore<T>, _used: usize) {
    drop(store);
}
