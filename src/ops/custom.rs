//! Users' own ops: an element-wise op from a value-and-derivative function
//! ([`map_with_derivative`](Tensor::map_with_derivative),
//! [`zip_with_derivative`](Tensor::zip_with_derivative)), and any op with a hand-written
//! vector-Jacobian product ([`CustomOp`], [`CustomOp2`]; JAX's `custom_vjp`).
//!
//! The element-wise forms are the crate's own `map` and `zip`, which every element-wise op
//! of the crate is built on (one shared rule, the 1×1 fast path included). The VJP forms
//! record the op's output and call the user's `vjp` in the backward walk, through a rule
//! monomorphised per op type, so nodes stay a plain function pointer.

use nalgebra::SMatrix;

use super::Rule;
use crate::gradients::matrix_from;
use crate::{Scalar, Tensor};

/// An op `y = f(x)` of one tensor with a hand-written vector-Jacobian product, recorded by
/// [`Tensor::custom`]. Implement it on a unit struct (generic over the scalar, so that the op
/// runs on `f32`, `f64` and dual numbers alike).
///
/// # Examples
///
/// `normalize` of a 3-vector, `y = x/‖x‖`, with its VJP `∂x = (∂y − y (y·∂y)) / ‖x‖`,
/// checked against finite differences:
///
/// ```
/// use nalgebra::Vector3;
/// use shapegrad::{CustomOp, Scalar, ScalarFn, Tensor, check_gradient};
///
/// struct Normalize;
/// impl<T: Scalar> CustomOp<T, 3, 1, 3, 1> for Normalize {
///     fn forward(x: &Vector3<T>) -> Vector3<T> {
///         x / x.norm()
///     }
///     fn vjp(x: &Vector3<T>, y: &Vector3<T>, grad_y: &Vector3<T>) -> Vector3<T> {
///         (grad_y - y * y.dot(grad_y)) / x.norm()
///     }
/// }
///
/// struct F;
/// impl ScalarFn<3> for F {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 3, 1, T>) -> Tensor<'t, 1, 1, T> {
///         (x.custom::<Normalize, 3, 1>() * x).exp().sum() // through a non-constant ∂y
///     }
/// }
/// let report = check_gradient(&F, &Vector3::new(0.3, -1.2, 2.0));
/// assert!(report.passed(), "{report}");
/// ```
pub trait CustomOp<T: Scalar, const R: usize, const C: usize, const R2: usize, const C2: usize>:
    'static
{
    /// The value `y = f(x)`.
    #[track_caller]
    fn forward(x: &SMatrix<T, R, C>) -> SMatrix<T, R2, C2>;

    /// `∂x = (∂y/∂x)ᵀ ∂y`: the gradient with respect to `x` of `⟨∂y, f(x)⟩`, given the input,
    /// the recorded output and the output's gradient. The walk adds it to `x`'s gradient.
    #[track_caller]
    fn vjp(
        x: &SMatrix<T, R, C>,
        y: &SMatrix<T, R2, C2>,
        grad_y: &SMatrix<T, R2, C2>,
    ) -> SMatrix<T, R, C>;
}

/// An op `y = f(a, b)` of two tensors of one tape with a hand-written vector-Jacobian product,
/// recorded by [`Tensor::custom2`]; as [`CustomOp`].
///
/// # Examples
///
/// A weighted sum of squares `y = Σ wᵢ aᵢ²`, with `∂a = 2 ∂y w ⊙ a`, `∂w = ∂y a ⊙ a`:
///
/// ```
/// use nalgebra::{Matrix1, Vector2};
/// use shapegrad::{CustomOp2, Scalar, Tape};
///
/// struct WeightedSquares;
/// impl<T: Scalar> CustomOp2<T, 2, 1, 2, 1, 1, 1> for WeightedSquares {
///     fn forward(a: &Vector2<T>, w: &Vector2<T>) -> Matrix1<T> {
///         Matrix1::new(w.dot(&a.component_mul(a)))
///     }
///     fn vjp(a: &Vector2<T>, w: &Vector2<T>, _y: &Matrix1<T>, gy: &Matrix1<T>) -> (Vector2<T>, Vector2<T>) {
///         let two: T = nalgebra::convert(2.0);
///         (w.component_mul(a) * (two * gy[0]), a.component_mul(a) * gy[0])
///     }
/// }
///
/// let tape = Tape::new();
/// let a = tape.var(Vector2::new(1.0, 3.0));
/// let w = tape.var(Vector2::new(0.5, 2.0));
/// let y = a.custom2::<WeightedSquares, 2, 1, 1, 1>(w);
/// assert_eq!(y.item(), 0.5 + 18.0);
/// let grads = y.backward();
/// assert_eq!(grads.wrt(a), Vector2::new(1.0, 12.0));
/// assert_eq!(grads.wrt(w), Vector2::new(1.0, 9.0));
/// ```
pub trait CustomOp2<
    T: Scalar,
    const R: usize,
    const C: usize,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
>: 'static
{
    /// The value `y = f(a, b)`.
    #[track_caller]
    fn forward(a: &SMatrix<T, R, C>, b: &SMatrix<T, R1, C1>) -> SMatrix<T, R2, C2>;

    /// `(∂a, ∂b)`, the gradients of `⟨∂y, f(a, b)⟩`, as [`CustomOp::vjp`].
    #[track_caller]
    fn vjp(
        a: &SMatrix<T, R, C>,
        b: &SMatrix<T, R1, C1>,
        y: &SMatrix<T, R2, C2>,
        grad_y: &SMatrix<T, R2, C2>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R1, C1>);
}

/// # Users' own ops
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// A user's element-wise op from its value and derivative: `f(x) = (y, dy/dx)`, applied
    /// to every element. Backward: `∂x += ∂y ⊙ dy/dx` (the derivative is stored in the
    /// forward pass). The crate's own `sin` is `self.map_with_derivative(|x| (x.sin(), x.cos()))`.
    ///
    /// `f` is `Send + Sync + 'static` (capture data by value, with `move`): a
    /// [replayable](crate::Recording) tape keeps it to run again at new inputs.
    ///
    /// # Examples
    ///
    /// `softplus(x) = ln(1 + eˣ)`, stable for large `x`, with derivative `σ(x)`:
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(0.0, 800.0));
    /// let softplus = |x: f64| {
    ///     let y = x.max(0.0) + (-x.abs()).exp().ln_1p();
    ///     (y, 1.0 / (1.0 + (-x).exp()))
    /// };
    /// let y = x.map_with_derivative(softplus);
    /// assert_eq!(y.value(), Vector2::new(2f64.ln(), 800.0));
    /// assert_relative_eq!(y.sum().backward().wrt(x), Vector2::new(0.5, 1.0));
    /// ```
    #[inline]
    #[track_caller]
    pub fn map_with_derivative(self, f: impl Fn(T) -> (T, T) + Send + Sync + 'static) -> Self {
        self.map(move |x, want| {
            let (y, d) = f(x);
            (y, want.then_some(d))
        })
    }

    /// A user's element-wise op of two tensors of one shape from its value and partial
    /// derivatives: `f(a, b) = (y, [∂y/∂a, ∂y/∂b])`. Backward: `∂a += ∂y ⊙ ∂y/∂a`,
    /// `∂b += ∂y ⊙ ∂y/∂b`.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector2::new(1.0, 2.0));
    /// let b = tape.var(Vector2::new(3.0, 4.0));
    /// // y = a·b², ∂y/∂a = b², ∂y/∂b = 2ab
    /// let y = a.zip_with_derivative(b, |a, b| (a * b * b, [b * b, 2.0 * a * b]));
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(a), Vector2::new(9.0, 16.0));
    /// assert_eq!(grads.wrt(b), Vector2::new(6.0, 16.0));
    /// ```
    #[inline]
    #[track_caller]
    pub fn zip_with_derivative(
        self,
        rhs: Self,
        f: impl Fn(T, T) -> (T, [T; 2]) + Send + Sync + 'static,
    ) -> Self {
        self.zip(rhs, "zip_with_derivative", move |a, b, want| {
            let (y, d) = f(a, b);
            (y, want.then_some(d))
        })
    }

    /// Records the user's op `Op` ([`CustomOp`]) on this tensor: the value is
    /// `Op::forward(x)`, and the backward walk adds `Op::vjp(x, y, ∂y)` to `x`'s gradient.
    /// Costs one `R2×C2` output region and no aux; `forward` and `vjp` copy the operand's and
    /// the output's values into matrices (on the stack).
    ///
    /// # Examples
    ///
    /// See [`CustomOp`].
    ///
    /// ```
    /// use nalgebra::{Matrix1, Vector2};
    /// use shapegrad::{CustomOp, Scalar, Tape};
    ///
    /// /// y = x₀·x₁ (1×1), ∂x = ∂y·(x₁, x₀)
    /// struct Product;
    /// impl<T: Scalar> CustomOp<T, 2, 1, 1, 1> for Product {
    ///     fn forward(x: &Vector2<T>) -> Matrix1<T> {
    ///         Matrix1::new(x[0] * x[1])
    ///     }
    ///     fn vjp(x: &Vector2<T>, _y: &Matrix1<T>, gy: &Matrix1<T>) -> Vector2<T> {
    ///         Vector2::new(x[1], x[0]) * gy[0]
    ///     }
    /// }
    /// let tape = Tape::new();
    /// let x = tape.var(Vector2::new(3.0, 4.0));
    /// let y = x.custom::<Product, 1, 1>();
    /// assert_eq!(y.item(), 12.0);
    /// assert_eq!(y.backward().wrt(x), Vector2::new(4.0, 3.0));
    /// ```
    #[track_caller]
    pub fn custom<Op: CustomOp<T, R, C, R2, C2>, const R2: usize, const C2: usize>(
        self,
    ) -> Tensor<'t, R2, C2, T> {
        self.record_unary::<R2, C2>(
            0,
            |x, out| {
                let y = Op::forward(&matrix_from(x));
                out[..R2 * C2].copy_from_slice(y.as_slice());
            },
            custom_backward::<T, R, C, R2, C2, Op>,
        )
    }

    /// Records the user's op `Op` ([`CustomOp2`]) on this tensor and `rhs`: as
    /// [`custom`](Tensor::custom), with both gradients from `Op::vjp`.
    ///
    /// # Panics
    ///
    /// If `self` and `rhs` are on different tapes.
    ///
    /// # Examples
    ///
    /// See [`CustomOp2`].
    ///
    /// ```
    /// use nalgebra::{Matrix1, Vector2};
    /// use shapegrad::{CustomOp2, Scalar, Tape};
    ///
    /// /// y = aᵀb, ∂a = ∂y·b, ∂b = ∂y·a
    /// struct Dot;
    /// impl<T: Scalar> CustomOp2<T, 2, 1, 2, 1, 1, 1> for Dot {
    ///     fn forward(a: &Vector2<T>, b: &Vector2<T>) -> Matrix1<T> {
    ///         Matrix1::new(a.dot(b))
    ///     }
    ///     fn vjp(a: &Vector2<T>, b: &Vector2<T>, _y: &Matrix1<T>, gy: &Matrix1<T>) -> (Vector2<T>, Vector2<T>) {
    ///         (b * gy[0], a * gy[0])
    ///     }
    /// }
    /// let tape = Tape::new();
    /// let (a, b) = (tape.var(Vector2::new(1.0, 2.0)), tape.var(Vector2::new(3.0, 5.0)));
    /// let grads = a.custom2::<Dot, 2, 1, 1, 1>(b).backward();
    /// assert_eq!((grads.wrt(a), grads.wrt(b)), (Vector2::new(3.0, 5.0), Vector2::new(1.0, 2.0)));
    /// ```
    #[track_caller]
    pub fn custom2<
        Op: CustomOp2<T, R, C, R1, C1, R2, C2>,
        const R1: usize,
        const C1: usize,
        const R2: usize,
        const C2: usize,
    >(
        self,
        rhs: Tensor<'t, R1, C1, T>,
    ) -> Tensor<'t, R2, C2, T> {
        self.record_binary::<R1, C1, R2, C2>(
            rhs,
            "custom2",
            0,
            |a, b, out| {
                let y = Op::forward(&matrix_from(a), &matrix_from(b));
                out[..R2 * C2].copy_from_slice(y.as_slice());
            },
            custom2_backward::<T, R, C, R1, C1, R2, C2, Op>,
        )
    }
}

/// The rule of [`Tensor::custom`]: `∂x += Op::vjp(x, y, ∂y)`.
fn custom_backward<
    T: Scalar,
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
    Op: CustomOp<T, R, C, R2, C2>,
>(
    r: Rule<'_, T>,
) {
    let r = r.unary(R * C, R2 * C2);
    let (x, y) = (matrix_from(r.x), matrix_from(r.y));
    let gx = Op::vjp(&x, &y, &matrix_from(r.grad_out));
    r.grad_x.add(gx.as_slice().iter().copied());
}

/// The rule of [`Tensor::custom2`]: `(∂a, ∂b) += Op::vjp(a, b, y, ∂y)`.
fn custom2_backward<
    T: Scalar,
    const R: usize,
    const C: usize,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    Op: CustomOp2<T, R, C, R1, C1, R2, C2>,
>(
    r: Rule<'_, T>,
) {
    let r = r.binary(R * C, R1 * C1, R2 * C2);
    let (a, b) = (matrix_from(r.lhs), matrix_from(r.rhs));
    let y = matrix_from(r.y);
    let (ga, gb) = Op::vjp(&a, &b, &y, &matrix_from(r.grad_out));
    r.grads
        .lhs(ga.as_slice().iter().copied())
        .add(gb.as_slice().iter().copied());
}

#[cfg(test)]
mod tests {
    use super::{CustomOp, CustomOp2};
    use crate::testutil::{check_binary, check_unary};
    use crate::{Scalar, Tape};
    use nalgebra::{Matrix1, Matrix2x3, SMatrix, Vector3};

    /// `y = x/‖x‖` with its hand-written VJP.
    struct Normalize;
    impl<T: Scalar> CustomOp<T, 3, 1, 3, 1> for Normalize {
        fn forward(x: &Vector3<T>) -> Vector3<T> {
            x / x.norm()
        }
        fn vjp(x: &Vector3<T>, y: &Vector3<T>, gy: &Vector3<T>) -> Vector3<T> {
            (gy - y * y.dot(gy)) / x.norm()
        }
    }

    /// `y = a² ⊙ b` on 2×3: ∂a = 2ab ⊙ ∂y, ∂b = a² ⊙ ∂y.
    struct SqTimes;
    impl<T: Scalar> CustomOp2<T, 2, 3, 2, 3, 2, 3> for SqTimes {
        fn forward(a: &SMatrix<T, 2, 3>, b: &SMatrix<T, 2, 3>) -> SMatrix<T, 2, 3> {
            a.component_mul(a).component_mul(b)
        }
        fn vjp(
            a: &SMatrix<T, 2, 3>,
            b: &SMatrix<T, 2, 3>,
            _y: &SMatrix<T, 2, 3>,
            gy: &SMatrix<T, 2, 3>,
        ) -> (SMatrix<T, 2, 3>, SMatrix<T, 2, 3>) {
            let two: T = nalgebra::convert(2.0);
            (
                a.component_mul(b).component_mul(gy) * two,
                a.component_mul(a).component_mul(gy),
            )
        }
    }

    #[test]
    fn users_ops_against_finite_differences() {
        let m = Matrix2x3::new(0.3, -1.2, 2.5, 0.7, -3.0, 1.1);
        check_unary(m, |x| x.map_with_derivative(|v| (v.sin(), v.cos())));
        check_unary(Matrix1::new(0.4), |x| {
            x.map_with_derivative(|v| (v * v, 2.0 * v)) * x
        });
        check_binary(m, m * 0.5, |a, b| {
            a.zip_with_derivative(b, |a, b| (a * b, [b, a]))
        });
        let v = Vector3::new(0.3, -1.2, 2.0);
        check_unary(v, |x| x.custom::<Normalize, 3, 1>());
        check_unary(v, |x| x.custom::<Normalize, 3, 1>() * x); // reused
        // small values: Σ exp(a²b) must stay small for the finite differences
        let (a, b) = (m * 0.4, m.map(|v| 0.3 * v + 0.5));
        check_binary(a, b, |a, b| a.custom2::<SqTimes, 2, 3, 2, 3>(b));
        check_unary(a, |x| x.custom2::<SqTimes, 2, 3, 2, 3>(x)); // x³ through both slots
    }

    #[test]
    fn f32_agrees_with_f64() {
        let v = [0.3, -1.2, 2.0];
        let g64 = {
            let tape = Tape::<f64>::new();
            let x = tape.var(Vector3::from(v));
            (x.custom::<Normalize, 3, 1>() * x)
                .exp()
                .sum()
                .backward()
                .wrt(x)
        };
        let tape = Tape::<f32>::new();
        let x = tape.var(Vector3::from(v.map(|v| v as f32)));
        let g32 = (x.custom::<Normalize, 3, 1>() * x)
            .exp()
            .sum()
            .backward()
            .wrt(x);
        for k in 0..3 {
            assert!((f64::from(g32[k]) - g64[k]).abs() <= 1e-5 * g64[k].abs().max(1.0));
        }
    }
}
