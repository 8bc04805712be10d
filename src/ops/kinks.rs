//! Ops with kinks: `abs`, `relu`, and the element-wise `max`/`min` of two tensors.
//!
//! Where the derivative does not exist, the rule picks PyTorch's choice:
//! `abs` and `relu` get gradient `0` at `x = 0` (pytorch/pytorch#2195 for `abs`; `relu`'s
//! backward masks with `x > 0`), and `max`/`min` split `∂y` evenly, `½` to each operand, where
//! `a = b` (pytorch/pytorch#56734). So `x.max(x)` has gradient exactly 1. A NaN input gives a
//! NaN value and a NaN gradient (the rules would otherwise drop it).

use super::Rule;
use crate::scalar::lit;
use crate::{Scalar, Tensor};

/// The share of `∂y` that operand `x` of `max(x, other)` receives: all of it where `x` wins,
/// none where it loses, half at a tie, NaN where either is NaN.
fn max_share<T: Scalar>(go: T, x: T, other: T) -> T {
    if x > other {
        go
    } else if x < other {
        T::zero()
    } else if x == other {
        go * lit(0.5)
    } else {
        x + other // NaN
    }
}

/// `max(a, b)` when `MAX`, else `min(a, b)`, as `−max(−a, −b)` compared on the negations
/// (exact); NaN in either operand gives NaN, unlike `f64::max`/`min`, which drop it.
fn extremum<T: Scalar, const MAX: bool>(a: T, b: T) -> T {
    let (x, y) = if MAX { (a, b) } else { (-a, -b) };
    if y > x {
        b
    } else if x >= y {
        a
    } else {
        a + b // NaN
    }
}

/// The rule of `max` (`MAX`) or `min`: `∂a += ∂y ⊙ ([a wins] + ½[a = b])`, and the same for
/// `b`, the shares of max at the operands, negated for min (`min(a, b) = −max(−a, −b)`).
fn extremum_backward<T: Scalar, const R: usize, const C: usize, const MAX: bool>(r: Rule<'_, T>) {
    let r = r.binary(R * C, R * C, R * C);
    let sign = |x: T| if MAX { x } else { -x };
    let terms = r.grad_out.iter().zip(r.lhs).zip(r.rhs);
    r.grads.add(
        terms
            .clone()
            .map(|((&go, &a), &b)| max_share(go, sign(a), sign(b))),
        terms.map(|((&go, &a), &b)| max_share(go, sign(b), sign(a))),
    );
}

/// # Kinks: absolute value, rectifier, maximum and minimum
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The absolute value `|x|`, element-wise. Backward: `∂x += ∂y ⊙ sign(x)`, with
    /// `sign(0) = 0` (PyTorch's subgradient at the kink).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(-2.0, 0.0, 3.0));
    /// let y = x.abs();
    /// assert_eq!(y.value(), Vector3::new(2.0, 0.0, 3.0));
    /// assert_eq!(y.sum().backward().wrt(x), Vector3::new(-1.0, 0.0, 1.0));
    /// ```
    #[track_caller]
    pub fn abs(self) -> Self {
        // y = |x|
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊙ sign(x), sign(0) = 0, sign(NaN) = NaN
            let r = r.unary(R * C, R * C);
            let terms = r.grad_out.iter().zip(r.x).map(|(&go, &x)| {
                if x > T::zero() {
                    go
                } else if x < T::zero() {
                    -go
                } else if x == T::zero() {
                    T::zero()
                } else {
                    x // NaN
                }
            });
            r.grad_x.add(terms);
        }
        self.elementwise_fn(|x: T| x.abs(), backward::<T, R, C>)
    }

    /// The rectifier `max(x, 0)`, element-wise. Backward: `∂x += ∂y ⊙ [x > 0]` (so `0` at
    /// `x = 0`, as in PyTorch). A NaN input stays NaN, value and gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector3::new(-2.0, 0.0, 3.0));
    /// let y = x.relu();
    /// assert_eq!(y.value(), Vector3::new(0.0, 0.0, 3.0));
    /// assert_eq!(y.sum().backward().wrt(x), Vector3::new(0.0, 0.0, 1.0));
    /// ```
    #[track_caller]
    pub fn relu(self) -> Self {
        // y = max(x, 0)
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y ⊙ [x > 0]
            let r = r.unary(R * C, R * C);
            let terms = r.grad_out.iter().zip(r.x).map(|(&go, &x)| {
                if x > T::zero() {
                    go
                } else if x <= T::zero() {
                    T::zero()
                } else {
                    x // NaN
                }
            });
            r.grad_x.add(terms);
        }
        let relu = |x: T| if x <= T::zero() { T::zero() } else { x };
        self.elementwise_fn(relu, backward::<T, R, C>)
    }

    /// The element-wise maximum `max(a, b)`. Backward: `∂a += ∂y ⊙ [a > b]`,
    /// `∂b += ∂y ⊙ [b > a]`, and at a tie `a = b` each gets `½∂y` (as PyTorch's
    /// `torch.maximum`), so `a.max(a)` has gradient 1. NaN in either operand gives NaN (value
    /// and both gradients), unlike `f64::max`, which drops it.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector3::new(1.0, 5.0, 2.0));
    /// let b = tape.var(Vector3::new(3.0, 4.0, 2.0));
    /// let y = a.max(b);
    /// assert_eq!(y.value(), Vector3::new(3.0, 5.0, 2.0));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(a), Vector3::new(0.0, 1.0, 0.5)); // tie: split evenly
    /// assert_eq!(grads.wrt(b), Vector3::new(1.0, 0.0, 0.5));
    /// ```
    #[track_caller]
    pub fn max(self, rhs: Self) -> Self {
        // y = max(a, b)
        self.elementwise2_fn(
            rhs,
            "max",
            extremum::<T, true>,
            extremum_backward::<T, R, C, true>,
        )
    }

    /// The element-wise minimum `min(a, b)`. Backward: `∂a += ∂y ⊙ [a < b]`,
    /// `∂b += ∂y ⊙ [b < a]`, and `½∂y` to each at a tie, as for [`max`](Tensor::max). NaN in
    /// either operand gives NaN.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector3::new(1.0, 5.0, 2.0));
    /// let b = tape.var(Vector3::new(3.0, 4.0, 2.0));
    /// let y = a.min(b);
    /// assert_eq!(y.value(), Vector3::new(1.0, 4.0, 2.0));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(a), Vector3::new(1.0, 0.0, 0.5)); // tie: split evenly
    /// assert_eq!(grads.wrt(b), Vector3::new(0.0, 1.0, 0.5));
    /// ```
    #[track_caller]
    pub fn min(self, rhs: Self) -> Self {
        // y = min(a, b)
        self.elementwise2_fn(
            rhs,
            "min",
            extremum::<T, false>,
            extremum_backward::<T, R, C, false>,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Vector3, Vector4};

    /// Mixed signs, away from the kinks at 0.
    fn mixed() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1)
    }

    #[test]
    fn gradcheck_abs_relu() {
        let v = Vector4::new(0.3, -1.2, 1.0, 0.7);
        check_unary(Matrix1::new(-0.7), |x| x.abs());
        check_unary(mixed(), |x| x.abs());
        check_unary(v, |x| x.abs() * x);
        check_unary(Matrix1::new(0.7), |x| x.relu());
        check_unary(mixed(), |x| x.relu());
        check_unary(v, |x| x.relu() * x);
    }

    #[test]
    fn gradcheck_max_min() {
        let (a, b) = (mixed(), Matrix2x3::new(0.5, -1.5, 0.25, 0.8, -0.9, 1.3));
        check_binary(a, b, |a, b| a.max(b));
        check_binary(a, b, |a, b| a.min(b));
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), |a, b| a.max(b));
        check_binary(Matrix1::new(0.4), Matrix1::new(-0.3), |a, b| a.min(b));
        check_binary(
            Vector4::new(1.0, -2.0, 0.5, 0.0),
            Vector4::new(0.5, 1.0, -1.0, 0.25),
            |a, b| a.max(b) * a.min(b),
        );
        // reused input: max(x, x) = min(x, x) = x, so the split halves must add up to 1
        check_unary(a, |x| x.max(x));
        check_unary(a, |x| x.min(x) * x);
    }

    #[test]
    fn kinks_and_ties() {
        let tape = Tape::<f64>::new();
        // |x| and relu at 0: subgradient 0 (PyTorch's choice)
        let x = tape.var(Vector3::new(0.0, -0.0, 2.0));
        assert_eq!(x.abs().sum().backward().wrt(x), Vector3::new(0.0, 0.0, 1.0));
        assert_eq!(
            x.relu().sum().backward().wrt(x),
            Vector3::new(0.0, 0.0, 1.0)
        );
        // max(a, a) = a: ½ + ½ = 1
        assert_eq!(x.max(x).sum().backward().wrt(x), Vector3::repeat(1.0));
        assert_eq!(x.min(x).sum().backward().wrt(x), Vector3::repeat(1.0));
    }

    #[test]
    fn nan_propagates() {
        // NaN in, NaN out: value and gradient
        let tape = Tape::<f64>::new();
        let nan = tape.var_scalar(f64::NAN);
        let one = tape.var_scalar(1.0);
        for y in [
            nan.abs(),
            nan.relu(),
            nan.max(one),
            nan.min(one),
            one.max(nan),
        ] {
            let g = y.backward();
            assert!(y.item().is_nan() && g.wrt(nan)[0].is_nan());
        }
    }
}
