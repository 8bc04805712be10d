//! Element-wise arithmetic of tensors: `-x`, `x + y`, `x - y`, `x * y`, `x / y` (with a plain
//! scalar on either side: `scalar_arith.rs`).

use core::ops::{Add, Div, Mul, Neg, Sub};

use super::{Code, Rule};
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

    #[track_caller]
    fn neg(self) -> Self {
        // y = -x
        self.map_tuned(neg_backward::<T, R, C>, Code::Neg)
    }
}

/// `∂x += -∂y`, the rule of `-x` and `c - x`.
pub(super) fn neg_backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
    let r = r.unary(R * C, R * C);
    r.grad_x.add(r.grad_out.iter().map(|&go| -go));
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
    #[track_caller]
    fn add(self, rhs: Self) -> Self {
        // y = a + b
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂a += ∂y,  ∂b += ∂y
            let r = r.binary(R * C, R * C, R * C);
            r.grads
                .add(r.grad_out.iter().copied(), r.grad_out.iter().copied());
        }
        self.zip_tuned(rhs, "add", backward::<T, R, C>, Code::Add)
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
    #[track_caller]
    fn sub(self, rhs: Self) -> Self {
        // y = a - b
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂a += ∂y,  ∂b += -∂y
            let r = r.binary(R * C, R * C, R * C);
            r.grads
                .add(r.grad_out.iter().copied(), r.grad_out.iter().map(|&go| -go));
        }
        // `a + (−b)` (`Code::Sub`) is `a − b` to the bit (IEEE 754 defines subtraction so), and on
        // num-dual's dual vectors it is 2× faster: their `−` is an out-of-line call whose
        // result, written in 8-byte stores and read back in 16-byte loads, stalls the loop on
        // store forwarding (71 % of the samples in a loop of `−` on `DualSVec64<4>`); `+` and
        // unary `−` inline. For `f32`/`f64` the compiler emits the same subtraction.
        self.zip_tuned(rhs, "sub", backward::<T, R, C>, Code::Sub)
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
    #[track_caller]
    fn mul(self, rhs: Self) -> Self {
        // y = a ⊙ b
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂a += ∂y ⊙ b,  ∂b += ∂y ⊙ a
            let r = r.binary(R * C, R * C, R * C);
            let go = r.grad_out.iter();
            r.grads.add(
                go.clone().zip(r.rhs).map(|(&go, &b)| go * b),
                go.zip(r.lhs).map(|(&go, &a)| go * a),
            );
        }
        self.zip_tuned(rhs, "mul", backward::<T, R, C>, Code::Mul)
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

    #[track_caller]
    fn div(self, rhs: Self) -> Self {
        // y = a / b
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂a += ∂y / b,  ∂b += -(∂y·y) / b
            let r = r.binary(R * C, R * C, R * C);
            let terms = r.grad_out.iter().zip(r.rhs);
            r.grads.add(
                terms.clone().map(|(&go, &b)| go / b),
                terms.zip(r.y).map(|((&go, &b), &y)| -(go * y) / b),
            );
        }
        self.zip_rule(rhs, "div", backward::<T, R, C>, Code::Div)
    }
}

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
