//! Element-wise arithmetic: `-x`, `x + y`, `x - y`, `x * y`, `x / y`, and the same with a
//! plain scalar on either side (`1.0 / (1.0 + x)`).

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::tape::{Slots, split_grads};
use crate::{Scalar, Tensor};

/// `-x`, element-wise. Backward: `∂x += -∂y`.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let x = tape.var_scalar(1.0);
/// let grads = (-x).backward(); // the notebook's TEST 6
/// assert_eq!(grads.wrt(x)[0], -1.0);
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Neg for Tensor<'t, R, C, T> {
    type Output = Self;

    fn neg(self) -> Self {
        // y = -x
        self.map_op_d(neg_backward::<T, R, C>, |x| (-x, -T::one()))
    }
}

/// `∂x += -∂y` for an op `y = ±c - x` whose operand is at `a` (`-x` and `c - x`).
fn neg_backward<T: Scalar, const R: usize, const C: usize>(s: Slots, _: &[T], g: &mut [T]) {
    let n = R * C;
    let (before, grad_out) = split_grads(g, s.out(), n);
    s.grad_a(before, n, grad_out.iter().map(|&go| -go));
}

/// `∂x += ∂y` for an op `y = x + c` whose operand is at `a`.
fn pass_backward<T: Scalar, const R: usize, const C: usize>(s: Slots, _: &[T], g: &mut [T]) {
    let n = R * C;
    let (before, grad_out) = split_grads(g, s.out(), n);
    s.grad_a(before, n, grad_out.iter().copied());
}

/// `a + b`, element-wise. Backward: `∂a += ∂y`, `∂b += ∂y`.
///
/// # Panics
///
/// If `a` and `b` are on different tapes.
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// let tape = shapegrad::Tape::new();
/// let a = tape.var(Vector2::new(1.0, 2.0));
/// let grads = (a + a).sum().backward(); // a used twice: 1 + 1
/// assert_eq!(grads.wrt(a), Vector2::new(2.0, 2.0));
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Add for Tensor<'t, R, C, T> {
    type Output = Self;

    #[inline]
    fn add(self, rhs: Self) -> Self {
        // y = a + b
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, _: &[T], g: &mut [T]) {
            // ∂a += ∂y,  ∂b += ∂y
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            s.grad_ab(
                before,
                n,
                grad_out.iter().copied(),
                grad_out.iter().copied(),
            );
        }
        let one = T::one();
        self.zip_op_d(rhs, "add", backward::<T, R, C>, |a, b| (a + b, [one, one]))
    }
}

/// `a - b`, element-wise. Backward: `∂a += ∂y`, `∂b += -∂y`.
///
/// # Panics
///
/// If `a` and `b` are on different tapes.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
/// let grads = (x - y + x + x - x - y).backward(); // the notebook's TEST 3 cell
/// assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (2.0, -2.0));
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Sub for Tensor<'t, R, C, T> {
    type Output = Self;

    #[inline]
    fn sub(self, rhs: Self) -> Self {
        // y = a - b
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, _: &[T], g: &mut [T]) {
            // ∂a += ∂y,  ∂b += -∂y
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            s.grad_ab(
                before,
                n,
                grad_out.iter().copied(),
                grad_out.iter().map(|&go| -go),
            );
        }
        let one = T::one();
        self.zip_op_d(rhs, "sub", backward::<T, R, C>, |a, b| (a - b, [one, -one]))
    }
}

/// `a ⊙ b`, the element-wise (Hadamard) product; the matrix product is
/// [`matmul`](Tensor::matmul). Backward: `∂a += ∂y ⊙ b`, `∂b += ∂y ⊙ a`.
///
/// # Panics
///
/// If `a` and `b` are on different tapes.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
/// let grads = ((x + y) * (x - y)).backward(); // the notebook's TEST 4 cell
/// assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (2.0, -4.0));
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Mul for Tensor<'t, R, C, T> {
    type Output = Self;

    #[inline]
    fn mul(self, rhs: Self) -> Self {
        // y = a ⊙ b
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂a += ∂y ⊙ b,  ∂b += ∂y ⊙ a
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let (a, b) = (&v[s.a()..][..n], &v[s.b()..][..n]);
            s.grad_ab(
                before,
                n,
                grad_out.iter().zip(b).map(|(&go, &b)| go * b),
                grad_out.iter().zip(a).map(|(&go, &a)| go * a),
            );
        }
        self.zip_op_d(rhs, "mul", backward::<T, R, C>, |a, b| (a * b, [b, a]))
    }
}

/// `a / b`, element-wise. Backward: `∂a += ∂y / b`, `∂b += -(∂y·y) / b` with `y = a / b`,
/// which stays finite wherever `y` is (unlike `-∂y·a / b²`, which overflows for small `b`).
///
/// # Panics
///
/// If `a` and `b` are on different tapes.
///
/// # Examples
///
/// ```
/// let tape = shapegrad::Tape::new();
/// let (a, b) = (tape.var_scalar(3.0), tape.var_scalar(2.0));
/// let grads = (a / b).backward();
/// assert_eq!(grads.wrt(a)[0], 0.5); // 1/b
/// assert_eq!(grads.wrt(b)[0], -0.75); // -a/b²
/// ```
impl<'t, const R: usize, const C: usize, T: Scalar> Div for Tensor<'t, R, C, T> {
    type Output = Self;

    fn div(self, rhs: Self) -> Self {
        // y = a / b
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂a += ∂y / b,  ∂b += -(∂y·y) / b
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let (b, y) = (&v[s.b()..][..n], &v[s.out()..][..n]);
            let terms = grad_out.iter().zip(b).zip(y);
            s.grad_ab(
                before,
                n,
                grad_out.iter().zip(b).map(|(&go, &b)| go / b),
                terms.map(|((&go, &b), &y)| -(go * y) / b),
            );
        }
        self.zip_op(rhs, "div", backward::<T, R, C>, |a, b| a / b)
    }
}

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

    fn add(self, c: T) -> Self {
        // y = x + c
        self.map_op_d(pass_backward::<T, R, C>, |x| (x + c, T::one()))
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

    fn mul(self, c: T) -> Self {
        // y = x·c, with c kept in the aux slot
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y·c
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let c = v[s.b()];
            s.grad_a(before, n, grad_out.iter().map(|&go| go * c));
        }
        self.scalar_op(c, true, backward::<T, R, C>, |x, c| x * c)
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

    fn div(self, c: T) -> Self {
        // y = x / c, with c kept in the aux slot
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y / c
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let c = v[s.b()];
            s.grad_a(before, n, grad_out.iter().map(|&go| go / c));
        }
        self.scalar_op(c, false, backward::<T, R, C>, |x, c| x / c)
    }
}

impl<const R: usize, const C: usize, T: Scalar> Tensor<'_, R, C, T> {
    /// `c - x` with a plain scalar `c`. Backward: `∂x += -∂y`.
    pub(crate) fn rsub(self, c: T) -> Self {
        // y = c - x
        self.map_op_d(neg_backward::<T, R, C>, |x| (c - x, -T::one()))
    }

    /// `c / x` with a plain scalar `c`. Backward: `∂x += -(∂y·y) / x` with `y = c / x`.
    pub(crate) fn rdiv(self, c: T) -> Self {
        // y = c / x
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += -(∂y·y) / x
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let (x, y) = (&v[s.a()..][..n], &v[s.out()..][..n]);
            let terms = grad_out.iter().zip(x).zip(y);
            s.grad_a(before, n, terms.map(|((&go, &x), &y)| -(go * y) / x));
        }
        self.map_op(backward::<T, R, C>, |x| c / x)
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

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3};

    #[test]
    fn notebook_cells_sum_diff_mul() {
        // Printed in the notebook: TEST 2 x.grad [4.] y.grad [2.]; TEST 4 [2.] [-4.]
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var_scalar(1.0), tape.var_scalar(2.0));
        let g = (x + y + x + x + x + y).backward();
        assert_eq!((g.wrt(x)[0], g.wrt(y)[0]), (4.0, 2.0));
        let g = ((x + y) * (x - y)).backward();
        assert_eq!((g.wrt(x)[0], g.wrt(y)[0]), (2.0, -4.0));
    }

    #[test]
    fn scalar_forms_match_tensor_forms() {
        // Hand derivation: y = 1 / (1 + 2x) at x = 0.25: y = 2/3, dy/dx = -2 / (1 + 2x)² = -8/9.
        let tape = Tape::<f64>::new();
        let x = tape.var_scalar(0.25);
        let y = 1.0 / (1.0 + 2.0 * x);
        approx::assert_relative_eq!(y.item(), 2.0 / 3.0, max_relative = 1e-15);
        approx::assert_relative_eq!(y.backward().wrt(x)[0], -8.0 / 9.0, max_relative = 1e-15);
        // c - x and x - c, c·x and x / c
        let z = (3.0 - x) * (x - 1.0) + x / 4.0;
        // d/dx[(3 - x)(x - 1) + x/4] = (3 - x) - (x - 1) + 1/4 = 4 - 2x + 0.25 = 3.75
        assert_eq!(z.backward().wrt(x)[0], 3.75);
    }

    #[test]
    fn gradcheck_elementwise() {
        let x = Matrix2x3::new(0.3, -1.2, 2.0, 0.7, -0.4, 1.1);
        let y = Matrix2x3::new(1.5, 0.8, -2.2, 0.9, 1.3, -0.6);
        check_unary(x, |x| -x);
        check_unary(x, |x| x + 1.5);
        check_unary(x, |x| 2.0 - x);
        check_unary(x, |x| x * 1.7);
        check_unary(x, |x| x / 1.7);
        check_unary(x, |x| 1.3 / x);
        check_unary(x, |x| x * x);
        check_unary(x, |x| x + x);
        check_unary(x, |x| x - x * x);
        check_unary(x, |x| x / (x * x + 1.0));
        check_binary(x, y, |a, b| a + b);
        check_binary(x, y, |a, b| a - b);
        check_binary(x, y, |a, b| a * b);
        check_binary(x, y, |a, b| a / b);
        check_unary(Matrix1::new(0.4), |x| x / x);
    }
}
