//! Geometry: `norm_squared`, `norm`, `normalize` (of any shape, Frobenius for matrices, as
//! nalgebra), `cross` and `cross_matrix` (3-vectors), `trace` and `diagonal` (square).

use super::{Rule, elementwise};
use crate::{Scalar, Tensor};

/// `Σ xᵢ²`, in order: the forward of `norm_squared`, `norm` and `normalize`.
fn sum_of_squares<T: Scalar>(x: &[T]) -> T {
    x.iter().fold(T::zero(), |s, &v| s + v * v)
}

/// # Geometry
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// `‖x‖² = Σ xᵢⱼ²` (1×1), as nalgebra's `norm_squared`. Backward: `∂x += 2∂y·x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(3.0, 4.0));
    /// let y = x.norm_squared();
    /// assert_eq!(y.item(), 25.0);
    /// assert_eq!(y.backward().wrt(x), Vector2::new(6.0, 8.0));
    /// ```
    #[track_caller]
    pub fn norm_squared(self) -> Tensor<'t, 1, 1, T> {
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += 2∂y·x
            let r = r.unary(R * C, 1);
            let g = r.grad_out[0] * crate::scalar::lit(2.0);
            r.grad_x.add(r.x.iter().map(|&x| g * x));
        }
        let forward = |x: &[T], out: &mut [T]| out[0] = sum_of_squares(x);
        self.record_unary::<1, 1>(0, forward, backward::<T, R, C>)
    }

    /// The Euclidean (Frobenius) norm `‖x‖ = √Σ xᵢⱼ²` (1×1), as nalgebra's `norm`. Backward:
    /// `∂x += ∂y·x/‖x‖`.
    ///
    /// At `x = 0`, where the norm has a cone point, the value is `0` and the gradient `0` (the
    /// smallest subgradient; PyTorch's choice too). Like nalgebra's, the value overflows to
    /// `inf` once `Σ x²` does (`|x|` past about `1.3e154` in f64).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(3.0, 4.0));
    /// let y = x.norm();
    /// assert_eq!(y.item(), 5.0);
    /// assert_eq!(y.backward().wrt(x), Vector2::new(0.6, 0.8));
    /// let zero = tape.var(Vector2::new(0.0, 0.0));
    /// assert_eq!(zero.norm().backward().wrt(zero), Vector2::new(0.0, 0.0));
    /// ```
    #[track_caller]
    pub fn norm(self) -> Tensor<'t, 1, 1, T> {
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += ∂y·x/‖x‖, 0 at x = 0
            let r = r.unary(R * C, 1);
            // as ∂y·(x/‖x‖): x/‖x‖ is the unit vector to within one rounding
            let (n, g) = (r.y[0], r.grad_out[0]);
            let zero = n == T::zero();
            r.grad_x.add(
                r.x.iter()
                    .map(|&x| if zero { T::zero() } else { g * (x / n) }),
            );
        }
        let forward = |x: &[T], out: &mut [T]| out[0] = sum_of_squares(x).sqrt();
        self.record_unary::<1, 1>(0, forward, backward::<T, R, C>)
    }

    /// `x/‖x‖`, the unit vector (or matrix) along `x`, as nalgebra's `normalize`. Backward:
    /// `∂x += (∂y − y (y·∂y)) / ‖x‖`, with `y·∂y = Σ yᵢⱼ∂yᵢⱼ` (no component along `x`).
    ///
    /// At `x = 0` there is no direction: the value is NaN (`0/0`, as nalgebra's) and so is
    /// the gradient. Use [`norm`](Tensor::norm) to guard where `x` can vanish.
    ///
    /// # Examples
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::Vector2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(3.0, 4.0));
    /// let u = x.normalize();
    /// assert_eq!(u.value(), Vector2::new(0.6, 0.8));
    /// // d(u₀)/dx = (1 − u₀², −u₀u₁)/‖x‖ = (0.64, −0.48)/5
    /// let g = u.at(0).backward().wrt(x);
    /// assert_relative_eq!(g, Vector2::new(0.128, -0.096), max_relative = 1e-15);
    /// ```
    #[track_caller]
    pub fn normalize(self) -> Self {
        fn backward<T: Scalar, const R: usize, const C: usize>(r: Rule<'_, T>) {
            // ∂x += (∂y − y (y·∂y)) / ‖x‖, ‖x‖ in aux
            let r = r.unary(R * C, R * C);
            let n = r.aux[0];
            let along =
                r.y.iter()
                    .zip(r.grad_out)
                    .fold(T::zero(), |s, (&y, &g)| s + y * g);
            let terms =
                r.y.iter()
                    .zip(r.grad_out)
                    .map(|(&y, &g)| (g - y * along) / n);
            r.grad_x.add(terms);
        }
        let forward = |x: &[T], out: &mut [T]| {
            let n = sum_of_squares(x).sqrt();
            let (y, aux) = out.split_at_mut(R * C);
            elementwise(x, y, |v| v / n);
            aux[0] = n;
        };
        self.record_unary::<R, C>(1, forward, backward::<T, R, C>)
    }
}

/// # Geometry of 3-vectors
impl<'t, T: Scalar> Tensor<'t, 3, 1, T> {
    /// The cross product `a × b`, as nalgebra's `cross`. Backward: `∂a += b × ∂y`,
    /// `∂b += ∂y × a`. Only for 3-vectors: on another shape it does not compile.
    ///
    /// # Panics
    ///
    /// If `self` and `b` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector3;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let a = tape.var(Vector3::new(1.0, 0.0, 0.0));
    /// let b = tape.var(Vector3::new(0.0, 1.0, 0.0));
    /// let c = a.cross(b);
    /// assert_eq!(c.value(), Vector3::new(0.0, 0.0, 1.0));
    /// let grads = c.at(2).backward(); // ∂(a₀b₁ − a₁b₀)
    /// assert_eq!(grads.wrt(a), Vector3::new(1.0, 0.0, 0.0));
    /// assert_eq!(grads.wrt(b), Vector3::new(0.0, 1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn cross(self, b: Self) -> Self {
        fn cross3<T: Scalar>(a: &[T], b: &[T]) -> [T; 3] {
            [
                a[1] * b[2] - a[2] * b[1],
                a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0],
            ]
        }
        fn backward<T: Scalar>(r: Rule<'_, T>) {
            // ∂a += b × ∂y, ∂b += ∂y × a
            let r = r.binary(3, 3, 3);
            let (da, db) = (cross3(r.rhs, r.grad_out), cross3(r.grad_out, r.lhs));
            r.grads.add(da, db);
        }
        let forward = |a: &[T], b: &[T], out: &mut [T]| out.copy_from_slice(&cross3(a, b));
        self.record_binary(b, "cross", 0, forward, backward::<T>)
    }

    /// The skew-symmetric matrix `[v]×` with `[v]× w = v × w`, as nalgebra's `cross_matrix`:
    /// `[[0, −v₂, v₁], [v₂, 0, −v₀], [−v₁, v₀, 0]]`. Backward:
    /// `∂v += (∂S₂₁ − ∂S₁₂, ∂S₀₂ − ∂S₂₀, ∂S₁₀ − ∂S₀₁)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector3};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let v = tape.var(Vector3::new(1.0, 2.0, 3.0));
    /// let s = v.cross_matrix();
    /// assert_eq!(s.value(), Vector3::new(1.0, 2.0, 3.0).cross_matrix());
    /// let w = tape.constant(Vector3::new(4.0, 5.0, 6.0));
    /// assert_eq!(s.matmul(w).value(), Vector3::new(1.0, 2.0, 3.0).cross(&Vector3::new(4.0, 5.0, 6.0)));
    /// let g = (s * tape.constant(Matrix3::from_fn(|i, j| (3 * i + j) as f64))).sum().backward();
    /// assert_eq!(g.wrt(v), Vector3::new(7.0 - 5.0, 2.0 - 6.0, 3.0 - 1.0));
    /// ```
    #[track_caller]
    pub fn cross_matrix(self) -> Tensor<'t, 3, 3, T> {
        fn backward<T: Scalar>(r: Rule<'_, T>) {
            let r = r.unary(3, 9);
            // column-major: S[(i, j)] at 3j + i
            let g = |i: usize, j: usize| r.grad_out[3 * j + i];
            let terms = [g(2, 1) - g(1, 2), g(0, 2) - g(2, 0), g(1, 0) - g(0, 1)];
            r.grad_x.add(terms);
        }
        let forward = |v: &[T], out: &mut [T]| {
            let z = T::zero();
            out.copy_from_slice(&[z, v[2], -v[1], -v[2], z, v[0], v[1], -v[0], z]);
        };
        self.record_unary::<3, 3>(0, forward, backward::<T>)
    }
}

/// # Square matrices
impl<'t, const N: usize, T: Scalar> Tensor<'t, N, N, T> {
    /// The trace `Σᵢ xᵢᵢ` (1×1), as nalgebra's `trace`. Backward: `∂xᵢᵢ += ∂y`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let t = m.trace();
    /// assert_eq!(t.item(), 5.0);
    /// assert_eq!(t.backward().wrt(m), Matrix2::identity());
    /// ```
    #[track_caller]
    pub fn trace(self) -> Tensor<'t, 1, 1, T> {
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>) {
            let r = r.unary(N * N, 1);
            let g = r.grad_out[0];
            r.grad_x
                .add((0..N * N).map(|k| if k % (N + 1) == 0 { g } else { T::zero() }));
        }
        let forward =
            |x: &[T], out: &mut [T]| out[0] = (0..N).fold(T::zero(), |s, i| s + x[i * (N + 1)]);
        self.record_unary::<1, 1>(0, forward, backward::<T, N>)
    }

    /// The diagonal `(x₀₀, …, x_{N−1,N−1})` as an `N×1` tensor, as nalgebra's `diagonal`.
    /// Backward: `∂xᵢᵢ += ∂yᵢ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    ///
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let d = m.diagonal();
    /// assert_eq!(d.value(), Vector2::new(1.0, 4.0));
    /// assert_eq!((d * d).sum().backward().wrt(m), Matrix2::new(2.0, 0.0, 0.0, 8.0));
    /// ```
    #[track_caller]
    pub fn diagonal(self) -> Tensor<'t, N, 1, T> {
        fn backward<T: Scalar, const N: usize>(r: Rule<'_, T>) {
            let r = r.unary(N * N, N);
            let go = r.grad_out;
            let terms = (0..N * N).map(|k| {
                if k % (N + 1) == 0 {
                    go[k / (N + 1)]
                } else {
                    T::zero()
                }
            });
            r.grad_x.add(terms);
        }
        let forward = |x: &[T], out: &mut [T]| {
            for (i, o) in out[..N].iter_mut().enumerate() {
                *o = x[i * (N + 1)];
            }
        };
        self.record_unary::<N, 1>(0, forward, backward::<T, N>)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tape;
    use crate::testutil::{check_binary, check_unary};
    use nalgebra::{Matrix3, Vector3};

    #[test]
    fn gradcheck_geometry() {
        let (a, b) = (Vector3::new(0.3, -1.2, 0.8), Vector3::new(-0.5, 0.4, 1.1));
        check_unary(a, |x| x.norm().broadcast() * x); // reused
        check_unary(a, |x| x.normalize() * x.norm_squared().broadcast());
        check_binary(a, b, |a, b| a.cross(b).cross(a)); // a used twice
        check_unary(a, |x| x.cross_matrix().matmul(x.normalize()));
        let m = Matrix3::new(0.3, -1.2, 0.5, 0.7, -0.3, 1.1, 0.2, 0.9, -0.4);
        check_unary(m, |x| x.diagonal() * x.trace().broadcast());
    }

    #[test]
    fn norm_and_normalize_at_zero() {
        let tape = Tape::<f64>::new();
        let z = tape.var(Vector3::zeros());
        // norm: value 0, subgradient 0 (documented); normalize: NaN value and gradient
        assert_eq!(z.norm().item(), 0.0);
        assert_eq!(z.norm().backward().wrt(z), Vector3::zeros());
        let u = z.normalize();
        assert!(u.value().iter().all(|v| v.is_nan()));
        assert!(u.sum().backward().wrt(z).iter().all(|g| g.is_nan()));
        // tiny but non-zero: normalize still gives a unit vector and a finite gradient
        let t = tape.var(Vector3::new(1e-150, 0.0, 0.0));
        assert_eq!(t.normalize().value(), Vector3::new(1.0, 0.0, 0.0));
        assert!(
            t.normalize()
                .at(1)
                .backward()
                .wrt(t)
                .iter()
                .all(|g| g.is_finite())
        );
    }
}
