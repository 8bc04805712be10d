//! Parameters: variables that stay on the tape across steps, updated in place.

use core::fmt;
use core::marker::PhantomData;

use nalgebra::{SMatrix, SMatrixViewMut};

use crate::gradients::matrix_or_zeros;
use crate::{Gradients, Scalar, Tape, Tensor};

/// A parameter of a [`Tape`]: an `R×C` variable that [`Tape::clear`] keeps, so a training
/// loop neither copies it onto the tape every step nor keeps it anywhere else.
///
/// A `Param` is a plain `Copy` token (no borrow of the tape): get a [`Tensor`] for the
/// current recording with [`Tape::get`], read its gradient with [`Gradients::wrt_param`], and
/// update it in place with [`Tape::param_mut`] once no tensors are alive.
///
/// # Examples
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{Gradients, Tape};
///
/// // Minimise Σ (w - t)² by gradient descent.
/// let mut tape = Tape::new();
/// let w = tape.param(Vector2::new(0.0, 0.0));
/// let target = Vector2::new(1.0, -2.0);
/// let mut grads = Gradients::new();
/// for _ in 0..100 {
///     tape.clear(); // keeps `w`
///     let d = tape.get(w) - tape.constant(target);
///     (d * d).sum().backward_into(&mut grads);
///     let g = grads.wrt_param(w);
///     tape.param_mut(w).axpy(-0.1, &g, 1.0); // w -= 0.1·∂L/∂w
/// }
/// approx::assert_relative_eq!(tape.param_value(w), target, max_relative = 1e-9);
/// ```
pub struct Param<const R: usize, const C: usize, T: Scalar = f64> {
    tape: u64,
    /// The tape's generation when the parameter was made (gradients of older walks do not
    /// know it).
    since: u64,
    node: u32,
    off: u32,
    shape: PhantomData<[[T; C]; R]>,
}

impl<const R: usize, const C: usize, T: Scalar> Clone for Param<R, C, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<const R: usize, const C: usize, T: Scalar> Copy for Param<R, C, T> {}

impl<const R: usize, const C: usize, T: Scalar> fmt::Debug for Param<R, C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param<{R}, {C}>#{}", self.node)
    }
}

/// # Parameters
impl<T: Scalar> Tape<T> {
    #[track_caller]
    fn new_param<const R: usize, const C: usize>(
        &mut self,
        values: impl ExactSizeIterator<Item = T>,
    ) -> Param<R, C, T> {
        let (node, off) = self.push_param(R * C, values);
        let session = self.session();
        Param {
            tape: session.tape,
            since: session.generation,
            node,
            off,
            shape: PhantomData,
        }
    }

    /// Makes a parameter holding `value`. Parameters are kept by [`clear`](Tape::clear);
    /// making one clears the current recording (no tensor can be alive: this takes
    /// `&mut self`).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// tape.clear();
    /// assert_eq!(tape.get(w).value(), Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// ```
    #[track_caller]
    pub fn param<const R: usize, const C: usize>(
        &mut self,
        value: SMatrix<T, R, C>,
    ) -> Param<R, C, T> {
        self.new_param(value.as_slice().iter().copied())
    }

    /// Makes a parameter whose element `(i, j)` is `f(i, j)`, written straight into the tape
    /// (no `SMatrix` on the stack, for large shapes).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::<f32>::new();
    /// let w = tape.param_from_fn::<128, 784>(|i, j| (i + j) as f32 * 1e-3);
    /// assert_eq!(tape.get(w).with_slice(|v| v[1]), 1e-3); // (1, 0), column-major
    /// ```
    #[track_caller]
    pub fn param_from_fn<const R: usize, const C: usize>(
        &mut self,
        mut f: impl FnMut(usize, usize) -> T,
    ) -> Param<R, C, T> {
        self.new_param((0..R * C).map(|k| f(k % R, k / R)))
    }

    /// Makes a parameter from `R·C` values in column-major order.
    ///
    /// # Panics
    ///
    /// If `values.len() != R * C`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let b = tape.param_from_slice::<2, 1>(&[0.5, -0.5]);
    /// assert_eq!(tape.param_value(b), nalgebra::Vector2::new(0.5, -0.5));
    /// ```
    #[track_caller]
    pub fn param_from_slice<const R: usize, const C: usize>(
        &mut self,
        values: &[T],
    ) -> Param<R, C, T> {
        assert_eq!(
            values.len(),
            R * C,
            "shapegrad: `param_from_slice` for a {R}×{C} parameter needs {} values",
            R * C
        );
        self.new_param(values.iter().copied())
    }

    #[track_caller]
    fn check_param<const R: usize, const C: usize>(&self, p: Param<R, C, T>, op: &str) {
        assert!(
            p.tape == self.session().tape,
            "shapegrad: `{op}` got a parameter of another tape"
        );
    }

    /// The parameter as a tensor of the current recording, without copying or recording
    /// anything.
    ///
    /// # Panics
    ///
    /// If `p` belongs to another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(nalgebra::Vector2::new(3.0, 4.0));
    /// let n = tape.len();
    /// let t = tape.get(w);
    /// assert_eq!(tape.len(), n); // nothing recorded
    /// assert_eq!((t * t).sum().backward().wrt(t), nalgebra::Vector2::new(6.0, 8.0));
    /// ```
    #[track_caller]
    pub fn get<const R: usize, const C: usize>(&self, p: Param<R, C, T>) -> Tensor<'_, R, C, T> {
        self.check_param(p, "Tape::get");
        let value = if R * C == 1 {
            self.with_values(p.off, 1, |v| v[0])
        } else {
            T::zero()
        };
        Tensor::from_raw(self, p.off, true, value)
    }

    /// The parameter's value.
    ///
    /// # Panics
    ///
    /// If `p` belongs to another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(nalgebra::Vector2::new(3.0, 4.0));
    /// assert_eq!(tape.param_value(w), nalgebra::Vector2::new(3.0, 4.0));
    /// ```
    #[track_caller]
    pub fn param_value<const R: usize, const C: usize>(
        &self,
        p: Param<R, C, T>,
    ) -> SMatrix<T, R, C> {
        self.get(p).value()
    }

    /// The parameter's value as a mutable nalgebra view into the tape, for an update step
    /// (`tape.param_mut(w).axpy(-lr, &grad, 1.0)`). Takes `&mut self`, so no tensor of the
    /// recording is alive; the new value is seen from the next [`get`](Tape::get) on.
    ///
    /// # Panics
    ///
    /// If `p` belongs to another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(nalgebra::Vector2::new(3.0, 4.0));
    /// tape.param_mut(w)[1] = 5.0;
    /// assert_eq!(tape.param_value(w), nalgebra::Vector2::new(3.0, 5.0));
    /// ```
    #[track_caller]
    pub fn param_mut<const R: usize, const C: usize>(
        &mut self,
        p: Param<R, C, T>,
    ) -> SMatrixViewMut<'_, T, R, C> {
        self.check_param(p, "Tape::param_mut");
        SMatrixViewMut::from_slice(self.values_mut(p.off, R * C))
    }
}

/// # Updating all parameters (for optimizers)
impl<T: Scalar> Tape<T> {
    /// Number of scalars held by all parameters: the size of an optimizer's state vector.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::<f64>::new();
    /// let _w = tape.param(nalgebra::Matrix2x3::zeros());
    /// let _b = tape.param(nalgebra::Vector2::zeros());
    /// assert_eq!(tape.param_scalars(), 8);
    /// ```
    #[track_caller]
    pub fn param_scalars(&self) -> usize {
        self.params_len()
    }

    /// Calls `update(offset, values, grad)` for every parameter the gradients' output depends
    /// on (others are skipped, as PyTorch skips parameters without a gradient): `values` is
    /// the parameter's storage (column-major), `grad` its gradient, and `offset` its position
    /// in `0..param_scalars()`, for indexing an optimizer's state. Allocates nothing.
    ///
    /// # Panics
    ///
    /// If `grads` come from another tape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::Tape;
    ///
    /// // One step of plain gradient descent on every parameter.
    /// let mut tape = Tape::new();
    /// let w = tape.param(Vector2::new(1.0, 2.0));
    /// let grads = (tape.get(w) * tape.get(w)).sum().backward(); // ∂ = 2w
    /// tape.update_params(&grads, |_, values, grad| {
    ///     values.iter_mut().zip(grad).for_each(|(v, g)| *v -= 0.25 * g);
    /// });
    /// assert_eq!(tape.param_value(w), Vector2::new(0.5, 1.0));
    /// ```
    #[track_caller]
    pub fn update_params(
        &mut self,
        grads: &Gradients<T>,
        update: impl FnMut(usize, &mut [T], &[T]),
    ) {
        assert!(
            grads.session().tape == self.session().tape,
            "shapegrad: `Tape::update_params` got gradients of another tape"
        );
        self.for_each_param(grads, update);
    }
}

/// # Gradients of parameters
impl<T: Scalar> Gradients<T> {
    /// The gradient with respect to a parameter as a column-major slice without copying, or
    /// `None` where [`wrt_param`](Gradients::wrt_param) returns zeros (the output does not
    /// depend on it).
    ///
    /// # Panics
    ///
    /// If `p` belongs to another tape than these gradients, or was made after them.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(nalgebra::Vector2::new(3.0, 4.0));
    /// let grads = (tape.get(w) * 2.0).sum().backward();
    /// assert_eq!(grads.param_slice(w), Some(&[2.0, 2.0][..]));
    /// ```
    #[track_caller]
    pub fn param_slice<const R: usize, const C: usize>(&self, p: Param<R, C, T>) -> Option<&[T]> {
        let session = self.session();
        assert!(
            session.tape == p.tape && session.generation >= p.since,
            "shapegrad: `Gradients::wrt_param` got a parameter of another tape, or one made after \
             these gradients"
        );
        self.region(p.off as usize, R * C)
    }

    /// `∂y/∂p` for the differentiated output `y`, shaped like the parameter; zeros where `y`
    /// does not depend on it.
    ///
    /// # Panics
    ///
    /// As [`param_slice`](Gradients::param_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tape = shapegrad::Tape::new();
    /// let w = tape.param(nalgebra::Vector2::new(3.0, 4.0));
    /// let grads = (tape.get(w) * tape.get(w)).sum().backward();
    /// assert_eq!(grads.wrt_param(w), nalgebra::Vector2::new(6.0, 8.0));
    /// ```
    #[track_caller]
    pub fn wrt_param<const R: usize, const C: usize>(&self, p: Param<R, C, T>) -> SMatrix<T, R, C> {
        matrix_or_zeros(self.param_slice(p))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Gradients, Tape};
    use nalgebra::{Matrix2x3, Vector2, Vector3};

    #[test]
    fn params_survive_clear_and_recordings_do_not() {
        let mut tape = Tape::<f64>::new();
        let w = tape.param(Matrix2x3::from_fn(|i, j| (i + 2 * j) as f64));
        let b = tape.param(Vector2::new(0.5, -0.5));
        let (nodes, scalars) = (tape.len(), tape.scalars());
        assert_eq!((nodes, scalars), (2, 8));
        let mut grads = Gradients::new();
        for step in 0..3 {
            tape.clear();
            assert_eq!((tape.len(), tape.scalars()), (nodes, scalars));
            let x = tape.constant(Vector3::new(1.0, step as f64, -1.0));
            let y = (tape.get(w).matmul(x) + tape.get(b)).sum();
            y.backward_into(&mut grads);
            // ∂Σ(Wx + b)/∂W = 1·xᵀ, ∂/∂b = 1 (hand derivation)
            let want = Matrix2x3::from_fn(|_, j| [1.0, step as f64, -1.0][j]);
            assert_eq!(grads.wrt_param(w), want);
            assert_eq!(grads.wrt_param(b), Vector2::repeat(1.0));
        }
    }

    #[test]
    fn making_a_param_clears_the_recording() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector2::new(1.0, 2.0));
        {
            let t = tape.get(a);
            let _ = t.exp().sum();
        }
        assert_eq!(tape.len(), 3);
        let b = tape.param(Vector2::new(3.0, 4.0));
        assert_eq!(tape.len(), 2);
        assert_eq!(tape.param_value(a), Vector2::new(1.0, 2.0));
        assert_eq!(tape.param_value(b), Vector2::new(3.0, 4.0));
    }

    #[test]
    fn unused_param_has_zero_gradient() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector2::new(1.0, 2.0));
        let b = tape.param(Vector2::new(3.0, 4.0));
        let g = tape.get(a).sum().backward();
        assert_eq!(g.wrt_param(b), Vector2::zeros());
        assert!(g.param_slice(b).is_none());
    }

    #[test]
    fn update_params_skips_params_made_after_the_gradients() {
        // `b` is made after the walk; its offset then held the walk's `exp` output, whose
        // gradient the walk wrote. `update_params` must not hand that to `b`.
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector2::new(1.0, 2.0));
        let grads = tape.get(a).exp().sum().backward();
        let b = tape.param(Vector2::new(3.0, 4.0));
        let mut seen = Vec::new();
        tape.update_params(&grads, |offset, values, grad| {
            seen.push((offset, values.len(), grad.to_vec()))
        });
        // only `a` (offset 0): ∂Σ exp(a)/∂a = exp(a) (nalgebra's `exp`, the op's: std's, or
        // libm's without the feature `std`)
        let exp = <f64 as nalgebra::ComplexField>::exp;
        assert_eq!(seen, vec![(0, 2, vec![exp(1.0), exp(2.0)])]);
        assert_eq!(tape.param_value(b), Vector2::new(3.0, 4.0));
    }

    #[test]
    #[should_panic(expected = "made after these gradients")]
    fn gradients_refuse_a_param_made_after_them() {
        let mut tape = Tape::<f64>::new();
        let a = tape.param(Vector2::new(1.0, 2.0));
        let g = tape.get(a).sum().backward();
        let b = tape.param(Vector2::new(3.0, 4.0));
        let _ = g.wrt_param(b);
    }

    #[test]
    #[should_panic(expected = "parameter of another tape")]
    fn get_refuses_a_param_of_another_tape() {
        let mut t1 = Tape::<f64>::new();
        let t2 = Tape::<f64>::new();
        let a = t1.param(Vector2::new(1.0, 2.0));
        let _ = t2.get(a);
    }
}
