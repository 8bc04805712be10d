//! The per-thread buffer pool behind [`Tape::new`](crate::Tape::new) and
//! [`Tensor::backward`](crate::Tensor::backward): what it keeps, and how to read and free it.
//!
//! A dropped [`Tape`](crate::Tape) or [`Gradients`](crate::Gradients) gives its buffers to
//! the calling thread's pool, and the next tape or walk on that thread records into them: no
//! allocation, no zero fill, no page faults, so a tape made per evaluation (the README's
//! idiom) runs as fast as one kept and [`clear`](crate::Tape::clear)ed. Nothing needs to
//! change in user code; the functions here only read and free what the pool keeps.
//!
//! **Bounds.** Per thread and scalar type, at most [`SLOTS`] tape buffer sets and [`SLOTS`]
//! gradient buffer sets are kept, the most recently returned first. A set is freed instead
//! of kept when keeping it would pass [`THREAD_LIMIT`] bytes on the thread or
//! [`PROCESS_LIMIT`] bytes over all threads (a bigger set displaces a smaller kept one), and
//! a kept set that came back [`IDLE_LIMIT`] times in a row with under an eighth of its room
//! used is freed: a program that once built a huge tape gets the memory back once it goes
//! on with small ones. A thread's pool is freed when the thread ends.
//!
//! # Examples
//!
//! ```
//! use shapegrad::{Tape, pool};
//!
//! let grad = |x0: f64| {
//!     let tape = Tape::new();
//!     let x = tape.var_scalar(x0);
//!     (x * x).backward().wrt(x)[0]
//! };
//! assert_eq!(grad(3.0), 6.0);
//! // the tape's and the gradients' buffers are kept for the next call
//! let kept = pool::held_bytes();
//! assert!(kept > 0);
//! assert_eq!(grad(4.0), 8.0);
//! assert_eq!(pool::held_bytes(), kept, "the second call reused them");
//! pool::release();
//! assert_eq!(pool::held_bytes(), 0);
//! ```

use crate::engine::pool;

pub use crate::engine::pool::{IDLE_LIMIT, PROCESS_LIMIT, SLOTS, THREAD_LIMIT};

/// Bytes of buffers the calling thread's pool keeps now (over all scalar types), at most
/// [`THREAD_LIMIT`].
///
/// # Examples
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// pool::release();
/// assert_eq!(pool::held_bytes(), 0);
/// drop(Tape::<f64>::with_capacity(1000, 1000));
/// // 1000 nodes of 24 bytes and 1000 f64 values, at least
/// assert!(pool::held_bytes() >= 32_000);
/// ```
pub fn held_bytes() -> usize {
    pool::held_bytes()
}

/// Bytes counted against [`PROCESS_LIMIT`] by all threads' pools, at most that limit: what
/// the pools keep, plus what they kept and have lent to tapes and gradients still alive (a
/// lent set stays counted until the pool frees something). Counted as reservations per
/// thread, so that taking and returning the same buffers costs no atomic operation.
///
/// # Examples
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// drop(Tape::<f64>::with_capacity(1000, 1000));
/// assert!(pool::held_bytes_all_threads() >= pool::held_bytes());
/// assert!(pool::held_bytes_all_threads() <= pool::PROCESS_LIMIT);
/// ```
pub fn held_bytes_all_threads() -> usize {
    pool::reserved_bytes_all_threads()
}

/// Frees every buffer the calling thread's pool keeps (tapes and gradients still alive keep
/// theirs, and return them to the pool when dropped).
///
/// # Examples
///
/// ```
/// use shapegrad::{Tape, pool};
///
/// drop(Tape::<f32>::with_capacity(100, 100));
/// assert!(pool::held_bytes() > 0);
/// pool::release();
/// assert_eq!(pool::held_bytes(), 0);
/// ```
pub fn release() {
    pool::release()
}
