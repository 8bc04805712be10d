//! Element-wise arithmetic with a plain scalar: `x + c`, `x - c`, `x * c`, `x / c`, and
//! `c + x`, `c - x`, `c * x`, `c / x` with an `f32`/`f64` on the left.

use core::ops::{Add, Div, Mul, Sub};

use super::arith::neg_backward;
use super::{Code, Rule};
use crate::{Scalar, Tensor};

/// `x + c` with a plain scalar `c`. Backward: `∂x += ∂y`.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let x = tape.var_scalar(1.0);
/// let y = x + 2.0;
/// assert_eq!(y.item(), 3.0);
/// assert_eq!(y.backward().wrt(x)[0], 1.0);
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Add<T> for Tensor<'t, R, C, T> {
    type Output = Self;

    #[track_caller]
    fn add(self, c: T) -> Self {
        // y = x + c
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y
            let r = r.unary(R * C, R * C);
            r.grad_x.add(r.grad_out.iter().copied());
        }
        self.map_tuned(backward::<T, R, C>, Code::AddC(c))
    }
}

/// `x - c` with a plain scalar `c`, recorded as `x + (-c)` (the same IEEE result).
/// Backward: `∂x += ∂y`.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let x = tape.var_scalar(1.0);
/// let y = x - 2.0;
/// assert_eq!(y.item(), -1.0);
/// assert_eq!(y.backward().wrt(x)[0], 1.0);
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Sub<T> for Tensor<'t, R, C, T> {
    type Output = Self;

    #[track_caller]
    fn sub(self, c: T) -> Self {
        self + -c
    }
}

/// `x ⊙ c` with a plain scalar `c`. Backward: `∂x += ∂y·c`.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let x = tape.var_scalar(1.5);
/// let y = x * 4.0;
/// assert_eq!(y.item(), 6.0);
/// assert_eq!(y.backward().wrt(x)[0], 4.0);
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Mul<T> for Tensor<'t, R, C, T> {
    type Output = Self;

    #[track_caller]
    fn mul(self, c: T) -> Self {
        // y = x·c, with c kept in the aux slot
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y·c
            let r = r.unary(R * C, R * C);
            let c = r.aux[0];
            r.grad_x.add(r.grad_out.iter().map(|&go| go * c));
        }
        self.scalar_tuned(c, true, backward::<T, R, C>, Code::MulC(c))
    }
}

/// `x / c` with a plain scalar `c`. Backward: `∂x += ∂y / c`.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let x = tape.var_scalar(3.0);
/// let y = x / 2.0;
/// assert_eq!(y.item(), 1.5);
/// assert_eq!(y.backward().wrt(x)[0], 0.5);
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Div<T> for Tensor<'t, R, C, T> {
    type Output = Self;

    #[track_caller]
    fn div(self, c: T) -> Self {
        // y = x / c, with c kept in the aux slot
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y / c
            let r = r.unary(R * C, R * C);
            let c = r.aux[0];
            r.grad_x.add(r.grad_out.iter().map(|&go| go / c));
        }
        self.scalar_tuned(c, false, backward::<T, R, C>, Code::DivC(c))
    }
}

impl<const R: usize, const C: usize, T: Scalar> Tensor<'_, R, C, T> {
    /// `c - x` with a plain scalar `c`. Backward: `∂x += -∂y`.
    #[track_caller]
    pub(crate) fn rsub(self, c: T) -> Self {
        // y = c - x
        // `c + (−x)`: `c − x` to the bit, without num-dual's slow `−` (see `Sub for Tensor`)
        self.map_tuned(neg_backward::<T, R, C>, Code::SubFromC(c))
    }

    /// `c / x` with a plain scalar `c`. Backward: `∂x += -(∂y·y) / x` with `y = c / x`.
    #[track_caller]
    pub(crate) fn rdiv(self, c: T) -> Self {
        // y = c / x
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += -(∂y·y) / x
            let r = r.unary(R * C, R * C);
            let terms = r.grad_out.iter().zip(r.x).zip(r.y);
            r.grad_x.add(terms.map(|((&go, &x), &y)| -(go * y) / x));
        }
        self.map_rule(backward::<T, R, C>, Code::DivIntoC(c))
    }
}

/// Plain `f32`/`f64` scalars on the left: `c + x`, `c - x`, `c * x`, `c / x`.
macro_rules! scalar_lhs {
    ($($t:ty),*) => {$(
        /// `c + x` with a plain scalar on the left, the same as `x + c`.
        ///
        /// # Examples
        ///
        /// ```
        /// let tape = shapegrad::Tape::<f64>::new();
        /// let x = tape.var_scalar(2.0);
        /// assert_eq!((1.0 + x).item(), 3.0);
        /// ```
        impl<'t, const R: usize, const C: usize> Add<Tensor<'t, R, C, $t>> for $t {
            type Output = Tensor<'t, R, C, $t>;

            fn add(self, x: Tensor<'t, R, C, $t>) -> Self::Output {
                x + self
            }
        }

        /// `c - x` with a plain scalar on the left. Backward: `∂x += -∂y`.
        ///
        /// # Examples
        ///
        /// ```
        /// let tape = shapegrad::Tape::<f64>::new();
        /// let x = tape.var_scalar(2.0);
        /// let y = 1.0 - x;
        /// assert_eq!(y.item(), -1.0);
        /// assert_eq!(y.backward().wrt(x)[0], -1.0);
        /// ```
        impl<'t, const R: usize, const C: usize> Sub<Tensor<'t, R, C, $t>> for $t {
            type Output = Tensor<'t, R, C, $t>;

            fn sub(self, x: Tensor<'t, R, C, $t>) -> Self::Output {
                x.rsub(self)
            }
        }

        /// `c ⊙ x` with a plain scalar on the left, the same as `x * c`.
        ///
        /// # Examples
        ///
        /// ```
        /// let tape = shapegrad::Tape::<f64>::new();
        /// let x = tape.var_scalar(2.0);
        /// assert_eq!((3.0 * x).backward().wrt(x)[0], 3.0);
        /// ```
        impl<'t, const R: usize, const C: usize> Mul<Tensor<'t, R, C, $t>> for $t {
            type Output = Tensor<'t, R, C, $t>;

            fn mul(self, x: Tensor<'t, R, C, $t>) -> Self::Output {
                x * self
            }
        }

        /// `c / x` with a plain scalar on the left. Backward: `∂x += -(∂y·y) / x`.
        ///
        /// # Examples
        ///
        /// ```
        /// let tape = shapegrad::Tape::<f64>::new();
        /// let x = tape.var_scalar(2.0);
        /// let y = 1.0 / x;
        /// assert_eq!(y.item(), 0.5);
        /// assert_eq!(y.backward().wrt(x)[0], -0.25); // -1/x²
        /// ```
        impl<'t, const R: usize, const C: usize> Div<Tensor<'t, R, C, $t>> for $t {
            type Output = Tensor<'t, R, C, $t>;

            fn div(self, x: Tensor<'t, R, C, $t>) -> Self::Output {
                x.rdiv(self)
            }
        }
    )*};
}

scalar_lhs!(f32, f64);
