//! The one scalar bound, [`Scalar`].

use nalgebra::RealField;

/// The element type of every [`Tensor`](crate::Tensor): a real number that nalgebra can do
/// linear algebra with and that is cheap to copy.
///
/// Implemented for every `Copy` [`RealField`] that is `Send + Sync`: `f32` and `f64`, and also
/// other real fields such as dual numbers, so the same backward rules can run on them.
/// Backward rules are written once, generically over `T: Scalar`.
///
/// # Examples
///
/// ```
/// use shapegrad::{Scalar, Tape};
///
/// // One function, written once, differentiated in f32 and in f64.
/// fn grad_of_square<T: Scalar>(x: T) -> T {
///     let tape = Tape::<T>::new();
///     let v = tape.var_scalar(x);
///     (v * v).backward().wrt(v)[0]
/// }
/// assert_eq!(grad_of_square(3.0_f64), 6.0);
/// assert_eq!(grad_of_square(3.0_f32), 6.0);
/// ```
pub trait Scalar: RealField + Copy + Send + Sync + 'static {}

impl<T: RealField + Copy + Send + Sync + 'static> Scalar for T {}

/// Converts an `f64` literal into `T` (exact for the small constants the backward rules use).
#[inline(always)]
pub(crate) fn lit<T: Scalar>(x: f64) -> T {
    nalgebra::convert(x)
}
