//! The [`Tensor`] handle, leaf constructors, value access and `backward`.

use core::fmt;
use core::marker::PhantomData;

use nalgebra::SMatrix;

use crate::Gradients;
use crate::engine::Operand;
use crate::{CapacityError, Scalar, Tape};

/// An `R×C` matrix recorded on a [`Tape`]: a `Copy` handle (24 bytes in f32 and f64) to a
/// node, with the shape in the type and the scalar defaulting to `f64`.
///
/// Element-wise ops need equal shapes and [`matmul`](Tensor::matmul) needs matching inner
/// dimensions, checked at compile time. `*` is the element-wise product (unlike nalgebra's
/// `*`); see the crate docs' Conventions.
///
/// # Examples
///
/// ```
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::{Tape, Tensor};
///
/// let tape = Tape::new();
/// let w: Tensor<2, 3> = tape.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let x: Tensor<3, 1> = tape.constant(Vector3::new(1.0, 0.0, -1.0));
/// let y = w.matmul(x); // Tensor<2, 1>
/// assert_eq!(y.value(), nalgebra::Vector2::new(-2.0, -2.0));
/// ```
pub struct Tensor<'t, const R: usize, const C: usize, T: Scalar = f64> {
    tape: &'t Tape<T>,
    /// Whether it needs a gradient in bit 32 (so recording an op needs no look-up of its
    /// operands' nodes) and its value offset in bits 0..32, which names its node (offsets grow
    /// with the nodes). One integer, so that with the value below a handle is three words.
    id: u64,
    /// A 1×1 tensor's value (zero for other shapes), so that scalar ops take their operands
    /// from registers: reading them back from the tape, just after the previous op stored
    /// them, is a store-to-load round trip on the critical path of every scalar chain.
    value: T,
    shape: PhantomData<[[T; C]; R]>,
}

impl<const R: usize, const C: usize, T: Scalar> Clone for Tensor<'_, R, C, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<const R: usize, const C: usize, T: Scalar> Copy for Tensor<'_, R, C, T> {}

impl<const R: usize, const C: usize, T: Scalar> fmt::Debug for Tensor<'_, R, C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{R}, {C}>#{} ", self.tape.node_at(self.off()))?;
        self.tape
            .with_values(self.off(), R * C, |v| f.debug_list().entries(v).finish())
    }
}

/// # Making leaves
impl<T: Scalar> Tape<T> {
    /// A differentiable leaf holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 2.0));
    /// let grads = x.exp().sum().backward();
    /// assert_eq!(grads.wrt(x), x.value().map(f64::exp));
    /// ```
    #[inline]
    #[track_caller]
    pub fn var<const R: usize, const C: usize>(
        &self,
        value: SMatrix<T, R, C>,
    ) -> Tensor<'_, R, C, T> {
        self.leaf(true, value.as_slice().iter().copied())
    }

    /// A leaf whose gradient nobody needs: ops that only involve constants record no backward
    /// rule, and [`Gradients::wrt`] returns zeros for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 2.0));
    /// let c = tape.constant(Vector2::new(3.0, 4.0));
    /// let grads = (x * c).sum().backward();
    /// assert_eq!(grads.wrt(x), Vector2::new(3.0, 4.0));
    /// assert_eq!(grads.wrt(c), Vector2::zeros());
    /// ```
    #[track_caller]
    pub fn constant<const R: usize, const C: usize>(
        &self,
        value: SMatrix<T, R, C>,
    ) -> Tensor<'_, R, C, T> {
        self.leaf(false, value.as_slice().iter().copied())
    }

    /// A differentiable 1×1 leaf holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(3.0);
    /// assert_eq!((x * x).backward().wrt(x)[0], 6.0);
    /// ```
    #[track_caller]
    pub fn var_scalar(&self, value: T) -> Tensor<'_, 1, 1, T> {
        self.leaf_scalar(true, value)
    }

    /// A constant 1×1 leaf holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(3.0);
    /// let half = tape.constant_scalar(0.5);
    /// assert_eq!((x / (half + x)).value()[0], 3.0 / 3.5);
    /// ```
    #[track_caller]
    pub fn constant_scalar(&self, value: T) -> Tensor<'_, 1, 1, T> {
        self.leaf_scalar(false, value)
    }

    /// A differentiable leaf whose element `(i, j)` is `f(i, j)`, written straight into the
    /// tape: no `SMatrix` is built on the stack, so large matrices work on small stacks.
    ///
    /// # Panics
    ///
    /// If `f` reads or records on this tape (it runs while the tape is being written).
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let w = tape.var_from_fn::<3, 2>(|i, j| (i * 10 + j) as f64);
    /// assert_eq!(w.value()[(2, 1)], 21.0);
    /// ```
    #[track_caller]
    pub fn var_from_fn<const R: usize, const C: usize>(
        &self,
        mut f: impl FnMut(usize, usize) -> T,
    ) -> Tensor<'_, R, C, T> {
        self.leaf(true, (0..R * C).map(|k| f(k % R, k / R)))
    }

    /// A differentiable leaf from `R·C` values in column-major order (nalgebra's storage
    /// order), copied straight into the tape.
    ///
    /// # Panics
    ///
    /// If `values.len() != R * C`.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var_from_slice::<2, 2>(&[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!(m.value(), nalgebra::Matrix2::new(1.0, 3.0, 2.0, 4.0));
    /// ```
    #[track_caller]
    pub fn var_from_slice<const R: usize, const C: usize>(
        &self,
        values: &[T],
    ) -> Tensor<'_, R, C, T> {
        assert_eq!(
            values.len(),
            R * C,
            "shapegrad: `var_from_slice` for a {R}×{C} tensor needs {} values",
            R * C
        );
        self.leaf(true, values.iter().copied())
    }
}

/// # Reading values
impl<'t, const R: usize, const C: usize, T: Scalar> Tensor<'t, R, C, T> {
    /// A handle to the node whose values start at offset `off`.
    #[track_caller]
    pub(crate) fn from_raw(tape: &'t Tape<T>, off: u32, needs_grad: bool, value: T) -> Self {
        Tensor {
            tape,
            id: ((needs_grad as u64) << 32) | off as u64,
            value,
            shape: PhantomData,
        }
    }

    /// The same node under another shape of the same size: a 1×1 result in code generic
    /// over the shape (the shapes are equal there, but the compiler cannot see it).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn retype<const R2: usize, const C2: usize>(self) -> Tensor<'t, R2, C2, T> {
        debug_assert_eq!(R * C, R2 * C2);
        Tensor {
            tape: self.tape,
            id: self.id,
            value: self.value,
            shape: PhantomData,
        }
    }

    #[track_caller]
    pub(crate) fn operand(self) -> Operand {
        Operand {
            needs_grad: self.id & (1 << 32) != 0,
            off: self.off(),
        }
    }

    /// The offset of the tensor's values on the tape.
    #[track_caller]
    pub(crate) fn off(self) -> u32 {
        self.id as u32
    }

    /// A 1×1 tensor's value, carried in the handle (unspecified for other shapes).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn scalar(self) -> T {
        self.value
    }

    #[track_caller]
    pub(crate) fn offset(self) -> usize {
        self.off() as usize
    }

    /// The tape this tensor is recorded on.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(1.0);
    /// assert!(core::ptr::eq(x.tape(), &tape));
    /// ```
    #[track_caller]
    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// The tensor's value, copied out of the tape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var(Vector2::new(1.0, -2.0));
    /// assert_eq!((-x).value(), Vector2::new(-1.0, 2.0));
    /// ```
    #[track_caller]
    pub fn value(self) -> SMatrix<T, R, C> {
        self.tape
            .with_values(self.off(), R * C, crate::gradients::matrix_from)
    }

    /// Calls `read` with the tensor's values as a column-major slice, without copying.
    ///
    /// # Panics
    ///
    /// If `read` records an op on the same tape (the tape is borrowed while `read` runs).
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let m = tape.var_from_fn::<2, 2>(|i, j| (i + 2 * j) as f64);
    /// let total: f64 = m.with_slice(|v| v.iter().sum());
    /// assert_eq!(total, 6.0);
    /// ```
    #[track_caller]
    pub fn with_slice<U>(self, read: impl FnOnce(&[T]) -> U) -> U {
        self.tape.with_values(self.off(), R * C, read)
    }

    /// A gradient of the given shape through this tensor: the vector-Jacobian product
    /// `seedᵀ·∂self/∂x` for every `x` on the tape.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(Vector2::new(1.0, 2.0));
    /// let y = x * x; // Jacobian diag(2x)
    /// let grads = y.backward_with(&Vector2::new(10.0, 1.0));
    /// assert_eq!(grads.wrt(x), Vector2::new(20.0, 4.0));
    /// ```
    #[track_caller]
    pub fn backward_with(self, seed: &SMatrix<T, R, C>) -> Gradients<T> {
        let mut grads = Gradients::new();
        self.tape
            .backward_from(self.operand(), seed.as_slice(), &mut grads);
        grads
    }
}

/// # Differentiating a scalar
impl<'t, T: Scalar> Tensor<'t, 1, 1, T> {
    /// The tensor's only element.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(2.0);
    /// assert_eq!((x * x).item(), 4.0);
    /// ```
    #[track_caller]
    pub fn item(self) -> T {
        self.value
    }

    /// Runs backpropagation from this 1×1 output: the gradient of `self` with respect to every
    /// tensor recorded on the tape, each used input receiving the sum over all its paths.
    ///
    /// Does not consume the tape: further ops can be recorded and other outputs
    /// differentiated. Cost is linear in the number of recorded ops, with no recursion.
    ///
    /// # Examples
    ///
    /// ```
    /// let tape = shapegrad::Tape::new();
    /// let x = tape.var_scalar(1.0);
    /// let y = tape.var_scalar(2.0);
    /// let z = x + y + x + x + x + y; // the notebook's TEST 2
    /// let grads = z.backward();
    /// assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (4.0, 2.0));
    /// ```
    pub fn backward(self) -> Gradients<T> {
        let mut grads = Gradients::new();
        self.backward_into(&mut grads);
        grads
    }

    /// As [`backward`](Tensor::backward), writing into `grads` and reusing its buffer, so a
    /// training loop does not reallocate gradients every step.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Gradients, Tape};
    ///
    /// let mut tape = Tape::new();
    /// let mut grads = Gradients::new();
    /// for k in 1..=3 {
    ///     let x = tape.var_scalar(k as f64);
    ///     (x * x).backward_into(&mut grads);
    ///     assert_eq!(grads.wrt(x)[0], 2.0 * k as f64);
    ///     tape.clear();
    /// }
    /// ```
    #[track_caller]
    pub fn backward_into(self, grads: &mut Gradients<T>) {
        self.tape.backward_from(self.operand(), &[T::one()], grads);
    }

    /// [`backward`](Tensor::backward), or the [`CapacityError`] of a
    /// [fixed](Tape::fixed) tape that ran out of room with [`OnFull::Error`] (on which
    /// `backward` panics).
    ///
    /// [`OnFull::Error`]: crate::OnFull::Error
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{OnFull, Tape};
    ///
    /// let tape = Tape::<f64>::fixed(3, 8, OnFull::Error);
    /// let x = tape.var_scalar(3.0);
    /// let y = x * x;
    /// assert_eq!(y.try_backward().unwrap().wrt(x)[0], 6.0);
    /// let z = y * y * y; // the fourth node
    /// let e = z.try_backward().unwrap_err();
    /// assert_eq!((e.nodes, e.recorded), (3, 3));
    /// ```
    #[track_caller]
    pub fn try_backward(self) -> Result<Gradients<T>, CapacityError> {
        let mut grads = Gradients::new();
        self.try_backward_into(&mut grads).map(|()| grads)
    }

    /// [`backward_into`](Tensor::backward_into), or the [`CapacityError`] of a fixed tape
    /// that ran out of room (see [`try_backward`](Tensor::try_backward)); `grads` is then
    /// left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use shapegrad::{Gradients, OnFull, Tape};
    ///
    /// let tape = Tape::<f64>::fixed(2, 3, OnFull::Error);
    /// let mut grads = Gradients::with_capacity(3);
    /// let x = tape.var_scalar(1.0);
    /// assert!(x.exp().try_backward_into(&mut grads).is_ok());
    /// assert!((x * x * x).try_backward_into(&mut grads).is_err());
    /// ```
    #[track_caller]
    pub fn try_backward_into(self, grads: &mut Gradients<T>) -> Result<(), CapacityError> {
        match self.tape.overflow() {
            Some(error) => Err(error),
            None => {
                self.backward_into(grads);
                Ok(())
            }
        }
    }
}
