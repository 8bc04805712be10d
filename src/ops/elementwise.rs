//! Element-wise math: `ln`, `sqrt`, `powi`, `square`, `abs`, `relu`, and the element-wise
//! `max`/`min` of two tensors.
//!
//! **Kinks.** Where the derivative does not exist, the rule picks PyTorch's choice:
//! `abs` and `relu` get gradient `0` at `x = 0` (pytorch/pytorch#2195 for `abs`; `relu`'s
//! backward masks with `x > 0`), and `max`/`min` split `∂y` evenly, `½` to each operand, where
//! `a = b` (pytorch/pytorch#56734). So `x.max(x)` has gradient exactly 1.
//!
//! **inf and NaN** follow IEEE 754, as everywhere in the crate: `ln(0) = −inf` with gradient
//! `+inf`, `ln(x < 0) = NaN`; `sqrt(0) = 0` with gradient `+inf`, `sqrt(x < 0) = NaN`. A NaN
//! input gives a NaN value and a NaN gradient (also for `abs`, `relu`, `max`, `min`, whose
//! rules would otherwise drop it).

use crate::scalar::lit;
use crate::tape::{Slots, split_grads};
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
fn extremum_backward<T: Scalar, const R: usize, const C: usize, const MAX: bool>(
    s: Slots,
    v: &[T],
    g: &mut [T],
) {
    let n = R * C;
    let (before, grad_out) = split_grads(g, s.out(), n);
    let (a, b) = (&v[s.a()..][..n], &v[s.b()..][..n]);
    let sign = |x: T| if MAX { x } else { -x };
    let terms = grad_out.iter().zip(a).zip(b);
    s.grad_ab(
        before,
        n,
        terms
            .clone()
            .map(|((&go, &a), &b)| max_share(go, sign(a), sign(b))),
        terms.map(|((&go, &a), &b)| max_share(go, sign(b), sign(a))),
    );
}

impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// The natural logarithm `ln x`, element-wise. Backward: `∂x += ∂y ⊘ x`.
    ///
    /// `ln 0 = −inf` with gradient `+inf` (from `∂y = 1`); `ln x = NaN` for `x < 0`, where
    /// the gradient `∂y/x` is still computed (finite), as PyTorch does.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 4.0));
    /// let y = x.ln();
    /// assert_eq!(y.value(), Vector2::new(0.0, 4.0_f64.ln()));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(1.0, 0.25)); // 1/x
    /// ```
    pub fn ln(self) -> Self {
        // y = ln x
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊘ x
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let x = &v[s.a()..][..n];
            s.grad_a(before, n, grad_out.iter().zip(x).map(|(&go, &x)| go / x));
        }
        self.map_op(backward::<T, R, C>, T::ln)
    }

    /// The square root `√x`, element-wise. Backward: `∂x += ∂y ⊘ 2y`.
    ///
    /// `√0 = 0` with gradient `+inf` (from `∂y > 0`; `0/0 = NaN` if `∂y = 0`); `√x = NaN`
    /// for `x < 0`, and so is its gradient.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(4.0, 0.25));
    /// let y = x.sqrt();
    /// assert_eq!(y.value(), Vector2::new(2.0, 0.5));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(0.25, 1.0)); // 1/(2√x)
    /// ```
    pub fn sqrt(self) -> Self {
        // y = √x
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊘ 2y
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let y = &v[s.out()..][..n];
            s.grad_a(
                before,
                n,
                grad_out.iter().zip(y).map(|(&go, &y)| go / (y + y)),
            );
        }
        self.map_op(backward::<T, R, C>, T::sqrt)
    }

    /// The integer power `xⁿ`, element-wise. Backward: `∂x += ∂y ⊙ n·xⁿ⁻¹`.
    ///
    /// The derivative `n·xⁿ⁻¹` is computed in the forward pass (stored in the node's aux
    /// region, `R·C` scalars), so it is exact at `x = 0` (`0` for `n ≥ 2`, `1` for `n = 1`)
    /// instead of the `0/0` of `n·y/x`; for `n = 0` the gradient is `0` everywhere (also at
    /// `x = 0`, where `0·x⁻¹` would be NaN). Value and gradient overflow to `±inf` as IEEE
    /// `powi` does (`0⁻¹ = inf`).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(2.0, -0.5));
    /// let y = x.powi(3);
    /// assert_eq!(y.value(), Vector2::new(8.0, -0.125));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(12.0, 0.75)); // 3x²
    /// let inv = x.powi(-1);
    /// assert_eq!(inv.sum().backward().wrt(x), Vector2::new(-0.25, -4.0)); // −x⁻²
    /// ```
    pub fn powi(self, n: i32) -> Self {
        // y = xⁿ; d = n·xⁿ⁻¹
        let n_t = lit::<T>(f64::from(n));
        self.map_with_derivative(|x| {
            let y = x.powi(n);
            let d = match n {
                0 => T::zero(),            // also at x = 0, where 0·x⁻¹ is NaN
                i32::MIN => n_t * (y / x), // n − 1 overflows i32: xⁿ⁻¹ = xⁿ/x
                _ => n_t * x.powi(n - 1),
            };
            (y, d)
        })
    }

    /// `x²`, element-wise. Backward: `∂x += ∂y ⊙ 2x`.
    ///
    /// Overflows to `+inf` for `|x|` above `√MAX` (about `1.34e154` in f64, `1.84e19` in
    /// f32), as IEEE multiplication does; the gradient `2x` stays finite there.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(3.0, -0.5));
    /// let y = x.square();
    /// assert_eq!(y.value(), Vector2::new(9.0, 0.25));
    /// assert_eq!(y.sum().backward().wrt(x), Vector2::new(6.0, -1.0)); // 2x
    /// ```
    pub fn square(self) -> Self {
        // y = x²
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊙ 2x
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let x = &v[s.a()..][..n];
            s.grad_a(
                before,
                n,
                grad_out.iter().zip(x).map(|(&go, &x)| go * (x + x)),
            );
        }
        self.map_op_d(backward::<T, R, C>, |x| (x * x, x + x))
    }

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
    pub fn abs(self) -> Self {
        // y = |x|
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊙ sign(x), sign(0) = 0, sign(NaN) = NaN
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let x = &v[s.a()..][..n];
            let terms = grad_out.iter().zip(x).map(|(&go, &x)| {
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
            s.grad_a(before, n, terms);
        }
        self.map_op(backward::<T, R, C>, |x| x.abs())
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
    pub fn relu(self) -> Self {
        // y = max(x, 0)
        fn backward<T: Scalar, const R: usize, const C: usize>(s: Slots, v: &[T], g: &mut [T]) {
            // ∂x += ∂y ⊙ [x > 0]
            let n = R * C;
            let (before, grad_out) = split_grads(g, s.out(), n);
            let x = &v[s.a()..][..n];
            let terms = grad_out.iter().zip(x).map(|(&go, &x)| {
                if x > T::zero() {
                    go
                } else if x <= T::zero() {
                    T::zero()
                } else {
                    x // NaN
                }
            });
            s.grad_a(before, n, terms);
        }
        self.map_op(backward::<T, R, C>, |x| {
            if x <= T::zero() { T::zero() } else { x }
        })
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
    pub fn max(self, rhs: Self) -> Self {
        // y = max(a, b)
        self.zip_op(
            rhs,
            "max",
            extremum_backward::<T, R, C, true>,
            extremum::<T, true>,
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
    pub fn min(self, rhs: Self) -> Self {
        // y = min(a, b)
        self.zip_op(
            rhs,
            "min",
            extremum_backward::<T, R, C, false>,
            extremum::<T, false>,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix1, Matrix2x3, Vector3, Vector4};

    /// Positive inputs (for ln, sqrt, negative powers), away from 0.
    fn pos() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, 1.2, 2.0, 0.7, 0.4, 1.1)
    }

    /// Mixed signs, away from the kinks at 0.
    fn mixed() -> Matrix2x3<f64> {
        Matrix2x3::new(0.3, -1.2, 1.0, 0.7, -0.4, 0.1)
    }

    #[test]
    fn gradcheck_unary() {
        let v = Vector4::new(0.3, -1.2, 1.0, 0.7);
        let vp = Vector4::new(0.3, 1.2, 1.0, 0.7);
        check_unary(Matrix1::new(0.7), |x| x.ln());
        check_unary(pos(), |x| x.ln());
        check_unary(vp, |x| x.ln() * x); // reused input
        check_unary(Matrix1::new(0.7), |x| x.sqrt());
        check_unary(pos(), |x| x.sqrt());
        check_unary(vp, |x| x.sqrt() * x);
        check_unary(Matrix1::new(0.7), |x| x.powi(3));
        check_unary(pos().map(|v| v + 0.5), |x| x.powi(-2));
        check_unary(pos().map(|v| v + 0.5), |x| x.powi(-1));
        check_unary(mixed(), |x| x.powi(3));
        check_unary(mixed(), |x| x.powi(0));
        check_unary(mixed(), |x| x.powi(1));
        check_unary(v, |x| x.powi(2) * x);
        check_unary(Matrix1::new(-0.7), |x| x.square());
        check_unary(mixed(), |x| x.square());
        check_unary(v, |x| x.square() * x);
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
    fn hand_derived() {
        // Σ (ln x + √x + x³) at x = (1, 4): ∂ = 1/x + 1/(2√x) + 3x² = (1 + ½ + 3, ¼ + ¼ + 48)
        let tape = Tape::<f64>::new();
        let x = tape.var(nalgebra::Vector2::new(1.0, 4.0));
        let g = (x.ln() + x.sqrt() + x.powi(3)).sum().backward().wrt(x);
        assert_eq!(g, nalgebra::Vector2::new(4.5, 48.5));
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
        // powi at 0: d(x²)/dx = 0, d(x¹)/dx = 1, d(x⁰)/dx = 0 (not 0·0⁻¹ = NaN)
        let z = tape.var_scalar(0.0);
        assert_eq!(z.powi(2).backward().wrt(z)[0], 0.0);
        assert_eq!(z.powi(1).backward().wrt(z)[0], 1.0);
        assert_eq!(z.powi(0).backward().wrt(z)[0], 0.0);
        assert_eq!(z.powi(0).item(), 1.0);
    }

    #[test]
    fn ieee_policy() {
        let tape = Tape::<f64>::new();
        let z = tape.var_scalar(0.0);
        // ln 0 = −inf, ∂ = 1/0 = +inf; √0 = 0, ∂ = 1/(2·0) = +inf; 0⁻¹ = inf, ∂ = −1·0⁻² = −inf
        assert_eq!(z.ln().item(), f64::NEG_INFINITY);
        assert_eq!(z.ln().backward().wrt(z)[0], f64::INFINITY);
        assert_eq!(z.sqrt().item(), 0.0);
        assert_eq!(z.sqrt().backward().wrt(z)[0], f64::INFINITY);
        assert_eq!(z.powi(-1).backward().wrt(z)[0], f64::NEG_INFINITY);
        // NaN in, NaN out: value and gradient
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
