//! Tapes that never allocate after they are built ([`Tape::fixed`]), for control loops with a
//! hard real-time budget: the capacity is fixed up front, and running past it is a panic or
//! an error, the user's choice ([`OnFull`]), never a silent allocation.
//!
//! How it works: a fixed tape's buffers are allocated to exactly its capacity and never grow.
//! The recording path's one capacity check (`Buffers::room_for`, whose cold branch grows an
//! ordinary tape) answers "full" instead; the op then panics ([`OnFull::Panic`]), or
//! ([`OnFull::Error`]) the tape stops recording: that op and every later one until
//! [`clear`](Tape::clear) give a tensor of NaN (read from a NaN buffer allocated up front),
//! record nothing, and the walk refuses to run: [`Tensor::try_backward`] returns the
//! [`CapacityError`], [`Tensor::backward`] panics with it.

use alloc::vec::Vec;
use core::fmt;
use core::panic::Location;

use crate::{Scalar, Tape, Tensor};

/// What a [`Tape::fixed`] does when an op does not fit.
///
/// # Examples
///
/// ```
/// use shapegrad::{OnFull, Tape};
///
/// // a 1×1 leaf keeps 1 scalar, `exp` 2 (its value and derivative), `*` 3
/// let tape = Tape::<f64>::fixed(2, 3, OnFull::Error);
/// let x = tape.var_scalar(1.0);
/// let y = x.exp(); // fits: 2 nodes, 3 scalars
/// let z = y * y; // does not: NaN, and the tape is marked
/// assert!(z.item().is_nan());
/// assert!(z.try_backward().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFull {
    /// The op panics with the [`CapacityError`]'s message, at the caller's line.
    Panic,
    /// The tape stops recording: the op and every later one (until [`Tape::clear`]) return
    /// NaN, [`Tape::overflow`] and [`Tensor::try_backward`] report the error, and
    /// [`Tensor::backward`] panics with it. An op with more scalars than the whole tape
    /// panics as with [`OnFull::Panic`].
    Error,
}

/// A [`Tape::fixed`] ran out of room: which op, where, and the capacity.
///
/// # Examples
///
/// ```
/// use shapegrad::{OnFull, Tape};
///
/// let tape = Tape::<f64>::fixed(1, 4, OnFull::Error);
/// let x = tape.var_scalar(2.0);
/// let _ = x.exp(); // the second node: over the capacity
/// let e = tape.overflow().unwrap();
/// assert_eq!((e.nodes, e.scalars, e.needed, e.recorded), (1, 4, 2, 1));
/// assert!(e.to_string().starts_with("shapegrad: a fixed tape of 1 nodes and 4 scalars is full"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapacityError {
    /// The tape's capacity in nodes.
    pub nodes: usize,
    /// The tape's capacity in scalars.
    pub scalars: usize,
    /// The scalars the op that did not fit needed (its output and the values its rule keeps).
    pub needed: usize,
    /// Nodes recorded when it did not fit.
    pub recorded: usize,
    /// Where that op was called.
    pub at: &'static Location<'static>,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shapegrad: a fixed tape of {} nodes and {} scalars is full: the op at {} needs {} \
             more scalars after {} nodes; make the tape bigger (Tape::fixed)",
            self.nodes, self.scalars, self.at, self.needed, self.recorded
        )
    }
}

impl core::error::Error for CapacityError {}

/// A fixed tape's limits and state, kept in its buffers.
pub(crate) struct Fixed<T> {
    pub(crate) on_full: OnFull,
    pub(crate) nodes: usize,
    pub(crate) scalars: usize,
    /// The first op that did not fit, with [`OnFull::Error`].
    pub(crate) overflow: Option<CapacityError>,
    /// `scalars` NaNs: the values of every tensor recorded past the capacity.
    pub(crate) nan: Vec<T>,
}

/// The offset of a tensor recorded past a fixed tape's capacity (no offset of a real one: a
/// tape holds at most `u32::MAX − 1` scalars).
pub(crate) const FULL: u32 = u32::MAX;

impl<T: Scalar> Tape<T> {
    /// An op of `needed` scalars found no room: panics, or marks the tape and returns a NaN
    /// tensor. Called with the tape not borrowed, so that the panic unwinds cleanly.
    ///
    /// Inline, building the handle from registers: the cold call returns nothing, so the
    /// recording path's handle is never spilled to memory for it.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn full<const R: usize, const C: usize>(
        &self,
        needed: usize,
    ) -> Tensor<'_, R, C, T> {
        self.overflowed(needed);
        Tensor::from_raw(self, FULL, false, T::zero() / T::zero())
    }

    /// The cold part of [`full`](Tape::full).
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn overflowed(&self, needed: usize) {
        let mut inner = self.inner.borrow_mut();
        let recorded = inner.nodes.len();
        let fixed = inner
            .fixed
            .as_mut()
            .expect("shapegrad: only a fixed tape is full");
        let error = CapacityError {
            nodes: fixed.nodes,
            scalars: fixed.scalars,
            needed,
            recorded,
            at: Location::caller(),
        };
        // an op bigger than the whole tape has no NaN buffer big enough: it panics either way
        if fixed.on_full == OnFull::Panic || needed > fixed.nan.len() {
            drop(inner);
            panic!("{error}");
        }
        if fixed.overflow.is_none() {
            fixed.overflow = Some(error);
            // from now on every op takes the full branch: no room left
            inner.nodes.use_up();
            inner.values.use_up();
        }
    }

    /// The first op that did not fit on this [fixed](Tape::fixed) tape since it was made or
    /// [cleared](Tape::clear), with [`OnFull::Error`]; `None` for every other tape. From
    /// then until `clear`, [`len`](Tape::len) and [`scalars`](Tape::scalars) report the
    /// whole capacity (the room is counted as used), [`CapacityError::recorded`] what had
    /// fitted; a tensor recorded past the room has no gradient (`wrt` gives zeros for it).
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{OnFull, Tape};
    ///
    /// let mut tape = Tape::<f64>::fixed(3, 6, OnFull::Error);
    /// for _ in 0..2 {
    ///     let x = tape.var_scalar(0.5);
    ///     let _ = (x * x).exp(); // 3 nodes, 1 + 3 + 2 scalars: fits
    ///     assert_eq!(tape.overflow(), None);
    ///     tape.clear();
    /// }
    /// ```
    pub fn overflow(&self) -> Option<CapacityError> {
        self.inner.borrow().fixed.as_ref().and_then(|f| f.overflow)
    }
}
