//! [`ReplayFn`] and [`ReplayVectorFn`]: a [`ScalarFn`] or [`VectorFn`] recorded once and
//! evaluated through a [`Recording`] at new points.

use nalgebra::{SMatrix, SVector};

use crate::{Input, Recording, ReplayError, Scalar, ScalarFn, Tape, VectorFn, Workspace};

/// A [`ScalarFn`] `f: ℝ^{R×C} → ℝ` recorded once at a point, evaluated at others: value and
/// gradient bit-identical to recording `f` afresh there, no allocation per evaluation. See
/// [`Recording`] for what is baked in and what a recording cannot see (control flow in
/// `f`'s own code); [`gradient_checked`](ReplayFn::gradient_checked) catches it.
///
/// # Examples
///
/// Gradient descent on the Rosenbrock function, recorded once:
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{ReplayFn, Scalar, ScalarFn, Tensor};
///
/// struct Rosenbrock;
/// impl ScalarFn<2> for Rosenbrock {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
///         let (a, b) = (x.at(0), x.at(1));
///         let one = nalgebra::convert::<f64, T>(1.0);
///         let hundred = nalgebra::convert::<f64, T>(100.0);
///         (-a + one).square() + (b - a.square()).square() * hundred
///     }
/// }
///
/// let f = ReplayFn::new(&Rosenbrock, &Vector2::new(-1.0, 1.0)).unwrap();
/// let mut ws = f.workspace();
/// let mut x = Vector2::new(-1.0, 1.0);
/// let (first, _) = f.gradient(&mut ws, &x).unwrap();
/// for _ in 0..2000 {
///     let (_, g) = f.gradient(&mut ws, &x).unwrap();
///     x -= g * 1e-3;
/// }
/// assert!(f.value(&mut ws, &x).unwrap() < first / 10.0);
/// ```
pub struct ReplayFn<const R: usize, const C: usize = 1, T: Scalar = f64> {
    recording: Recording<1, 1, T>,
    x: Input<R, C>,
}

impl<const R: usize, const C: usize, T: Scalar> ReplayFn<R, C, T> {
    /// Records `f` at `at` on a [`Tape::for_replay`] tape, `x` its one variable.
    ///
    /// # Examples
    ///
    /// See [`ReplayFn`].
    pub fn new(f: &impl ScalarFn<R, C>, at: &SMatrix<T, R, C>) -> Result<Self, ReplayError> {
        let tape = Tape::for_replay();
        let x = tape.var(*at);
        let recording = Recording::new(f.eval(x))?;
        let x = recording.input(x);
        Ok(ReplayFn { recording, x })
    }

    /// A workspace to evaluate in (one per thread; the only allocation).
    ///
    /// # Examples
    ///
    /// See [`ReplayFn`].
    pub fn workspace(&self) -> Workspace<T> {
        self.recording.workspace()
    }

    /// The recording underneath, and the variable's input.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::{ReplayFn, Scalar, ScalarFn, Tensor};
    ///
    /// struct Sum;
    /// impl ScalarFn<2> for Sum {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         x.sum()
    ///     }
    /// }
    /// let f = ReplayFn::new(&Sum, &Vector2::new(1.0, 2.0)).unwrap();
    /// let (rec, x) = f.recording();
    /// let mut ws = rec.workspace();
    /// rec.forward(&mut ws).unwrap();
    /// rec.backward_one(&mut ws);
    /// assert_eq!(rec.gradient(&ws, x), Vector2::new(1.0, 1.0));
    /// ```
    pub fn recording(&self) -> (&Recording<1, 1, T>, Input<R, C>) {
        (&self.recording, self.x)
    }

    /// `f(x)`: the recorded ops run again at `x`.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// See [`ReplayFn`].
    #[track_caller]
    pub fn value(&self, ws: &mut Workspace<T>, x: &SMatrix<T, R, C>) -> Result<T, ReplayError> {
        self.recording.set(ws, self.x, x);
        Ok(self.recording.forward(ws)?[0])
    }

    /// `(f(x), ∇f(x))`: the forward at `x`, then the replayed walk.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// See [`ReplayFn`].
    #[track_caller]
    pub fn gradient(
        &self,
        ws: &mut Workspace<T>,
        x: &SMatrix<T, R, C>,
    ) -> Result<(T, SMatrix<T, R, C>), ReplayError> {
        let y = self.value(ws, x)?;
        self.recording.backward_one(ws);
        Ok((y, self.recording.gradient(ws, self.x)))
    }

    /// [`gradient`](ReplayFn::gradient), checked: `f` is also recorded afresh at `x` and
    /// compared with the replay, op by op and value by value; [`ReplayError::Changed`] if
    /// `f`'s own code took another path there. Costs a recording more than `gradient`.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector1;
    /// use shapegrad::{ReplayError, ReplayFn, Scalar, ScalarFn, Tensor};
    ///
    /// /// |x| written with a branch in the caller's code (`x.abs()` would replay fine)
    /// struct Branchy;
    /// impl ScalarFn<1> for Branchy {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 1, 1, T>) -> Tensor<'t, 1, 1, T> {
    ///         let s = x.sum();
    ///         if s.item() > T::zero() { s } else { -s }
    ///     }
    /// }
    /// let f = ReplayFn::new(&Branchy, &Vector1::new(2.0)).unwrap();
    /// let mut ws = f.workspace();
    /// assert_eq!(f.gradient_checked(&mut ws, &Branchy, &Vector1::new(3.0)).unwrap().0, 3.0);
    /// let flipped = f.gradient_checked(&mut ws, &Branchy, &Vector1::new(-3.0));
    /// assert!(matches!(flipped, Err(ReplayError::Changed { .. })));
    /// ```
    #[track_caller]
    pub fn gradient_checked(
        &self,
        ws: &mut Workspace<T>,
        f: &impl ScalarFn<R, C>,
        x: &SMatrix<T, R, C>,
    ) -> Result<(T, SMatrix<T, R, C>), ReplayError> {
        let y = self.value(ws, x)?;
        let tape = Tape::for_replay();
        self.recording.check(ws, f.eval(tape.var(*x)))?;
        self.recording.backward_one(ws);
        Ok((y, self.recording.gradient(ws, self.x)))
    }
}

/// A [`VectorFn`] `f: ℝᴺ → ℝᴹ` recorded once at a point, evaluated at others: value,
/// Jacobian (`M` replayed walks after one forward) and vector-Jacobian products, bit-identical
/// to recording afresh ([`Tensor::jacobian`](crate::Tensor::jacobian),
/// [`backward_with`](crate::Tensor::backward_with)), no allocation per evaluation. See
/// [`Recording`] for what a recording cannot see.
///
/// # Examples
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{ReplayVectorFn, Scalar, Tensor, VectorFn};
///
/// /// f(x) = (x₀x₁, x₀ + x₁)
/// struct F;
/// impl VectorFn<2, 2> for F {
///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
///         let (a, b) = (x.at(0), x.at(1));
///         (a * b).vstack(a + b)
///     }
/// }
/// let f = ReplayVectorFn::new(&F, &Vector2::new(1.0, 1.0)).unwrap();
/// let mut ws = f.workspace();
/// let (y, j) = f.jacobian(&mut ws, &Vector2::new(2.0, 3.0)).unwrap();
/// assert_eq!(y, Vector2::new(6.0, 5.0));
/// assert_eq!(j, Matrix2::new(3.0, 2.0, 1.0, 1.0));
/// let (_, vj) = f.vjp(&mut ws, &Vector2::new(2.0, 3.0), &Vector2::new(1.0, -1.0)).unwrap();
/// assert_eq!(vj, Vector2::new(2.0, 1.0));
/// ```
pub struct ReplayVectorFn<const N: usize, const M: usize, T: Scalar = f64> {
    recording: Recording<M, 1, T>,
    x: Input<N, 1>,
}

impl<const N: usize, const M: usize, T: Scalar> ReplayVectorFn<N, M, T> {
    /// Records `f` at `at` on a [`Tape::for_replay`] tape, `x` its one variable.
    ///
    /// # Examples
    ///
    /// See [`ReplayVectorFn`].
    pub fn new(f: &impl VectorFn<N, M>, at: &SVector<T, N>) -> Result<Self, ReplayError> {
        let tape = Tape::for_replay();
        let x = tape.var(*at);
        let recording = Recording::new(f.eval(x))?;
        let x = recording.input(x);
        Ok(ReplayVectorFn { recording, x })
    }

    /// A workspace to evaluate in (one per thread; the only allocation).
    ///
    /// # Examples
    ///
    /// See [`ReplayVectorFn`].
    pub fn workspace(&self) -> Workspace<T> {
        self.recording.workspace()
    }

    /// `f(x)`.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// See [`ReplayVectorFn`].
    #[track_caller]
    pub fn value(
        &self,
        ws: &mut Workspace<T>,
        x: &SVector<T, N>,
    ) -> Result<SVector<T, M>, ReplayError> {
        self.recording.set(ws, self.x, x);
        self.recording.forward(ws)
    }

    /// `(f(x), J(x))`: one forward, then one replayed walk per output (row `i` seeded with
    /// `eᵢ`), as [`Tensor::jacobian`](crate::Tensor::jacobian).
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// See [`ReplayVectorFn`].
    #[track_caller]
    pub fn jacobian(
        &self,
        ws: &mut Workspace<T>,
        x: &SVector<T, N>,
    ) -> Result<(SVector<T, M>, SMatrix<T, M, N>), ReplayError> {
        let y = self.value(ws, x)?;
        Ok((y, self.rows(ws)))
    }

    /// `(f(x), wᵀJ(x))`: one forward and one replayed walk seeded with `w`.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// See [`ReplayVectorFn`].
    #[track_caller]
    pub fn vjp(
        &self,
        ws: &mut Workspace<T>,
        x: &SVector<T, N>,
        w: &SVector<T, M>,
    ) -> Result<(SVector<T, M>, SVector<T, N>), ReplayError> {
        let y = self.value(ws, x)?;
        self.recording.backward(ws, w);
        Ok((y, self.recording.gradient(ws, self.x)))
    }

    /// [`jacobian`](ReplayVectorFn::jacobian), checked as
    /// [`ReplayFn::gradient_checked`]: [`ReplayError::Changed`] if `f` recorded afresh at
    /// `x` runs other ops or constants.
    ///
    /// # Panics
    ///
    /// If `ws` is another recording's.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use shapegrad::{ReplayVectorFn, Scalar, Tensor, VectorFn};
    ///
    /// struct Square;
    /// impl VectorFn<2, 2> for Square {
    ///     fn eval<'t, T: Scalar>(&self, x: Tensor<'t, 2, 1, T>) -> Tensor<'t, 2, 1, T> {
    ///         x * x
    ///     }
    /// }
    /// let f = ReplayVectorFn::new(&Square, &Vector2::new(1.0, 1.0)).unwrap();
    /// let mut ws = f.workspace();
    /// let (_, j) = f.jacobian_checked(&mut ws, &Square, &Vector2::new(2.0, 3.0)).unwrap();
    /// assert_eq!(j, nalgebra::Matrix2::new(4.0, 0.0, 0.0, 6.0));
    /// ```
    #[track_caller]
    pub fn jacobian_checked(
        &self,
        ws: &mut Workspace<T>,
        f: &impl VectorFn<N, M>,
        x: &SVector<T, N>,
    ) -> Result<(SVector<T, M>, SMatrix<T, M, N>), ReplayError> {
        let y = self.value(ws, x)?;
        let tape = Tape::for_replay();
        self.recording.check(ws, f.eval(tape.var(*x)))?;
        Ok((y, self.rows(ws)))
    }

    /// The Jacobian at the values of `ws`'s last forward: one walk per output.
    fn rows(&self, ws: &mut Workspace<T>) -> SMatrix<T, M, N> {
        let mut j = SMatrix::<T, M, N>::zeros();
        let mut seed = SVector::<T, M>::zeros();
        for i in 0..M {
            seed[i] = T::one();
            self.recording.backward(ws, &seed);
            seed[i] = T::zero();
            j.set_row(i, &self.recording.gradient(ws, self.x).transpose());
        }
        j
    }
}
